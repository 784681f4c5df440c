import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JetStreamSink } from '../events/jetstream.sink';

export interface Readiness {
  ok: boolean;
  database: 'up' | 'down';
  pending_migrations: string[] | null;
  /**
   * NATS JetStream (EVENTS_NATS_URL). Reported, never a reason to be unready: intake does not
   * need the bus (events wait in the outbox until it is back).
   */
  event_bus: 'up' | 'down' | 'off';
  detail?: string;
}

const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: JetStreamSink,
  ) {}

  /**
   * Real probes: the database answers, and every migration this build knows is applied; the
   * event bus is probed at the same time and reported beside them.
   */
  async readiness(): Promise<Readiness> {
    const [db, bus] = await Promise.all([this.database(), this.bus.probe()]);
    const detail = [db.detail, bus.detail].filter(Boolean).join('; ');
    return { ...db, event_bus: bus.status, ...(detail ? { detail } : {}) };
  }

  private async database(): Promise<Omit<Readiness, 'event_bus'>> {
    try {
      const pending = await withTimeout(pendingMigrations(this.dataSource), PROBE_TIMEOUT_MS);
      return {
        ok: pending.length === 0,
        database: 'up',
        pending_migrations: pending,
        ...(pending.length ? { detail: 'migrations pending: run npm run migration:run' } : {}),
      };
    } catch (err) {
      return {
        ok: false,
        database: 'down',
        pending_migrations: null,
        detail: `database unreachable: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
}

/** Names of migrations this build has that the database has not applied. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = await dataSource.query<Array<{ exists: boolean }>>(
    `SELECT to_regclass('migrations') IS NOT NULL AS exists`,
  );
  const known = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  if (!table[0]?.exists) return known;
  const applied = await dataSource.query<Array<{ name: string }>>('SELECT name FROM migrations');
  const done = new Set(applied.map((r) => r.name));
  return known.filter((name) => !done.has(name));
}
