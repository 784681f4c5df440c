/**
 * `npm run bench -- --part quality`: how often is matching right? A generated, seeded, labelled
 * corpus (default 20 000 transactions against 20 000 invoices) with the mess real remittance text
 * has, sent through the real service (invoices through the API, transactions as signed webhooks,
 * a run, the suggestion worker), then every automatic allocation and every suggestion compared
 * with the label. Reports, by kind of mess: automatic precision and recall, top-1 / top-3 of the
 * suggestions where a correct candidate exists, and for "nothing is right" transactions how often
 * no suggestion scores above 0.5.
 *
 * Options: --transactions=20000 --seed=7 --env=K=V (the service's environment) --dir=<checkout>.
 * Writes bench/.work/quality.json; prints a Markdown table for bench/RESULTS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  cliOption,
  envList,
  hmacHex,
  http,
  log,
  round,
  sleep,
  startServiceBuild,
  stopChild,
  type Child,
  BENCH_ADMIN_KEY,
  BENCH_ROOT,
  BENCH_SECRET,
  BENCH_WORK,
  EMBEDDED_PG_PASSWORD,
} from './util';

const ROOT = BENCH_ROOT;
const DIR = resolve(cliOption('dir') ?? ROOT);
const WORK = BENCH_WORK;
const N = Number(cliOption('transactions') ?? 20_000);
const SEED = Number(cliOption('seed') ?? 7);
const SECRET = BENCH_SECRET;
const ADMIN_KEY = BENCH_ADMIN_KEY;
const PG_PASSWORD = EMBEDDED_PG_PASSWORD;
const EXTRA_ENV = envList(cliOption('env'));
const FEE_RULE = '5.00';

/** What kind of mess a transaction carries; `answer` is what a careful person would allocate. */
type Kind =
  | 'exact'
  | 'typo'
  | 'confusable'
  | 'no_reference'
  | 'same_amount_twice'
  | 'fee'
  | 'partial'
  | 'split'
  | 'overpayment'
  | 'refund'
  | 'wrong_currency'
  | 'nothing';

/** Share of the corpus per kind (sums to 1). */
const MIX: Array<[Kind, number]> = [
  ['exact', 0.27],
  ['typo', 0.1],
  ['confusable', 0.05],
  ['no_reference', 0.08],
  ['same_amount_twice', 0.03],
  ['fee', 0.07],
  ['partial', 0.05],
  ['split', 0.08],
  ['overpayment', 0.03],
  ['refund', 0.04],
  ['wrong_currency', 0.03],
  ['nothing', 0.17],
];

interface Customer {
  name: string;
  invoices: number[];
}
interface Invoice {
  number: string;
  customer: number;
  amount: bigint; // cents
  used: boolean;
}
interface Labelled {
  externalId: string;
  kind: Kind;
  body: Record<string, unknown>;
  /** Invoice numbers a correct allocation pays; empty: nothing is right. */
  answer: string[];
  /** Several answers are equally right (two invoices, same customer, same amount). */
  alternatives?: string[][];
  debit?: boolean;
}

function rng(seed: number): (k: number) => number {
  let s = seed | 0;
  return (k) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % k;
  };
}

const STEMS = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'stark',
  'wayne',
  'hooli',
  'soylent',
  'tyrell',
  'cyberdyne',
  'wonka',
  'gringotts',
  'oceanic',
  'massive',
  'vandelay',
  'pied',
  'aperture',
  'monarch',
  'nakatomi',
  'virtucon',
  'müller',
  'société',
  'øresund',
  'straße',
  'żabka',
  'dvořák',
  'lindqvist',
  'ferreira',
  'okonkwo',
  'adeyemi',
  'tanaka',
  'nguyen',
  'kowalski',
];
const SECOND = [
  'trading',
  'logistics',
  'foods',
  'digital',
  'holdings',
  'partners',
  'labs',
  'systems',
  'textiles',
  'motors',
  'energy',
  'media',
  'capital',
  'farms',
  'studio',
  'works',
];
const FORMS = ['Ltd', 'Limited', 'GmbH', 'Plc', 'Inc', 'S.A.', 'B.V.', 'AB', 'Oy', 'LLC', ''];

