// npm run seed: loads demo invoices (and the payment of INV-003) idempotently.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { normalizeInvoiceNumber } from '../src/reconciliation/matcher';
import { MatchEngine } from '../src/reconciliation/match-engine';
import { withScriptDatabase } from './script-database';

export const DEMO_INVOICES = [
  { number: 'INV-001', amount: '5000.00', currency: 'NGN', customer: 'Acme Ltd' },
  { number: 'INV-002', amount: '10000.00', currency: 'NGN', customer: 'Globex Plc' },
  { number: 'INV-003', amount: '7500.00', currency: 'NGN', customer: 'Initech' },
];

/** The demo payment that makes INV-003 paid: an allocation needs a real transaction. */
const INV_003_PAYMENT = {
  externalId: 'seed-payment-INV-003',
  amount: '7500.00',
  currency: 'NGN',
  reference: 'INV-003',
};

/** Inserts what is missing and leaves everything else as it is; safe to run again. */
export async function seed(dataSource: DataSource): Promise<{ invoicesCreated: number }> {
  let invoicesCreated = 0;
  for (const inv of DEMO_INVOICES) {
    const rows = await dataSource.query<unknown[]>(
      `INSERT INTO invoices (invoice_number, normalized_number, customer, currency, amount_due)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (normalized_number) DO NOTHING RETURNING id`,
      [inv.number, normalizeInvoiceNumber(inv.number), inv.customer, inv.currency, inv.amount],
    );
    invoicesCreated += rows.length;
  }
  const p = INV_003_PAYMENT;
  await dataSource.query(
    `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                               reference, description, status, unallocated_amount, processed_at)
     VALUES ('default', $1, $2, $3, 'credit', now(), $4, 'Demo payment (seed)', 'PROCESSED', $2,
             now())
     ON CONFLICT (bank_id, external_id) DO NOTHING`,
    [p.externalId, p.amount, p.currency, p.reference],
  );
  const [tx] = await dataSource.query<Array<{ id: string }>>(
    `SELECT id FROM transactions WHERE bank_id = 'default' AND external_id = $1`,
    [p.externalId],
  );
  // Matching is idempotent: once the payment is allocated there is nothing left to allocate.
  await new MatchEngine(dataSource).matchTransactions([tx.id]);
  return { invoicesCreated };
}

async function main(): Promise<void> {
  await withScriptDatabase(async (dataSource) => {
    const { invoicesCreated } = await seed(dataSource);
    console.error(
      `seeded: ${invoicesCreated} new invoice(s) of ${DEMO_INVOICES.length}; INV-003 paid`,
    );
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
