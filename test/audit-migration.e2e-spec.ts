import { ADMIN_KEY, bearer, startTestApp } from './support/app';
import { migratedUpTo } from './support/database';

describe('migration AuditLog: the allocation trail kept on transaction_matches', () => {
  it('becomes chained audit entries, oldest first, with the people and reasons', async () => {
    const { url, dataSource: ds } = await migratedUpTo('AuditLog1795559500000');
    try {
      const [{ audit }] = await ds.query<Array<{ audit: string | null }>>(
        `SELECT to_regclass('audit_log')::text AS audit`,
      );
      expect(audit).toBeNull();
      // What an allocation trail looked like before: one reversed by a person, one live with a
      // write-off made by the rules.
      const [inv] = await ds.query<Array<{ id: string }>>(
        `INSERT INTO invoices (invoice_number, normalized_number, currency, amount_due)
         VALUES ('OLD-1', 'OLD1', 'NGN', 100) RETURNING id`,
      );
      const [tx] = await ds.query<Array<{ id: string }>>(
        `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at, status,
                                   unallocated_amount, match_status, processed_at)
         VALUES ('default', 'old-1', 98, 'NGN', now(), 'PROCESSED', 0, 'matched', now())
         RETURNING id`,
      );
      await ds.query(
        `INSERT INTO transaction_matches (id, transaction_id, invoice_id, amount, currency, rule,
           created_by, created_by_key_id, note, created_at, reversed_at, reversed_by,
           reversal_reason)
         VALUES ('00000000-0000-4000-8000-000000000001', $1, $2, 10, 'NGN', 'manual', 'ops-alice',
                 NULL, 'by phone', '2026-01-01T10:00:00Z', '2026-01-02T10:00:00Z', 'ops-bob',
                 'wrong customer'),
                ('00000000-0000-4000-8000-000000000002', $1, $2, 98, 'NGN', 'write_off', 'system',
                 NULL, NULL, '2026-01-03T10:00:00Z', NULL, NULL, NULL)`,
        [tx.id, inv.id],
      );
      await ds.query(
        `INSERT INTO write_offs (id, match_id, invoice_id, amount, currency, reason, created_at)
         VALUES ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-000000000002',
                 $1, 2, 'NGN', 'bank_fee', '2026-01-03T10:00:00Z')`,
        [inv.id],
      );
      await ds.query(
        `UPDATE invoices SET amount_paid = 98, amount_written_off = 2, status = 'paid' WHERE id = $1`,
        [inv.id],
      );
      await ds.runMigrations({ transaction: 'each' });
    } finally {
      await ds.destroy();
    }

    const t = await startTestApp({}, url);
    try {
      const admin = bearer(ADMIN_KEY);
      const res = await t.request('GET', '/audit', { headers: admin });
      expect(res.status).toBe(200);
      expect(
        res.body.data.map((e: Record<string, unknown>) => [e.seq, e.action, e.actor, e.at]),
      ).toEqual([
        [1, 'allocation.created', 'ops-alice', '2026-01-01T10:00:00.000Z'],
        [2, 'allocation.reversed', 'ops-bob', '2026-01-02T10:00:00.000Z'],
        [3, 'allocation.created', 'system', '2026-01-03T10:00:00.000Z'],
        [4, 'write_off.created', 'system', '2026-01-03T10:00:00.000Z'],
      ]);
      expect(res.body.data[0].data).toMatchObject({
        amount: '10.00',
        rule: 'manual',
        note: 'by phone',
      });
      expect(res.body.data[1].data).toMatchObject({ reason: 'wrong customer', amount: '10.00' });
      expect(res.body.data[3].data).toMatchObject({ amount: '2.00', reason: 'bank_fee' });
      expect((await t.request('GET', '/audit/verify', { headers: admin })).body).toEqual({
        ok: true,
        entries: 4,
        first_bad_seq: null,
      });
    } finally {
      await t.close();
    }
  });
});
