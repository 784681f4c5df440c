import {
  maskAccount,
  normalizeAccount,
  osaDistance,
  partyKey,
  partySimilarity,
  partyWords,
} from './party';

describe('party names', () => {
  it.each([
    ['Acme Ltd', 'acme'],
    ['ACME LIMITED', 'acme'],
    ['  acme, ltd. ', 'acme'],
    ['Müller GmbH', 'muller'],
    ['Mueller G.m.b.H.', 'mueller'],
    ['Straße & Söhne AG', 'strasse and sohne'],
    ['Øresund A/S', 'oresund'],
    ['The Company Inc', 'the company inc'], // only legal forms: kept whole
    ['Acme Trading Co', 'acme trading'],
    ['', null],
    [null, null],
  ])('%p has the key %p', (name, key) => {
    expect(partyKey(name)).toBe(key);
  });

  it('keeps every word that names, drops legal forms and accents', () => {
    expect(partyWords('Société Générale S.A.')).toEqual(['societe', 'generale']);
  });

  it.each([
    ['Acme Ltd', 'ACME Limited', 1],
    ['Acme Plc', 'acme', 1],
    ['Zenith Bank', 'Zenith Bank', 1],
  ])('%p and %p are the same party', (a, b, expected) => {
    expect(partySimilarity(a, b)).toBe(expected);
  });

  it('scores one typo in a long name high, a different name low', () => {
    expect(partySimilarity('Globex Corporation', 'Globx Corp')).toBeGreaterThanOrEqual(0.8);
    expect(partySimilarity('Initech Ltd', 'Initehc Ltd')).toBeGreaterThanOrEqual(0.8);
    expect(partySimilarity('Acme', 'Acne')).toBeLessThan(0.8); // short names leave no room
    expect(partySimilarity('Acme Ltd', 'Globex Ltd')).toBeLessThan(0.3);
    // A shared common word is not the same party.
    expect(partySimilarity('Acme Trading', 'Zenith Trading')).toBeLessThan(0.6);
  });

  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ca', 'ac', 1],
    ['abcd', 'acbd', 1],
    ['ca', 'abc', 3], // OSA, not full Damerau-Levenshtein (which says 2)
  ])('edit distance of %p and %p is %p', (a, b, d) => {
    expect(osaDistance(a, b)).toBe(d);
  });

  it('has nothing to compare without a name on both sides', () => {
    expect(partySimilarity(null, 'Acme')).toBe(0);
    expect(partySimilarity('Acme', '   ')).toBe(0);
  });

  it('compares accounts without spaces and case, and shows only their end', () => {
    expect(normalizeAccount('gb29 nwbk 6016 1331 9268 19')).toBe('GB29NWBK60161331926819');
    expect(normalizeAccount(' - ')).toBeNull();
    expect(maskAccount('GB29NWBK60161331926819')).toBe('…6819');
    expect(maskAccount('123')).toBe('123');
  });
});
