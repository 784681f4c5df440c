/**
 * `npm run bench -- --part=statements`: bank statement import through the real service.
 *
 * A generated file of ENTRIES entries (200 000 unless --entries=N), as camt.053, MT940 and CSV,
 * each uploaded to POST /banks/default/statements: entries/s from the first byte sent to the
 * answer (the answer comes after the commit: parsed, staged, deduplicated, stored, outbox
 * written), against (d) PostgreSQL COPY of the same rows into a scratch table on the same
 * database in the same run (target ≥ 0.3 × (d), parsing included); the service's peak RSS
 * during each upload (target < 300 MB) and the answer's time (target < 60 s).
 *
 * Then webhook intake with and without an import running at the same time (interleaved,
 * `--rounds`, default 2): deliveries/s during an upload over deliveries/s without one (target
 * ≥ 0.8), each phase after autovacuum has finished and a checkpoint. The processing worker is
 * off (WORKER_ENABLED=false) throughout, so that the 200 000 new PENDING rows' processing falls
 * in none of the phases.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { fire } from './fire';
import { countOf, startService, stop, stopOrphanPostgres, withDb, type Service } from './processes';
import { ADMIN_KEY, DATA_DIR, LOG_DIR, option, WORK } from './settings';
import { freePort, log, memOf, resetPeak, round, rssSampler, sleep } from './util';

const ENTRIES = Number(option('entries') ?? 200_000);
const ROUNDS = Number(option('rounds') ?? 2);
const FIRE_S = Number(option('seconds') ?? 8);
const DIR = join(WORK, 'statements');
const ACCOUNT = 'DE89370400440532013000';

interface Row {
  day: string;
  amount: string;
  credit: boolean;
  ref: string;
  reference: string;
}

/** Entry i of a file: 30 booking days, amounts 1.00–999.99, 9 in 10 credits, its own bank id. */
function row(prefix: string, i: number): Row {
  const cents = 100 + ((i * 7919) % 99_900);
  return {
    day: `2026-03-${String(1 + (i % 28)).padStart(2, '0')}`,
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    credit: i % 10 !== 0,
    ref: `${prefix}${String(i).padStart(8, '0')}`,
    reference: `INV-${String(i % 50_000).padStart(7, '0')}`,
  };
}

async function writeFile(path: string, parts: () => Generator<string>): Promise<number> {
  await pipeline(
    (function* (): Generator<string> {
      // Chunks of ~64 KiB: the generator's strings joined, so the file is written quickly.
      let buf = '';
      for (const p of parts()) {
        buf += p;
        if (buf.length > 65_536) {
          yield buf;
          buf = '';
        }
      }
      if (buf) yield buf;
    })(),
    createWriteStream(path),
  );
  return statSync(path).size;
}

