import { parseAccount } from '../../common/account-number';
import {
  cleanText,
  fileAmount,
  isoDate,
  MAX_FIELD_CHARS,
  type ParsedEntry,
  StatementFileError,
  type StatementEvent,
  type StatementTotals,
} from './statement-events';

const MAX_DEPTH = 40;
const TAG = /<(\/?)([A-Za-z0-9_.]+)>([^<]*)/y;
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

function unescape(text: string, at: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);?/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const known = ENTITIES[name.toLowerCase()];
    if (known === undefined) throw new StatementFileError(at, `unknown entity ${whole}`);
    return known;
  });
}

/** OFX dates: YYYYMMDD[HHMMSS[.XXX]][[-5:EST]]; the calendar day as the bank wrote it. */
function ofxDate(text: string, at: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(text);
  const day = m ? isoDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
  if (!day) throw new StatementFileError(at, `${JSON.stringify(text)} is not an OFX date`);
  return day;
}

/** "-80", "1234.56", "-1,50" (some banks write a decimal comma): sign and canonical amount. */
function ofxAmount(text: string, currency: string, at: string): { amount: string; debit: boolean } {
  const t = text.trim().replace(',', '.');
  const debit = t.startsWith('-');
  const body = t.replace(/^[-+]/, '');
  const amount = fileAmount(/^\./.test(body) ? `0${body}` : body, currency, at, 'TRNAMT');
  return { amount, debit };
}

/**
 * OFX 1.x (SGML: leaf elements are not closed) and 2.x (XML) with one tokenizer: `<NAME>text`
 * is a leaf when text follows it, an aggregate otherwise; a closing tag ends the aggregate it
 * names (a leaf's own closing tag in 2.x is passed over). No DTD or entity declaration is
 * accepted, and only the XML entities and character references are read.
 */
