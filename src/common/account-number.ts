/**
 * A counterparty's account as a bank names it: an IBAN (ISO 13616, checked with its mod-97
 * check digits) or a domestic account number (digits). Stored in one compact form so that the
 * same account written two ways is one party: IBAN upper-case without spaces, an account number
 * without its spaces and dashes ("062-000 1234 5678" → "0620001234 5678" → "06200012345678").
 */
export type AccountParse = { ok: true; value: string } | { ok: false; message: string };

const IBAN = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const ACCOUNT_NUMBER = /^[0-9]{4,34}$/;
const SEPARATORS = /[ -]/g;
const MAX_INPUT = 64;

export function parseAccount(input: string): AccountParse {
  if (input.length > MAX_INPUT) return fail(`must be at most ${MAX_INPUT} characters`);
  const compact = input.replace(SEPARATORS, '');
  if (/^[A-Za-z]{2}/.test(compact)) {
    const iban = compact.toUpperCase();
    if (!IBAN.test(iban)) {
      return fail('is not an IBAN: two letters, two check digits, then 11 to 30 letters or digits');
    }
    return ibanChecksumOk(iban) ? { ok: true, value: iban } : fail('has wrong IBAN check digits');
  }
  if (!ACCOUNT_NUMBER.test(compact)) {
    return fail('must be an IBAN or an account number of 4 to 34 digits (spaces and - allowed)');
  }
  return { ok: true, value: compact };
}

/** ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end. */
function ibanChecksumOk(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    // Letters count as two digits (A = 10 ... Z = 35).
    const digits = code >= 65 ? String(code - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function fail(message: string): AccountParse {
  return { ok: false, message };
}