function* camt(prefix: string): Generator<string> {
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>B</MsgId></GrpHdr><Stmt><Id>S</Id><Acct><Id><IBAN>${ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n`;
  for (let i = 0; i < ENTRIES; i++) {
    const r = row(prefix, i);
    yield `<Ntry><Amt Ccy="EUR">${r.amount}</Amt><CdtDbtInd>${r.credit ? 'CRDT' : 'DBIT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>${r.day}</Dt></BookgDt><AcctSvcrRef>${r.ref}</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>${r.reference}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n`;
  }
  yield '</Stmt></BkToCstmrStmt></Document>\n';
}

function* mt940(prefix: string): Generator<string> {
  yield `:20:B\r\n:25:${ACCOUNT}\r\n:28C:1\r\n:60F:C260301EUR0,00\r\n`;
  for (let i = 0; i < ENTRIES; i++) {
    const r = row(prefix, i);
    const d = r.day.slice(2).replace(/-/g, '');
    yield `:61:${d}${d.slice(2)}${r.credit ? 'C' : 'D'}${r.amount.replace('.', ',')}NTRFNONREF//${r.ref}\r\n:86:/REMI/${r.reference}/\r\n`;
  }
  yield ':62F:C260328EUR0,00\r\n-\r\n';
}

function* csv(prefix: string): Generator<string> {
  yield 'date;amount;reference;id\n';
  for (let i = 0; i < ENTRIES; i++) {
    const r = row(prefix, i);
    yield `${r.day};${r.credit ? '' : '-'}${r.amount.replace('.', ',')};${r.reference};${r.ref}\n`;
  }
}

/** The same rows as (d) copies them: the staged entry's columns, CSV for COPY. */
function* copyRows(prefix: string): Generator<string> {
  for (let i = 0; i < ENTRIES; i++) {
    const r = row(prefix, i);
    yield `default,${r.day},${r.amount},EUR,${r.credit ? 'credit' : 'debit'},${r.ref},${r.reference},${r.ref}\n`;
  }
}

const CSV_MAPPING = {
  delimiter: ';',
  decimal_separator: ',',
  encoding: 'utf-8',
  date_format: 'YYYY-MM-DD',
  header: true,
  skip_rows: 0,
  currency: 'EUR',
  columns: { date: 'date', amount: 'amount', reference: 'reference', external_id: 'id' },
};

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/** Streams a file as the request body; resolves with the answer and its time. */
function upload(
  svc: Service,
  path: string,
): Promise<{ status: number; body: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${svc.url}/banks/default/statements`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        timeout: 0,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            seconds: (performance.now() - t0) / 1000,
          }),
        );
      },
    );
    req.on('error', reject);
    createReadStream(path).on('error', reject).pipe(req);
  });
}

async function copyLimit(svc: Service, path: string): Promise<number> {
  return withDb(svc.dbUrl, async (c) => {
    await c.query('DROP TABLE IF EXISTS bench_statement_copy');
    await c.query(
      `CREATE TABLE bench_statement_copy (bank_id text, booking_date date, amount numeric(20,4),
         currency character(3), direction text, bank_ref text, reference text, external_id text)`,
    );
    const t0 = performance.now();
    await pipeline(
      createReadStream(path),
      c.query(copyFrom('COPY bench_statement_copy FROM STDIN (FORMAT csv)')),
    );
    const seconds = (performance.now() - t0) / 1000;
    await c.query('DROP TABLE bench_statement_copy');
    return seconds;
  });
}

/**
 * Before each webhook phase: no autovacuum at work (an import leaves 200 000 rows to vacuum and
 * analyze, which fell into the next phase, with or without an import) and a checkpoint done, so
 * that both phases of a round start alike.
 */
async function quiet(svc: Service): Promise<void> {
  await withDb(svc.dbUrl, async (c) => {
    const started = performance.now();
    while (
      performance.now() - started < 120_000 &&
      (await countOf(
        c,
        `SELECT count(*) FROM pg_stat_activity
          WHERE backend_type = 'autovacuum worker' AND state = 'active'`,
      )) > 0
    ) {
      await sleep(500);
    }
    await c.query('CHECKPOINT');
  });
}

interface ImportRow {
  format: string;
  bytes: number;
  seconds: number;
  entries_per_s: number;
  copy_rows_per_s: number;
  ratio_to_copy: number;
  peak_rss_mb: number;
  new_count: number;
}

export async function statementsBench(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  mkdirSync(LOG_DIR, { recursive: true });
  await stopOrphanPostgres();
  rmSync(DATA_DIR, { recursive: true, force: true });
  const files: Array<{ format: string; path: string; bytes: number; prefix: string }> = [];
  for (const [format, gen, prefix] of [
    ['camt053', camt, 'C'],
    ['mt940', mt940, 'M'],
    ['csv', csv, 'V'],
  ] as const) {
    const path = join(DIR, `${format}.${format === 'csv' ? 'csv' : 'txt'}`);
    const bytes = await writeFile(path, () => gen(prefix));
    files.push({ format, path, bytes, prefix });
    log(`generated ${format}: ${ENTRIES} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  }
  const copyPath = join(DIR, 'copy.csv');
  const svc = await startService('statements', await freePort(), {
    env: { WORKER_ENABLED: 'false', STATEMENT_MAX_BYTES: String(512 * 2 ** 20) },
  });
  try {
    const put = await fetch(`${svc.url}/banks/default/csv-mapping`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(CSV_MAPPING),
    });
    if (put.status !== 200) throw new Error(`csv-mapping: ${put.status} ${await put.text()}`);
    const rows: ImportRow[] = [];
    for (const f of files) {
      await writeFile(copyPath, () => copyRows(f.prefix));
      const copyS = await copyLimit(svc, copyPath);
      const peakReset = resetPeak(svc.child.pid);
      const sampler = rssSampler(svc.child.pid, 50);
      const r = await upload(svc, f.path);
      const sampled = sampler.stop();
      const peak = Math.max(sampled, peakReset ? (memOf(svc.child.pid)?.hwm ?? 0) : 0);
      if (r.status !== 201) throw new Error(`${f.format}: ${r.status} ${r.body.slice(0, 500)}`);
      const answer = JSON.parse(r.body) as {
        statements: Array<{ new_count: number; entries_count: number }>;
      };
      const entries = answer.statements.reduce((a, s) => a + s.entries_count, 0);
      const row_: ImportRow = {
        format: f.format,
        bytes: f.bytes,
        seconds: round(r.seconds, 2),
        entries_per_s: Math.round(entries / r.seconds),
        copy_rows_per_s: Math.round(ENTRIES / copyS),
        ratio_to_copy: round(entries / r.seconds / (ENTRIES / copyS), 3),
        peak_rss_mb: round(peak, 0),
        new_count: answer.statements.reduce((a, s) => a + s.new_count, 0),
      };
      rows.push(row_);
      log(
        `${f.format}: ${entries} entries answered in ${r.seconds.toFixed(1)} s = ${row_.entries_per_s}/s; ` +
          `(d) COPY ${row_.copy_rows_per_s} rows/s (${copyS.toFixed(2)} s); ratio ${row_.ratio_to_copy}; ` +
          `peak RSS ${row_.peak_rss_mb} MiB; new ${row_.new_count}`,
      );
    }

    // Webhook intake with and without an import at the same time, interleaved.
    const without: number[] = [];
    const during: number[] = [];
    for (let round_ = 1; round_ <= ROUNDS; round_++) {
      await quiet(svc);
      without.push((await fire(svc.port, FIRE_S, `sw${round_}-`)).rps);
      const prefix = `R${round_}`;
      const path = join(DIR, `during-${round_}.xml`);
      await writeFile(path, () => camt(prefix));
      await quiet(svc);
      const pending = upload(svc, path);
      await new Promise((r) => setTimeout(r, 500));
      const f = await fire(svc.port, FIRE_S, `sd${round_}-`);
      during.push(f.rps);
      const r = await pending;
      log(
        `round ${round_}: webhooks ${without[round_ - 1].toFixed(0)}/s without an import, ` +
          `${f.rps.toFixed(0)}/s during one (import answered ${r.status} in ${r.seconds.toFixed(1)} s, ` +
          `${r.seconds > FIRE_S + 0.5 ? 'still running at the end of the phase' : 'FINISHED BEFORE THE PHASE ENDED'})`,
      );
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    const ratio = round(mean(during) / mean(without), 3);
    console.log(
      [
        '',
        `statements bench: ${ENTRIES} entries per file`,
        ...rows.map(
          (r) =>
            `  ${r.format.padEnd(8)} ${(r.bytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ` +
            `answered in ${r.seconds.toFixed(1).padStart(5)} s  ${String(r.entries_per_s).padStart(7)} entries/s  ` +
            `(d) COPY ${String(r.copy_rows_per_s).padStart(7)} rows/s  ratio ${r.ratio_to_copy.toFixed(3)}  ` +
            `peak RSS ${r.peak_rss_mb} MiB`,
        ),
        `  webhooks during an import / without: ${ratio} (rounds: ${during
          .map((d, i) => `${d.toFixed(0)}/${without[i].toFixed(0)}`)
          .join(', ')} deliveries/s)`,
        '',
      ].join('\n'),
    );
  } finally {
    await stop(svc.child);
  }
}
