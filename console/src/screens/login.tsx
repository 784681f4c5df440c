import { useState } from 'preact/hooks';
import { api, call, session } from '../api/client';
import type { Me } from '../main';
import { asProblem, ProblemBox } from '../ui';
import type { ProblemView } from '../problem';

/** The key is asked for once a tab, and kept in sessionStorage only. */
export function Login({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<ProblemView | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    session.keep(key.trim());
    try {
      onSignedIn(await call(api.GET('/api-keys/me')));
    } catch (err) {
      session.forget();
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>Bank Sync console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="api-key">Staff API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          required
        />
        <p class="muted">
          Kept in this tab only (sessionStorage) and sent as a Bearer token; closing the tab forgets
          it.
        </p>
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
      <ProblemBox problem={problem} />
    </main>
  );
}
