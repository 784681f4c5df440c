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

describe('party names: what is folded and dropped', () => {
  // Every legal form of the list, in the case a payer's bank writes it: none names the company.
  it.each([
    'Ltd',
    'Limited',
    'PLC',
    'LLC',
    'LLP',
    'LP',
    'Inc',
    'Incorporated',
    'Corp',
    'Corporation',
    'Co',
    'Company',
    'GmbH',
    'mbH',
    'AG',
    'KG',
    'OHG',
    'UG',
    'e.V.',
    'SE',
    'S.A.',
    'SAS',
    'SARL',
    'S.r.l.',
    'SpA',
    'B.V.',
    'N.V.',
    'Oy',
    'Oyj',
    'AB',
    'AS',
    'ASA',
    'ApS',
    'Pty',
    'Pte',
    'Bhd',
    'Sdn',
    'KK',
    'The',
  ])('drops the legal form %p', (form) => {
    expect(partyKey(`Roadrunner ${form}`)).toBe('roadrunner');
    expect(partySimilarity(`Roadrunner ${form}`, 'ROADRUNNER')).toBe(1);
  });

  it('keeps words that only look like legal forms inside a longer word', () => {
    expect(partyKey('Coast Agency Asana')).toBe('coast agency asana');
  });

  it.each([
    ['Straße', 'strasse'],
    ['Ørsted', 'orsted'],
    ['Æther', 'aether'],
    ['Œuvre', 'oeuvre'],
    ['Đorđe', 'dorde'],
    ['Łódź', 'lodz'],
    ['Þórsson', 'thorsson'],
    ['Kırmızı', 'kirmizi'],
    ['Ça Va Émile', 'ca va emile'],
  ])('folds %p to %p', (name, key) => {
    expect(partyKey(name)).toBe(key);
  });

  it('joins the letters of dotted or slashed abbreviations only', () => {
    expect(partyWords('Verein e.V.')).toEqual(['verein']);
    expect(partyWords('Nord A/S')).toEqual(['nord']);
    // Between whole words a dot or slash separates.
    expect(partyWords('Alpha.Beta/Gamma')).toEqual(['alpha', 'beta', 'gamma']);
    expect(partyWords('Tom & Jerry')).toEqual(['tom', 'and', 'jerry']);
  });

  it('answers the same for a name seen before (the cache changes nothing)', () => {
    const first = partyWords('Wonka Industries Ltd');
    expect(partyWords('Wonka Industries Ltd')).toEqual(first);
    expect(first).toEqual(['wonka', 'industries']);
  });

  it('compares long names by their first 64 letters', () => {
    const long = 'x'.repeat(64);
    expect(partySimilarity(`${long}alpha`, `${long}omega`)).toBe(1);
    expect(partySimilarity(`${'x'.repeat(60)}alpha`, `${'x'.repeat(60)}omega`)).toBeLessThan(1);
  });

  it('scores by the distance over the longer name', () => {
    expect(partySimilarity('Globex', 'Globx')).toBeCloseTo(5 / 6, 10);
    expect(partySimilarity('Acme', 'Acne')).toBe(0.75);
    expect(partySimilarity('Initech', 'Initehc')).toBeCloseTo(6 / 7, 10);
  });

  it.each([
    ['a', 'b', 1],
    ['abc', 'abc', 0],
    ['ab', 'abc', 1],
    ['xabc', 'abc', 1],
    ['ab', 'ba', 1],
    ['abcdef', 'abdcef', 1],
    ['abcdef', 'badcfe', 3],
    ['abc', 'cba', 2],
  ])('edit distance of %p and %p is %p', (a, b, d) => {
    expect(osaDistance(a, b)).toBe(d);
    expect(osaDistance(b, a)).toBe(d);
  });

  it('normalizes accounts: spaces, dashes and dots out, upper case', () => {
    expect(normalizeAccount('de89-3704.0044 0532 0130 00')).toBe('DE89370400440532013000');
    expect(normalizeAccount(null)).toBeNull();
    expect(normalizeAccount('')).toBeNull();
    expect(maskAccount('1234')).toBe('1234');
    expect(maskAccount('12345')).toBe('…2345');
  });
});
