import { ReconcileCron } from './reconcile.cron';

const tick = (expression: string, firedAt: string): string =>
  ReconcileCron.tickTime(expression, new Date(firedAt)).toISOString();

describe('ReconcileCron.tickTime', () => {
  it('names the tick a timer fired for, however late, on every instance alike', () => {
    for (const firedAt of [
      '2026-03-01T13:00:00.000Z',
      '2026-03-01T13:00:00.005Z',
      '2026-03-01T13:00:00.950Z', // 0.9 s late used to name 14:00
      '2026-03-01T13:00:01.500Z',
      '2026-03-01T13:20:00.000Z', // a stalled loop
      '2026-03-01T12:59:59.950Z', // a hair early
    ]) {
      expect([firedAt, tick('0 * * * *', firedAt)]).toEqual([firedAt, '2026-03-01T13:00:00.000Z']);
    }
  });

  it('works for schedules with seconds and uneven ones', () => {
    expect(tick('*/2 * * * * *', '2030-01-01T00:00:02.030Z')).toBe('2030-01-01T00:00:02.000Z');
    expect(tick('*/2 * * * * *', '2030-01-01T00:00:03.500Z')).toBe('2030-01-01T00:00:02.000Z');
    expect(tick('0 9,17 * * *', '2026-03-01T17:00:02.000Z')).toBe('2026-03-01T17:00:00.000Z');
    expect(tick('0 0 1 1 *', '2030-01-01T00:00:00.950Z')).toBe('2030-01-01T00:00:00.000Z');
  });
});
