import { writeOffRuleFor, type WriteOffRule } from './write-off';

const rule = (over: Partial<WriteOffRule>): WriteOffRule => ({
  id: 'r1',
  name: 'Bank fees',
  currency: 'EUR',
  maxAmount: '5.00',
  maxPercent: null,
  reason: 'bank_fee',
  ...over,
});

describe('write-off rules', () => {
  it('covers a shortfall up to its amount, in its currency only', () => {
    expect(writeOffRuleFor('5.00', '100.00', 'EUR', [rule({})])?.id).toBe('r1');
    expect(writeOffRuleFor('5.01', '100.00', 'EUR', [rule({})])).toBeNull();
    expect(writeOffRuleFor('1.00', '100.00', 'USD', [rule({})])).toBeNull();
  });

  it('also holds the percentage when it has one', () => {
    const r = rule({ maxAmount: '50.00', maxPercent: '2.5' });
    expect(writeOffRuleFor('2.50', '100.00', 'EUR', [r])?.id).toBe('r1');
    expect(writeOffRuleFor('2.51', '100.00', 'EUR', [r])).toBeNull();
    expect(writeOffRuleFor('25.00', '1000.00', 'EUR', [r])?.id).toBe('r1');
  });

  it('takes the tightest rule of several', () => {
    const broad = rule({ id: 'broad', maxAmount: '50.00', reason: 'other' });
    const narrow = rule({ id: 'narrow', maxAmount: '1.00', reason: 'rounding' });
    expect(writeOffRuleFor('0.40', '100.00', 'EUR', [broad, narrow])?.id).toBe('narrow');
    expect(writeOffRuleFor('3.00', '100.00', 'EUR', [broad, narrow])?.id).toBe('broad');
  });

  it('never writes off nothing, or the whole invoice', () => {
    expect(writeOffRuleFor('0.00', '100.00', 'EUR', [rule({})])).toBeNull();
    expect(writeOffRuleFor('3.00', '3.00', 'EUR', [rule({})])).toBeNull();
  });
});

describe('write-off rules: the edges', () => {
  it('takes the lower id of two equally tight rules, in any order', () => {
    const a = rule({ id: 'a', maxAmount: '2.00' });
    const b = rule({ id: 'b', maxAmount: '2.00' });
    expect(writeOffRuleFor('1.00', '100.00', 'EUR', [b, a])?.id).toBe('a');
    expect(writeOffRuleFor('1.00', '100.00', 'EUR', [a, b])?.id).toBe('a');
    // A tighter rule later in the list still wins over a looser one before it.
    const loose = rule({ id: 'loose', maxAmount: '9.00' });
    const tight = rule({ id: 'z-tight', maxAmount: '1.50' });
    expect(writeOffRuleFor('1.00', '100.00', 'EUR', [loose, tight])?.id).toBe('z-tight');
  });

  it('skips a rule of another currency or too small, and takes the next that fits', () => {
    const usd = rule({ id: 'usd', currency: 'USD', maxAmount: '100.00' });
    const small = rule({ id: 'small', maxAmount: '0.50' });
    const fits = rule({ id: 'fits', maxAmount: '10.00' });
    expect(writeOffRuleFor('1.00', '100.00', 'EUR', [usd, small, fits])?.id).toBe('fits');
  });

  it('holds a percentage exactly, whole or with decimals, and refuses one it cannot read', () => {
    const whole = rule({ maxAmount: '50.00', maxPercent: '3' });
    expect(writeOffRuleFor('3.00', '100.00', 'EUR', [whole])?.id).toBe('r1');
    expect(writeOffRuleFor('3.01', '100.00', 'EUR', [whole])).toBeNull();
    const fine = rule({ maxAmount: '50.00', maxPercent: '0.125' });
    expect(writeOffRuleFor('1.25', '1000.00', 'EUR', [fine])?.id).toBe('r1');
    expect(writeOffRuleFor('1.26', '1000.00', 'EUR', [fine])).toBeNull();
    expect(() => writeOffRuleFor('1.00', '100.00', 'EUR', [rule({ maxPercent: '2%' })])).toThrow(
      'not a percentage: "2%"',
    );
    expect(() => writeOffRuleFor('1.00', '100.00', 'EUR', [rule({ maxPercent: 'x2.5' })])).toThrow(
      RangeError,
    );
    expect(() => writeOffRuleFor('1.00', '100.00', 'EUR', [rule({ maxPercent: '2.5x' })])).toThrow(
      RangeError,
    );
  });

  it('never writes off more than is outstanding, however broad the rule', () => {
    const broad = rule({ maxAmount: '1000.00' });
    expect(writeOffRuleFor('2.99', '3.00', 'EUR', [broad])?.id).toBe('r1');
    expect(writeOffRuleFor('3.01', '3.00', 'EUR', [broad])).toBeNull();
    expect(writeOffRuleFor('-1.00', '3.00', 'EUR', [broad])).toBeNull();
  });
});
