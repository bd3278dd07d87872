// The console's GraphQL client: one JSON POST per operation to /graphql, authenticated by the session cookie the
// server set at sign-in (the page never sees the token) and carrying the CSRF header cookie requests need.
import type { TypedDocumentString } from "../graphql/graphql";

/** The header the server requires on cookie-authenticated requests (a cross-site form cannot send one). */
export const CSRF_HEADERS = { "x-modelgraph-csrf": "1" } as const;

/** The session is over (expired, signed out, token revoked): the app goes back to sign-in with this message. */
export class SessionEndedError extends Error {
  override name = "SessionEndedError";
}

/** A top-level GraphQL error (typed mutation errors are data, not this). */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Listener = (error: SessionEndedError) => void;
const sessionListeners = new Set<Listener>();

/** Called whenever a request finds the session ended. */
export function onSessionEnded(listener: Listener): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

export function reportSessionEnded(message: string): SessionEndedError {
  const error = new SessionEndedError(message);
  for (const listener of sessionListeners) listener(error);
  return error;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

/** Runs a typed document; throws SessionEndedError on 401 and ApiError on top-level errors. */
export async function request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables?: TVariables): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...CSRF_HEADERS },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection and retry.", "NETWORK");
  }
  const body = (await response.json().catch(() => ({}))) as GraphQLResponse<TResult>;
  const first = body.errors?.[0];
  if (response.status === 401 || first?.extensions?.code === "UNAUTHENTICATED") {
    // No cookie at all ("missing") is simply not signed in yet: no message for that.
    throw reportSessionEnded(first?.extensions?.reason === "missing" ? "" : (first?.message ?? "Your session has ended: sign in again"));
  }
  if (first) throw new ApiError(first.message, first.extensions?.code);
  if (!response.ok || !body.data) throw new ApiError(`The server answered ${response.status}`, String(response.status));
  return body.data;
}
