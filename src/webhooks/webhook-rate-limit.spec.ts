import type { Request } from 'express';
import { clientKey, FixedWindowCounter } from './webhook-rate-limit';

describe('FixedWindowCounter', () => {
  it('blocks past the limit until the window ends, with the seconds left', () => {
    const counter = new FixedWindowCounter();
    const t0 = 1_000_000;
    for (let i = 1; i <= 3; i++) expect(counter.hit('bank:a', 3, 10_000, t0)).toBe(0);
    expect(counter.hit('bank:a', 3, 10_000, t0)).toBe(10);
    expect(counter.hit('bank:b', 3, 10_000, t0)).toBe(0);
    expect(counter.hit('bank:a', 3, 10_000, t0 + 7_500)).toBe(3);
    expect(counter.hit('bank:a', 3, 10_000, t0 + 9_999)).toBe(1);
    // A new window starts with a clean count.
    expect(counter.hit('bank:a', 3, 10_000, t0 + 10_000)).toBe(0);
    expect(counter.hit('bank:a', 3, 10_000, t0 + 10_000)).toBe(0);
  });
});

describe('clientKey', () => {
  const req = (remoteAddress: string, forwarded?: string, ip?: string): Request =>
    ({
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
      socket: { remoteAddress },
      ip,
    }) as unknown as Request;

  it('keeps IPv4 addresses as they are, also IPv4-mapped ones', () => {
    expect(clientKey(req('10.1.2.3'))).toBe('10.1.2.3');
    expect(clientKey(req('::ffff:10.1.2.3'))).toBe('::ffff:10.1.2.3');
  });

  it('counts IPv6 addresses per /64, however they are written', () => {
    expect(clientKey(req('2001:db8:0:1::5'))).toBe('2001:db8:0:1::/64');
    expect(clientKey(req('2001:0DB8:0000:0001:ffff:1:2:3'))).toBe('2001:db8:0:1::/64');
    expect(clientKey(req('::1'))).toBe('0:0:0:0::/64');
    expect(clientKey(req('2001:db8::'))).toBe('2001:db8:0:0::/64');
  });

  it("uses express's req.ip (trust proxy) only when a forwarded header is present", () => {
    expect(clientKey(req('10.0.0.1', '198.51.100.7', '198.51.100.7'))).toBe('198.51.100.7');
    expect(clientKey(req('10.0.0.1', '198.51.100.7', '10.0.0.1'))).toBe('10.0.0.1');
  });
});
