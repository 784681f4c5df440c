import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import { label, money, when } from '../format';
import { href } from '../router';
import { Loading, MoreButton, ProblemBox, useLoad, usePaged } from '../ui';

type Exception = Schemas['ExceptionDto'];

/** Rows seen in the queue, so the detail page can say why a transaction is there. */
export const seenExceptions = new Map<string, Exception>();

const PAGE = 50;

/** Keys that move through the queue; a key typed into a field is the field's. */
function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
}

export function ExceptionsQueue({ params }: { params: URLSearchParams }) {
  const reason = params.get('reason') ?? '';
  const bank = params.get('bank') ?? '';
  const stats = useLoad(() => call(api.GET('/stats')), []);
  const banks = useLoad(() => call(api.GET('/banks', { params: { query: { limit: 500 } } })), []);
  const list = usePaged(
    async (cursor) => {
      const page = await call(
        api.GET('/reconcile/exceptions', {
          params: {
            query: {
              limit: PAGE,
              cursor,
              reason: (reason || undefined) as Exception['reason'] | undefined,
              bank: bank || undefined,
            },
          },
        }),
      );
      performance.mark('queue:data');
      return page;
    },
    [reason, bank],
  );
  const rows = list.data ?? [];
  const [selected, setSelectedState] = useState(0);
  // The key handler reads these, not the render's closure: two keys pressed before the next
  // render must move two rows, not one.
  const now = useRef({ rows, selected });
  now.current.rows = rows;
  const setSelected = (i: number) => {
    now.current.selected = i;
    setSelectedState(i);
  };
  const table = useRef<HTMLTableElement>(null);

  useEffect(() => {
    for (const r of rows) seenExceptions.set(r.transaction_id, r);
    if (list.data && performance.getEntriesByName('queue:rendered').length === 0) {
      // Read by the console bench: from the API's answer to the first page on screen.
      performance.mark('queue:rendered');
      performance.measure('queue:render', 'queue:data', 'queue:rendered');
    }
  }, [list.data]);
  useEffect(() => setSelected(0), [reason, bank]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { rows: shown, selected: at } = now.current;
      if (isTyping(e.target) || e.altKey || e.ctrlKey || e.metaKey || shown.length === 0) return;
      if (e.key === 'Enter' || e.key === 'o') {
        // Enter on a focused link follows it by itself.
        if (e.key === 'Enter' && e.target instanceof HTMLAnchorElement) return;
        location.hash = href('exceptions', shown[at].transaction_id);
        e.preventDefault();
        return;
      }
      const step = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 }[e.key];
      if (step === undefined) return;
      const next = Math.min(shown.length - 1, Math.max(0, at + step));
      e.preventDefault();
      setSelected(next);
      table.current
        ?.querySelectorAll<HTMLAnchorElement>('tbody a')
        [next]?.focus({ preventScroll: false });
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const counts = stats.data?.exceptions ?? [];
  const total = counts.reduce((n, c) => n + c.count, 0);
  const filter = (next: Record<string, string>) => {
    location.hash = href('exceptions', null, { reason, bank, ...next });
  };

  return (
    <>
      <h1>Exceptions</h1>
      <p class="muted">
        Oldest exception first. <kbd>j</kbd>/<kbd>k</kbd> or the arrow keys move, <kbd>Enter</kbd>{' '}
        opens.
      </p>
      <div class="counts" role="group" aria-label="Exceptions by reason">
        <button
          type="button"
          class={reason === '' ? 'chip on' : 'chip'}
          aria-pressed={reason === ''}
          onClick={() => filter({ reason: '' })}
        >
          All <span class="count">{stats.data ? total : '…'}</span>
        </button>
        {counts.map((c) => (
          <button
            key={c.reason}
            type="button"
            class={reason === c.reason ? 'chip on' : 'chip'}
            aria-pressed={reason === c.reason}
            onClick={() => filter({ reason: c.reason })}
          >
            {label(c.reason)} <span class="count">{c.count}</span>
          </button>
        ))}
      </div>
      <div class="filters">
        <label>
          Bank{' '}
          <select value={bank} onChange={(e) => filter({ bank: e.currentTarget.value })}>
            <option value="">all banks</option>
            {(banks.data?.data ?? []).map((b) => (
              <option key={b.id} value={b.id}>
                {b.name} ({b.id})
              </option>
            ))}
          </select>
        </label>
      </div>
      <ProblemBox problem={list.problem ?? stats.problem} />
      <Loading loading={list.loading && !list.data} />
      {list.data && rows.length === 0 && <p class="empty">Nothing to work on here.</p>}
      {rows.length > 0 && (
        <table ref={table} class="queue" aria-label="Exceptions queue">
          <thead>
            <tr>
              <th scope="col">Occurred</th>
              <th scope="col">Reason</th>
              <th scope="col">Bank</th>
              <th scope="col" class="num">
                Unallocated
              </th>
              <th scope="col">Reference</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr
                key={r.transaction_id}
                class={i === selected ? 'selected' : undefined}
                onClick={() => setSelected(i)}
              >
                <td>
                  <a href={href('exceptions', r.transaction_id)} onFocus={() => setSelected(i)}>
                    {when(r.occurred_at)}
                  </a>
                </td>
                <td>
                  <span class={`reason reason-${r.reason}`}>{label(r.reason)}</span>
                </td>
                <td>{r.bank_id}</td>
                <td class="num">
                  {money(r.unallocated_amount, r.currency)}
                  {r.unallocated_amount !== r.amount && (
                    <span class="muted"> of {money(r.amount)}</span>
                  )}
                </td>
                <td>{r.reference ?? '—'}</td>
                <td class="wrap">{r.description ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </>
  );
}
