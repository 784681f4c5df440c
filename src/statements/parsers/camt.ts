import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { parseAccount } from '../../common/account-number';
import {
  cleanText,
  fileAmount,
  MAX_FIELD_CHARS,
  type ParsedEntry,
  signedBalance,
  StatementFileError,
  type StatementEvent,
  type StatementTotals,
} from './statement-events';

/** The namespace versions taken: camt.053.001.02 to .08 (ISO 20022), camt.054 the same. */
const NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.0([2-8])$/;
const MAX_DEPTH = 40;

interface Fields {
  [path: string]: string;
}

/** A Bal or an Ntry being read: its leaf texts by path below it, and attributes we use. */
interface Block {
  depth: number;
  fields: Fields;
  ccy: string | null;
  line: number;
  /** Ntry: how many TxDtls it holds (one: its references are the entry's). */
  txCount: number;
}

const lastName = (name: string): string => {
  const at = name.indexOf(':');
  return at < 0 ? name : name.slice(at + 1);
};

function pick(fields: Fields, ...paths: string[]): string | null {
  for (const p of paths) {
    const v = fields[p];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return null;
}

function date(text: string | null, at: string, what: string): string {
  if (!text || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new StatementFileError(at, `${what} is missing or not a date`);
  }
  return text.slice(0, 10);
}

function account(text: string | null): string | null {
  if (!text) return null;
  const parsed = parseAccount(text);
  return parsed.ok ? parsed.value : text.trim();
}

/**
 * ISO 20022 camt.053 (account statement) and camt.054 (debit/credit notification), read as a
 * stream of SAX events: one entry at a time is held, never the document. No DTD is accepted
 * (saxes never resolves one anyway: an entity it does not know is an error, so no external
 * reference is fetched and nothing expands).
 */
export async function* parseCamt(
  text: AsyncIterable<string>,
  expected: 'camt053' | 'camt054' | null,
): AsyncGenerator<StatementEvent, 'camt053' | 'camt054'> {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const out: StatementEvent[] = [];
  const path: string[] = [];
  /** Each open element's path below the block (Ntry, Bal, else Stmt) it is in, interned. */
  const rels: string[] = [];
  const relPath = internedPaths();
  let kind: 'camt053' | 'camt054' | null = null;
  let stmt: { depth: number; fields: Fields; totals: StatementTotals; ccy: string | null } | null =
    null;
  let bal: Block | null = null;
  let ntry: Block | null = null;
  let entries = 0;
  let leaf = '';
  const where = (): string => `line ${parser.line}`;

  parser.on('doctype', () => {
    throw new StatementFileError(where(), 'a DTD (<!DOCTYPE>) is not accepted in a statement');
  });
  parser.on('processinginstruction', () => undefined);
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const name = lastName(tag.name);
    path.push(name);
    leaf = '';
    if (path.length > MAX_DEPTH) throw new StatementFileError(where(), 'elements nest too deep');
    if (path.length === 1) {
      if (name !== 'Document') {
        throw new StatementFileError(where(), `root element ${name}: not an ISO 20022 Document`);
      }
      const ns = Object.entries(tag.attributes).find(
        ([k]) => k === 'xmlns' || k.startsWith('xmlns:'),
      );
      const m = ns ? NAMESPACE.exec(String(ns[1])) : null;
      if (ns && !m) {
        throw new StatementFileError(
          'Document',
          `namespace ${String(ns[1])}: only camt.053 and camt.054 versions 001.02 to 001.08 are read`,
        );
      }
      if (m) kind = m[1] === '053' ? 'camt053' : 'camt054';
      return;
    }
    if (path.length === 2) {
      const k =
        name === 'BkToCstmrStmt' ? 'camt053' : name === 'BkToCstmrDbtCdtNtfctn' ? 'camt054' : null;
      if (!k || (kind && kind !== k)) {
        throw new StatementFileError(`${name} (${where()})`, 'not a camt.053 or camt.054 message');
      }
      kind = k;
      if (expected && expected !== kind) {
        throw new StatementFileError(name, `the file is ${kind}, not ${expected}`);
      }
      return;
    }
    if (path.length === 3 && (name === 'Stmt' || name === 'Ntfctn')) {
      stmt = {
        depth: path.length,
        fields: {},
        ccy: null,
        totals: {
          account: null,
          currency: null,
          periodStart: null,
          periodEnd: null,
          openingBalance: null,
          closingBalance: null,
        },
      };
      out.push({ kind: 'begin' });
      return;
    }
    if (!stmt) return;
    const depth = path.length;
    if (depth === stmt.depth + 1 && name === 'Bal') {
      bal = { depth, fields: {}, ccy: null, line: parser.line, txCount: 0 };
    } else if (depth === stmt.depth + 1 && name === 'Ntry') {
      entries++;
      ntry = { depth, fields: {}, ccy: null, line: parser.line, txCount: 0 };
    } else if (ntry && name === 'TxDtls') {
      ntry.txCount++;
    }
    const block = ntry ?? bal;
    const base = block && depth > block.depth ? block.depth : depth > stmt.depth ? stmt.depth : -1;
    rels[depth - 1] = base < 0 ? '' : relPath(depth - 1 === base ? '' : rels[depth - 2], name);
    if (block && name === 'Amt' && depth === block.depth + 1) {
      block.ccy = tag.attributes.Ccy ? String(tag.attributes.Ccy) : null;
    }
  });
  const onText = (t: string): void => {
    if (leaf.length + t.length > MAX_FIELD_CHARS) {
      throw new StatementFileError(`${path.join('/')} (${where()})`, 'text too long');
    }
    leaf += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    const depth = path.length;
    const name = path[depth - 1];
    const text = leaf;
    leaf = '';
    if (stmt) {
      const block = ntry ?? bal;
      if (block && depth > block.depth) {
        const rel = rels[depth - 1];
        // Only the first TxDtls's texts, and the unstructured remittance lines joined.
        if (block === ntry && ntry.txCount > 1 && rel.includes('TxDtls/')) {
          // later transactions of a batch booking: not the entry's
        } else if (rel.endsWith('RmtInf/Ustrd') && block.fields[rel]) {
          block.fields[rel] += ` ${text}`;
        } else if (text.trim() !== '' && block.fields[rel] === undefined) {
          block.fields[rel] = text;
        }
      } else if (!block && depth > stmt.depth) {
        const rel = rels[depth - 1];
        if (text.trim() !== '' && stmt.fields[rel] === undefined) stmt.fields[rel] = text;
      }
      if (bal && depth === bal.depth) {
        closeBalance(stmt.totals, bal, entries);
        bal = null;
      } else if (ntry && depth === ntry.depth) {
        const entry = closeEntry(ntry, entries, stmt);
        if (entry) out.push({ kind: 'entry', entry });
        ntry = null;
      } else if (depth === stmt.depth) {
        const f = stmt.fields;
        const t = stmt.totals;
        t.account = account(pick(f, 'Acct/Id/IBAN', 'Acct/Id/Othr/Id'));
        t.currency = pick(f, 'Acct/Ccy') ?? t.currency;
        const from = pick(f, 'FrToDt/FrDtTm');
        const to = pick(f, 'FrToDt/ToDtTm');
        if (from) t.periodStart = from.slice(0, 10);
        if (to) t.periodEnd = to.slice(0, 10);
        out.push({ kind: 'end', totals: t });
        stmt = null;
      }
    }
    void name;
    path.pop();
  });

  for await (const chunk of text) {
    write(parser, chunk, where);
    yield* out.splice(0);
  }
  write(parser, null, where);
  yield* out.splice(0);
  if (!kind) throw new StatementFileError('Document', 'no camt.053 or camt.054 message found');
  return kind;
}

