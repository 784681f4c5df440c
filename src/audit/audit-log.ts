import type { DataSource, EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';

/** Who made a change: a staff key (its name and id) or `system` (rules, the bank's own changes). */
export interface AuditActor {
  name: string;
  keyId: string | null;
}

export const AUDIT_ACTIONS = [
  'allocation.created',
  'allocation.reversed',
  'write_off.created',
  'write_off.reversed',
  'suggestion.accepted',
  'suggestion.declined',
  'write_off_rule.created',
  'write_off_rule.deleted',
  'invoice.created',
  'invoice.cancelled',
  'bank.created',
  'bank.updated',
  'bank.csv_mapping_saved',
  'api_key.created',
  'api_key.revoked',
  'subscription.created',
  'subscription.updated',
  'subscription.deleted',
  'subscription.secret_rotated',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_ENTITIES = [
  'allocation',
  'write_off',
  'suggestion',
  'write_off_rule',
  'invoice',
  'bank',
  'api_key',
  'subscription',
] as const;
export type AuditEntity = (typeof AUDIT_ENTITIES)[number];

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  entity: AuditEntity;
  entityId: string;
  /** What changed, in the API's terms: decimal strings for money, never a secret. */
  data: Record<string, unknown>;
}

/**
 * Ids for new entries: time-ordered (UUIDv7), so the primary key grows at its right edge instead
 * of touching a random index page per entry (a run writes a thousand per batch). Unique as any
 * UUID: 74 random bits within each millisecond, a counter keeps one process's ids increasing.
 */
export function auditEntryIds(n: number): string[] {
  return Array.from({ length: n }, () => uuidv7());
}

/**
 * Appends entries to the audit log. Call it with the EntityManager of the transaction that makes
 * the change (like `emitEvents`), so the entry commits or rolls back with it. Entries are
 * chained later, in the order their transactions finished (AuditChainer); writers never wait
 * for one another here.
 */
export async function appendAudit(
  db: EntityManager | DataSource,
  entries: ReadonlyArray<AuditEntry>,
): Promise<void> {
  if (entries.length === 0) return;
  // One JSON parameter (one native JSON.stringify): array parameters would cost node-postgres an
  // escaped array literal of every entry's JSON text.
  await db.query(
    `INSERT INTO audit_log (id, actor, actor_key_id, action, entity, entity_id, data)
     SELECT r.id, r.actor, r.actor_key_id, r.action, r.entity, r.entity_id, r.data
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
              AS (id uuid, actor text, actor_key_id uuid, action text, entity text,
                  entity_id text, data jsonb))
            WITH ORDINALITY AS r(id, actor, actor_key_id, action, entity, entity_id, data, ord)
      ORDER BY r.ord`,
    [
      JSON.stringify(
        entries.map((e) => ({
          id: uuidv7(),
          actor: e.actor.name,
          actor_key_id: e.actor.keyId,
          action: e.action,
          entity: e.entity,
          entity_id: e.entityId,
          data: e.data,
        })),
      ),
    ],
  );
}
