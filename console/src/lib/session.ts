// Sign-in and sign-out. The token is sent once, to POST /auth/session, which answers with an HttpOnly cookie: it is
// never kept by the page (no localStorage, no script-readable cookie).
import { CSRF_HEADERS } from "./client";

export interface SignedIn {
  viewer: { name: string; isAdmin: boolean };
  expiresAt: string;
}

export async function signIn(token: string): Promise<SignedIn> {
  const response = await fetch("/auth/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...CSRF_HEADERS },
    body: JSON.stringify({ token }),
  });
  const body = (await response.json().catch(() => ({}))) as Partial<SignedIn> & { error?: { message: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `Sign-in failed (${response.status})`);
  return body as SignedIn;
}

export async function signOut(): Promise<void> {
  await fetch("/auth/session", { method: "DELETE", credentials: "same-origin", headers: { ...CSRF_HEADERS } });
}

export type SessionState = { viewer: { name: string; isAdmin: boolean } } | { viewer: null; reason: string; message: string };

/** Who the session cookie signs in (asked at start: answers 200 either way, so the browser logs no error). */
export async function currentSession(): Promise<SessionState> {
  const response = await fetch("/auth/session", { credentials: "same-origin", headers: { ...CSRF_HEADERS } });
  if (!response.ok) throw new Error(`The server answered ${response.status}`);
  return (await response.json()) as SessionState;
}
