// Sign-in: paste an API token; the server exchanges it for an HttpOnly session cookie.
import { useState, type FormEvent } from "react";
import { signIn } from "../../lib/session";

export function SignInPage({ message, onSignedIn }: { message: string; onSignedIn: (viewer: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(token);
      setToken("");
      onSignedIn(session.viewer.name);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>modelgraph</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        {message ? (
          <p className="notice" role="status">
            {message}
          </p>
        ) : null}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="mg_…"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <p className="hint">
          The token is exchanged for a session cookie and not kept by the page. An admin creates tokens with the{" "}
          <code>createApiToken</code> mutation.
        </p>
        {error ? (
          <p className="state error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
