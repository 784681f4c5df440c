import { parseAccount } from '../../common/account-number';
import { isCurrency } from '../../common/money';
import {
  cleanText,
  fileAmount,
  isoDate,
  MAX_FIELD_CHARS,
  type ParsedEntry,
  signedBalance,
  StatementFileError,
  type StatementEvent,
  type StatementTotals,
} from './statement-events';
import { lineBatches } from './text-stream';

// :61: value date, [entry date MMDD], mark (C, D, RC, RD; EC/ED expected), [funds code],
// amount with a decimal comma, type (N/S/F + 3), customer reference, [//bank reference].
const LINE_61 =
  /^(\d{6})(\d{4})?(RC|RD|EC|ED|C|D)([A-Z])?(\d{1,15},\d{0,3})([NSF][A-Z0-9]{3})(.*)$/;
// :60F:/:60M:/:62F:/:62M: mark, date YYMMDD, currency, amount.
const BALANCE = /^([CD])(\d{6})([A-Z]{3})(\d{1,15},\d{0,3})$/;
const FIELD = /^:(\d{2}[A-Z]?):(.*)$/;

// A statement's entries share a few dozen dates: each is worked out once (a Date per entry was
// a good part of the per-entry garbage of a 200 000-entry file).
const DAYS = new Map<string, string>();

function yymmdd(text: string, at: string): string {
  const known = DAYS.get(text);
  if (known) return known;
  const yy = Number(text.slice(0, 2));
  const day = isoDate(
    yy < 80 ? 2000 + yy : 1900 + yy,
    Number(text.slice(2, 4)),
    Number(text.slice(4, 6)),
  );
  if (!day) throw new StatementFileError(at, `${text} is not a date (YYMMDD)`);
  // Bounded: YYMMDD has 36 525 valid values.
  DAYS.set(text, day);
  return day;
}

/** The bank's reference: after "//"; else the customer's, unless it says there is none. */
function bankRef(rest: string, at: string): string | null {
  const split = rest.indexOf('//');
  if (split >= 0) return cleanText(rest.slice(split + 2), at);
  return rest.trim() === 'NONREF' ? null : cleanText(rest, at);
}

/** :25: is the account, often with its currency after it ("NL34RABO0142623393 EUR"). */
function accountOf(text: string): { account: string; currency: string | null } {
  const trimmed = text.trim();
  const whole = parseAccount(trimmed);
  if (whole.ok) return { account: whole.value, currency: null };
  const m = /^(.*?)[\s/]?([A-Z]{3})$/.exec(trimmed);
  if (m && isCurrency(m[2])) {
    const head = parseAccount(m[1]);
    return { account: head.ok ? head.value : m[1].trim(), currency: m[2] };
  }
  return { account: trimmed, currency: null };
}

const SUBFIELDS = {
  REMI: /\/REMI\/(.*?)(?=\/[A-Z]{2,4}\/|$)/,
  CNTP: /\/CNTP\/(.*?)(?=\/[A-Z]{2,4}\/|$)/,
  NAME: /\/NAME\/(.*?)(?=\/[A-Z]{2,4}\/|$)/,
};

/** The /CODE/value/ subfields of a structured :86: (Dutch, German and SEPA banks use them). */
function subfield(info: string, code: keyof typeof SUBFIELDS): string | null {
  if (!info.includes(`/${code}/`)) return null;
  const m = SUBFIELDS[code].exec(info);
  return m ? m[1].replace(/\/+$/, '') : null;
}

interface Open {
  fields: StatementTotals;
  currency: string | null;
  entry:
    | (Omit<ParsedEntry, 'description' | 'reference' | 'counterparty'> & { supplement: string })
    | null;
  info: string | null;
}

/**
 * SWIFT MT940, line by line: a statement is :20: to :62F: (and :64:/:65:/:86: after it); an
 * entry is a :61: with the :86: that follows it. Lines that start no field continue the one
 * before (banks wrap at 65 characters, anywhere). Blocks {1:..}{2:..}{4: and -} are skipped.
 */
