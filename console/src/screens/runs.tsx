import { api, call } from '../api/client';
import type { Me } from '../main';
import { elapsed, money, when } from '../format';
import { mayAct } from '../roles';
import { href } from '../router';
import {
  Done,
  Facts,
  ListOf,
  MoreButton,
  num,
  ProblemBox,
  Section,
  Table,
  useAction,
  useLoad,
  usePaged,
} from '../ui';

export function RunsScreen({ id, me }: { id: string | null; me: Me }) {
  const list = usePaged(
    (cursor) => call(api.GET('/reconcile/runs', { params: { query: { limit: 50, cursor } } })),
    [],
  );
  const runNow = useAction();
  return (
    <>
      <h1>Reconciliation runs</h1>
      {mayAct(me.role, 'operator') && (
        <p>
          <button
            type="button"
            disabled={runNow.busy}
            onClick={() =>
              void runNow.run(async () => {
                const run = await call(api.POST('/reconcile/run'));
                list.reload();
                return `Run ${run.status}: ${run.matched_count} matched, ${run.unmatched_count} left as exceptions, ${run.pulled_count} pulled.`;
              })
            }
          >
            {runNow.busy ? 'Running…' : 'Run now (pull, then match)'}
          </button>
        </p>
      )}
      <Done text={runNow.done} />
      <ProblemBox problem={runNow.problem ?? list.problem} />
      {id && <RunDetail id={id} />}
      <ListOf list={list} empty="No run yet.">
        {(rows) => (
          <Table
            label="Runs"
            columns={[
              'Started',
              'Trigger',
              'Status',
              'Took',
              num('Pulled'),
              num('Matched'),
              num('Exceptions'),
              'Bank errors',
            ]}
          >
            {rows.map((r) => (
              <tr key={r.id} class={r.id === id ? 'selected' : undefined}>
                <td>
                  <a href={href('runs', r.id)}>{when(r.started_at)}</a>
                </td>
                <td>
                  {r.trigger}
                  {r.started_by ? ` (${r.started_by})` : ''}
                </td>
                <td>{r.status}</td>
                <td>{elapsed(r.started_at, r.finished_at) ?? '—'}</td>
                <td class="num">{r.pulled_count}</td>
                <td class="num">{r.matched_count}</td>
                <td class="num">{r.unmatched_count}</td>
                <td class="wrap">
                  {r.banks
                    .filter((b) => b.error)
                    .map((b) => `${b.bank_id}: ${b.error}`)
                    .join('; ') || '—'}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListOf>
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </>
  );
}

function RunDetail({ id }: { id: string }) {
  const run = useLoad(
    () => call(api.GET('/reconcile/runs/{id}', { params: { path: { id } } })),
    [id],
  );
  const matches = useLoad(
    () =>
      call(
        api.GET('/reconcile/runs/{id}/matches', {
          params: { path: { id }, query: { limit: 100 } },
        }),
      ),
    [id],
  );
  return (
    <Section title="Selected run">
      <ProblemBox problem={run.problem ?? matches.problem} />
      {run.data && (
        <Facts
          rows={[
            ['Started', when(run.data.started_at)],
            ['Finished', when(run.data.finished_at)],
            ['Status', run.data.status],
            ['Error', run.data.error],
            [
              'Banks pulled',
              run.data.banks.map((b) => `${b.bank_id} ${b.pulled_count}`).join(', ') || 'none',
            ],
          ]}
        />
      )}
      {matches.data && (
        <ul class="plain">
          {matches.data.data.map((m) => (
            <li key={m.id}>
              <a href={href('transactions', m.transaction_id)}>{m.transaction_id.slice(0, 8)}</a> →{' '}
              <a href={href('invoices', m.invoice_id)}>{m.invoice_number}</a>{' '}
              {money(m.amount, m.currency)} ({m.rule})
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
