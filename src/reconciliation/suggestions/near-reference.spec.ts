import { normalizeInvoiceNumber } from '../matcher';
import { deletionKeys, isNearCandidate, nearKind } from './near-reference';

const n = normalizeInvoiceNumber;

describe('near references', () => {
  it.each([
    ['INV-1O01', 'INV-1001', 'confusable'],
    ['INV-10I1', 'INV-1011', 'confusable'],
    ['lNV-1001', 'INV-1001', 'confusable'],
    ['INV-1010', 'INV-1001', 'one_edit'], // transposition
    ['INV-1002', 'INV-1001', 'one_edit'], // substitution
    ['INV-10011', 'INV-1001', 'one_edit'], // a digit too many
    ['INV-101', 'INV-1001', 'one_edit'], // a digit too few
    ['XINV-1001', 'INV-1001', 'one_edit'],
    ['INV-1001', 'INV-1001', null], // the same number is not "near"
    ['INV-1100', 'INV-1001', null], // two slips
    ['INV-2002', 'INV-1001', null],
    ['INV-1O02', 'INV-1001', null], // a misreading and a typo: two slips
    ['INV-1O01', 'INV-2001', null],
    ['INV-100122', 'INV-1001', null],
  ])('%p against %p: %p', (reference, number, kind) => {
    expect(nearKind(n(reference), n(number))).toBe(kind);
  });

  it('searches only keys that look like invoice numbers', () => {
    expect(isNearCandidate('inv1001')).toBe(true);
    expect(isNearCandidate('inv1')).toBe(false); // too short: one slip from too much
    expect(isNearCandidate('transfer')).toBe(false); // no digit
    expect(isNearCandidate(`inv${'1'.repeat(40)}`)).toBe(false);
  });

  /** The index is only correct if every pair within one slip shares a lookup key. */
  it('gives every pair within one slip a shared lookup key (random strings)', () => {
    let seed = 7;
    const random = (k: number): number => {
      // mulberry32: a small PRNG whose low bits are usable, so a failure reproduces.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % k;
    };
    const alphabet = 'abcilo0123456789';
    const mutate = (s: string): string => {
      const i = random(s.length);
      const c = alphabet[random(alphabet.length)];
      switch (random(4)) {
        case 0:
          return s.slice(0, i) + c + s.slice(i + 1);
        case 1:
          return s.slice(0, i) + c + s.slice(i);
        case 2:
          return s.slice(0, i) + s.slice(i + 1);
        default:
          return i + 1 < s.length ? s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2) : s;
      }
    };
    let checked = 0;
    for (let round = 0; round < 3000; round++) {
      const a = Array.from({ length: 5 + random(6) }, () => alphabet[random(alphabet.length)]).join(
        '',
      );
      const b = mutate(a);
      if (nearKind(b, a) === null) continue;
      const keys = new Set(deletionKeys(a));
      expect(deletionKeys(b).some((k) => keys.has(k))).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(2000);
  });
});

describe('near references: the edges', () => {
  it('searches keys of 5 to 32 characters that have a digit', () => {
    expect(isNearCandidate('inv12')).toBe(true);
    expect(isNearCandidate('inv1')).toBe(false);
    expect(isNearCandidate(`a${'1'.repeat(31)}`)).toBe(true);
    expect(isNearCandidate(`a${'1'.repeat(32)}`)).toBe(false);
    expect(isNearCandidate('abcdef')).toBe(false);
    expect(isNearCandidate('9abcde')).toBe(true);
  });

  it('gives a number its folded self and every one-deletion of it, once each', () => {
    expect(deletionKeys('io1').sort()).toEqual(['01', '101', '11', '10'].sort());
    expect(deletionKeys('aab').sort()).toEqual(['aab', 'ab', 'aa'].sort());
    expect(deletionKeys('lol')).toContain('101');
  });

  it.each([
    ['abcde', 'abcdf', 'one_edit'], // the last character
    ['xbcde', 'abcde', 'one_edit'], // the first
    ['abcde', 'bacde', 'one_edit'], // the first two swapped
    ['abcde', 'abced', 'one_edit'], // the last two swapped
    ['abcde', 'abdce', 'one_edit'],
    ['abcde', 'acbed', null], // two swaps
    ['abcde', 'bacdf', null], // a swap and a typo
    ['abcde', 'abcd', 'one_edit'], // the last missing
    ['abcde', 'bcde', 'one_edit'], // the first missing
    ['abcd', 'abcde', 'one_edit'],
    ['abcde', 'abxcde', 'one_edit'],
    ['abcde', 'abxde', 'one_edit'],
    ['abcde', 'abxyde', null],
    ['abcde', 'abc', null],
    ['abcde', 'xabcdx', null],
    ['abcd', 'abdc', 'one_edit'],
    ['abcd', 'acdb', null],
    ['0il10', 'oi110', 'confusable'],
  ])('%p and %p: %p', (a, b, kind) => {
    expect(nearKind(a, b)).toBe(kind);
    expect(nearKind(b, a)).toBe(kind);
  });
});
