import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import type { Me } from '../main';
import { label, money, when } from '../format';
import { mayAct } from '../roles';
import { href } from '../router';
import { AuditTrailPanel } from '../panels/audit-trail';
import {
  ChoiceFilter,
  Done,
  ListOf,
  Loading,
  MoreButton,
  num,
  ProblemBox,
  Section,
  Table,
  useAction,
  useLoad,
  usePaged,
} from '../ui';
import { AllocationsTable, RawEvents, Timeline, TransactionFacts } from './parts';

type Transaction = Schemas['TransactionDto'];
const STATUSES = ['PENDING', 'PROCESSED', 'FAILED', 'VOIDED'] as const;
const MATCH = ['unmatched', 'partially_allocated', 'matched', 'not_applicable'] as const;
const TEXT_FILTERS = [
  ['reference', 'Reference'],
  ['external_id', 'External id'],
  ['bank', 'Bank'],
] as const;

export function TransactionsScreen({ params }: { params: URLSearchParams }) {
  const current = Object.fromEntries(
    ['reference', 'external_id', 'bank', 'status', 'match_status'].map((k) => [
      k,
      params.get(k) ?? '',
    ]),
  );
  const [typed, setTyped] = useState(current);
  const list = usePaged(
    (cursor) =>
      call(
        api.GET('/transactions', {
          params: {
            query: {
              limit: 50,
              cursor,
              reference: current.reference || undefined,
              external_id: current.external_id || undefined,
              bank: current.bank || undefined,
              status: (current.status || undefined) as Transaction['status'] | undefined,
              match_status: (current.match_status || undefined) as
                Transaction['match_status'] | undefined,
            },
          },
        }),
      ),
    [params.toString()],
  );
  const go = (next: Record<string, string>) => {
    location.hash = href('transactions', null, { ...current, ...next });
  };
  return (
    <>
      <h1>Transactions</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go(typed);
        }}
      >
        {TEXT_FILTERS.map(([k, name]) => (
          <label key={k}>
            {name}{' '}
            <input
              value={typed[k]}
              onInput={(e) => setTyped({ ...typed, [k]: e.currentTarget.value })}
            />
          </label>
        ))}
        <ChoiceFilter
          name="Status"
          value={current.status}
          choices={STATUSES}
          onChange={(v) => go({ status: v })}
        />
        <ChoiceFilter
          name="Matching"
          value={current.match_status}
          choices={MATCH}
          show={label}
          onChange={(v) => go({ match_status: v })}
        />
        <button type="submit">Search</button>
      </form>
      <ProblemBox problem={list.problem} />
      <ListOf list={list} empty="No transaction matches.">
        {(rows) => (
          <Table
            label="Transactions"
            columns={['Occurred', 'Bank', 'External id', num('Amount'), 'Reference', 'Status']}
          >
            {rows.map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={href('transactions', t.id)}>{when(t.occurred_at)}</a>
                </td>
                <td>{t.bank_id}</td>
                <td>
                  <code>{t.external_id}</code>
                </td>
                <td class="num">
                  {t.direction === 'debit' ? '−' : ''}
                  {money(t.amount, t.currency)}
                </td>
                <td>{t.reference ?? '—'}</td>
                <td>
                  {t.status} · {label(t.match_status)}
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

export function TransactionDetail({ id, me }: { id: string; me: Me }) {
  const tx = useLoad(() => call(api.GET('/transactions/{id}', { params: { path: { id } } })), [id]);
  const allocations = useLoad(
    () => call(api.GET('/transactions/{id}/allocations', { params: { path: { id } } })),
    [id],
  );
  const operator = mayAct(me.role, 'operator');
  const retry = useAction();
  return (
    <>
      <p>
        <a href={href('transactions')}>← Transactions</a>
      </p>
      <ProblemBox problem={tx.problem} />
      <Loading loading={tx.loading && !tx.data} />
      {tx.data && (
        <>
          <h1>
            Transaction <code>{tx.data.external_id}</code>
          </h1>
          <Timeline tx={tx.data} allocations={allocations.data?.data ?? []} />
          <TransactionFacts tx={tx.data} />
          {operator && tx.data.status === 'FAILED' && (
            <p>
              <button
                type="button"
                disabled={retry.busy}
                onClick={() =>
                  void retry.run(async () => {
                    await call(api.POST('/transactions/{id}/retry', { params: { path: { id } } }));
                    tx.reload();
                    return 'Queued again for processing.';
                  })
                }
              >
                Retry processing
              </button>
            </p>
          )}
          <Done text={retry.done} />
          <ProblemBox problem={retry.problem} />
          {tx.data.match_status !== 'matched' && tx.data.match_status !== 'not_applicable' && (
            <p>
              <a href={href('exceptions', id)}>Work it as an exception</a>
            </p>
          )}
          <Section title="Allocations">
            <ProblemBox problem={allocations.problem} />
            {allocations.data && <AllocationsTable rows={allocations.data.data} show="invoice" />}
          </Section>
          <RawEvents transactionId={id} canReplay={operator} />
          {allocations.data && (
            <AuditTrailPanel
              sources={allocations.data.data.map((m) => ({
                entity: 'allocation' as const,
                id: m.id,
              }))}
              empty="No audit entries: a transaction is audited through its allocations, and it has none."
            />
          )}
        </>
      )}
    </>
  );
}
