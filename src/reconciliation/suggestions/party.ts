/**
 * Who paid: a payer's name compared with an invoice's customer. Pure; the suggestion scorer and
 * the service (which loads invoices by `partyKey`) share it, so both see the same name.
 */

/**
 * Legal forms that say nothing about who a company is. "Acme Ltd", "ACME Limited" and "Acme"
 * are one payer; "Acme Trading" is not folded into them (a word that names is never dropped).
 */
const LEGAL_FORMS = new Set([
  'ltd',
  'limited',
  'plc',
  'llc',
  'llp',
  'lp',
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'ohg',
  'ug',
  'ev',
  'se',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'bv',
  'nv',
  'oy',
  'oyj',
  'ab',
  'as',
  'asa',
  'aps',
  'pty',
  'pte',
  'bhd',
  'sdn',
  'kk',
  'the',
]);

/** Letters NFKD does not decompose into a base letter and a mark. */
const FOLD: Readonly<Record<string, string>> = {
  ß: 'ss',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  đ: 'd',
  ł: 'l',
  þ: 'th',
  ı: 'i',
};

const MARKS = /\p{M}+/gu;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;
/** "G.m.b.H.", "e.V." and "A/S" lose the dots and slashes between their letters. */
const LETTER_JOINS = /(?<=(?:^|[^\p{L}])\p{L})[./](?=\p{L}(?:[^\p{L}]|$))/gu;
/** Names are short; the distance below is quadratic in their length. */
const MAX_COMPARED_CHARS = 64;

/** Names seen lately: a batch compares one payer with many invoices of few customers. */
const WORDS_CACHE_SIZE = 10_000;
const wordsCache = new Map<string, readonly string[]>();

/** Lower-case words of a name without accents, punctuation or legal forms. */
export function partyWords(name: string | null | undefined): readonly string[] {
  if (!name) return [];
  let words = wordsCache.get(name);
  if (!words) {
    if (wordsCache.size >= WORDS_CACHE_SIZE) wordsCache.clear();
    words = foldWords(name);
    wordsCache.set(name, words);
  }
  return words;
}

function foldWords(name: string): string[] {
  const folded = name
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(/[ßøæœđłþı]/g, (c) => FOLD[c] ?? c)
    .replace(LETTER_JOINS, '')
    .replace(/&/g, ' and ');
  const words = folded.split(NOT_WORD).filter((w) => w !== '');
  const kept = words.filter((w) => !LEGAL_FORMS.has(w));
  // A name that is only a legal form ("The Company") keeps its words rather than vanishing.
  return kept.length > 0 ? kept : words;
}

/** The key invoices are looked up by: the name's words, joined by one space. */
export function partyKey(name: string | null | undefined): string | null {
  const words = partyWords(name);
  return words.length > 0 ? words.join(' ') : null;
}

/**
 * How alike two names are, 0..1: 1 for the same words; otherwise one minus the edit distance
 * (optimal string alignment: a typo, a missing letter or two swapped letters cost 1) of the names
 * without spaces, over the longer length. "Globx" is 0.83 like "Globex"; "Acne" only 0.75 like
 * "Acme", below the match bar, because a short name leaves no room for a typo.
 */
export function partySimilarity(
  a: string | null | undefined,
  b: string | null | undefined,
): number {
  const wa = partyWords(a);
  const wb = partyWords(b);
  if (wa.length === 0 || wb.length === 0) return 0;
  if (wa.join(' ') === wb.join(' ')) return 1;
  const x = wa.join('').slice(0, MAX_COMPARED_CHARS);
  const y = wb.join('').slice(0, MAX_COMPARED_CHARS);
  return 1 - osaDistance(x, y) / Math.max(x.length, y.length);
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function osaDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1);
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, before[j - 2] + 1);
      }
      current[j] = d;
    }
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/** An account as compared: IBAN or account number without spaces or dashes, upper-case. */
export function normalizeAccount(account: string | null | undefined): string | null {
  if (!account) return null;
  const compact = account.replace(/[\s\-.]/g, '').toUpperCase();
  return compact === '' ? null : compact;
}

/** The end of an account, for evidence a person reads (never the whole number). */
export function maskAccount(account: string): string {
  return account.length <= 4 ? account : `…${account.slice(-4)}`;
}
