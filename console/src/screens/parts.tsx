import { useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import { elapsed, label, money, when } from '../format';
import { href } from '../router';
import { Done, Facts, Loading, num, ProblemBox, Section, Table, useAction, useLoad } from '../ui';

type Transaction = Schemas['TransactionDto'];
type Match = Schemas['MatchDto'];

export function TransactionFacts({ tx }: { tx: Transaction }) {
  return (
    <Facts
      rows={[
        ['Amount', money(tx.amount, tx.currency)],
        ['Unallocated', money(tx.unallocated_amount, tx.currency)],
        ['Direction', tx.direction],
        ['Occurred', when(tx.occurred_at)],
        ['Bank', tx.bank_id],
        ['External id', <code>{tx.external_id}</code>],
        ['Reference', tx.reference],
        ['Description', tx.description],
        ['Payer', tx.counterparty],
        ['Payer account', tx.counterparty_account],
        ['Source', tx.source],
        ['Status', `${tx.status} · ${label(tx.match_status)}`],
        ['Attempts', String(tx.attempts)],
        ['Last error', tx.last_error],
      ]}
    />
  );
}

/** received → processed → matched, with how long each step took. */
export function Timeline({ tx, allocations }: { tx: Transaction; allocations: Match[] }) {
  const matched = allocations.find((m) => m.live)?.created_at ?? null;
  const steps: Array<[string, string | null, string | null]> = [
    ['Received', tx.created_at, null],
    ['Processed', tx.processed_at, elapsed(tx.created_at, tx.processed_at)],
    ['Matched', matched, elapsed(tx.processed_at ?? tx.created_at, matched)],
  ];
  return (
    <ol class="timeline" aria-label="Timeline">
      {steps.map(([name, at, took]) => (
        <li key={name} class={at ? 'reached' : 'pending'}>
          <strong>{name}</strong> <span>{at ? when(at) : 'not yet'}</span>
          {took && <span class="muted"> (+{took})</span>}
        </li>
      ))}
    </ol>
  );
}

export function AllocationsTable({
  rows,
  show,
  onReverse,
}: {
  rows: Match[];
  show: 'invoice' | 'transaction';
  onReverse?: (m: Match) => void;
}) {
  if (rows.length === 0) return <p class="empty">No allocations.</p>;
  return (
    <Table
      label="Allocations"
      columns={[
        show === 'invoice' ? 'Invoice' : 'Transaction',
        num('Amount'),
        'Rule',
        'By',
        'When',
        'State',
        onReverse && 'Action',
      ]}
    >
      {rows.map((m) => (
        <tr key={m.id} class={m.live ? undefined : 'reversed'}>
          <td>
            {show === 'invoice' ? (
              <a href={href('invoices', m.invoice_id)}>{m.invoice_number}</a>
            ) : (
              <a href={href('transactions', m.transaction_id)}>{m.transaction_id.slice(0, 8)}</a>
            )}
          </td>
          <td class="num">{money(m.amount, m.currency)}</td>
          <td>{label(m.rule)}</td>
          <td>{m.created_by}</td>
          <td>{when(m.created_at)}</td>
          <td>
            {m.live ? 'live' : `reversed by ${m.reversed_by ?? '?'}: ${m.reversal_reason ?? ''}`}
          </td>
          {onReverse && (
            <td>
              {m.live && (
                <button type="button" class="secondary" onClick={() => onReverse(m)}>
                  Reverse
                </button>
              )}
            </td>
          )}
        </tr>
      ))}
    </Table>
  );
}

/** The deliveries that carried this transaction, each with its exact bytes and kept headers. */
export function RawEvents({
  transactionId,
  canReplay,
}: {
  transactionId: string;
  canReplay: boolean;
}) {
  const events = useLoad(
    () =>
      call(
        api.GET('/webhook-events', {
          params: { query: { transaction_id: transactionId, limit: 20 } },
        }),
      ),
    [transactionId],
  );
  const [open, setOpen] = useState<string | null>(null);
  const shown = open ?? events.data?.data[0]?.id ?? null;
  return (
    <Section title="Raw events">
      <ProblemBox problem={events.problem} />
      <Loading loading={events.loading && !events.data} />
      {events.data && events.data.data.length === 0 && (
        <p class="empty">No stored delivery names this transaction (it may come from a pull).</p>
      )}
      {events.data && events.data.data.length > 1 && (
        <ul class="inline">
          {events.data.data.map((e) => (
            <li key={e.id}>
              <button
                type="button"
                class={e.id === shown ? 'chip on' : 'chip'}
                aria-pressed={e.id === shown}
                onClick={() => setOpen(e.id)}
              >
                {e.event_id} · {e.outcome} · {when(e.received_at)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {shown && <RawEvent id={shown} canReplay={canReplay} />}
    </Section>
  );
}

function RawEvent({ id, canReplay }: { id: string; canReplay: boolean }) {
  const ev = useLoad(
    () => call(api.GET('/webhook-events/{id}', { params: { path: { id } } })),
    [id],
  );
  const [base64, setBase64] = useState(false);
  const replay = useAction();
  if (ev.problem) return <ProblemBox problem={ev.problem} />;
  if (!ev.data) return <Loading loading />;
  const e = ev.data;
  return (
    <div class="raw-event">
      <Facts
        rows={[
          ['Event id', <code>{e.event_id}</code>],
          ['Received', when(e.received_at)],
          ['Outcome', e.outcome],
          ['Body SHA-256', <code class="hash">{e.body_sha256}</code>],
        ]}
      />
      <h3>Headers</h3>
      <table aria-label="Kept headers">
        <tbody>
          {Object.entries(e.headers).map(([k, v]) => (
            <tr key={k}>
              <th scope="row">
                <code>{k}</code>
              </th>
              <td>
                <code>{v}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>
        Body{' '}
        <button type="button" class="secondary small" onClick={() => setBase64(!base64)}>
          {base64 || e.body === null ? 'Show as text' : 'Show exact bytes (base64)'}
        </button>
      </h3>
      <pre class="body" tabIndex={0} aria-label="Event body">
        {base64 || e.body === null ? e.body_base64 : e.body}
      </pre>
      {canReplay && (
        <p>
          <button
            type="button"
            class="secondary"
            disabled={replay.busy}
            onClick={() =>
              void replay.run(async () => {
                const r = await call(
                  api.POST('/webhook-events/{id}/replay', { params: { path: { id } } }),
                );
                return `Replayed: ${r.result}. ${r.detail}`;
              })
            }
          >
            Replay through the intake
          </button>
        </p>
      )}
      <Done text={replay.done} />
      <ProblemBox problem={replay.problem} />
    </div>
  );
}
