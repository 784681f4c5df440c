import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, call, session, whenUnauthenticated, type Schemas } from './api/client';
import { href, parseRoute, type Route, type Screen } from './router';
import { BanksScreen } from './screens/banks';
import { DeadLettersScreen } from './screens/dead-letters';
import { ExceptionDetail } from './screens/exception';
import { ExceptionsQueue } from './screens/exceptions';
import { InvoiceDetail, InvoicesScreen } from './screens/invoices';
import { Login } from './screens/login';
import { RunsScreen } from './screens/runs';
import { TransactionDetail, TransactionsScreen } from './screens/transactions';
import './styles.css';

export type Me = Schemas['CurrentKeyDto'];

const NAV: Array<[Screen, string]> = [
  ['exceptions', 'Exceptions'],
  ['invoices', 'Invoices'],
  ['transactions', 'Transactions'],
  ['runs', 'Runs'],
  ['banks', 'Banks'],
  ['dead-letters', 'Dead letters'],
];

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function ScreenFor({ route, me }: { route: Route; me: Me }) {
  switch (route.screen) {
    case 'exceptions':
      return route.id ? (
        <ExceptionDetail id={route.id} me={me} />
      ) : (
        <ExceptionsQueue params={route.params} />
      );
    case 'invoices':
      return route.id ? (
        <InvoiceDetail id={route.id} me={me} />
      ) : (
        <InvoicesScreen params={route.params} />
      );
    case 'transactions':
      return route.id ? (
        <TransactionDetail id={route.id} me={me} />
      ) : (
        <TransactionsScreen params={route.params} />
      );
    case 'runs':
      return <RunsScreen id={route.id} me={me} />;
    case 'banks':
      return <BanksScreen />;
    case 'dead-letters':
      return <DeadLettersScreen me={me} />;
  }
}

function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(session.key() !== null);

  const signOut = () => {
    session.forget();
    setMe(null);
  };
  useEffect(() => {
    whenUnauthenticated(signOut);
    if (!session.key()) return;
    // A key kept from earlier in this tab: ask what it is (it may have been revoked since).
    call(api.GET('/api-keys/me')).then(
      (who) => {
        setMe(who);
        setChecking(false);
      },
      () => {
        session.forget();
        setChecking(false);
      },
    );
  }, []);
  useEffect(() => {
    document.title = `${NAV.find(([s]) => s === route.screen)?.[1] ?? 'Console'} · Bank Sync`;
  }, [route.screen]);

  if (checking) return <p class="muted">Checking the key…</p>;
  if (!me) return <Login onSignedIn={setMe} />;
  return (
    <>
      <header class="top">
        <a class="skip" href="#main">
          Skip to content
        </a>
        <span class="brand">Bank Sync</span>
        <nav aria-label="Screens">
          <ul>
            {NAV.map(([screen, name]) => (
              <li key={screen}>
                <a href={href(screen)} aria-current={route.screen === screen ? 'page' : undefined}>
                  {name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          <span data-testid="who">
            {me.name} ({me.role})
          </span>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <ScreenFor route={route} me={me} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
