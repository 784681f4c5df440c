import { getDecoder } from 'iconv-lite';
import { StatementFileError } from './statement-events';

export type FileEncoding = 'utf-8' | 'iso-8859-1' | 'windows-1252';

/**
 * The file's bytes as text, chunk by chunk. UTF-8 is decoded strictly (a byte sequence that is
 * not UTF-8 is a 400 naming the byte, never U+FFFD in a stored text); the legacy encodings by
 * iconv-lite, where every byte is a character.
 */
export async function* decodeChunks(
  source: AsyncIterable<Buffer>,
  encoding: FileEncoding,
): AsyncGenerator<string> {
  if (encoding === 'utf-8') {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let offset = 0;
    for await (const chunk of source) {
      try {
        yield decoder.decode(chunk, { stream: true });
      } catch {
        throw new StatementFileError(
          `byte ${offset + 1}`,
          'the file is not valid UTF-8 (set the encoding, e.g. iso-8859-1)',
        );
      }
      offset += chunk.length;
    }
    try {
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch {
      throw new StatementFileError('end of file', 'the file ends inside a UTF-8 character');
    }
    return;
  }
  const decoder = getDecoder(encoding);
  for await (const chunk of source) yield decoder.write(chunk);
  const rest = decoder.end();
  if (rest) yield rest;
}

/**
 * The lines of a text stream (LF, CRLF or CR), a chunk's worth at a time, `first` the 1-based
 * number of the first: one await per chunk, not per line (an MT940 file of 200 000 entries has
 * 400 000 lines, and each await through the parser's generators is garbage to collect).
 */
export async function* lineBatches(
  text: AsyncIterable<string>,
  maxLineChars: number,
): AsyncGenerator<{ lines: string[]; first: number }> {
  let carry = '';
  let n = 0;
  for await (const chunk of text) {
    carry += chunk;
    const parts = carry.split(/\r\n|\n|\r(?!$)/);
    carry = parts.pop() ?? '';
    if (carry.length > maxLineChars) {
      throw new StatementFileError(`line ${n + parts.length + 1}`, 'line too long');
    }
    if (parts.length > 0) yield { lines: parts, first: n + 1 };
    n += parts.length;
  }
  if (carry.endsWith('\r')) carry = carry.slice(0, -1);
  if (carry !== '') yield { lines: [carry], first: n + 1 };
}

/** The encoding an XML declaration or an OFX 1.x header names (utf-8 when it names none). */
export function declaredEncoding(head: string): FileEncoding {
  const xml = /^\uFEFF?<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  const sgml = /\bCHARSET:\s*([A-Za-z0-9-]+)/.exec(head.slice(0, 1024));
  const name = (xml?.[1] ?? sgml?.[1] ?? 'utf-8').toLowerCase();
  if (name === 'iso-8859-1' || name === 'latin1' || name === 'iso8859-1') return 'iso-8859-1';
  if (name === 'windows-1252' || name === 'cp1252' || name === '1252') return 'windows-1252';
  return 'utf-8';
}

/** The first bytes of a stream, and the whole stream again (those bytes included). */
export async function peek(
  source: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    taken.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(taken);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, all: all() };
}
