import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, messageOf, setCsrfToken, whenUnauthenticated } from './api';
import { ErrorNote } from './parts/common';
import { EvidencePage } from './pages/evidence';
import { LogPage } from './pages/log';
import { ReachPage } from './pages/reach';
import { ReviewPage } from './pages/review';
import { SignalsPage } from './pages/signals';
import { href, useRoute } from './router';
import type { Session } from './types';

const PAGES = [
  { page: 'review', title: 'Review queue' },
  { page: 'evidence', title: 'Evidence' },
  { page: 'reach', title: 'Reachability' },
  { page: 'log', title: 'Log' },
  { page: 'signals', title: 'Signals' },
] as const;

function Login({ onSession }: { onSession: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api<Session>('POST', '/console/api/login', { token });
      setToken('');
      onSession(session);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="login">
      <h1>attestry console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="hint">
          A token from <code>attestry token create</code>. It is kept in an HttpOnly cookie for this tab's site only, never in page storage.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    whenUnauthenticated(() => {
      setCsrfToken('');
      setSession(null);
    });
    api<Session>('GET', '/console/api/session').then(
      (s) => start(s),
      (e: unknown) => {
        if (!(e instanceof ApiError) || e.status !== 401) console.warn(messageOf(e));
        setSession(null);
      },
    );
  }, []);
  const start = (s: Session): void => {
    setCsrfToken(s.csrfToken);
    setSession(s);
  };
  const signOut = async (): Promise<void> => {
    await api('POST', '/console/api/logout').catch(() => undefined);
    setCsrfToken('');
    setSession(null);
  };
  const current = PAGES.find((p) => p.page === route.page) ?? PAGES[0];
  // A new page: say so in the title and move focus to its content, as a page load would.
  const place = `${current.page}/${route.rest.join('/')}`;
  useEffect(() => {
    document.title = session ? `${current.title} · attestry console` : 'Sign in · attestry console';
    if (session) main.current?.focus();
  }, [place, session === null || session === undefined]);
  if (session === undefined) return <main id="main" aria-busy="true" />;
  if (session === null) return <Login onSession={start} />;
  return (
    <>
      <header class="top">
        <a
          class="skip"
          href="#main-content"
          onClick={(e) => {
            // Not a route: the hash router would take #main-content for a page.
            e.preventDefault();
            main.current?.focus();
          }}
        >
          Skip to content
        </a>
        <span class="brand">attestry</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map((p) => (
              <li key={p.page}>
                <a href={href(p.page)} aria-current={p.page === current.page ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.role} · {session.tenants === '*' ? 'all tenants' : session.tenants.join(', ')}
        </span>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main-content" tabIndex={-1} ref={main}>
        {current.page === 'review' && <ReviewPage session={session} route={route} />}
        {current.page === 'evidence' && <EvidencePage route={route} />}
        {current.page === 'reach' && <ReachPage route={route} />}
        {current.page === 'log' && <LogPage />}
        {current.page === 'signals' && <SignalsPage />}
      </main>
    </>
  );
}
