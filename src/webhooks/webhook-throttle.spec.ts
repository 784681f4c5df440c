import { FixedWindowThrottlerStorage } from './webhook-throttle';

describe('FixedWindowThrottlerStorage', () => {
  afterEach(() => jest.useRealTimers());

  it('blocks past the limit until the window ends, with the seconds left', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const storage = new FixedWindowThrottlerStorage();
    for (let i = 1; i <= 3; i++) {
      expect(await storage.increment('bank:a', 10_000, 3)).toMatchObject({
        totalHits: i,
        isBlocked: false,
      });
    }
    expect(await storage.increment('bank:a', 10_000, 3)).toMatchObject({
      isBlocked: true,
      timeToBlockExpire: 10,
    });
    expect(await storage.increment('bank:b', 10_000, 3)).toMatchObject({ isBlocked: false });
    jest.setSystemTime(1_000_000 + 7_500);
    expect(await storage.increment('bank:a', 10_000, 3)).toMatchObject({ timeToBlockExpire: 3 });
    jest.setSystemTime(1_000_000 + 10_000);
    expect(await storage.increment('bank:a', 10_000, 3)).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });
});
