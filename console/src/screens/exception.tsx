import { useState } from 'preact/hooks';
import { api, ApiProblem, call, type Schemas } from '../api/client';
import type { Me } from '../main';
import { label, money, percent } from '../format';
import { mayAct } from '../roles';
import { href } from '../router';
import { Done, Loading, ProblemBox, Section, useAction, useLoad } from '../ui';
import { seenExceptions } from './exceptions';
import { RawEvents, Timeline, TransactionFacts } from './parts';

type Suggestion = Schemas['SuggestionDto'];
type Transaction = Schemas['TransactionDto'];

const FACTORS = ['reference', 'amount', 'party', 'date', 'currency'] as const;

export function ExceptionDetail({ id, me }: { id: string; me: Me }) {
  const tx = useLoad(() => call(api.GET('/transactions/{id}', { params: { path: { id } } })), [id]);
  const allocations = useLoad(
    () => call(api.GET('/transactions/{id}/allocations', { params: { path: { id } } })),
    [id],
  );
  // null: the transaction has no exception (any more): matched, or resolved by an action here.
  const suggestions = useLoad(async () => {
    try {
      return await call(
        api.GET('/reconcile/exceptions/{transaction_id}/suggestions', {
          params: { path: { transaction_id: id } },
        }),
      );
    } catch (err) {
      if (err instanceof ApiProblem && err.problem.status === 404) return null;
      throw err;
    }
  }, [id]);
  // What the last action here did; kept above the cards, which an action may remove.
  const [notice, setNotice] = useState<string | null>(null);
  const operator = mayAct(me.role, 'operator');
  const reason = seenExceptions.get(id)?.reason;
  const reloadAll = (done?: string) => {
    setNotice(done ?? null);
    tx.reload();
    allocations.reload();
    suggestions.reload();
  };

  return (
    <>
      <p>
        <a href={href('exceptions')}>← Exceptions queue</a>
      </p>
      <h1>
        Exception{reason ? `: ${label(reason)}` : ''}
        {tx.data && (
          <span class="muted"> · {money(tx.data.unallocated_amount, tx.data.currency)} open</span>
        )}
      </h1>
      <ProblemBox problem={tx.problem} />
      <Loading loading={tx.loading && !tx.data} />
      {tx.data && (
        <div class="columns">
          <Section title="Transaction">
            <TransactionFacts tx={tx.data} />
            <Timeline tx={tx.data} allocations={allocations.data?.data ?? []} />
            <p>
              <a href={href('transactions', id)}>Open the transaction</a>
            </p>
          </Section>
          <div>
            <Section title="Suggestions">
              <Done text={notice} />
              <ProblemBox problem={suggestions.problem} />
              <Loading loading={suggestions.loading && suggestions.data === undefined} />
              {suggestions.data === null && (
                <p class="empty">No open exception: the transaction is matched or resolved.</p>
              )}
              {suggestions.data?.data.length === 0 && (
                <p class="empty">No candidate: allocate by hand below, or leave it open.</p>
              )}
              {suggestions.data?.data.map((s) => (
                <SuggestionCard
                  key={s.id}
                  s={s}
                  tx={tx.data!}
                  operator={operator}
                  onChange={reloadAll}
                />
              ))}
            </Section>
            {operator && tx.data.direction === 'credit' && (
              <ManualAllocation tx={tx.data} onDone={() => reloadAll()} />
            )}
          </div>
        </div>
      )}
      <RawEvents transactionId={id} canReplay={operator} />
    </>
  );
}

