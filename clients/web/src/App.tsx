import { Component, useEffect, useMemo, useState, type ReactNode } from 'react';
import { RestClient, StorageTokenStore } from '@together/shared';
import { Session } from './session';
import { SessionContext } from './context';
import { AuthScreen } from './ui/AuthScreen';
import { Shell } from './ui/Shell';

/** Run refreshes under a lock every tab shares, so two tabs never present one refresh token twice. */
function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? (locks.request('together-token-refresh', fn) as Promise<T>) : fn();
}

/** `/invite/CODE` (a shared link) is remembered through login and offered after it. */
function inviteFromPath(): string | null {
  const m = /^\/invite\/([A-Za-z0-9-]+)\/?$/.exec(location.pathname);
  return m ? m[1] : null;
}

export function App() {
  const [loggedIn, setLoggedIn] = useState(false);
  const [pendingInvite, setPendingInvite] = useState<string | null>(inviteFromPath);

  const rest = useMemo(
    () => new RestClient({ tokens: new StorageTokenStore(localStorage), withLock, onLoggedOut: () => setLoggedIn(false) }),
    [],
  );
  useEffect(() => setLoggedIn(rest.loggedIn), [rest]);

  const session = useMemo(() => (loggedIn ? new Session(rest, () => setLoggedIn(false), localStorage) : null), [loggedIn, rest]);
  useEffect(() => {
    if (!session) return;
    session.start();
    const online = () => session.gateway.reconnect();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      session.dispose();
    };
  }, [session]);

  if (!session) return <AuthScreen rest={rest} onDone={() => setLoggedIn(true)} />;
  return (
    <ErrorBoundary>
    <SessionContext.Provider value={session}>
      <Shell
        pendingInvite={pendingInvite}
        clearInvite={() => {
          setPendingInvite(null);
          if (inviteFromPath()) history.replaceState(null, '', '/');
        }}
      />
    </SessionContext.Provider>
    </ErrorBoundary>
  );
}

/** A rendering bug shows a way out instead of a blank page. */
class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <main className="auth">
        <div className="auth-card" role="alert">
          <h1>Something went wrong</h1>
          <p>{this.state.error.message}</p>
          <button className="primary" onClick={() => location.reload()}>Reload</button>
        </div>
      </main>
    );
  }
}
