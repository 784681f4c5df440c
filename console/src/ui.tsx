import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem } from './api/client';
import type { ProblemView } from './problem';
import { unreachable } from './problem';

export interface Loaded<T> {
  data: T | undefined;
  problem: ProblemView | null;
  loading: boolean;
  reload: () => void;
}

export const asProblem = (err: unknown): ProblemView =>
  err instanceof ApiProblem ? err.problem : unreachable(err);

/** Runs `load` when `deps` change; an answer that arrives after a newer request is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem: ProblemView | null; loading: boolean }>({
    problem: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === latest.current && setState({ data, problem: null, loading: false }),
      (err: unknown) =>
        mine === latest.current && setState({ problem: asProblem(err), loading: false }),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, data: state.data, reload };
}

export interface Paged<T> extends Loaded<T[]> {
  cursor: string | null;
  more: () => void;
}

/** A cursor-paginated list: the first page when `deps` change, the next on `more()`. */
export function usePaged<T>(
  load: (cursor?: string) => Promise<{ data: T[]; next_cursor: string | null }>,
  deps: unknown[],
): Paged<T> {
  const [extra, setExtra] = useState<{
    rows: T[];
    cursor: string | null;
    problem: ProblemView | null;
  }>({ rows: [], cursor: null, problem: null });
  const first = useLoad(async () => {
    const page = await load();
    setExtra({ rows: [], cursor: page.next_cursor, problem: null });
    return page.data;
  }, deps);
  const more = () => {
    if (!extra.cursor) return;
    load(extra.cursor).then(
      (page) =>
        setExtra((e) => ({
          rows: [...e.rows, ...page.data],
          cursor: page.next_cursor,
          problem: null,
        })),
      (err: unknown) => setExtra((e) => ({ ...e, problem: asProblem(err) })),
    );
  };
  return {
    ...first,
    data: first.data ? [...first.data, ...extra.rows] : undefined,
    problem: first.problem ?? extra.problem,
    cursor: extra.cursor,
    more,
  };
}

/** An action's state: running, and what went wrong or what it did. */
export function useAction(): {
  busy: boolean;
  problem: ProblemView | null;
  done: string | null;
  run: (what: () => Promise<string>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async (what: () => Promise<string>): Promise<boolean> => {
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      setDone(await what());
      return true;
    } catch (err) {
      setProblem(asProblem(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, done, run };
}

export function ProblemBox({ problem }: { problem: ProblemView | null }) {
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <p class="problem-title">
        <strong>{problem.title}</strong>
        {problem.status ? <span class="muted"> ({problem.status})</span> : null}
      </p>
      <p>{problem.detail}</p>
      {problem.fields.length > 0 && (
        <ul>
          {problem.fields.map((f) => (
            <li key={f.field + f.message}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {problem.hint && <p class="muted">{problem.hint}</p>}
      {problem.correlationId && (
        <p class="muted">
          Correlation id: <code class="correlation">{problem.correlationId}</code>
        </p>
      )}
    </div>
  );
}

export function Done({ text }: { text: string | null }) {
  return text ? (
    <p class="done" role="status">
      {text}
    </p>
  ) : null;
}

/** A list filter: one of `choices`, or "any" (the empty value). */
export function ChoiceFilter({
  name,
  value,
  choices,
  show = (c) => c,
  onChange,
}: {
  name: string;
  value: string;
  choices: readonly string[];
  show?: (choice: string) => string;
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {name}{' '}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {choices.map((c) => (
          <option key={c} value={c}>
            {show(c)}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Loading({ loading }: { loading: boolean }) {
  return loading ? (
    <p class="muted" role="status">
      Loading…
    </p>
  ) : null;
}

/** A definition list of label → value, for one record. */
export function Facts({ rows }: { rows: Array<[string, ComponentChildren]> }) {
  return (
    <dl class="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

export function MoreButton({ cursor, onMore }: { cursor: string | null; onMore: () => void }) {
  return cursor ? (
    <button type="button" class="secondary" onClick={onMore}>
      Load more
    </button>
  ) : null;
}

/** A column's header: its text, or a right-aligned one for numbers; `false` leaves it out. */
export type Column = string | { label: string; num: true } | false | undefined;
export const num = (label: string): Column => ({ label, num: true });

/** A table of rows under one header row; `children` are the body's rows. */
export function Table({
  label,
  columns,
  children,
}: {
  label: string;
  columns: Column[];
  children: ComponentChildren;
}) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) =>
            !c ? null : typeof c === 'string' ? (
              <th key={c} scope="col">
                {c}
              </th>
            ) : (
              <th key={c.label} scope="col" class="num">
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A loaded list: "Loading…" until the first answer, `empty` without rows, else `children(rows)`. */
export function ListOf<T>({
  list,
  empty,
  children,
}: {
  list: { data: T[] | undefined; loading: boolean };
  empty: string;
  children: (rows: T[]) => ComponentChildren;
}) {
  if (!list.data) return <Loading loading={list.loading} />;
  if (list.data.length === 0) return <p class="empty">{empty}</p>;
  return <>{children(list.data)}</>;
}
