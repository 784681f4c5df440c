import busboy from 'busboy';
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ProblemException, validationProblem } from '../common/problem';

/** The uploaded file's bytes as they arrive, counted and hashed on the way. */
export interface UploadSource {
  chunks: AsyncIterable<Buffer>;
  /** Bytes read so far, and their SHA-256 once `chunks` is exhausted. */
  readonly bytes: number;
  sha256(): Buffer;
}

function tooLarge(max: number): ProblemException {
  return new ProblemException(
    413,
    'payload-too-large',
    `the file is over ${max} bytes (STATEMENT_MAX_BYTES)`,
  );
}

/**
 * The file of an upload: the request body itself, or the multipart/form-data field `file`
 * (busboy, streamed). Past `max` bytes the read stops with 413: a file that repeats without end
 * is cut off by the size, never by memory.
 */
export async function uploadSource(
  req: Readable & { headers: Record<string, unknown> },
  max: number,
): Promise<UploadSource> {
  const header = req.headers['content-type'];
  const type = typeof header === 'string' ? header : '';
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max + 64 * 1024) throw tooLarge(max);
  const stream = /^multipart\/form-data/i.test(type) ? await multipartFile(req, max) : req;
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  let digest: Buffer | null = null;
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > max) throw tooLarge(max);
      hash.update(chunk);
      yield chunk;
    }
    digest = hash.digest();
  }
  return {
    chunks: chunks(),
    get bytes() {
      return bytes;
    },
    sha256: () => {
      if (!digest) throw new Error('the upload was not read to its end');
      return digest;
    },
  };
}

function multipartFile(
  req: Readable & { headers: Record<string, unknown> },
  max: number,
): Promise<Readable> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers as busboy.BusboyConfig['headers'],
        limits: { files: 1, fields: 10, fileSize: max + 1, fieldSize: 1024 },
      });
    } catch (err) {
      reject(validationProblem([{ field: '(body)', message: (err as Error).message }]));
      return;
    }
    let found = false;
    parser.on('file', (name, file) => {
      if (name !== 'file' || found) {
        file.resume();
        return;
      }
      found = true;
      resolve(file);
    });
    parser.on('error', (err: Error) =>
      reject(validationProblem([{ field: '(body)', message: `multipart: ${err.message}` }])),
    );
    parser.on('close', () => {
      if (!found)
        reject(
          validationProblem([{ field: 'file', message: 'the multipart body has no field "file"' }]),
        );
    });
    req.pipe(parser);
  });
}
