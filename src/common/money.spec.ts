import {
  addMoney,
  compareMoney,
  CURRENCY_DECIMALS,
  formatAmount,
  fromMinor,
  isCurrency,
  isZeroAmount,
  minMoney,
  parseAmount,
  subMoney,
  sumMoney,
  toMinor,
} from './money';

describe('CURRENCY_DECIMALS', () => {
  it.each([
    ['NGN', 2],
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['XOF', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['LYD', 3],
    ['IQD', 3],
    ['CLF', 4],
    ['UYW', 4],
    ['XCG', 2],
    ['ZWG', 2],
    ['SLE', 2],
  ])('%s has %i decimals', (code, decimals) => {
    expect(CURRENCY_DECIMALS[code]).toBe(decimals);
  });

  it('holds the whole active list, each code three capitals with 0, 2, 3 or 4 decimals', () => {
    const entries = Object.entries(CURRENCY_DECIMALS);
    expect(entries.length).toBeGreaterThanOrEqual(150);
    for (const [code, decimals] of entries) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(decimals);
    }
  });

  it.each(['XXX', 'XTS', 'XAU', 'XDR', 'HRK', 'SLL', 'ZWL', 'CUC', 'ANG', 'BGN'])(
    'leaves out %s (no minor unit, or withdrawn)',
    (code) => {
      expect(Object.hasOwn(CURRENCY_DECIMALS, code)).toBe(false);
    },
  );

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(CURRENCY_DECIMALS)).toBe(true);
  });
});

describe('isCurrency', () => {
  it.each([
    ['NGN', true],
    ['JPY', true],
    ['KWD', true],
    ['ngn', false],
    ['Ngn', false],
    ['NG', false],
    ['NGNN', false],
    [' NGN', false],
    ['', false],
    ['XXX', false],
    ['ABC', false],
    ['toString', false],
    ['__proto__', false],
  ])('%j -> %s', (code, expected) => {
    expect(isCurrency(code)).toBe(expected);
  });
});

describe('parseAmount with allowZero (amounts a bank books as 0)', () => {
  it.each<[unknown, string, string]>([
    ['0.00', 'AUD', '0.00'],
    ['0', 'JPY', '0'],
    [0, 'NGN', '0.00'],
    ['000.000', 'KWD', '0.000'],
    ['10.00', 'USD', '10.00'],
  ])('accepts %j %s as %j', (input, currency, value) => {
    expect(parseAmount(input, currency, { allowZero: true })).toEqual({ ok: true, value });
  });

  it.each<[unknown, string]>([
    [-1, 'NGN'],
    [-0.01, 'NGN'],
    ['-0.00', 'NGN'],
    ['0.001', 'NGN'],
  ])('still refuses %j %s', (input, currency) => {
    expect(parseAmount(input, currency, { allowZero: true }).ok).toBe(false);
  });

  it('refuses 0 without it', () => {
    expect(parseAmount('0.00', 'AUD')).toEqual({ ok: false, message: 'must be greater than 0' });
  });
});

describe('isZeroAmount', () => {
  it.each([
    ['0', true],
    ['0.00', true],
    ['0.0000', true],
    ['00.0', true],
    ['0.01', false],
    ['10', false],
    ['-0.00', false],
    ['', false],
  ])('%j is zero: %s', (value, zero) => {
    expect(isZeroAmount(value)).toBe(zero);
  });
});

