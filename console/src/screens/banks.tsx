import { api, call, type Schemas } from '../api/client';
import { when } from '../format';
import { href } from '../router';
import { CoveragePanel } from '../panels/coverage';
import { Loading, ProblemBox, Table, useLoad } from '../ui';

type Bank = Schemas['BankDto'];
type Run = Schemas['RunDto'];

/** Runs looked at for each bank's last pull (the API keeps no per-bank pull log of its own). */
const RUNS_LOOKED_AT = 50;

interface BankHealth {
  lastWebhook: string | null;
  lastPull: { at: string; pulled: number; error: string | null } | null;
  lastPullError: { at: string; error: string } | null;
  failed: string;
}

async function healthOf(bank: Bank, runs: Run[]): Promise<BankHealth> {
  const [events, failed] = await Promise.all([
    call(api.GET('/webhook-events', { params: { query: { bank: bank.id, limit: 1 } } })),
    call(
      api.GET('/transactions', {
        params: { query: { bank: bank.id, status: 'FAILED', limit: 100 } },
      }),
    ),
  ]);
  const pulls = runs.flatMap((r) =>
    r.banks
      .filter((b) => b.bank_id === bank.id)
      .map((b) => ({ at: r.finished_at ?? r.started_at, pulled: b.pulled_count, error: b.error })),
  );
  const failedPull = pulls.find((p) => p.error);
  return {
    lastWebhook: events.data[0]?.received_at ?? null,
    lastPull: pulls[0] ?? null,
    lastPullError: failedPull ? { at: failedPull.at, error: failedPull.error ?? '' } : null,
    failed: `${failed.data.length}${failed.next_cursor ? '+' : ''}`,
  };
}

export function BanksScreen() {
  const banks = useLoad(async () => {
    const [list, runs] = await Promise.all([
      call(api.GET('/banks', { params: { query: { limit: 500 } } })),
      call(api.GET('/reconcile/runs', { params: { query: { limit: RUNS_LOOKED_AT } } })),
    ]);
    return Promise.all(
      list.data.map(async (b) => ({ bank: b, health: await healthOf(b, runs.data) })),
    );
  }, []);
  return (
    <>
      <h1>Banks</h1>
      <ProblemBox problem={banks.problem} />
      <Loading loading={banks.loading && !banks.data} />
      {banks.data && (
        <Table
          label="Banks"
          columns={[
            'Bank',
            'Scheme',
            'Last webhook',
            'Last pull',
            'Last pull error',
            'Failed transactions',
          ]}
        >
          {banks.data.map(({ bank, health }) => (
            <tr key={bank.id}>
              <th scope="row">
                {bank.name} <span class="muted">({bank.id})</span>
              </th>
              <td>
                {bank.signature_scheme}
                {bank.secrets.active_count === 0 && (
                  <span class="warn"> · no secret: every delivery is refused</span>
                )}
              </td>
              <td>{health.lastWebhook ? when(health.lastWebhook) : 'never'}</td>
              <td>
                {!bank.api
                  ? 'no pull API'
                  : health.lastPull
                    ? `${when(health.lastPull.at)} (${health.lastPull.pulled} pulled)`
                    : `not in the last ${RUNS_LOOKED_AT} runs`}
              </td>
              <td class="wrap">
                {health.lastPullError
                  ? `${when(health.lastPullError.at)}: ${health.lastPullError.error}`
                  : '—'}
              </td>
              <td>
                {health.failed === '0' ? (
                  '0'
                ) : (
                  <a href={href('transactions', null, { bank: bank.id, status: 'FAILED' })}>
                    {health.failed}
                  </a>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {banks.data?.map(({ bank }) => (
        <CoveragePanel key={bank.id} bank={bank} />
      ))}
    </>
  );
}
