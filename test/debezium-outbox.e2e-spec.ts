import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { freePort } from './support/net';
import { decodePgoutput, type Decoded } from './support/pgoutput';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const PUBLICATION = 'bank_sync_outbox';
const SLOT = 'debezium_test';
const OID = { uuid: 2950, text: 25, jsonb: 3802 };

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * What Debezium's outbox event router reads, read the way Debezium's PostgreSQL connector reads
 * it: a pgoutput replication slot on a publication of `outbox_events`, on a server with
 * `wal_level = logical` (its own: the shared test server is not logical), migrated with the real
 * migrations, with the real service writing events.
 */
describe('outbox in the shape of the Debezium outbox event router', () => {
  let dir: string;
  let pg: EmbeddedDatabase;
  let t: TestApp;
  let changes: Decoded[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bank-sync-debezium-'));
    chmodSync(dir, 0o755);
    const port = await freePort();
    const options = { dataDir: dir, port, database: 'bank_sync_test_debezium' };
    pg = await startEmbeddedPostgres(options);
    await sql(pg.url, `ALTER SYSTEM SET wal_level = logical`);
    await pg.stop();
    pg = await startEmbeddedPostgres(options);
    const ds = new DataSource(dataSourceOptions(pg.url, 2));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    // As docs/ARCHITECTURE.md tells an operator to set it up: inserts only.
    await sql(
      pg.url,
      `CREATE PUBLICATION ${PUBLICATION} FOR TABLE outbox_events WITH (publish = 'insert')`,
    );
    await sql(pg.url, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [SLOT]);

    t = await startTestApp({ WEBHOOK_SECRET, BACKGROUND_POLL_MS: '100' }, pg.url);
    const inv = await t.request('POST', '/invoices', {
      headers: bearer(ADMIN_KEY),
      json: { invoice_number: 'INV-DBZ-1', amount_due: '5000.00', currency: 'NGN' },
    });
    expect(inv.status).toBe(201);
    const raw = JSON.stringify(seedBody({ transaction_id: 'dbz_tx_1', reference: 'INV-DBZ-1' }));
    expect((await sendSigned(t, raw, 'dbz_evt_1')).status).toBe(202);
    // Relayed (the relay UPDATEs dispatched_at): Debezium must not see those updates.
    await eventually(async () => {
      const [r] = await sql<{ paid: number; waiting: number }>(
        pg.url,
        `SELECT count(*) FILTER (WHERE type = 'invoice.paid')::int AS paid,
                count(*) FILTER (WHERE dispatched_at IS NULL)::int AS waiting FROM outbox_events`,
      );
      return r.paid === 1 && r.waiting === 0 ? true : undefined;
    });
    const rows = await sql<{ data: Buffer }>(
      pg.url,
      `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
         'proto_version', '1', 'publication_names', $2)`,
      [SLOT, PUBLICATION],
    );
    changes = decodePgoutput(rows.map((r) => r.data));
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    if (pg) {
      await sql(pg.url, `SELECT pg_drop_replication_slot($1)`, [SLOT]).catch(() => undefined);
      await pg.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the router columns with the types it expects, as replication sends them', () => {
    const relation = changes.find((c) => c.kind === 'relation');
    expect(relation).toBeDefined();
    if (relation?.kind !== 'relation') return;
    expect(relation.relation.name).toBe('outbox_events');
    const columns = Object.fromEntries(relation.relation.columns.map((c) => [c.name, c.typeOid]));
    expect(columns).toMatchObject({
      id: OID.uuid,
      aggregatetype: OID.text,
      aggregateid: OID.text,
      type: OID.text,
      payload: OID.jsonb,
    });
  });

  it('streams inserts only, each with its aggregate, type and a JSON payload', () => {
    const kinds = new Set(changes.map((c) => (c.kind === 'other' ? c.tag : c.kind)));
    // Begin, Relation, Insert, Commit: no Update (the relay's) and no Delete (retention's).
    expect([...kinds].sort()).toEqual(['B', 'C', 'insert', 'relation'].sort());
    const inserts = changes.flatMap((c) => (c.kind === 'insert' ? [c.row] : []));
    expect(inserts.map((r) => r.type)).toEqual(
      expect.arrayContaining(['transaction.received', 'transaction.processed', 'invoice.paid']),
    );
    for (const row of inserts) {
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.aggregatetype).toMatch(/^(transaction|invoice|run)$/);
      expect(row.aggregateid).toEqual(expect.any(String));
      expect(row.dispatched_at).toBeNull();
      const payload = JSON.parse(row.payload!) as Record<string, unknown>;
      expect(typeof payload).toBe('object');
    }
    const received = inserts.find((r) => r.type === 'transaction.received')!;
    const processed = inserts.find((r) => r.type === 'transaction.processed')!;
    const paid = inserts.find((r) => r.type === 'invoice.paid')!;
    const tx = JSON.parse(received.payload!) as { id: string; amount: string };
    // One aggregate: a transaction's events share its id (the Kafka key: one partition, in order).
    expect(received).toMatchObject({ aggregatetype: 'transaction', aggregateid: tx.id });
    expect(processed).toMatchObject({ aggregatetype: 'transaction', aggregateid: tx.id });
    expect(tx.amount).toBe('5000.00');
    const invoice = JSON.parse(paid.payload!) as { id: string; amount_paid: string };
    expect(paid).toMatchObject({ aggregatetype: 'invoice', aggregateid: invoice.id });
    expect(invoice.amount_paid).toBe('5000.00');
  });

  it('refuses a row without its aggregate (the trigger fills it; the check holds after)', async () => {
    await expect(
      sql(
        pg.url,
        `INSERT INTO outbox_events (id, type, payload, aggregatetype, aggregateid)
         VALUES (gen_random_uuid(), 'invoice.paid', '{}', NULL, NULL)
         RETURNING aggregatetype, aggregateid`,
      ),
    ).resolves.toEqual([{ aggregatetype: 'invoice', aggregateid: expect.any(String) }]);
    await expect(
      sql(
        pg.url,
        `UPDATE outbox_events SET aggregateid = NULL WHERE id = (SELECT id FROM outbox_events LIMIT 1)`,
      ),
    ).rejects.toThrow(/ck_outbox_events_debezium/);
  });
});
