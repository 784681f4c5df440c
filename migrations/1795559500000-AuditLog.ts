import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (issue 20): `audit_log` takes one row per change to money or access, written in
 * the transaction of the change; `audit_chain` gives each committed entry its place in one
 * hash chain (seq, prev_hash, hash), written later by a single chainer (src/audit/). Both are
 * append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, whoever asks (a superuser can
 * still disable triggers; `GET /audit/verify` is what catches that).
 *
 * `txid` is the writer's transaction id: the chainer takes only entries whose writer has
 * finished (txid below the oldest running transaction), in (txid, pos) order, so no entry can
 * later appear before the chain's end and writers never wait for each other.
 *
 * The allocation audit kept on `transaction_matches` (who, when, note; who reversed, when, why)
 * and the write-offs are copied in as entries, oldest first; those rows and the API answers
 * built from them stay as they are.
 */
export class AuditLog1795559500000 implements MigrationInterface {
  name = 'AuditLog1795559500000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "audit_log" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "pos" bigint GENERATED ALWAYS AS IDENTITY, "txid" xid8 NOT NULL DEFAULT pg_current_xact_id(), "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "actor" text NOT NULL, "actor_key_id" uuid, "action" text NOT NULL, "entity" text NOT NULL, "entity_id" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "UQ_audit_log_pos" UNIQUE ("pos"), CONSTRAINT "PK_audit_log" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at", "id")`);
    await q.query(
      `CREATE INDEX "ix_audit_log_entity" ON "audit_log" ("entity", "entity_id", "at", "id")`,
    );
    // People's actions are few among the system's: only they are indexed by actor.
    await q.query(
      `CREATE INDEX "ix_audit_log_actor" ON "audit_log" ("actor", "at", "id") WHERE actor <> 'system'`,
    );
    await q.query(`CREATE INDEX "ix_audit_log_chain_order" ON "audit_log" ("txid", "pos")`);
    await q.query(
      `CREATE TABLE "audit_chain" ("seq" bigint NOT NULL, "pos" bigint NOT NULL, "prev_hash" text NOT NULL, "hash" text NOT NULL, "chained_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_audit_chain_pos" UNIQUE ("pos"), CONSTRAINT "ck_audit_chain_seq" CHECK (seq > 0), CONSTRAINT "PK_audit_chain" PRIMARY KEY ("seq"))`,
    );
    await q.query(`CREATE FUNCTION bank_sync_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
              BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                  USING ERRCODE = 'insufficient_privilege';
              END
            $$`);
    for (const table of ['audit_log', 'audit_chain']) {
      await q.query(
        `CREATE TRIGGER "tr_${table}_append_only" BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION bank_sync_append_only()`,
      );
      await q.query(
        `CREATE TRIGGER "tr_${table}_no_truncate" BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION bank_sync_append_only()`,
      );
    }
    // CSV exports: a text cell that a spreadsheet would run as a formula (= + - @ TAB CR) gets a
    // leading quote (ascii() of the first character; NULL and '' stay as they are).
    await q.query(`CREATE FUNCTION bank_sync_csv_text(t text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
              SELECT CASE WHEN ascii(t) IN (61, 43, 45, 64, 9, 13) THEN '''' || t ELSE t END
            $$`);

    // The existing trail, oldest first: allocations, write-offs, then reversals (a reversal's
    // write-off reversal comes right after it).
    await q.query(`INSERT INTO audit_log (at, actor, actor_key_id, action, entity, entity_id, data)
      SELECT at, actor, actor_key_id, action, entity, entity_id, data FROM (
        SELECT m.created_at AS at, 1 AS ord, m.created_by AS actor,
               m.created_by_key_id AS actor_key_id, 'allocation.created' AS action,
               'allocation' AS entity, m.id::text AS entity_id,
               jsonb_build_object('transaction_id', m.transaction_id, 'invoice_id', m.invoice_id,
                 'amount', bank_sync_money(m.amount, m.currency), 'currency', m.currency,
                 'rule', m.rule, 'run_id', m.run_id, 'note', m.note) AS data, m.id AS tie
          FROM transaction_matches m
        UNION ALL
        SELECT w.created_at, 2, m.created_by, m.created_by_key_id, 'write_off.created',
               'write_off', w.id::text,
               jsonb_build_object('allocation_id', w.match_id, 'invoice_id', w.invoice_id,
                 'amount', bank_sync_money(w.amount, w.currency), 'currency', w.currency,
                 'reason', w.reason, 'rule_id', w.rule_id), w.id
          FROM write_offs w JOIN transaction_matches m ON m.id = w.match_id
        UNION ALL
        SELECT m.reversed_at, 3, m.reversed_by, m.reversed_by_key_id, 'allocation.reversed',
               'allocation', m.id::text,
               jsonb_build_object('transaction_id', m.transaction_id, 'invoice_id', m.invoice_id,
                 'amount', bank_sync_money(m.amount, m.currency), 'currency', m.currency,
                 'reason', m.reversal_reason), m.id
          FROM transaction_matches m WHERE m.reversed_at IS NOT NULL
        UNION ALL
        SELECT w.reversed_at, 4, m.reversed_by, m.reversed_by_key_id, 'write_off.reversed',
               'write_off', w.id::text,
               jsonb_build_object('allocation_id', w.match_id, 'invoice_id', w.invoice_id,
                 'amount', bank_sync_money(w.amount, w.currency), 'currency', w.currency), w.id
          FROM write_offs w JOIN transaction_matches m ON m.id = w.match_id
         WHERE w.reversed_at IS NOT NULL
      ) old ORDER BY at, ord, tie`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION bank_sync_csv_text(text)`);
    await q.query(`DROP TABLE "audit_chain"`);
    await q.query(`DROP TABLE "audit_log"`);
    await q.query(`DROP FUNCTION bank_sync_append_only()`);
  }
}
