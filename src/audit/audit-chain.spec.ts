import { createHash } from 'node:crypto';
import {
  canonicalEntry,
  ChainVerifier,
  chainHash,
  GENESIS_HASH,
  type ChainedFields,
  type StoredLink,
} from './audit-chain';

function entry(seq: number, data: unknown = { amount: '10.00' }): ChainedFields {
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    at: '2026-12-02T10:00:00.000Z',
    actor: 'alice',
    actor_key_id: null,
    action: 'allocation.created',
    entity: 'allocation',
    entity_id: `m${seq}`,
    data,
  };
}

function chain(n: number): StoredLink[] {
  const links: StoredLink[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields = entry(seq);
    const hash = chainHash(prev, fields);
    links.push({ ...fields, prev_hash: prev, hash });
    prev = hash;
  }
  return links;
}

function verify(links: StoredLink[]): ChainVerifier {
  const v = new ChainVerifier();
  for (const link of links) v.add(link);
  return v;
}

describe('canonicalEntry', () => {
  it('is RFC 8785: keys sorted, no spaces, whatever order the fields came in', () => {
    const text = canonicalEntry({ ...entry(1), data: { z: 1, a: 'x', m: [true, null] } });
    expect(text).toBe(
      '{"action":"allocation.created","actor":"alice","actor_key_id":null,"at":"2026-12-02T10:00:00.000Z",' +
        '"data":{"a":"x","m":[true,null],"z":1},"entity":"allocation","entity_id":"m1",' +
        '"id":"00000000-0000-4000-8000-000000000001","seq":1}',
    );
  });

  it('leaves out anything but the covered fields (prev_hash, hash)', () => {
    const [link] = chain(1);
    expect(canonicalEntry(link)).toBe(canonicalEntry(entry(1)));
  });
});

describe('chainHash', () => {
  it('is SHA-256 over prev_hash then the canonical JSON, in hex', () => {
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonicalEntry(entry(1)))
      .digest('hex');
    expect(chainHash(GENESIS_HASH, entry(1))).toBe(expected);
  });

  it('changes with the previous hash, the seq and any data', () => {
    const base = chainHash(GENESIS_HASH, entry(1));
    expect(chainHash('f'.repeat(64), entry(1))).not.toBe(base);
    expect(chainHash(GENESIS_HASH, { ...entry(1), seq: 2 })).not.toBe(base);
    expect(chainHash(GENESIS_HASH, entry(1, { amount: '10.01' }))).not.toBe(base);
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain and counts it', () => {
    const v = verify(chain(5));
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(5);
    expect(v.firstBadSeq).toBeNull();
  });

  it('accepts the empty chain', () => {
    expect(verify([]).ok).toBe(true);
  });

  it('names an entry whose data was edited, and still counts the rest', () => {
    const links = chain(5);
    links[2] = { ...links[2], data: { amount: '99.00' } };
    const v = verify(links);
    expect(v.ok).toBe(false);
    expect(v.firstBadSeq).toBe(3);
    expect(v.entries).toBe(5);
  });

  it('names an entry whose hash was recomputed after an edit (the next link breaks there)', () => {
    const links = chain(5);
    const forged = { ...links[1], actor: 'mallory' };
    links[1] = { ...forged, hash: chainHash(forged.prev_hash, forged) };
    expect(verify(links).firstBadSeq).toBe(3);
  });

  it('names a deleted entry by its seq', () => {
    const links = chain(5);
    links.splice(1, 1);
    expect(verify(links).firstBadSeq).toBe(2);
  });

  it('names the first entry when the first one was deleted', () => {
    expect(verify(chain(3).slice(1)).firstBadSeq).toBe(1);
  });

  it('names a swapped pair', () => {
    const links = chain(4);
    [links[1], links[2]] = [links[2], links[1]];
    expect(verify(links).firstBadSeq).toBe(2);
  });

  it('names an entry whose prev_hash does not link', () => {
    const links = chain(3);
    links[2] = { ...links[2], prev_hash: GENESIS_HASH };
    expect(verify(links).firstBadSeq).toBe(3);
  });
});