/** Distinct paths a file may intern before further ones are built each time (a hostile file). */
const MAX_INTERNED = 10_000;

/**
 * `parent/name`, one string per distinct path: an element's path below its block is otherwise
 * built anew for every element of every entry, the parse's largest share of garbage.
 */
function internedPaths(): (parent: string, name: string) => string {
  const children = new Map<string, Map<string, string>>();
  let count = 0;
  return (parent, name) => {
    let kids = children.get(parent);
    const known = kids?.get(name);
    if (known !== undefined) return known;
    const joined = parent === '' ? name : `${parent}/${name}`;
    if (count < MAX_INTERNED) {
      if (!kids) children.set(parent, (kids = new Map<string, string>()));
      kids.set(name, joined);
      count++;
    }
    return joined;
  };
}

function write(
  parser: SaxesParser<{ xmlns: false; position: true }>,
  chunk: string | null,
  where: () => string,
): void {
  try {
    if (chunk === null) parser.close();
    else parser.write(chunk);
  } catch (err) {
    if (err instanceof StatementFileError) throw err;
    // saxes's message starts with "line:column: ".
    const message = (err as Error).message.replace(/^\d+:\d+: /, '');
    throw new StatementFileError(where(), `not well-formed XML: ${message}`);
  }
}

function closeBalance(totals: StatementTotals, bal: Block, entries: number): void {
  const f = bal.fields;
  const code = pick(f, 'Tp/CdOrPrtry/Cd', 'Tp/CdOrPrtry/Prtry');
  const at = `Bal (line ${bal.line})`;
  const ccy = bal.ccy ?? totals.currency;
  const text = pick(f, 'Amt');
  if (!code || !ccy || !text) return;
  const value = signedBalance(
    fileAmount(text, ccy, at, 'balance'),
    pick(f, 'CdtDbtInd') === 'DBIT',
  );
  const day = pick(f, 'Dt/Dt', 'Dt/DtTm');
  totals.currency = totals.currency ?? ccy;
  // Opening: booked (OPBD) or the previous closing (PRCD); closing booked (CLBD). An interim
  // balance (ITBD) counts only as the first or the last when nothing better is there.
  if (code === 'OPBD' || code === 'PRCD' || (code === 'ITBD' && entries === 0)) {
    if (totals.openingBalance === null || code === 'OPBD') totals.openingBalance = value;
    if (day && !totals.periodStart) totals.periodStart = day.slice(0, 10);
  } else if (code === 'CLBD') {
    totals.closingBalance = value;
    if (day) totals.periodEnd = day.slice(0, 10);
  }
}