function title(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The corpus: customers with 1..8 open invoices each, and the labelled transactions. */
function corpus(n: number): { invoices: Invoice[]; customers: Customer[]; txs: Labelled[] } {
  const r = rng(SEED);
  const customers: Customer[] = [];
  const invoices: Invoice[] = [];
  const names = new Set<string>();
  while (invoices.length < n) {
    let name: string;
    do {
      name = `${title(STEMS[r(STEMS.length)])} ${title(SECOND[r(SECOND.length)])}${r(3) === 0 ? ` ${r(90) + 10}` : ''}`;
    } while (names.has(name));
    names.add(name);
    const form = FORMS[r(FORMS.length)];
    const c: Customer = { name: form ? `${name} ${form}` : name, invoices: [] };
    const count = 1 + r(8);
    for (let i = 0; i < count && invoices.length < n; i++) {
      c.invoices.push(invoices.length);
      invoices.push({
        number: `INV-${100000 + invoices.length}`,
        customer: customers.length,
        amount: BigInt(1000 + r(499000)), // 10.00 .. 5000.00
        used: false,
      });
    }
    customers.push(c);
  }
  // Same amount twice for one customer: the mess of "two invoices, same amount".
  for (const c of customers) {
    if (c.invoices.length >= 2 && r(10) === 0) {
      invoices[c.invoices[1]].amount = invoices[c.invoices[0]].amount;
    }
  }

  const txs: Labelled[] = [];
  const cents = (v: bigint): string => `${v / 100n}.${String(v % 100n).padStart(2, '0')}`;
  const payer = (c: Customer): string => {
    const plain = c.name.normalize('NFKD').replace(/\p{M}/gu, '');
    switch (r(5)) {
      case 0:
        return c.name.toUpperCase();
      case 1:
        return c.name.replace(/ (Ltd|Limited|GmbH|Plc|Inc|S\.A\.|B\.V\.|AB|Oy|LLC)$/, '');
      case 2:
        return plain;
      case 3:
        return c.name.replace(/ Ltd$/, ' Limited').replace(/ Inc$/, ' Incorporated');
      default:
        return c.name;
    }
  };
  const free = (pred: (inv: Invoice) => boolean = () => true): Invoice | null => {
    for (let tries = 0; tries < 200; tries++) {
      const inv = invoices[r(invoices.length)];
      if (!inv.used && pred(inv)) return inv;
    }
    return null;
  };
  const typo = (num: string): string => {
    const digits = num.slice(4);
    const i = r(digits.length);
    switch (r(4)) {
      case 0: // substitution
        return `INV-${digits.slice(0, i)}${(Number(digits[i]) + 1 + r(8)) % 10}${digits.slice(i + 1)}`;
      case 1: // transposition
        return i + 1 < digits.length && digits[i] !== digits[i + 1]
          ? `INV-${digits.slice(0, i)}${digits[i + 1]}${digits[i]}${digits.slice(i + 2)}`
          : `INV-${digits}${r(10)}`;
      case 2: // a digit too many
        return `INV-${digits.slice(0, i)}${r(10)}${digits.slice(i)}`;
      default: // a digit too few
        return `INV-${digits.slice(0, i)}${digits.slice(i + 1)}`;
    }
  };
  const add = (
    kind: Kind,
    body: Record<string, unknown>,
    answer: string[],
    extra: Partial<Labelled> = {},
  ): void => {
    const externalId = `q-${txs.length}`;
    txs.push({
      externalId,
      kind,
      body: {
        transaction_id: externalId,
        currency: 'EUR',
        occurred_at: '2026-11-20T10:00:00Z',
        direction: 'credit',
        description: 'Transfer',
        ...body,
      },
      answer,
      ...extra,
    });
  };
  const quota = MIX.map(([kind, share]) => [kind, Math.round(share * n)] as const);
  for (const [kind, count] of quota) {
    // Kinds that need a particular customer (two invoices, same amount) may not find one: try a
    // bounded number of times, then report what was made.
    for (let k = 0, attempts = 0; k < count && attempts < count * 20; k++, attempts++) {
      const inv = free();
      if (!inv && kind !== 'nothing') break;
      const c = inv ? customers[inv.customer] : null;
      switch (kind) {
        case 'exact':
          inv!.used = true;
          add(
            kind,
            { amount: cents(inv!.amount), reference: inv!.number, counterparty: payer(c!) },
            [inv!.number],
          );
          break;
        case 'typo': {
          inv!.used = true;
          const ref = typo(inv!.number);
          add(
            kind,
            { amount: cents(inv!.amount), reference: ref, counterparty: r(2) ? payer(c!) : null },
            [inv!.number],
          );
          break;
        }
        case 'confusable': {
          inv!.used = true;
          const ref = inv!.number.replace(/0/, 'O').replace(/1(?=\d*$)/, r(2) ? 'I' : 'l');
          add(kind, { amount: cents(inv!.amount), reference: ref, counterparty: payer(c!) }, [
            inv!.number,
          ]);
          break;
        }
        case 'no_reference':
        case 'same_amount_twice': {
          const twin = c!.invoices
            .map((i) => invoices[i])
            .filter((o) => o !== inv && !o.used && o.amount === inv!.amount);
          if ((kind === 'same_amount_twice') !== twin.length > 0) {
            k--;
            continue;
          }
          inv!.used = true;
          add(
            kind,
            {
              amount: cents(inv!.amount),
              reference: r(2) ? 'Payment, thank you' : null,
              counterparty: payer(c!),
            },
            [inv!.number],
            twin.length > 0
              ? { alternatives: [[inv!.number], ...twin.map((o) => [o.number])] }
              : {},
          );
          break;
        }
        case 'fee': {
          inv!.used = true;
          const fee = BigInt(50 + r(451)); // 0.50 .. 5.00
          add(
            kind,
            { amount: cents(inv!.amount - fee), reference: inv!.number, counterparty: payer(c!) },
            [inv!.number],
          );
          break;
        }
        case 'partial':
          inv!.used = true;
          add(
            kind,
            { amount: cents(inv!.amount / 2n), reference: inv!.number, counterparty: payer(c!) },
            [inv!.number],
          );
          break;
        case 'split': {
          const others = c!.invoices.map((i) => invoices[i]).filter((o) => !o.used);
          if (others.length < 2) {
            k--;
            continue;
          }
          const set = others.slice(0, 2 + r(Math.min(2, others.length - 1)));
          for (const o of set) o.used = true;
          const total = set.reduce((a, o) => a + o.amount, 0n);
          add(
            kind,
            { amount: cents(total), reference: null, counterparty: payer(c!) },
            set.map((o) => o.number),
          );
          break;
        }
        case 'overpayment':
          inv!.used = true;
          add(
            kind,
            {
              amount: cents(inv!.amount + BigInt(1000 + r(5000))),
              reference: inv!.number,
              counterparty: payer(c!),
            },
            [inv!.number],
          );
          break;
        case 'refund':
          inv!.used = true;
          add(
            'exact',
            { amount: cents(inv!.amount), reference: inv!.number, counterparty: payer(c!) },
            [inv!.number],
          );
          add(
            kind,
            {
              amount: cents(inv!.amount),
              reference: `Refund ${inv!.number}`,
              direction: 'debit',
              counterparty: payer(c!),
            },
            [inv!.number],
            { debit: true },
          );
          break;
        case 'wrong_currency':
          inv!.used = true;
          add(
            kind,
            {
              amount: cents(inv!.amount),
              currency: 'USD',
              reference: inv!.number,
              counterparty: payer(c!),
            },
            [],
          );
          break;
        case 'nothing':
          add(
            kind,
            {
              amount: cents(BigInt(1000 + r(499000))),
              reference: ['Salary November', 'Rent', null, 'Order 55812', 'Gift'][r(5)],
              counterparty: ['J. Smith', 'Unknown payer', null, 'Zeta Consulting'][r(4)],
            },
            [],
          );
          break;
      }
    }
  }
  return { invoices, customers, txs };
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function post(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolvePost(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function inParallel<T>(
  items: T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function emptyCounts(): Omit<Tally, 'wrongByRule' | 'wrongExamples'> {
  return {
    total: 0,
    auto: 0,
    autoRight: 0,
    autoWrong: 0,
    answerable: 0,
    exceptionsWithAnswer: 0,
    top1: 0,
    top3: 0,
    nothing: 0,
    nothingQuiet: 0,
  };
}

interface Tally {
  total: number;
  auto: number;
  autoRight: number;
  autoWrong: number;
  answerable: number;
  exceptionsWithAnswer: number;
  top1: number;
  top3: number;
  nothing: number;
  nothingQuiet: number;
  wrongByRule: Record<string, number>;
  wrongExamples: string[];
}

export async function qualityBench(): Promise<void> {
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  const { invoices, customers, txs } = corpus(N);
  log(
    `quality bench: ${txs.length} transactions, ${invoices.length} invoices, ${customers.length} customers`,
  );
  let child: Child | null = null;
  try {
    const started = await startServiceBuild(
      DIR,
      join(WORK, 'quality-data'),
      SECRET,
      { ADMIN_API_KEY: ADMIN_KEY, ...EXTRA_ENV },
      join(WORK, 'logs', 'quality-service.log'),
    );
    child = started.child;
    const port = started.port;
    const db = new Client({
      connectionString: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${started.env.EMBEDDED_PG_PORT}/bank_sync`,
    });
    await db.connect();
    const staff = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const rule = await http(
      'POST',
      `http://127.0.0.1:${port}/reconcile/write-off-rules`,
      staff,
      JSON.stringify({
        name: 'Bank fees',
        currency: 'EUR',
        max_amount: FEE_RULE,
        reason: 'bank_fee',
      }),
    );
    if (rule.status !== 201) throw new Error(`write-off rule: ${rule.status} ${rule.body}`);

    let t0 = performance.now();
    await inParallel(invoices, 16, async (inv) => {
      const body = JSON.stringify({
        invoice_number: inv.number,
        amount_due: `${inv.amount / 100n}.${String(inv.amount % 100n).padStart(2, '0')}`,
        currency: 'EUR',
        customer: customers[inv.customer].name,
        due_date: '2026-11-25',
      });
      const status = await post(port, '/invoices', staff, body);
      if (status !== 201) throw new Error(`invoice ${inv.number}: ${status}`);
    });
    log(`invoices created in ${round((performance.now() - t0) / 1000, 1)} s`);

    const send = async (tx: Labelled): Promise<void> => {
      const body = JSON.stringify(tx.body);
      const status = await post(
        port,
        '/webhooks/bank/transactions',
        {
          'content-type': 'application/json',
          'x-event-id': `evt-${tx.externalId}`,
          'x-signature': `sha256=${hmacHex(SECRET, body)}`,
        },
        body,
      );
      if (status !== 202 && status !== 200) throw new Error(`webhook ${tx.externalId}: ${status}`);
    };
    t0 = performance.now();
    await inParallel(
      txs.filter((t) => !t.debit),
      16,
      send,
    );
    await settle(db);
    await inParallel(
      txs.filter((t) => t.debit),
      16,
      send,
    ); // refunds after what they refund
    await settle(db);
    const run = await http('POST', `http://127.0.0.1:${port}/reconcile/run`, staff);
    if (run.status !== 200) throw new Error(`run: ${run.status} ${run.body}`);
    await settle(db);
    const pipelineSeconds = round((performance.now() - t0) / 1000, 1);
    log(`transactions processed, matched and suggested in ${pipelineSeconds} s`);

    const results = await score(db, txs);
    const report = {
      at: new Date().toISOString(),
      transactions: txs.length,
      invoices: invoices.length,
      seed: SEED,
      pipeline_seconds: pipelineSeconds,
      by_kind: results,
    };
    writeFileSync(join(WORK, 'quality.json'), JSON.stringify(report, null, 2));
    console.log(table(results));
    await db.end();
  } finally {
    if (child) await stopChild(child);
  }
}

/** Waits until nothing is pending: transactions processed, suggestions computed, twice in a row. */
async function settle(db: Client): Promise<void> {
  let quiet = 0;
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM transactions WHERE status = 'PENDING')
            + (SELECT count(*) FROM transaction_exceptions WHERE suggested_at IS NULL) AS n`,
    );
    quiet = Number(rows[0].n) === 0 ? quiet + 1 : 0;
    if (quiet >= 3) return;
    await sleep(500);
  }
}

async function score(db: Client, txs: Labelled[]): Promise<Record<string, Tally>> {
  const { rows: allocs } = await db.query<{
    external_id: string;
    invoice_number: string;
    created_by: string;
    live: boolean;
    rule: string;
  }>(
    `SELECT t.external_id, i.invoice_number, m.created_by, m.reversed_at IS NULL AS live, m.rule
       FROM transaction_matches m JOIN transactions t ON t.id = m.transaction_id
       JOIN invoices i ON i.id = m.invoice_id`,
  );
  const { rows: sugg } = await db.query<{
    external_id: string;
    rank: number;
    score: string;
    invoices: Array<{ invoice_number: string }>;
    reversal_of: string | null;
  }>(
    `SELECT t.external_id, s.rank, s.score::text AS score, s.invoices, s.reversal_of
       FROM suggestions s JOIN transactions t ON t.id = s.transaction_id
      WHERE s.superseded_at IS NULL ORDER BY t.external_id, s.rank`,
  );
  const { rows: exc } = await db.query<{ external_id: string }>(
    `SELECT t.external_id FROM transaction_exceptions e JOIN transactions t ON t.id = e.transaction_id`,
  );
  const autoOf = new Map<string, Set<string>>();
  const ruleOf = new Map<string, string>();
  for (const a of allocs) {
    if (a.created_by !== 'system' || !a.live) continue;
    const set = autoOf.get(a.external_id) ?? new Set<string>();
    set.add(a.invoice_number);
    autoOf.set(a.external_id, set);
    ruleOf.set(a.external_id, a.rule);
  }
  const suggOf = new Map<string, typeof sugg>();
  for (const s of sugg) suggOf.set(s.external_id, [...(suggOf.get(s.external_id) ?? []), s]);
  const exceptions = new Set(exc.map((e) => e.external_id));

  const tallies: Record<string, Tally> = {};
  const sameSet = (a: string[], b: Set<string> | string[]): boolean => {
    const bs = [...b].sort();
    return a.length === bs.length && [...a].sort().every((x, i) => x === bs[i]);
  };
  for (const tx of txs) {
    const t = (tallies[tx.kind] ??= { ...emptyCounts(), wrongByRule: {}, wrongExamples: [] });
    t.total++;
    const answers = tx.alternatives ?? (tx.answer.length > 0 ? [tx.answer] : []);
    const auto = autoOf.get(tx.externalId);
    if (answers.length > 0 && !tx.debit) t.answerable++;
    if (auto && auto.size > 0) {
      t.auto++;
      if (answers.some((a) => sameSet(a, auto))) t.autoRight++;
      else {
        t.autoWrong++;
        const rule = ruleOf.get(tx.externalId) ?? '?';
        t.wrongByRule[rule] = (t.wrongByRule[rule] ?? 0) + 1;
        if (t.wrongExamples.length < 5) {
          t.wrongExamples.push(
            `${String(tx.body.reference)} → ${[...auto].join(',')} (${rule}), right: ${tx.answer.join(',')}`,
          );
        }
      }
    }
    const ranked = suggOf.get(tx.externalId) ?? [];
    if (answers.length === 0) {
      t.nothing++;
      if (!ranked.some((s) => Number(s.score) > 0.5)) t.nothingQuiet++;
      continue;
    }
    if (exceptions.has(tx.externalId)) {
      // What is left to decide: for an overpayment the surplus, whose right answer is nothing.
      if (tx.kind === 'overpayment') {
        t.nothing++;
        if (!ranked.some((s) => Number(s.score) > 0.5)) t.nothingQuiet++;
        continue;
      }
      t.exceptionsWithAnswer++;
      const hit = (s: (typeof ranked)[number]): boolean =>
        answers.some((a) =>
          sameSet(
            a,
            s.invoices.map((i) => i.invoice_number),
          ),
        ) &&
        (!tx.debit || s.reversal_of !== null);
      if (ranked[0] && hit(ranked[0])) t.top1++;
      if (ranked.slice(0, 3).some(hit)) t.top3++;
    }
  }
  return tallies;
}

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${round((100 * a) / b, 1)} %`);

function table(results: Record<string, Tally>): string {
  const rows = [
    '| kind | transactions | automatic (wrong) | auto precision | auto recall | exceptions with an answer | top-1 | top-3 | "nothing" quiet (no suggestion > 0.5) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const all = emptyCounts();
  for (const [kind, t] of Object.entries(results)) {
    for (const k of Object.keys(all) as Array<keyof typeof all>) all[k] += t[k];
    rows.push(
      `| ${kind} | ${t.total} | ${t.auto} (${t.autoWrong}) | ${pct(t.autoRight, t.auto)} | ${pct(t.autoRight, t.answerable)} | ${t.exceptionsWithAnswer} | ${pct(t.top1, t.exceptionsWithAnswer)} | ${pct(t.top3, t.exceptionsWithAnswer)} | ${pct(t.nothingQuiet, t.nothing)} |`,
    );
  }
  rows.push(
    `| **all** | ${all.total} | ${all.auto} (${all.autoWrong}) | ${pct(all.autoRight, all.auto)} | ${pct(all.autoRight, all.answerable)} | ${all.exceptionsWithAnswer} | ${pct(all.top1, all.exceptionsWithAnswer)} | ${pct(all.top3, all.exceptionsWithAnswer)} | ${pct(all.nothingQuiet, all.nothing)} |`,
  );
  return rows.join('\n');
}
