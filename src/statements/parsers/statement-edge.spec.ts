import iconv from 'iconv-lite';
import type { CsvMapping } from './csv';
import { dutchCsvMapping, read } from '../../../test/support/statement-read';
import { StatementFileError } from './statement-events';

async function failure(promise: Promise<unknown>): Promise<StatementFileError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StatementFileError) return err;
    throw err;
  }
  throw new Error('expected a StatementFileError');
}

const camt = (version: string, entries: string, doctype = ''): string =>
  `<?xml version="1.0" encoding="UTF-8"?>${doctype}
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}">
 <BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr>
  <Stmt><Id>S1</Id>
   <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
   ${entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>`;

const ntry = (amt: string, ind: string, extra = ''): string =>
  `<Ntry><Amt Ccy="EUR">${amt}</Amt><CdtDbtInd>${ind}</CdtDbtInd>${extra}<Sts><Cd>BOOK</Cd></Sts>
   <BookgDt><Dt>2026-03-01</Dt></BookgDt><AcctSvcrRef>R-${amt}-${ind}</AcctSvcrRef>
   <NtryDtls><TxDtls><RmtInf><Ustrd>INV-7 part</Ustrd><Ustrd>two</Ustrd></RmtInf>
   <RltdPties><Dbtr><Pty><Nm>Acme Ltd</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>GB82WEST12345698765432</IBAN></Id></DbtrAcct></RltdPties>
   </TxDtls></NtryDtls></Ntry>`;

describe('camt edge cases', () => {
  it.each(['02', '04', '06', '08'])('reads camt.053.001.%s', async (v) => {
    const r = await read(camt(v, ntry('30.00', 'DBIT') + ntry('10.00', 'CRDT')));
    expect(r.statements[0].entries.map((e) => [e.amount, e.direction])).toEqual([
      ['30.00', 'debit'],
      ['10.00', 'credit'],
    ]);
    expect(r.statements[0].entries[1]).toMatchObject({
      counterparty: 'Acme Ltd',
      counterpartyAccount: 'GB82WEST12345698765432',
      reference: 'INV-7 part two',
      bankRef: 'R-10.00-CRDT',
    });
  });

  it('refuses another namespace version, naming the Document', async () => {
    const e = await failure(read(camt('09', '')));
    expect(e.at).toBe('Document');
  });

  it('refuses a DTD: no external entity is resolved (XXE)', async () => {
    const xxe = '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>';
    const e = await failure(
      read(camt('02', ntry('1.00', 'CRDT', '<AddtlNtryInf>&x;</AddtlNtryInf>'), xxe)),
    );
    expect(e.message).toMatch(/DTD/);
  });

  it('refuses a billion-laughs file at once, in bounded memory', async () => {
    const lol =
      '<!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`,
      ).join('') +
      ']>';
    const before = process.memoryUsage().rss;
    const e = await failure(
      read(camt('02', ntry('1.00', 'CRDT', '<AddtlNtryInf>&lol9;</AddtlNtryInf>'), lol)),
    );
    expect(e.message).toMatch(/DTD/);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 2 ** 20);
  });

  it('refuses an entity it does not know (no DTD at all)', async () => {
    const e = await failure(
      read(camt('02', ntry('1.00', 'CRDT', '<AddtlNtryInf>&lol;</AddtlNtryInf>'))),
    );
    expect(e.message).toMatch(/not well-formed XML/);
    expect(e.at).toMatch(/^line \d+/);
  });

  it('names the line of malformed XML and of a bad amount', async () => {
    const broken = camt('02', ntry('1.00', 'CRDT')).replace('</Stmt>', '</Stm>');
    expect((await failure(read(broken))).at).toMatch(/^line \d+$/);
    const e = await failure(read(camt('02', ntry('1.001', 'CRDT'))));
    expect(e.at).toMatch(/^Ntry 1 \(line \d+\)$/);
    expect(e.message).toMatch(/decimal/);
  });

  it('cuts off elements that nest without end', async () => {
    const deep = camt('02', `${'<X>'.repeat(100)}${'</X>'.repeat(100)}`);
    expect((await failure(read(deep))).message).toMatch(/nest too deep/);
  });

  it('takes only booked entries', async () => {
    const pending = ntry('5.00', 'CRDT').replace('<Cd>BOOK</Cd>', '<Cd>PDNG</Cd>');
    const r = await read(camt('08', pending + ntry('6.00', 'CRDT')));
    expect(r.statements[0].entries.map((e) => e.amount)).toEqual(['6.00']);
  });
});

const mt940 = (lines61: string): string =>
  [
    ':20:STMT1',
    ':25:DE89370400440532013000',
    ':28C:1/1',
    ':60F:C260301EUR100,00',
    lines61,
    ':62F:C260302EUR95,00',
    '-',
  ].join('\r\n');

describe('MT940 edge cases', () => {
  it('books RC as a debit and RD as a credit; identical rows stay two entries', async () => {
    const r = await read(
      mt940(
        [
          ':61:2603010301RC10,00NTRFNONREF',
          ':86:reversal of a credit',
          ':61:2603010301RD5,00NTRFNONREF',
          ':61:2603010301D5,00NMSCNONREF',
          ':86:CARD 1234',
          ':61:2603010301D5,00NMSCNONREF',
          ':86:CARD 1234',
        ].join('\r\n'),
      ),
    );
    expect(r.statements[0].entries.map((e) => [e.direction, e.amount, e.reversal])).toEqual([
      ['debit', '10.00', true],
      ['credit', '5.00', true],
      ['debit', '5.00', false],
      ['debit', '5.00', false],
    ]);
    expect(r.statements[0].entries[2].bankRef).toBeNull();
  });

  it('names the line of a statement line it cannot read', async () => {
    const e = await failure(read(mt940(':61:2603XX0301C10,00NTRFNONREF')));
    expect(e.at).toBe('line 5 (:61:)');
  });
});