function closeEntry(
  ntry: Block,
  n: number,
  stmt: { fields: Fields; totals: StatementTotals },
): ParsedEntry | null {
  const f = ntry.fields;
  const at = `Ntry ${n} (line ${ntry.line})`;
  // Only booked entries move the balance; pending and information-only ones are not taken.
  const status = pick(f, 'Sts/Cd', 'Sts');
  if (status && status !== 'BOOK') return null;
  const ind = pick(f, 'CdtDbtInd');
  if (ind !== 'CRDT' && ind !== 'DBIT') {
    throw new StatementFileError(at, 'CdtDbtInd must be CRDT or DBIT');
  }
  const ccy = ntry.ccy ?? stmt.totals.currency ?? pick(stmt.fields, 'Acct/Ccy');
  if (!ccy) throw new StatementFileError(at, 'Amt has no Ccy');
  const text = pick(f, 'Amt');
  if (!text) throw new StatementFileError(at, 'Amt is missing');
  const amount = fileAmount(text, ccy, at);
  const credit = ind === 'CRDT';
  const tx = 'NtryDtls/TxDtls/';
  const party = credit ? 'Dbtr' : 'Cdtr';
  const ustrd = pick(f, `${tx}RmtInf/Ustrd`);
  const structured = pick(f, `${tx}RmtInf/Strd/CdtrRefInf/Ref`);
  const single = ntry.txCount <= 1;
  return {
    account: null,
    bookingDate: date(
      pick(f, 'BookgDt/Dt', 'BookgDt/DtTm', 'ValDt/Dt', 'ValDt/DtTm'),
      at,
      'BookgDt',
    ),
    amount,
    currency: ccy,
    // CdtDbtInd is the way the entry moves the balance, reversal or not (a reversed debit is
    // booked CRDT): so the direction is taken as it stands, and RvslInd is kept as a flag.
    direction: credit ? 'credit' : 'debit',
    reversal: pick(f, 'RvslInd') === 'true',
    bankRef: cleanText(
      pick(f, 'AcctSvcrRef') ?? (single ? pick(f, `${tx}Refs/AcctSvcrRef`) : null),
      at,
    ),
    reference: cleanText(structured ?? ustrd ?? pick(f, `${tx}Refs/EndToEndId`), at),
    description: cleanText(
      [ustrd, pick(f, 'AddtlNtryInf', `${tx}AddtlTxInf`)].filter(Boolean).join(' '),
      at,
    ),
    counterparty: cleanText(
      pick(f, `${tx}RltdPties/${party}/Nm`, `${tx}RltdPties/${party}/Pty/Nm`),
      at,
    ),
    counterpartyAccount: account(
      pick(f, `${tx}RltdPties/${party}Acct/Id/IBAN`, `${tx}RltdPties/${party}Acct/Id/Othr/Id`),
    ),
    at,
  };
}
