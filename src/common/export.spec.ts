import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import { copyStatement, CsvLineEndings, exportFileName } from './export';

async function through(chunks: string[]): Promise<string> {
  const out: Buffer[] = [];
  const stream = Readable.from(chunks.map((c) => Buffer.from(c))).pipe(new CsvLineEndings());
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out).toString('utf8');
}

describe('CsvLineEndings', () => {
  // PostgreSQL's CSV: LF after each record, quoted fields may hold LF, CR and doubled quotes.
  const pg = 'a,b\nx,"line\none"\n"say ""hi""\n",2\n"cr\r",3\nlast,4\n';

  it('ends every record with CRLF and leaves line breaks inside quotes alone', async () => {
    expect(await through([pg])).toBe(
      'a,b\r\nx,"line\none"\r\n"say ""hi""\n",2\r\n"cr\r",3\r\nlast,4\r\n',
    );
  });

  it('gives the same bytes however the stream is cut (quote state across chunks)', async () => {
    const whole = await through([pg]);
    for (let cut = 1; cut < pg.length; cut++) {
      expect(await through([pg.slice(0, cut), pg.slice(cut)])).toBe(whole);
    }
    expect(await through(pg.split(''))).toBe(whole);
  });

  it('reads back as the same records with an RFC 4180 parser', async () => {
    const records: string[][] = parse(await through([pg]), { record_delimiter: '\r\n' });
    expect(records).toEqual([
      ['a', 'b'],
      ['x', 'line\none'],
      ['say "hi"\n', '2'],
      ['cr\r', '3'],
      ['last', '4'],
    ]);
  });
});

describe('copyStatement', () => {
  const columns = [
    { name: 'id', sql: 'x.id' },
    { name: 'note', sql: 'x.note', kind: 'text' as const },
    { name: 'data', sql: 'x.data', kind: 'json' as const },
    { name: 'live', sql: 'x.live', kind: 'bool' as const },
  ];

  it('guards text cells, writes JSON as text and booleans as words in CSV', () => {
    expect(copyStatement(columns, 'FROM x', 'csv')).toBe(
      'COPY (SELECT x.id AS id, bank_sync_csv_text(x.note) AS note, (x.data)::text AS data, ' +
        "CASE WHEN x.live THEN 'true' WHEN NOT x.live THEN 'false' END AS live FROM x) " +
        'TO STDOUT WITH (FORMAT csv, HEADER true)',
    );
  });

  it('writes one JSON object a line, values unguarded', () => {
    expect(copyStatement(columns, 'FROM x', 'jsonl')).toBe(
      'COPY (SELECT to_json(r)::text FROM (SELECT x.id AS id, x.note AS note, x.data AS data, ' +
        "x.live AS live FROM x) r) TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')",
    );
  });

  it('refuses a column name that would need quoting', () => {
    expect(() => copyStatement([{ name: 'a b', sql: '1' }], '', 'csv')).toThrow(RangeError);
  });
});

describe('exportFileName', () => {
  it('names the file by what and when, in UTC', () => {
    expect(exportFileName('matches', 'csv', new Date('2026-12-02T10:15:00.123Z'))).toBe(
      'matches-20261202T101500Z.csv',
    );
  });
});
