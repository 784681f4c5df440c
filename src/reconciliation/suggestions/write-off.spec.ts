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
