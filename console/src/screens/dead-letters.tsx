import { api, call, type Schemas } from '../api/client';
import type { Me } from '../main';
import { money, when } from '../format';
import { mayAct } from '../roles';
import { href } from '../router';
import {
  Done,
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

type Delivery = Schemas['DeliveryDto'];
type Subscription = Schemas['SubscriptionDto'];

/** Deliveries looked at per subscription, newest first (the API lists them without a filter). */
const DELIVERIES_LOOKED_AT = 500;

export function DeadLettersScreen({ me }: { me: Me }) {
  return (
    <>
      <h1>Dead letters</h1>
      <FailedTransactions operator={mayAct(me.role, 'operator')} />
      {mayAct(me.role, 'admin') ? (
        <DeadDeliveries />
      ) : (
        <Section title="Outbound webhook deliveries">
          <p class="muted">Subscriptions and their deliveries are shown to admin keys only.</p>
        </Section>
      )}
    </>
  );
}

/** Inbound: transactions whose processing ran out of retries (FAILED). */
function FailedTransactions({ operator }: { operator: boolean }) {
  const list = usePaged(
    (cursor) =>
      call(
        api.GET('/transactions', { params: { query: { status: 'FAILED', limit: 50, cursor } } }),
      ),
    [],
  );
  const action = useAction();
  const retry = (id: string) =>
    action.run(async () => {
      await call(api.POST('/transactions/{id}/retry', { params: { path: { id } } }));
      list.reload();
      return 'Queued again for processing.';
    });
  const retryAll = () =>
    action.run(async () => {
      const r = await call(
        api.POST('/transactions/retry', { body: { status: 'FAILED', dry_run: false } }),
      );
      list.reload();
      return `${r.count} transaction(s) queued again.`;
    });
  return (
    <Section title="Failed transactions (processing gave up)">
      <ProblemBox problem={list.problem ?? action.problem} />
      <Done text={action.done} />
      <ListOf list={list} empty="None.">
        {(rows) => (
          <>
            {operator && (
              <p>
                <button type="button" disabled={action.busy} onClick={() => void retryAll()}>
                  Retry every failed transaction
                </button>
              </p>
            )}
            <Table
              label="Failed transactions"
              columns={[
                'Received',
                'Bank',
                num('Amount'),
                'Attempts',
                'Last error',
                operator && 'Action',
              ]}
            >
              {rows.map((t) => (
                <tr key={t.id}>
                  <td>
                    <a href={href('transactions', t.id)}>{when(t.created_at)}</a>
                  </td>
                  <td>{t.bank_id}</td>
                  <td class="num">{money(t.amount, t.currency)}</td>
                  <td>{t.attempts}</td>
                  <td class="wrap">{t.last_error ?? '—'}</td>
                  {operator && (
                    <td>
                      <button
                        type="button"
                        class="secondary"
                        disabled={action.busy}
                        onClick={() => void retry(t.id)}
                      >
                        Retry
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </Table>
          </>
        )}
      </ListOf>
      <MoreButton cursor={list.cursor} onMore={list.more} />
    </Section>
  );
}

/** Outbound: subscription deliveries that ran out of time (dead-lettered), admin only. */
function DeadDeliveries() {
  const dead = useLoad(async () => {
    const subs = await call(api.GET('/subscriptions', { params: { query: { limit: 500 } } }));
    const per = await Promise.all(
      subs.data.map(async (s) => {
        const page = await call(
          api.GET('/subscriptions/{id}/deliveries', {
            params: { path: { id: s.id }, query: { limit: DELIVERIES_LOOKED_AT } },
          }),
        );
        return page.data.filter((d) => d.status === 'dead').map((d) => ({ sub: s, d }));
      }),
    );
    return per.flat();
  }, []);
  const action = useAction();
  const retry = (sub: Subscription, d: Delivery) =>
    action.run(async () => {
      await call(
        api.POST('/subscriptions/{id}/deliveries/{deliveryId}/retry', {
          params: { path: { id: sub.id, deliveryId: d.id } },
        }),
      );
      dead.reload();
      return `Delivery of ${d.event_type} to ${sub.url} sent again.`;
    });
  return (
    <Section title="Outbound webhook deliveries (dead-lettered)">
      <p class="muted">
        The last {DELIVERIES_LOOKED_AT} deliveries of each subscription are looked at.
      </p>
      <ProblemBox problem={dead.problem ?? action.problem} />
      <Done text={action.done} />
      <ListOf list={dead} empty="None.">
        {(rows) => (
          <Table
            label="Dead-lettered deliveries"
            columns={['Created', 'Subscriber', 'Event', 'Attempts', 'Last error', 'Action']}
          >
            {rows.map(({ sub, d }) => (
              <tr key={d.id}>
                <td>{when(d.created_at)}</td>
                <td class="wrap">{sub.url}</td>
                <td>{d.event_type}</td>
                <td>{d.attempts}</td>
                <td class="wrap">{d.last_error ?? '—'}</td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    disabled={action.busy}
                    onClick={() => void retry(sub, d)}
                  >
                    Retry
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </ListOf>
    </Section>
  );
}
