import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { read } from '../../../test/support/statement-read';
import type { CsvMapping } from './csv';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'statements');

const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

describe('statement files from third parties (test/fixtures/statements/README.md)', () => {
  it('camt.053.001.02 (OCA): balances, entries, directions, the reversal flag', async () => {
    const r = await read(fixture('oca-camt053.xml'));
    expect(r.format).toBe('camt053');
    expect(r.statements).toHaveLength(1);
    const [s] = r.statements;
    expect(s.totals).toMatchObject({
      account: 'NL77ABNA0574908765',
      currency: 'EUR',
      openingBalance: '15568.27',
      closingBalance: '15121.12',
      periodEnd: '2014-01-05',
    });
    expect(s.entries.map((e) => [e.amount, e.direction, e.reversal])).toEqual([
      ['754.25', 'debit', false],
      // RvslInd: CdtDbtInd already names the way the reversal moves the balance.
      ['664.05', 'debit', true],
      ['1405.31', 'credit', false],
    ]);
    expect(s.entries[2].bookingDate).toBe('2014-01-05');
  });

  it('camt.054 (OCA): a notification without a balance pair', async () => {
    const r = await read(fixture('oca-camt054.xml'));
    expect(r.format).toBe('camt054');
    const entries = r.statements.flatMap((s) => s.entries);
    expect(entries.length).toBeGreaterThan(0);
    expect(r.statements[0].totals.closingBalance).toBeNull();
  });

  it('OFX 2.x XML (OCA): FITID, signed TRNAMT, several BANKTRANLIST', async () => {
    const r = await read(fixture('oca-ofx1.ofx'));
    expect(r.format).toBe('ofx');
    const entries = r.statements.flatMap((s) => s.entries);
    expect(entries[0]).toMatchObject({
      bankRef: '219378',
      amount: '80.00',
      direction: 'debit',
      currency: 'USD',
      counterparty: 'Agrolait',
      bookingDate: '2013-08-24',
    });
    expect(r.statements[0].totals.account).toBe('123456');
  });

  it('MT940 of ING (OCA): wrapped lines, :86: subfields, balances add up', async () => {
    const r = await read(fixture('oca-ing.940'));
    expect(r.format).toBe('mt940');
    const [s] = r.statements;
    expect(s.totals).toMatchObject({
      account: 'NL77INGB0574908765',
      currency: 'EUR',
      openingBalance: '662.23',
      closingBalance: '564.35',
    });
    expect(s.entries).toHaveLength(8);
    expect(s.entries[0]).toMatchObject({
      amount: '1.56',
      direction: 'credit',
      bankRef: '00000000001',
    });
    const net = s.entries.reduce(
      (a, e) => a + (e.direction === 'credit' ? 1n : -1n) * BigInt(e.amount.replace('.', '')),
      0n,
    );
    expect(66223n + net).toBe(56435n);
  });

  it('MT940 of Rabobank (OCA): account with its currency, several statements', async () => {
    const r = await read(fixture('oca-rabo.swi'));
    expect(r.statements.length).toBeGreaterThan(1);
    expect(r.statements[0].totals).toMatchObject({
      account: 'NL34RABO0142623393',
      openingBalance: '4433.52',
      closingBalance: '4833.52',
    });
    expect(r.statements[0].entries[0]).toMatchObject({
      amount: '400.00',
      direction: 'credit',
      counterpartyAccount: 'NL66RABO0160878799',
    });
  });

  it('CSV with metadata rows, separate debit and credit columns (OCA)', async () => {
    const mapping: CsvMapping = {
      delimiter: ',',
      decimal_separator: ',',
      encoding: 'utf-8',
      date_format: 'DD/MM/YY',
      header: true,
      skip_rows: 4,
      skip_footer_rows: 1,
      currency: 'EUR',
      columns: {
        date: 'Date',
        debit: 'Debit',
        credit: 'Credit',
        external_id: 'Operation Number',
        description: 'Label',
      },
    };
    const r = await read(fixture('oca-meta-credit-debit.csv'), 'csv', mapping);
    const entries = r.statements.flatMap((s) => s.entries);
    expect(entries.map((e) => [e.bookingDate, e.direction, e.amount, e.bankRef])).toEqual([
      ['2020-04-01', 'debit', '50.00', 'UNIQUE OP 1'],
      ['2020-04-01', 'debit', '100.00', 'UNIQUE OP 2'],
      ['2020-04-02', 'debit', '80.68', 'UNIQUE OP 3'],
      ['2020-04-02', 'credit', '1300.00', 'UNIQUE OP 4'],
    ]);
  });

  it('CSV with a signed amount column, thousands separators and a currency per row (OCA)', async () => {
    const r = await read(fixture('oca-sample-en.csv'), 'csv', {
      delimiter: ',',
      decimal_separator: '.',
      encoding: 'utf-8',
      date_format: 'MM/DD/YYYY',
      header: true,
      skip_rows: 0,
      columns: {
        date: 'Date',
        amount: 'Amount',
        currency: 'Currency',
        description: 'Label',
        counterparty: 'Partner Name',
      },
    });
    const entries = r.statements[0].entries;
    expect(entries[0]).toMatchObject({ direction: 'debit', amount: '33.50', currency: 'USD' });
    expect(entries[1]).toMatchObject({ direction: 'credit', amount: '1525.00', currency: 'EUR' });
  });
});