export async function* parseOfx(text: AsyncIterable<string>): AsyncGenerator<StatementEvent> {
  let buffer = '';
  let line = 1;
  let headerDone = false;
  const stack: string[] = [];
  let lastLeaf: string | null = null;
  let stmt: { totals: StatementTotals; currency: string | null } | null = null;
  let trn: Record<string, string> | null = null;
  let trnLine = 0;
  let trnCount = 0;
  let payee = false;
  let any = false;

  function* onOpen(name: string, value: string, at: string): Generator<StatementEvent> {
    if (value !== '') {
      lastLeaf = name;
      const v = unescape(value, at);
      if (trn) {
        const key = payee && name === 'NAME' ? 'PAYEE.NAME' : name;
        if (trn[key] === undefined) trn[key] = v;
      } else if (stmt) {
        const parent = stack[stack.length - 1];
        if (name === 'CURDEF') stmt.currency = v;
        else if (name === 'ACCTID' && (parent === 'BANKACCTFROM' || parent === 'CCACCTFROM')) {
          const acct = parseAccount(v);
          stmt.totals.account = acct.ok ? acct.value : v;
        } else if (name === 'DTSTART' && parent === 'BANKTRANLIST') {
          stmt.totals.periodStart ??= ofxDate(v, at);
        } else if (name === 'DTEND' && parent === 'BANKTRANLIST') {
          stmt.totals.periodEnd = ofxDate(v, at);
        } else if (name === 'BALAMT' && parent === 'LEDGERBAL' && stmt.currency) {
          const { amount, debit } = ofxAmount(v, stmt.currency, at);
          stmt.totals.closingBalance = debit ? `-${amount}` : amount;
        }
      }
      return;
    }
    lastLeaf = null;
    stack.push(name);
    if (stack.length > MAX_DEPTH) throw new StatementFileError(at, 'elements nest too deep');
    if (name === 'STMTRS' || name === 'CCSTMTRS') {
      if (stmt) throw new StatementFileError(at, `${name} inside a statement`);
      any = true;
      stmt = {
        currency: null,
        totals: {
          account: null,
          currency: null,
          periodStart: null,
          periodEnd: null,
          openingBalance: null,
          closingBalance: null,
        },
      };
      yield { kind: 'begin' };
    } else if (name === 'STMTTRN') {
      if (!stmt) throw new StatementFileError(at, 'STMTTRN outside a statement');
      trn = {};
      trnLine = line;
      trnCount++;
    } else if (name === 'PAYEE') {
      payee = true;
    }
  }

  function* onClose(name: string, at: string): Generator<StatementEvent> {
    if (lastLeaf === name) {
      lastLeaf = null;
      return;
    }
    lastLeaf = null;
    const index = stack.lastIndexOf(name);
    if (index < 0) throw new StatementFileError(at, `</${name}> closes no open element`);
    // SGML: closing an aggregate closes whatever was left open inside it.
    while (stack.length > index) {
      const closed = stack.pop() as string;
      if (closed === 'PAYEE') payee = false;
      if (closed === 'STMTTRN' && trn && stmt) {
        yield { kind: 'entry', entry: entryOf(trn, stmt.currency, trnCount, trnLine) };
        trn = null;
      }
      if ((closed === 'STMTRS' || closed === 'CCSTMTRS') && stmt) {
        stmt.totals.currency = stmt.currency;
        yield { kind: 'end', totals: stmt.totals };
        stmt = null;
      }
    }
  }

  function* consume(final: boolean): Generator<StatementEvent> {
    if (!headerDone) {
      const start = buffer.indexOf('<');
      if (start < 0) {
        if (final || buffer.length > 64 * 1024) {
          throw new StatementFileError('line 1', 'no OFX element found');
        }
        return;
      }
      const head = buffer.slice(0, start);
      if (!final && buffer.indexOf('<OFX>') < 0 && buffer.length < 64 * 1024) return;
      if (/<!DOCTYPE|<!ENTITY/i.test(buffer.slice(0, buffer.indexOf('<OFX>') + 1 || undefined))) {
        throw new StatementFileError('line 1', 'a DTD or entity declaration is not accepted');
      }
      const ofx = buffer.indexOf('<OFX>');
      if (ofx < 0) throw new StatementFileError('line 1', 'no <OFX> element found');
      line += (buffer.slice(0, ofx).match(/\n/g) ?? []).length;
      void head;
      buffer = buffer.slice(ofx);
      headerDone = true;
    }
    let pos = 0;
    for (;;) {
      // Only a complete token: its text runs to the next "<", which must be in the buffer.
      const next = buffer.indexOf('<', pos + 1);
      if (next < 0 && !final) break;
      if (pos >= buffer.length) break;
      if (buffer.startsWith('<!--', pos)) {
        const end = buffer.indexOf('-->', pos);
        if (end < 0) {
          if (final) throw new StatementFileError(`line ${line}`, 'unterminated comment');
          break;
        }
        line += (buffer.slice(pos, end).match(/\n/g) ?? []).length;
        pos = end + 3;
        continue;
      }
      if (buffer.startsWith('<!', pos) || buffer.startsWith('<?', pos)) {
        throw new StatementFileError(
          `line ${line}`,
          'a declaration inside the OFX body is not accepted',
        );
      }
      TAG.lastIndex = pos;
      const m = TAG.exec(buffer);
      if (!m) {
        if (buffer.slice(pos).trim() === '') {
          pos = buffer.length;
          break;
        }
        throw new StatementFileError(
          `line ${line}`,
          `not an OFX tag: ${JSON.stringify(buffer.slice(pos, pos + 40))}`,
        );
      }
      const at = `line ${line} (<${m[2]}>)`;
      if (m[3].length > MAX_FIELD_CHARS) throw new StatementFileError(at, 'text too long');
      if (m[1]) yield* onClose(m[2].toUpperCase(), at);
      else yield* onOpen(m[2].toUpperCase(), m[3].trim(), at);
      line += (m[0].match(/\n/g) ?? []).length;
      pos = TAG.lastIndex;
    }
    buffer = buffer.slice(pos);
    if (buffer.length > MAX_FIELD_CHARS * 2) {
      throw new StatementFileError(`line ${line}`, 'text too long');
    }
  }

  for await (const chunk of text) {
    buffer += chunk;
    yield* consume(false);
  }
  yield* consume(true);
  if (stmt) throw new StatementFileError(`line ${line}`, 'the file ends inside a statement');
  if (!any) throw new StatementFileError('OFX', 'no statement (STMTRS or CCSTMTRS) found');
}

function entryOf(
  trn: Record<string, string>,
  currency: string | null,
  n: number,
  line: number,
): ParsedEntry {
  const at = `STMTTRN ${n} (line ${line})`;
  const ccy = trn['CURRENCY.CURSYM'] ?? currency;
  if (!ccy) throw new StatementFileError(at, 'no currency: the statement has no CURDEF');
  if (!trn.TRNAMT) throw new StatementFileError(at, 'TRNAMT is missing');
  if (!trn.DTPOSTED) throw new StatementFileError(at, 'DTPOSTED is missing');
  const { amount, debit } = ofxAmount(trn.TRNAMT, ccy, at);
  const name = trn.NAME ?? trn['PAYEE.NAME'] ?? null;
  return {
    account: null,
    bookingDate: ofxDate(trn.DTPOSTED, at),
    amount,
    currency: ccy,
    direction: debit ? 'debit' : 'credit',
    reversal: false,
    bankRef: cleanText(trn.FITID ?? null, at),
    reference: cleanText(trn.MEMO ?? name, at),
    description: cleanText([name, trn.MEMO].filter(Boolean).join(' '), at),
    counterparty: cleanText(name, at),
    counterpartyAccount: null,
    at,
  };
}
