import { parseAccount } from './account-number';

describe('parseAccount', () => {
  it.each([
    ['GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432'],
    ['gb82west12345698765432', 'GB82WEST12345698765432'],
    ['DE89370400440532013000', 'DE89370400440532013000'],
    ['NL91 ABNA 0417 1643 00', 'NL91ABNA0417164300'],
    ['0123456789', '0123456789'],
    ['062-000 1234 5678', '06200012345678'],
  ])('accepts %j as %j', (input, value) => {
    expect(parseAccount(input)).toEqual({ ok: true, value });
  });

  it.each([
    ['GB82 WEST 1234 5698 7654 33', 'has wrong IBAN check digits'],
    ['DE88370400440532013000', 'has wrong IBAN check digits'],
    ['GB82', 'is not an IBAN: two letters, two check digits, then 11 to 30 letters or digits'],
    ['GBXX WEST 1234 5698 7654 32', expect.stringMatching(/^is not an IBAN/)],
    ['123', expect.stringMatching(/^must be an IBAN or an account number/)],
    ['12.345.678', expect.stringMatching(/^must be an IBAN or an account number/)],
    ['', expect.stringMatching(/^must be an IBAN or an account number/)],
    ['1'.repeat(35), expect.stringMatching(/^must be an IBAN or an account number/)],
    ['1'.repeat(65), 'must be at most 64 characters'],
  ])('refuses %j', (input, message) => {
    expect(parseAccount(input)).toEqual({ ok: false, message });
  });
});
