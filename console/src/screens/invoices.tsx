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
  Facts,
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
import { AllocationsTable } from './parts';

type Invoice = Schemas['InvoiceDto'];
type Match = Schemas['MatchDto'];
const STATUSES = ['pending', 'partially_paid', 'paid', 'cancelled'] as const;

export function InvoicesScreen({ params }: { params: URLSearchParams }) {
  const number = params.get('number') ?? '';
  const status = params.get('status') ?? '';
  const [typed, setTyped] = useState(number);
  const list = usePaged(
    (cursor) =>
      call(
        api.GET('/invoices', {
          params: {
            query: {
              limit: 50,
              cursor,
              number: number || undefined,
              status: (status || undefined) as Invoice['status'] | undefined,
            },
          },
        }),
      ),
    [number, status],
  );
  const go = (next: Record<string, string>) => {
    location.hash = href('invoices', null, { number, status, ...next });
  };
  return (
    <>
      <h1>Invoices</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ number: typed.trim() });
        }}
      >
        <label>
          Number <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <ChoiceFilter
          name="Status"
          value={status}
          choices={STATUSES}
          show={label}
          onChange={(v) => go({ status: v })}
        />
        <button type="submit">Search</button>
      </form>
      <ProblemBox problem={list.problem} />
      <ListOf list={list} empty="No invoice matches.">
        {(rows) => (
          <Table
            label="Invoices"
            columns={['Number', 'Customer', 'Status', num('Due'), num('Outstanding'), 'Due date']}
          >
            {rows.map((i) => (
              <tr key={i.id}>
                <td>
                  <a href={href('invoices', i.id)}>{i.invoice_number}</a>
                </td>
                <td>{i.customer ?? '—'}</td>
                <td>{label(i.status)}</td>
                <td class="num">{money(i.amount_due, i.currency)}</td>
                <td class="num">{money(i.amount_outstanding, i.currency)}</td>
                <td>{i.due_date ?? '—'}</td>
              </tr>
            ))}
          </Table>
        )}
      </ListOf>
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </>
  );
}

export function InvoiceDetail({ id, me }: { id: string; me: Me }) {
  const inv = useLoad(() => call(api.GET('/invoices/{id}', { params: { path: { id } } })), [id]);
  const operator = mayAct(me.role, 'operator');
  const [reversing, setReversing] = useState<Match | null>(null);
  const [why, setWhy] = useState('');
  const action = useAction();
  const reverse = (e: Event) => {
    e.preventDefault();
    const m = reversing;
    if (!m) return;
    void action.run(async () => {
      await call(
        api.DELETE('/reconcile/matches/{id}', {
          params: { path: { id: m.id } },
          body: { reason: why.trim() },
        }),
      );
      setReversing(null);
      setWhy('');
      inv.reload();
      return `Reversed the allocation of ${money(m.amount, m.currency)}.`;
    });
  };
  return (
    <>
      <p>
        <a href={href('invoices')}>← Invoices</a>
      </p>
      <ProblemBox problem={inv.problem} />
      <Loading loading={inv.loading && !inv.data} />
      {inv.data && (
        <>
          <h1>Invoice {inv.data.invoice_number}</h1>
          <Facts
            rows={[
              ['Customer', inv.data.customer],
              ['Status', label(inv.data.status)],
              ['Amount due', money(inv.data.amount_due, inv.data.currency)],
              ['Paid', money(inv.data.amount_paid, inv.data.currency)],
              ['Written off', money(inv.data.amount_written_off, inv.data.currency)],
              ['Outstanding', money(inv.data.amount_outstanding, inv.data.currency)],
              ['Due date', inv.data.due_date],
              ['Created', when(inv.data.created_at)],
            ]}
          />
          <Section title="Allocations">
            <AllocationsTable
              rows={inv.data.allocations}
              show="transaction"
              onReverse={operator ? setReversing : undefined}
            />
            {operator && reversing && (
              <form class="inline-form" onSubmit={reverse}>
                <label for="reverse-why">
                  Why reverse {money(reversing.amount, reversing.currency)}?
                </label>
                <input
                  id="reverse-why"
                  value={why}
                  onInput={(e) => setWhy(e.currentTarget.value)}
                  required
                />
                <button type="submit" disabled={action.busy || !why.trim()}>
                  Reverse
                </button>
                <button type="button" class="secondary" onClick={() => setReversing(null)}>
                  Keep it
                </button>
              </form>
            )}
            <Done text={action.done} />
            <ProblemBox problem={action.problem} />
          </Section>
          <AuditTrailPanel
            sources={[
              { entity: 'invoice', id },
              ...inv.data.allocations.map((m) => ({ entity: 'allocation' as const, id: m.id })),
            ]}
          />
        </>
      )}
    </>
  );
}