describe('parseAmount', () => {
  describe('accepts and normalizes', () => {
    it.each<[unknown, string, string]>([
      [5000, 'NGN', '5000.00'],
      ['5000', 'NGN', '5000.00'],
      ['5000.5', 'NGN', '5000.50'],
      [5000.5, 'NGN', '5000.50'],
      ['5000.00', 'NGN', '5000.00'],
      [0.1, 'NGN', '0.10'],
      ['0.01', 'NGN', '0.01'],
      ['007.50', 'NGN', '7.50'],
      [100, 'JPY', '100'],
      ['100', 'JPY', '100'],
      ['0100', 'JPY', '100'],
      ['12.5', 'KWD', '12.500'],
      [12.345, 'KWD', '12.345'],
      ['0.001', 'BHD', '0.001'],
      ['1.2345', 'CLF', '1.2345'],
      ['0.0001', 'UYW', '0.0001'],
      ['999999999999999.99', 'NGN', '999999999999999.99'],
      ['000000000000000001', 'NGN', '1.00'],
      [999999999999999, 'JPY', '999999999999999'],
      ['1234567890123.456', 'KWD', '1234567890123.456'],
      // Exactly 15 significant digits, the most a JSON number carries: the point is not a digit.
      [12345678901.2345, 'CLF', '12345678901.2345'],
      [1234567890123.45, 'NGN', '1234567890123.45'],
    ])('%j %s -> %s', (input, currency, expected) => {
      expect(parseAmount(input, currency)).toEqual({ ok: true, value: expected });
    });
  });

  describe('refuses with a message that says why', () => {
    it.each<[unknown, string, string]>([
      [0, 'NGN', 'must be greater than 0'],
      [-0, 'NGN', 'must be greater than 0'],
      [-5, 'NGN', 'must be greater than 0'],
      // Said as such even where the digits would fail another rule first.
      [-0.001, 'NGN', 'must be greater than 0'],
      [-1e21, 'NGN', 'must be greater than 0'],
      [-1234567890123456, 'NGN', 'must be greater than 0'],
      ['0', 'NGN', 'must be greater than 0'],
      ['0.00', 'NGN', 'must be greater than 0'],
      ['000.0', 'NGN', 'must be greater than 0'],
      ['0000', 'JPY', 'must be greater than 0'],
      ['-5', 'NGN', 'without a sign'],
      ['+5', 'NGN', 'without a sign'],
      ['-0.01', 'NGN', 'without a sign'],
      [' 5', 'NGN', 'must not contain spaces'],
      ['5 000', 'NGN', 'must not contain spaces'],
      ['5000\n', 'NGN', 'must not contain spaces'],
      ['1,000.00', 'NGN', 'no thousands separators'],
      ['5000,50', 'NGN', '"." as the decimal separator'],
      ['', 'NGN', 'must not be empty'],
      ['5.', 'NGN', 'plain decimal number'],
      ['.5', 'NGN', 'plain decimal number'],
      ['abc', 'NGN', 'plain decimal number'],
      ['0x10', 'NGN', 'plain decimal number'],
      ['5-3', 'NGN', 'plain decimal number'],
      ['one', 'NGN', 'plain decimal number'],
      ['١٢', 'NGN', 'plain decimal number'],
      ['1e3', 'NGN', 'plain decimal notation'],
      ['1.5E2', 'NGN', 'plain decimal notation'],
      ['1.e3', 'NGN', 'plain decimal notation'],
      ['.5e3', 'NGN', 'plain decimal notation'],
      [1e21, 'NGN', 'plain decimal notation'],
      [1e-7, 'NGN', 'plain decimal notation'],
      [Number.NaN, 'NGN', 'must be a finite number'],
      [Number.POSITIVE_INFINITY, 'NGN', 'must be a finite number'],
      [Number.NEGATIVE_INFINITY, 'NGN', 'must be a finite number'],
      ['5000.001', 'NGN', 'NGN allows at most 2 decimal places'],
      [5000.001, 'NGN', 'NGN allows at most 2 decimal places'],
      ['5000.000', 'NGN', 'NGN allows at most 2 decimal places'],
      [0.1 + 0.2, 'NGN', 'NGN allows at most 2 decimal places'],
      ['100.5', 'JPY', 'JPY allows no decimal places'],
      ['100.0', 'JPY', 'JPY allows no decimal places'],
      [12.3456, 'KWD', 'KWD allows at most 3 decimal places'],
      ['1.23456', 'CLF', 'CLF allows at most 4 decimal places'],
      ['1234567890123456', 'NGN', 'at most 15 digits before the decimal point'],
      [1e20, 'NGN', 'at most 15 digits before the decimal point'],
      [1234567890123.456, 'KWD', 'more than 15 significant digits'],
      [1234567890123.456, 'KWD', 'send it as a decimal string'],
      [123456789012.3456, 'CLF', 'more than 15 significant digits'],
      [null, 'NGN', 'must be a number or a decimal string'],
      [undefined, 'NGN', 'must be a number or a decimal string'],
      [true, 'NGN', 'must be a number or a decimal string'],
      [{ value: '5' }, 'NGN', 'must be a number or a decimal string'],
      [['5'], 'NGN', 'must be a number or a decimal string'],
      [5n, 'NGN', 'must be a number or a decimal string'],
      ['5000', 'ngn', 'unknown currency "ngn"'],
      ['5000', 'XYZ', 'unknown currency "XYZ"'],
      ['5000', '', 'unknown currency ""'],
    ])('%j %s: %s', (input, currency, message) => {
      const result = parseAmount(input, currency);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain(message);
    });
  });
});

describe('toMinor', () => {
  it.each<[string, string, bigint]>([
    ['5000.00', 'NGN', 500000n],
    ['5000', 'NGN', 500000n],
    ['5000.5', 'NGN', 500050n],
    ['5000.0000', 'NGN', 500000n],
    ['0.01', 'NGN', 1n],
    ['0', 'NGN', 0n],
    ['-12.5', 'NGN', -1250n],
    ['-0.00', 'NGN', 0n],
    ['100', 'JPY', 100n],
    ['100.0000', 'JPY', 100n],
    ['12.500', 'KWD', 12500n],
    ['12.5000', 'KWD', 12500n],
    ['0.0001', 'CLF', 1n],
    ['9999999999999999.9999', 'CLF', 99999999999999999999n],
  ])('%s %s -> %s', (value, currency, expected) => {
    expect(toMinor(value, currency)).toBe(expected);
  });

  it.each([
    ['5000.005', 'NGN', 'more precision than NGN allows'],
    ['100.5', 'JPY', 'more precision than JPY allows'],
    ['abc', 'NGN', 'not a decimal amount'],
    ['1e3', 'NGN', 'not a decimal amount'],
    ['', 'NGN', 'not a decimal amount'],
    ['+5', 'NGN', 'not a decimal amount'],
    ['5', 'XYZ', 'unknown currency'],
  ])('throws on %j %s', (value, currency, message) => {
    expect(() => toMinor(value, currency)).toThrow(message);
  });
});

