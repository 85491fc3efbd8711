import { useState, type FormEvent } from 'react';
import { ApiError, type RestClient } from '@together/shared';
import { describeError } from '../session';

export function AuthScreen({ rest, onDone }: { rest: RestClient; onDone: () => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      if (mode === 'login') await rest.login(username, password);
      else await rest.register(username, password);
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.fieldErrors.length) {
        const f: Record<string, string> = {};
        for (const x of err.fieldErrors) f[x.path === 'login' ? 'username' : x.path] = x.message;
        setFieldErrors(f);
      }
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'login' ? 'Welcome back!' : 'Create an account';
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            aria-invalid={!!fieldErrors.username}
            aria-describedby={fieldErrors.username ? 'err-username' : undefined}
            autoFocus
          />
        </label>
        {fieldErrors.username && <p className="field-error" id="err-username">{fieldErrors.username}</p>}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            aria-invalid={!!fieldErrors.password}
            aria-describedby={fieldErrors.password ? 'err-password' : undefined}
          />
        </label>
        {fieldErrors.password && <p className="field-error" id="err-password">{fieldErrors.password}</p>}
        {error && <p className="form-error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'login' ? 'Log In' : 'Continue'}
        </button>
        <p className="switch">
          {mode === 'login' ? 'Need an account? ' : 'Already have an account? '}
          <button type="button" className="link" onClick={() => setMode(mode === 'login' ? 'register' : 'login')}>
            {mode === 'login' ? 'Register' : 'Log In'}
          </button>
        </p>
      </form>
    </main>
  );
}
