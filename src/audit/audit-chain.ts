/**
 * The hash chain of the audit log, pure: what an entry's hash is computed over, and a verifier
 * that walks entries in seq order. An auditor can recompute it from an export with any RFC 8785
 * (JSON Canonicalization Scheme) implementation and SHA-256:
 *
 *   hash(n) = hex(SHA-256(UTF-8(prev_hash(n) + JCS({ id, seq, at, actor, actor_key_id, action,
 *                                                    entity, entity_id, data }))))
 *   prev_hash(1) = 64 zeros; prev_hash(n) = hash(n - 1)
 */
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The part of an entry that its hash covers (everything but prev_hash and hash). */
export interface ChainedFields {
  id: string;
  seq: number;
  /** ISO 8601 with milliseconds, UTC (`toISOString`). */
  at: string;
  actor: string;
  actor_key_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  data: unknown;
}

export function canonicalEntry(entry: ChainedFields): string {
  const fields: ChainedFields = {
    id: entry.id,
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    actor_key_id: entry.actor_key_id,
    action: entry.action,
    entity: entry.entity,
    entity_id: entry.entity_id,
    data: entry.data,
  };
  const text = canonicalize(fields);
  if (text === undefined) throw new TypeError('an audit entry must serialize to JSON');
  return text;
}

export function chainHash(prevHash: string, entry: ChainedFields): string {
  return createHash('sha256')
    .update(prevHash, 'utf8')
    .update(canonicalEntry(entry), 'utf8')
    .digest('hex');
}

/** A chained entry as stored: its fields plus the chain's columns. */
export interface StoredLink extends ChainedFields {
  prev_hash: string;
  hash: string;
}

/**
 * Checks links fed in seq order, one at a time (constant memory, whatever the log's length).
 * The first bad seq is the first place where the chain does not hold: a seq missing or out of
 * order, a prev_hash that is not the previous hash, or a hash that is not what the entry's
 * fields give (an edited field, or a forged hash).
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  entries = 0;
  firstBadSeq: number | null = null;

  /** Feeds the next link (every one is counted); false once the chain is broken. */
  add(link: StoredLink): boolean {
    this.entries++;
    if (this.firstBadSeq !== null) return false;
    if (link.seq !== this.expectedSeq) {
      this.firstBadSeq = Math.min(link.seq, this.expectedSeq);
      return false;
    }
    if (link.prev_hash !== this.prevHash || chainHash(link.prev_hash, link) !== link.hash) {
      this.firstBadSeq = link.seq;
      return false;
    }
    this.prevHash = link.hash;
    this.expectedSeq++;
    return true;
  }

  /** A chain row whose entry is gone (deleted behind the trigger's back). */
  missing(seq: number): void {
    this.entries++;
    if (this.firstBadSeq === null) this.firstBadSeq = seq;
  }

  get ok(): boolean {
    return this.firstBadSeq === null;
  }
}
