import { parseDateTime } from './timestamps';

describe('parseDateTime', () => {
  it('reads RFC 3339 date-times with a zone', () => {
    expect(parseDateTime('2026-02-27T12:00:00Z')?.toISOString()).toBe('2026-02-27T12:00:00.000Z');
    expect(parseDateTime('2026-02-27T12:00:00.5+01:00')?.toISOString()).toBe(
      '2026-02-27T11:00:00.500Z',
    );
    expect(parseDateTime('2024-02-29T00:00:00z')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseDateTime('0001-01-01T00:00:00Z')?.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(parseDateTime('9999-12-31T23:59:59Z')?.toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });

  it.each([
    ['no zone', '2026-02-27T12:00:00'],
    ['a date only', '2026-02-27'],
    ['February 30 (Date.parse rolls it over)', '2026-02-30T12:00:00Z'],
    ['February 29 of a common year', '2026-02-29T12:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['second 60', '2026-01-01T23:59:60Z'],
    ['offset hours 24', '2026-01-01T00:00:00+24:00'],
    ['year 0, which PostgreSQL has not', '0000-01-01T00:00:00Z'],
    ['a time the offset moves into year 0', '0001-01-01T00:30:00+01:00'],
    ['a time the offset moves past 9999', '9999-12-31T23:59:59-01:00'],
    ['junk', 'yesterday'],
  ])('refuses %s', (_, value) => {
    expect(parseDateTime(value)).toBeNull();
  });
});