describe('OFX 1.x SGML', () => {
  it('reads leaves without closing tags, CHARSET 1252 text and the ledger balance', async () => {
    const sgml = [
      'OFXHEADER:100',
      'DATA:OFXSGML',
      'VERSION:102',
      'CHARSET:1252',
      '',
      '<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR',
      '<BANKACCTFROM><BANKID>1<ACCTID>12345678</BANKACCTFROM>',
      '<BANKTRANLIST><DTSTART>20260301<DTEND>20260331',
      '<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20260302120000[+1:CET]<TRNAMT>1234,50<FITID>F1<NAME>Caf\u00e9 M&amp;M<MEMO>INV-9</STMTTRN>',
      '<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260303<TRNAMT>-.5<FITID>F2</STMTTRN>',
      '</BANKTRANLIST><LEDGERBAL><BALAMT>-10.00<DTASOF>20260331</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>',
    ].join('\r\n');
    const r = await read(iconv.encode(sgml, 'windows-1252'));
    expect(r.format).toBe('ofx');
    const [s] = r.statements;
    expect(s.totals).toMatchObject({
      account: '12345678',
      currency: 'EUR',
      closingBalance: '-10.00',
      openingBalance: null,
    });
    expect(
      s.entries.map((e) => [e.bankRef, e.direction, e.amount, e.counterparty, e.reference]),
    ).toEqual([
      ['F1', 'credit', '1234.50', 'Café M&M', 'INV-9'],
      ['F2', 'debit', '0.50', null, null],
    ]);
  });

  it('refuses an entity declaration', async () => {
    const e = await failure(
      read(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><?OFX OFXHEADER="200"?><OFX></OFX>',
        'ofx',
      ),
    );
    expect(e.message).toMatch(/DTD|declaration/);
  });
});

describe('CSV edge cases', () => {
  const dutch: CsvMapping = dutchCsvMapping({
    amount: 'Bedrag (EUR)',
    counterparty: 'Naam / Omschrijving',
    counterparty_account: 'Tegenrekening',
    description: 'Mededelingen',
  });

  it('reads Af/Bij, an iso-8859-1 file and identical rows as distinct entries', async () => {
    const text = [
      '"Datum";"Naam / Omschrijving";"Rekening";"Tegenrekening";"Af Bij";"Bedrag (EUR)";"Mededelingen"',
      '"20260301";"Crème brûlée BV";"NL20INGB0001234567";"NL91ABNA0417164300";"Bij";"1.250,00";"INV-1"',
      '"20260301";"Kaart";"NL20INGB0001234567";"";"Af";"4,50";"pas 12"',
      '"20260301";"Kaart";"NL20INGB0001234567";"";"Af";"4,50";"pas 12"',
    ].join('\n');
    const r = await read(iconv.encode(text, 'latin1'), 'csv', dutch);
    expect(r.statements[0].entries.map((e) => [e.direction, e.amount, e.counterparty])).toEqual([
      ['credit', '1250.00', 'Crème brûlée BV'],
      ['debit', '4.50', 'Kaart'],
      ['debit', '4.50', 'Kaart'],
    ]);
    expect(r.statements[0].entries[0].counterpartyAccount).toBe('NL91ABNA0417164300');
  });

  it('reads D/K by position without a header, and signed amounts', async () => {
    const mapping: CsvMapping = {
      delimiter: ';',
      decimal_separator: ',',
      encoding: 'utf-8',
      date_format: 'DD.MM.YYYY',
      header: false,
      skip_rows: 0,
      currency: 'EUR',
      columns: { date: 1, amount: 2, direction: { column: 3, debit_values: ['D'] } },
    };
    const r = await read('01.03.2026;+1,23;K\n02.03.2026;7,00;D\n', 'csv', mapping);
    expect(r.statements[0].entries.map((e) => [e.bookingDate, e.direction, e.amount])).toEqual([
      ['2026-03-01', 'credit', '1.23'],
      ['2026-03-02', 'debit', '7.00'],
    ]);
    const signed = await read('01.03.2026;+1,23\n02.03.2026;-7,00\n03.03.2026;1.000,5-\n', 'csv', {
      ...mapping,
      columns: { date: 1, amount: 2 },
    });
    expect(signed.statements[0].entries.map((e) => [e.direction, e.amount])).toEqual([
      ['credit', '1.23'],
      ['debit', '7.00'],
      ['debit', '1000.50'],
    ]);
  });

  it('names the line of a row whose date does not match', async () => {
    const e = await failure(
      read(
        '"Datum";"Af Bij";"Bedrag (EUR)"\n"20260301";"Bij";"1,00"\n"2026-03-02";"Af";"2,00"\n',
        'csv',
        {
          ...dutch,
          encoding: 'utf-8',
          columns: {
            date: 'Datum',
            amount: 'Bedrag (EUR)',
            direction: { column: 'Af Bij', debit_values: ['Af'] },
          },
        },
      ),
    );
    expect(e.at).toBe('line 3');
  });

  it('refuses bytes that are not UTF-8 when the mapping says UTF-8', async () => {
    const e = await failure(
      read(Buffer.from([0x31, 0x3b, 0xe9, 0x0a]), 'csv', { ...dutch, encoding: 'utf-8' }),
    );
    expect(e.message).toMatch(/UTF-8/);
  });
});
