import { elapsed, label, money, percent, when } from './format';

describe('console formatting', () => {
  it('groups decimal strings without passing them through a number', () => {
    expect(money('1234567.89', 'NGN')).toBe('1,234,567.89 NGN');
    expect(money('9007199254740993.01')).toBe('9,007,199,254,740,993.01');
    expect(money('-1000')).toBe('-1,000');
    expect(money('0.000', 'KWD')).toBe('0.000 KWD');
    expect(money(null)).toBe('—');
    expect(money('not money')).toBe('not money');
  });

  it('shows instants in UTC', () => {
    expect(when('2026-02-27T12:00:00.123Z')).toBe('2026-02-27 12:00:00 UTC');
    expect(when(null)).toBe('—');
    expect(when('garbage')).toBe('garbage');
  });

  it('says how long a step took', () => {
    const t0 = '2026-02-27T12:00:00.000Z';
    expect(elapsed(t0, '2026-02-27T12:00:00.350Z')).toBe('350 ms');
    expect(elapsed(t0, '2026-02-27T12:00:04.200Z')).toBe('4.2 s');
    expect(elapsed(t0, '2026-02-27T15:05:00.000Z')).toBe('3 h 5 min');
    expect(elapsed(t0, '2026-03-05T12:00:00.000Z')).toBe('6 d');
    expect(elapsed(t0, null)).toBeNull();
    expect(elapsed('2026-02-27T12:00:01Z', t0)).toBeNull();
  });

  it('labels codes and scores', () => {
    expect(label('invoice_already_paid')).toBe('invoice already paid');
    expect(percent(0.943)).toBe('94 %');
  });
});
