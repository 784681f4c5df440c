import { migratedUpTo } from './support/database';

describe('migration NormalizePartyAccounts: accounts learned as the transactions spelled them', () => {
  it('are rewritten in the compact form, two spellings of one account becoming one row', async () => {
    const { dataSource: ds } = await migratedUpTo('NormalizePartyAccounts1795559740000');
    try {
      await ds.query(
        `INSERT INTO party_accounts (customer_key, account, confirmed_at) VALUES
           ('acme', '12.34.56.789', '2026-01-02T00:00:00Z'),
           ('acme', '123456789', '2026-01-05T00:00:00Z'),
           ('acme', 'de44 5001 0517 5407 3249 31', '2026-01-03T00:00:00Z'),
           ('globex', 'GB82WEST12345698765432', '2026-01-04T00:00:00Z'),
           ('globex', ' - . ', '2026-01-04T00:00:00Z')`,
      );
      await ds.runMigrations({ transaction: 'each' });
      const rows = await ds.query<Array<{ customer_key: string; account: string; at: string }>>(
        `SELECT customer_key, account, to_char(confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS at
           FROM party_accounts ORDER BY customer_key, account`,
      );
      expect(rows).toEqual([
        // The earliest confirmation of the two spellings is kept.
        { customer_key: 'acme', account: '123456789', at: '2026-01-02' },
        { customer_key: 'acme', account: 'DE44500105175407324931', at: '2026-01-03' },
        { customer_key: 'globex', account: 'GB82WEST12345698765432', at: '2026-01-04' },
      ]);
    } finally {
      await ds.destroy();
    }
  });
});
