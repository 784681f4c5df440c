import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call, type Schemas } from '../api/client';
import { describeData, mergeTrail, type AuditStream } from '../audit';
import { when } from '../format';
import type { ProblemView } from '../problem';
import { asProblem, Loading, MoreButton, num, ProblemBox, Section, Table } from '../ui';

type Entity = Schemas['AuditEntryDto']['entity'];
/** One `GET /audit?entity=&entity_id=` stream of this page. */
export interface AuditSource {
  entity: Entity;
  id: string;
}

const PAGE = 50;

const page = (s: AuditSource, cursor?: string) =>
  call(
    api.GET('/audit', {
      params: { query: { entity: s.entity, entity_id: s.id, limit: PAGE, cursor } },
    }),
  ).then((p): AuditStream => ({ rows: p.data, cursor: p.next_cursor }));

/**
 * The audit entries of a page's entities (the invoice and its allocations; a transaction's
 * allocations), merged oldest first; "Load more" fetches the next page of every stream that has
 * one. Read-only: the log cannot be changed, so there is nothing to act on.
 */
export function AuditTrailPanel({
  sources,
  empty = 'No audit entries.',
}: {
  sources: AuditSource[];
  /** What to say when there is none. */
  empty?: string;
}) {
  const key = sources.map((s) => `${s.entity}:${s.id}`).join(',');
  const [streams, setStreams] = useState<AuditStream[] | null>(null);
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const [busy, setBusy] = useState(false);
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    setBusy(true);
    Promise.all(sources.map((s) => page(s)))
      .then(
        (first) => mine === latest.current && (setStreams(first), setProblem(null)),
        (err: unknown) => mine === latest.current && setProblem(asProblem(err)),
      )
      .finally(() => mine === latest.current && setBusy(false));
  }, [key]);
  const more = () => {
    if (!streams || busy) return;
    const mine = latest.current;
    setBusy(true);
    Promise.all(
      streams.map((st, i) =>
        st.cursor
          ? page(sources[i], st.cursor).then((p) => ({
              rows: [...st.rows, ...p.rows],
              cursor: p.cursor,
            }))
          : Promise.resolve(st),
      ),
    )
      .then(
        (next) => mine === latest.current && (setStreams(next), setProblem(null)),
        (err: unknown) => mine === latest.current && setProblem(asProblem(err)),
      )
      .finally(() => mine === latest.current && setBusy(false));
  };
  const trail = streams ? mergeTrail(streams) : null;
  return (
    <Section title="Audit trail">
      <ProblemBox problem={problem} />
      <Loading loading={busy && !trail} />
      {trail && trail.shown.length === 0 && !trail.more && <p class="empty">{empty}</p>}
      {trail && trail.shown.length > 0 && (
        <Table label="Audit entries" columns={['When', 'Actor', 'Action', 'Data', num('Seq')]}>
          {trail.shown.map((e) => (
            <tr key={e.id}>
              <td>{when(e.at)}</td>
              <td>{e.actor}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                <ul class="audit-data">
                  {describeData(e.data).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </td>
              <td class="num">{e.seq ?? '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      <MoreButton cursor={trail?.more && !busy ? 'more' : null} onMore={more} />
    </Section>
  );
}