describe('fromMinor', () => {
  it.each<[bigint, string, string]>([
    [500000n, 'NGN', '5000.00'],
    [0n, 'NGN', '0.00'],
    [5n, 'NGN', '0.05'],
    [50n, 'NGN', '0.50'],
    [-5n, 'NGN', '-0.05'],
    [-123456n, 'NGN', '-1234.56'],
    [100n, 'JPY', '100'],
    [-100n, 'JPY', '-100'],
    [0n, 'JPY', '0'],
    [1n, 'KWD', '0.001'],
    [12500n, 'KWD', '12.500'],
    [1n, 'CLF', '0.0001'],
    [10n ** 30n, 'NGN', `1${'0'.repeat(28)}.00`],
  ])('%s %s -> %s', (minor, currency, expected) => {
    expect(fromMinor(minor, currency)).toBe(expected);
  });

  it.each(['0.00', '0.01', '-0.01', '5000.00', '-1234.56', '999999999999999.99'])(
    'round-trips %s through toMinor',
    (value) => {
      expect(fromMinor(toMinor(value, 'NGN'), 'NGN')).toBe(value);
    },
  );

  it('throws on an unknown currency', () => {
    expect(() => fromMinor(1n, 'XYZ')).toThrow('unknown currency');
  });
});

describe('formatAmount (NUMERIC(20,4) as PostgreSQL returns it)', () => {
  it.each([
    ['5000.0000', 'NGN', '5000.00'],
    ['5000.5000', 'NGN', '5000.50'],
    ['0.0000', 'NGN', '0.00'],
    ['-3.1000', 'NGN', '-3.10'],
    ['5000.0000', 'JPY', '5000'],
    ['12.5000', 'KWD', '12.500'],
    ['1.2345', 'CLF', '1.2345'],
    ['5000', 'NGN', '5000.00'],
  ])('%s %s -> %s', (value, currency, expected) => {
    expect(formatAmount(value, currency)).toBe(expected);
  });

  it('refuses to round a value the currency cannot hold', () => {
    expect(() => formatAmount('5000.0050', 'NGN')).toThrow('more precision');
  });
});

describe('arithmetic on canonical strings', () => {
  it.each([
    ['0.10', '0.20', 'NGN', '0.30'],
    ['5000.0000', '0.5', 'NGN', '5000.50'],
    ['999999999999999.99', '0.01', 'NGN', '1000000000000000.00'],
    ['1', '2', 'JPY', '3'],
    ['0.001', '0.002', 'KWD', '0.003'],
    ['-1.00', '0.50', 'NGN', '-0.50'],
  ])('addMoney(%s, %s, %s) = %s', (a, b, currency, expected) => {
    expect(addMoney(a, b, currency)).toBe(expected);
  });

  it.each([
    ['0.30', '0.10', 'NGN', '0.20'],
    ['5000.00', '6000.00', 'NGN', '-1000.00'],
    ['5000.0000', '5000', 'NGN', '0.00'],
    ['10', '3', 'JPY', '7'],
    ['1.000', '0.001', 'KWD', '0.999'],
  ])('subMoney(%s, %s, %s) = %s', (a, b, currency, expected) => {
    expect(subMoney(a, b, currency)).toBe(expected);
  });

  it.each([
    ['5000.00', '3000.00', 'NGN', '3000.00'],
    ['3000.00', '5000.00', 'NGN', '3000.00'],
    ['3000.0000', '3000', 'NGN', '3000.00'],
    ['-1.00', '0.00', 'NGN', '-1.00'],
    ['12.500', '12.499', 'KWD', '12.499'],
  ])('minMoney(%s, %s, %s) = %s', (a, b, currency, expected) => {
    expect(minMoney(a, b, currency)).toBe(expected);
  });

  it.each([
    ['1.00', '2.00', 'NGN', -1],
    ['2.00', '1.00', 'NGN', 1],
    ['2.00', '2.0000', 'NGN', 0],
    ['0.30', '0.3', 'NGN', 0],
    ['-0.01', '0', 'NGN', -1],
    ['10', '9', 'JPY', 1],
    ['100000000000000.00', '99999999999999.99', 'NGN', 1],
  ])('compareMoney(%s, %s, %s) = %i', (a, b, currency, expected) => {
    expect(compareMoney(a, b, currency)).toBe(expected);
  });

  it.each<[string[], string, string]>([
    [[], 'NGN', '0.00'],
    [['0.10', '0.20', '0.30'], 'NGN', '0.60'],
    [['5000.0000', '3000.00'], 'NGN', '8000.00'],
    [['1', '2', '3'], 'JPY', '6'],
  ])('sumMoney(%j, %s) = %s', (values, currency, expected) => {
    expect(sumMoney(values, currency)).toBe(expected);
  });
});
