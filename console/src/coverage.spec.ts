import { balanceCheck, coverageSummary, lastDays, missed, period } from './coverage';

describe('console coverage helpers', () => {
  it('takes the last 14 UTC days, today included, across a month and a year', () => {
    expect(lastDays(new Date('2026-03-14T23:59:59Z'))).toEqual({
      from: '2026-03-01',
      to: '2026-03-14',
    });
    expect(lastDays(new Date('2026-01-05T00:00:00Z'))).toEqual({
      from: '2025-12-23',
      to: '2026-01-05',
    });
    // Late evening west of UTC is already the next day in UTC.
    expect(lastDays(new Date('2026-02-28T23:30:00-05:00'), 1)).toEqual({
      from: '2026-03-01',
      to: '2026-03-01',
    });
  });

  it('says how many webhooks were missed, on how many days', () => {
    expect(missed(1)).toBe('1 missed webhook');
    expect(missed(2)).toBe('2 missed webhooks');
    expect(coverageSummary([{ only_in_statement: 0 }])).toBe(
      'No missed webhooks in the last 14 days.',
    );
    expect(
      coverageSummary([
        { only_in_statement: 2 },
        { only_in_statement: 0 },
        { only_in_statement: 1 },
      ]),
    ).toBe('3 missed webhooks on 2 days in the last 14 days.');
    expect(coverageSummary([{ only_in_statement: 1 }], 7)).toBe(
      '1 missed webhook on 1 day in the last 7 days.',
    );
  });

  it('words the balance check and the period', () => {
    expect(balanceCheck('ok', null)).toBe('balances add up');
    expect(balanceCheck('mismatch', null)).toMatch(/^mismatch/);
    expect(balanceCheck(null, { expected_opening: '1500.00' })).toBe(
      'no balances stated; gap before: previous closing was 1500.00',
    );
    expect(period('2026-03-01', '2026-03-31')).toBe('2026-03-01 – 2026-03-31');
    expect(period('2026-03-01', '2026-03-01')).toBe('2026-03-01');
    expect(period(null, null)).toBe('—');
  });
});
