import { parseCamt } from './camt';
import { parseCsv, type CsvMapping } from './csv';
import { parseMt940 } from './mt940';
import { parseOfx } from './ofx';
import { StatementFileError, type StatementEvent, type StatementFormat } from './statement-events';
import { declaredEncoding, decodeChunks, peek } from './text-stream';

const SNIFF_BYTES = 4096;

/** The format the first bytes show, or null (then only a CSV mapping can read it). */
export function detectFormat(head: string): StatementFormat | null {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (/camt\.054\.|BkToCstmrDbtCdtNtfctn/.test(text)) return 'camt054';
  if (/camt\.053\.|BkToCstmrStmt/.test(text)) return 'camt053';
  if (/^OFXHEADER:|<\?OFX|<OFX>/i.test(text)) return 'ofx';
  if (/^(\{1:|:20:|:940:)/.test(text) || /^:20:/m.test(text)) return 'mt940';
  return null;
}

/**
 * A statement file as events, read as a stream: the format is the one asked for, else the one
 * its first bytes show, else CSV through the bank's mapping. The text encoding is the file's
 * own (XML declaration, OFX CHARSET) or, for CSV, the mapping's.
 */
export async function readStatementFile(
  source: AsyncIterable<Buffer>,
  asked: StatementFormat | null,
  mapping: CsvMapping | null,
): Promise<{ format: StatementFormat; events: AsyncGenerator<StatementEvent, unknown> }> {
  const { head, all } = await peek(source, SNIFF_BYTES);
  const headText = head.toString('latin1');
  const format = asked ?? detectFormat(headText) ?? (mapping ? 'csv' : null);
  if (!format) {
    throw new StatementFileError(
      'line 1',
      'not a camt.053, camt.054, MT940 or OFX file, and the bank has no CSV mapping ' +
        '(PUT /banks/{id}/csv-mapping), or name the format with ?format=',
    );
  }
  if (format === 'csv') {
    if (!mapping) {
      throw new StatementFileError(
        'format',
        'the bank has no CSV mapping: PUT /banks/{id}/csv-mapping first',
      );
    }
    return { format, events: parseCsv(decodeChunks(all, mapping.encoding), mapping) };
  }
  const text = decodeChunks(all, declaredEncoding(headText));
  if (format === 'mt940') return { format, events: parseMt940(text) };
  if (format === 'ofx') return { format, events: parseOfx(text) };
  return { format, events: parseCamt(text, format) };
}