function SuggestionCard({
  s,
  tx,
  operator,
  onChange,
}: {
  s: Suggestion;
  tx: Transaction;
  operator: boolean;
  /** After an action: its outcome, for the page to keep once this card is gone. */
  onChange: (done: string) => void;
}) {
  const action = useAction();
  const [declining, setDeclining] = useState(false);
  const [why, setWhy] = useState('');
  const title = s.invoices.map((i) => i.invoice_number).join(' + ') || 'reversal';
  const accept = () =>
    action.run(async () => {
      const r = await call(
        api.POST('/reconcile/suggestions/{id}/accept', { params: { path: { id: s.id } } }),
      );
      const done = s.write_off
        ? `Accepted: ${title} allocated, ${money(s.write_off.amount, tx.currency)} written off.`
        : `Accepted: ${r.match_ids.length} allocation(s) made.`;
      onChange(done);
      return done;
    });
  const decline = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await call(
        api.POST('/reconcile/suggestions/{id}/decline', {
          params: { path: { id: s.id } },
          body: { reason: why.trim() },
        }),
      );
      const done = `Declined ${title}: it will not be proposed again for this transaction.`;
      onChange(done);
      return done;
    });
  };
  return (
    <article class="suggestion" aria-label={`Suggestion ${title}`}>
      <header>
        <strong>{title}</strong> <span class="kind">{label(s.kind)}</span>{' '}
        <span class="score" title={`score ${s.score}`}>
          {percent(s.score)}
        </span>
      </header>
      <ul class="plain">
        {s.invoices.map((i) => (
          <li key={i.invoice_id}>
            <a href={href('invoices', i.invoice_id)}>{i.invoice_number}</a> gets{' '}
            {money(i.amount, tx.currency)}
          </li>
        ))}
        {s.write_off && (
          <li>
            write-off {money(s.write_off.amount, tx.currency)} ({label(s.write_off.reason)})
          </li>
        )}
        {s.reversal_of && <li>reverses allocation {s.reversal_of}</li>}
      </ul>
      <table class="evidence" aria-label={`Evidence for ${title}`}>
        <thead>
          <tr>
            <th scope="col">Factor</th>
            <th scope="col" class="num">
              Score
            </th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {FACTORS.map((f) => (
            <tr key={f}>
              <th scope="row">{f}</th>
              <td class="num">{percent(s.evidence[f].score)}</td>
              <td class="wrap">{s.evidence[f].detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {operator && !action.done && (
        <div class="actions">
          <button type="button" disabled={action.busy} onClick={() => void accept()}>
            {s.write_off
              ? `Accept and write off ${money(s.write_off.amount, tx.currency)}`
              : s.reversal_of
                ? 'Accept the reversal'
                : 'Accept'}
          </button>
          <button
            type="button"
            class="secondary"
            aria-expanded={declining}
            onClick={() => setDeclining(!declining)}
          >
            Decline…
          </button>
        </div>
      )}
      {operator && declining && !action.done && (
        <form class="inline-form" onSubmit={decline}>
          <label for={`why-${s.id}`}>Why decline?</label>
          <input
            id={`why-${s.id}`}
            value={why}
            onInput={(e) => setWhy(e.currentTarget.value)}
            required
            maxLength={1000}
          />
          <button type="submit" disabled={action.busy || !why.trim()}>
            Decline
          </button>
        </form>
      )}
      {/* Its outcome is shown by the page (this card may be gone by then); a refusal here. */}
      <ProblemBox problem={action.problem} />
    </article>
  );
}

/** Allocate by hand: the invoice by its number, the amount (empty: all that fits), a note. */
function ManualAllocation({ tx, onDone }: { tx: Transaction; onDone: () => void }) {
  const [number, setNumber] = useState('');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const found = await call(
        api.GET('/invoices', { params: { query: { number: number.trim(), limit: 2 } } }),
      );
      const invoice = found.data[0];
      if (!invoice) {
        throw new ApiProblem({
          status: 404,
          title: 'No such invoice',
          detail: `No invoice is numbered ${number.trim()} (numbers ignore case and separators).`,
          fields: [],
          correlationId: null,
          hint: null,
        });
      }
      const made = await call(
        api.POST('/reconcile/matches', {
          body: {
            transaction_id: tx.id,
            invoice_id: invoice.id,
            note: note.trim(),
            ...(amount.trim() ? { amount: amount.trim() } : {}),
          },
        }),
      );
      onDone();
      return `Allocated ${money(made.amount, made.currency)} to ${made.invoice_number}.`;
    });
  };
  return (
    <Section title="Allocate by hand">
      <form class="grid-form" onSubmit={submit}>
        <label for="alloc-number">Invoice number</label>
        <input
          id="alloc-number"
          value={number}
          onInput={(e) => setNumber(e.currentTarget.value)}
          required
        />
        <label for="alloc-amount">Amount ({tx.currency ?? ''}, empty: all that fits)</label>
        <input
          id="alloc-amount"
          inputMode="decimal"
          pattern="^\d+(\.\d+)?$"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <label for="alloc-note">Note (kept in the audit trail)</label>
        <input
          id="alloc-note"
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
          required
        />
        <button type="submit" disabled={action.busy || !number.trim() || !note.trim()}>
          Allocate
        </button>
      </form>
      <Done text={action.done} />
      <ProblemBox problem={action.problem} />
    </Section>
  );
}