export async function* parseMt940(text: AsyncIterable<string>): AsyncGenerator<StatementEvent> {
  let open: Open | null = null;
  let field: { tag: string; value: string; line: number } | null = null;
  let any = false;
  // The events of one batch of lines: handed on after the batch, one await per event instead of
  // a generator per field (the parser's garbage was most of an MT940 upload's memory).
  const out: StatementEvent[] = [];

  function flushEntry(): StatementEvent | null {
    if (!open?.entry) return null;
    const { supplement, ...e } = open.entry;
    const info = open.info ?? '';
    open.entry = null;
    open.info = null;
    const remi = subfield(info, 'REMI');
    const remittance = remi?.replace(/^(USTD|STRD)\/\/?(CUR\/)?/, '') ?? null;
    const cntp = subfield(info, 'CNTP')?.split('/') ?? [];
    const supplementAccount = parseAccount(supplement.trim());
    return {
      kind: 'entry',
      entry: {
        ...e,
        reference: cleanText(remittance ?? (info || supplement), e.at),
        description: cleanText(info || supplement, e.at),
        counterparty: cleanText(subfield(info, 'NAME') ?? cntp[2] ?? null, e.at),
        counterpartyAccount:
          e.counterpartyAccount ??
          (cntp[0]
            ? cleanText(cntp[0], e.at)
            : supplementAccount.ok
              ? supplementAccount.value
              : null),
      },
    };
  }

  function handle(tag: string, value: string, n: number): void {
    const at = `line ${n} (:${tag}:)`;
    if (tag === '20') {
      if (open) close();
      open = {
        fields: {
          account: null,
          currency: null,
          periodStart: null,
          periodEnd: null,
          openingBalance: null,
          closingBalance: null,
        },
        currency: null,
        entry: null,
        info: null,
      };
      any = true;
      out.push({ kind: 'begin' });
      return;
    }
    if (!open) throw new StatementFileError(at, 'a field before the first :20:');
    const o: Open = open;
    if (tag === '25') {
      const a = accountOf(value);
      o.fields.account = a.account;
      o.currency = a.currency ?? o.currency;
    } else if (tag === '28C' || tag === '28') {
      // statement number: not needed
    } else if (tag === '60F' || tag === '60M') {
      const m = BALANCE.exec(value.replace(/\s+/g, ''));
      if (!m)
        throw new StatementFileError(at, 'opening balance must be C|D, YYMMDD, currency, amount');
      o.currency = m[3];
      o.fields.currency = m[3];
      o.fields.openingBalance = signedBalance(
        fileAmount(m[4].replace(',', '.'), m[3], at),
        m[1] === 'D',
      );
      o.fields.periodStart = yymmdd(m[2], at);
    } else if (tag === '61') {
      const flushed = flushEntry();
      if (flushed) out.push(flushed);
      const wrapped = value.indexOf('\n');
      const first = wrapped < 0 ? value : value.slice(0, wrapped);
      const rest = wrapped < 0 ? '' : value.slice(wrapped + 1).replace(/\n/g, '');
      const m = LINE_61.exec(first.trimEnd());
      if (!m)
        throw new StatementFileError(
          at,
          `not a statement line: ${JSON.stringify(first.slice(0, 80))}`,
        );
      const currency = o.currency;
      if (!currency)
        throw new StatementFileError(at, 'an entry before the opening balance (:60F:)');
      const valueDate = yymmdd(m[1], at);
      let booking = valueDate;
      if (m[2]) {
        // The entry date has no year: the value date's, or the one next to it across a new year.
        const year = Number(valueDate.slice(0, 4));
        const month = Number(m[2].slice(0, 2));
        const y =
          month === 12 && valueDate.slice(5, 7) === '01'
            ? year - 1
            : month === 1 && valueDate.slice(5, 7) === '12'
              ? year + 1
              : year;
        booking = isoDate(y, month, Number(m[2].slice(2, 4))) ?? valueDate;
      }
      const mark = m[3];
      // RC (reversal of a credit) takes money out; RD (reversal of a debit) puts it back.
      const credit = mark === 'C' || mark === 'EC' || mark === 'RD';
      o.entry = {
        account: null,
        bookingDate: booking,
        amount: fileAmount(m[5].replace(',', '.'), currency, at),
        currency,
        direction: credit ? 'credit' : 'debit',
        reversal: mark === 'RC' || mark === 'RD',
        bankRef: bankRef(m[7], at),
        counterpartyAccount: null,
        supplement: rest,
        at: `line ${n}`,
      };
    } else if (tag === '86') {
      if (o.entry) o.info = value.replace(/\n/g, '');
    } else if (tag === '62F' || tag === '62M') {
      const flushed = flushEntry();
      if (flushed) out.push(flushed);
      const m = BALANCE.exec(value.replace(/\s+/g, ''));
      if (!m)
        throw new StatementFileError(at, 'closing balance must be C|D, YYMMDD, currency, amount');
      o.fields.closingBalance = signedBalance(
        fileAmount(m[4].replace(',', '.'), m[3], at),
        m[1] === 'D',
      );
      o.fields.periodEnd = yymmdd(m[2], at);
    } else {
      const flushed = flushEntry();
      if (flushed) out.push(flushed);
    }
  }

  function close(): void {
    const flushed = flushEntry();
    if (flushed) out.push(flushed);
    if (open) {
      open.fields.currency = open.fields.currency ?? open.currency;
      out.push({ kind: 'end', totals: open.fields });
    }
    open = null;
  }

  for await (const batch of lineBatches(text, MAX_FIELD_CHARS)) {
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.lines[i];
      const n = batch.first + i;
      const m = FIELD.exec(line);
      if (m) {
        if (field) handle(field.tag, field.value, field.line);
        field = { tag: m[1], value: m[2], line: n };
        continue;
      }
      const trimmed = line.trim();
      // Envelope and separators: {1:...}{2:...}{4:, -} (the end of block 4) or a lone "-" between
      // messages, a Rabobank ":940:" line, blank lines. Inside a :86: a lone "-" is text: ING
      // wraps its narrative anywhere.
      const end = trimmed === '-}' || (trimmed === '-' && field?.tag !== '86');
      if (end || trimmed === '' || trimmed === ':940:' || /^\{[1-5]:/.test(trimmed)) {
        if (end) {
          if (field) handle(field.tag, field.value, field.line);
          field = null;
        }
        continue;
      }
      if (!field) throw new StatementFileError(`line ${n}`, 'not an MT940 field (:20:, :61:, ...)');
      if (field.value.length + line.length > MAX_FIELD_CHARS) {
        throw new StatementFileError(`line ${n}`, 'field too long');
      }
      field.value += `\n${line}`;
    }
    yield* out;
    out.length = 0;
  }
  if (field) handle(field.tag, field.value, field.line);
  close();
  yield* out;
  if (!any) throw new StatementFileError('line 1', 'no MT940 statement (:20:) found');
}
