import { href, parseRoute } from './router';

describe('console routes', () => {
  it('reads screen, id and filters from the hash', () => {
    const r = parseRoute('#/invoices/3f2b?status=paid');
    expect([r.screen, r.id, r.params.get('status')]).toEqual(['invoices', '3f2b', 'paid']);
    expect(parseRoute('').screen).toBe('exceptions');
    expect(parseRoute('#/nowhere/x')).toMatchObject({ screen: 'exceptions', id: null });
  });

  it('writes links that read back the same, without empty filters', () => {
    expect(href('exceptions', null, { reason: 'ambiguous', bank: '' })).toBe(
      '#/exceptions?reason=ambiguous',
    );
    const r = parseRoute(href('transactions', 'a/b', { reference: 'INV 1' }));
    expect([r.screen, r.id, r.params.get('reference')]).toEqual(['transactions', 'a/b', 'INV 1']);
  });
});
