import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { validationProblem, type ProblemField } from './problem';

/** Text PostgreSQL can store: no U+0000 (NUL), no unpaired UTF-16 surrogate. */
export function storableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/**
 * Text from outside (a bank's error, a URL it sent) made storable and bounded before it is kept
 * in a column or a jsonb document: NUL dropped, unpaired surrogates replaced. One unstorable
 * character in a run's bank errors failed the whole run's record.
 */
export function storableMessage(value: string, max = 2000): string {
  const clean = value.replaceAll('\u0000', '').toWellFormed();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export const UNSTORABLE_TEXT = 'must be Unicode text without U+0000 (NUL) or an unpaired surrogate';

function collect(value: unknown, path: string, out: ProblemField[]): void {
  if (typeof value === 'string') {
    if (!storableText(value))
      out.push({ field: path || '(body)', message: `${path || 'the body'} ${UNSTORABLE_TEXT}` });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, v] of entries) {
    const field = path ? `${path}.${key}` : key;
    if (!storableText(key)) out.push({ field, message: `a field name ${UNSTORABLE_TEXT}` });
    else collect(v, field, out);
  }
}

/**
 * Staff requests' bodies, query strings and path parameters: a string PostgreSQL cannot store
 * is a 400 naming the field, before any handler runs. Let through, it fails its query with a
 * 500 (a bank id of `%00` in a path, a NUL in a note). Global, ahead of the ValidationPipe.
 * The webhook routes take the raw request (`@Req`), which pipes never see; their bodies are
 * checked by the intake's own validation.
 */
@Injectable()
export class StorableTextPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const bad: ProblemField[] = [];
    collect(value, metadata.type === 'body' ? '' : (metadata.data ?? ''), bad);
    if (bad.length > 0) throw validationProblem(bad);
    return value;
  }
}
