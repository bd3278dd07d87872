// Live updates: one graphql-ws connection per page load (same origin, so the browser sends the session cookie with
// the upgrade). A page subscribes to its project's events and refetches what they change.
import { createClient, type Client } from "graphql-ws";
import { useEffect, useRef } from "react";
import type { TypedDocumentString } from "../graphql/graphql";
import { reportSessionEnded } from "./client";

let client: Client | undefined;

function liveClient(): Client {
  client ??= createClient({
    url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    // A refused connection (4403, or 4400 "Forbidden" for an ended session) is not retried blindly.
    shouldRetry: (event) => !(event && typeof event === "object" && "code" in event && (event as CloseEvent).code === 4403),
  });
  return client;
}

/**
 * Subscribes to `document` while the component is mounted and `variables` is not null; calls `onData` with each
 * result. The subscription restarts when the variables change.
 */
export function useSubscription<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables | null,
  onData: (data: TResult) => void,
): void {
  const handler = useRef(onData);
  handler.current = onData;
  const key = variables === null ? null : JSON.stringify(variables);
  useEffect(() => {
    if (key === null) return;
    const dispose = liveClient().subscribe<TResult>(
      { query: document.toString(), variables: JSON.parse(key) as Record<string, unknown> },
      {
        next: (result) => {
          const code = result.errors?.[0]?.extensions?.code;
          if (code === "UNAUTHENTICATED") reportSessionEnded(result.errors![0]!.message);
          else if (result.data) handler.current(result.data);
        },
        error: () => {},
        complete: () => {},
      },
    );
    return dispose;
  }, [document, key]);
}
