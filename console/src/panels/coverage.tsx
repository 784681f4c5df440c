import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import {
  balanceCheck,
  COVERAGE_DAYS,
  coverageSummary,
  lastDays,
  missed,
  period,
} from '../coverage';
import { when } from '../format';
import type { ProblemView } from '../problem';
import { asProblem, Loading, MoreButton, num, ProblemBox, Section, Table, useLoad } from '../ui';

type Bank = Schemas['BankDto'];
type Statement = Schemas['StatementListItemDto'];

const STATEMENTS_PAGE = 20;

/**
 * A bank's coverage over the last 14 days (statement entries against what webhooks and the pull
 * brought; entries only a statement had are missed webhooks, said in words on their row) and the
 * statements received for it. Read-only: uploading is done through the API.
 */
export function CoveragePanel({ bank }: { bank: Bank }) {
  const range = lastDays(new Date());
  const data = useLoad(async () => {
    const [coverage, statements] = await Promise.all([
      call(api.GET('/banks/{id}/coverage', { params: { path: { id: bank.id }, query: range } })),
      call(
        api.GET('/banks/{id}/statements', {
          params: { path: { id: bank.id }, query: { limit: STATEMENTS_PAGE } },
        }),
      ),
    ]);
    return { coverage: coverage.data, statements };
  }, [bank.id, range.to]);
  const [more, setMore] = useState<{ rows: Statement[]; cursor: string | null } | null>(null);
  const [moreProblem, setMoreProblem] = useState<ProblemView | null>(null);
  const statements = more?.rows ?? data.data?.statements.data ?? [];
  const cursor = more ? more.cursor : (data.data?.statements.next_cursor ?? null);
  const loadMore = () =>
    cursor &&
    call(
      api.GET('/banks/{id}/statements', {
        params: { path: { id: bank.id }, query: { limit: STATEMENTS_PAGE, cursor } },
      }),
    ).then(
      (p) => (
        setMore({ rows: [...statements, ...p.data], cursor: p.next_cursor }),
        setMoreProblem(null)
      ),
      (err: unknown) => setMoreProblem(asProblem(err)),
    );
  const name = `${bank.name} (${bank.id})`;
  return (
    <Section title={`Coverage and statements: ${name}`}>
      <ProblemBox problem={data.problem} />
      <Loading loading={data.loading && !data.data} />
      {data.data && (
        <>
          <p class={data.data.coverage.some((d) => d.only_in_statement > 0) ? 'warn' : 'muted'}>
            {coverageSummary(data.data.coverage)}
          </p>
          <Table
            label={`Coverage, last ${COVERAGE_DAYS} days: ${name}`}
            columns={[
              'Day (UTC)',
              num('Statement entries'),
              num('By webhook'),
              num('By pull'),
              'Only in a statement',
              num('In no statement'),
            ]}
          >
            {data.data.coverage.map((d) => (
              <tr key={d.date} class={d.only_in_statement > 0 ? 'missed' : undefined}>
                <th scope="row">{d.date}</th>
                <td class="num">{d.statement_entries}</td>
                <td class="num">{d.received_by_webhook}</td>
                <td class="num">{d.found_by_pull}</td>
                <td>
                  {d.only_in_statement > 0 ? <strong>⚠ {missed(d.only_in_statement)}</strong> : '0'}
                </td>
                <td class="num">{d.not_in_statement}</td>
              </tr>
            ))}
          </Table>
          <h3>Statements received</h3>
          <ProblemBox problem={moreProblem} />
          {statements.length === 0 ? (
            <p class="empty">No statements uploaded for this bank.</p>
          ) : (
            <Table
              label={`Statements: ${name}`}
              columns={[
                'Period',
                'Account',
                'Format',
                num('Entries'),
                num('New'),
                num('Known'),
                'Balance check',
                'Received',
              ]}
            >
              {statements.map((st) => (
                <tr key={st.id}>
                  <td>{period(st.period_start, st.period_end)}</td>
                  <td class="wrap">{st.account ?? '—'}</td>
                  <td>{st.format}</td>
                  <td class="num">{st.entries_count}</td>
                  <td class="num">{st.new_count}</td>
                  <td class="num">{st.known_count}</td>
                  <td class={st.balance_check === 'mismatch' || st.gap_before ? 'warn' : undefined}>
                    {balanceCheck(st.balance_check, st.gap_before)}
                  </td>
                  <td>{when(st.created_at)}</td>
                </tr>
              ))}
            </Table>
          )}
          <MoreButton cursor={cursor} onMore={() => void loadMore()} />
        </>
      )}
    </Section>
  );
}
