// Subscriptions over graphql-ws that survive disconnects: each stream remembers the cursor of the last event it
// delivered and, when the connection drops (server restart, load balancer, network), reconnects with back-off
// and subscribes again with `after: <that cursor>`. The server replays what was missed from its event log,
// then continues live: no gap and no duplicate.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { ProjectEventCursorDocument, type ProjectEventCursorQuery } from "./generated/graphql.ts";
import { AuthenticationError, GraphQLRequestError, NetworkError, TransportError, type GraphQLErrorEntry } from "./errors.ts";
import { authorizationHeader, backoff, documentText, sleep, type TokenSource } from "./transport.ts";

/** How long the server may take to answer a keep-alive ping before the connection is considered dead. */
const PONG_TIMEOUT_MS = 5_000;

/** Options of a resumable subscription. */
export interface ResumeOptions {
  /** Start after this cursor (the last one you handled); omitted: from the newest event when the stream starts (nothing committed after that is missed). */
  after?: string | null;
  /** Stops the stream. */
  signal?: AbortSignal;
  /** Called before each reconnection attempt, with why the connection was lost. */
  onReconnect?: (info: ReconnectInfo) => void;
  /**
   * Whether to keep retrying when the very first connection fails (default true: wait for the server to come up).
   * False makes an unreachable server throw {@link NetworkError} at once.
   */
  retryInitialConnection?: boolean;
  /** Give up after this many consecutive failed attempts (default: never). */
  maxRetries?: number;
  /**
   * Called each time the WebSocket carrying the subscription is connected and acknowledged (at the start and after
   * each reconnection). The subscription is sent right then; the server streams once it has processed it.
   */
  onConnected?: () => void;
}

/** Why and when a subscription reconnects. */
export interface ReconnectInfo {
  /** Consecutive attempts so far (1 for the first retry). */
  readonly attempt: number;
  /** Milliseconds until the attempt. */
  readonly delayMs: number;
  /** What broke the previous connection (a close code and reason, or an error message). */
  readonly reason: string;
  /** The cursor the stream resumes after. */
  readonly cursor: string | undefined;
}

/** Configuration of the WebSocket side of a client. */
export interface WebSocketConfig {
  /** The GraphQL endpoint (http/https; the ws/wss URL is derived from it). */
  readonly endpoint: string;
  readonly token: TokenSource;
  /** A WebSocket constructor (browsers: the global; Node: `ws`). */
  readonly webSocketImpl: unknown;
  /** Keep-alive ping interval; a missing pong closes the connection so it is re-established. Default 10 s. */
  readonly keepAliveMs?: number;
}

interface CloseEventLike {
  code: number;
  reason: string;
}

function isCloseEvent(value: unknown): value is CloseEventLike {
  return typeof value === "object" && value !== null && typeof (value as CloseEventLike).code === "number" && "reason" in value;
}

/** The ws:// or wss:// URL of an http(s) GraphQL endpoint. */
export function webSocketUrl(endpoint: string): string {
  const url = new URL(endpoint);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/** One lazily opened graphql-ws connection shared by a client's subscriptions. */
export class WebSocketHub {
  private client: WsClient | undefined;
  /** Connections acknowledged so far (tells "never reached the server" from "lost it"). */
  connections = 0;
  private open = false;
  private readonly connectedListeners = new Set<() => void>();

  constructor(readonly config: WebSocketConfig) {}

  /** The graphql-ws client, created on first use. */
  get ws(): WsClient {
    if (!this.client) {
      if (!this.config.webSocketImpl) {
        throw new TypeError("subscriptions need a WebSocket implementation: pass createClient({ webSocketImpl }) (e.g. `ws` on Node < 22)");
      }
      let socket: { readyState: number; close(code: number, reason: string): void } | undefined;
      let pongTimer: ReturnType<typeof setTimeout> | undefined;
      this.client = createWsClient({
        url: webSocketUrl(this.config.endpoint),
        webSocketImpl: this.config.webSocketImpl,
        lazy: true,
        // Reconnection is ours (ResumableSubscription), so that each retry resumes from its own cursor.
        retryAttempts: 0,
        keepAlive: this.config.keepAliveMs ?? 10_000,
        connectionParams: async () => ({ authorization: await authorizationHeader(this.config.token) }),
        on: {
          connected: (s) => {
            socket = s as typeof socket;
            this.connections++;
            this.open = true;
            for (const listener of [...this.connectedListeners]) listener();
          },
          ping: (received) => {
            if (received) return;
            clearTimeout(pongTimer);
            pongTimer = setTimeout(() => {
              if (socket?.readyState === 1) socket.close(4408, "Pong timeout");
            }, PONG_TIMEOUT_MS);
          },
          pong: (received) => {
            if (received) clearTimeout(pongTimer);
          },
          closed: () => {
            this.open = false;
            clearTimeout(pongTimer);
          },
        },
      });
    }
    return this.client;
  }

  /** Calls `listener` when the connection is acknowledged (at once if it is open); returns the unsubscribe. */
  whenConnected(listener: () => void): () => void {
    if (this.open) queueMicrotask(listener);
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  /** Closes the connection; later subscriptions open a new one. */
  async dispose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.dispose();
  }
}

/** What a failure means for a resumable subscription. */
function classify(error: unknown, url: string): { fatal: Error } | { retry: string } {
  if (Array.isArray(error)) {
    const errors = error as GraphQLErrorEntry[];
    if (errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) return { fatal: new AuthenticationError(errors[0]!.message, url) };
    const limited = errors.find((e) => e.extensions?.code === "RATE_LIMITED");
    if (limited) {
      const seconds = limited.extensions?.retryAfterSeconds;
      return { fatal: new AuthenticationError(limited.message, url, { reason: "rate_limited", retryAfterSeconds: typeof seconds === "number" ? seconds : undefined }) };
    }
    return { fatal: new GraphQLRequestError(errors, url) };
  }
  if (isCloseEvent(error)) {
    if (error.code === 4403 || error.code === 4401) {
      return { fatal: new AuthenticationError(`the server refused the token (graphql-ws close ${error.code} ${error.reason || "Forbidden"})`, url, { status: error.code }) };
    }
    if (error.code === 4429) {
      const seconds = /retry after (\d+) s/.exec(error.reason ?? "")?.[1];
      return {
        fatal: new AuthenticationError(`the server rate-limited this client (graphql-ws close 4429 ${error.reason})`, url, {
          status: error.code,
          reason: "rate_limited",
          retryAfterSeconds: seconds === undefined ? undefined : Number(seconds),
        }),
      };
    }
    if ([4400, 4004, 4406, 4409].includes(error.code)) {
      return { fatal: new TransportError(`the server rejected the subscription (graphql-ws close ${error.code} ${error.reason})`, url, { status: error.code }) };
    }
    return { retry: `connection closed (${error.code}${error.reason ? ` ${error.reason}` : ""})` };
  }
  if (error instanceof Error) return { retry: error.message };
  return { retry: String((error as { message?: unknown } | null)?.message ?? error) };
}

/**
 * A subscription stream that reconnects and resumes from its cursor. Iterate it with `for await`; `cursor` is the
 * cursor of the last event it handed out (save it to resume after a restart). Ends when closed or aborted;
 * throws on failures that retrying cannot fix (bad token, invalid arguments such as a malformed cursor).
 */
export class ResumableSubscription<T extends { readonly cursor: string }> implements AsyncIterable<T> {
  /** The cursor of the last event delivered (or the `after` it started from). */
  cursor: string | undefined;
  private closed = false;
  private active: AsyncIterableIterator<unknown> | undefined;
  private started = false;

  constructor(
    private readonly hub: WebSocketHub,
    private readonly document: TypedDocumentNode<unknown, unknown>,
    private readonly variables: Record<string, unknown>,
    private readonly field: string,
    private readonly options: ResumeOptions = {},
  ) {
    this.cursor = options.after ?? undefined;
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  /** Stops the stream: a pending `for await` ends normally. */
  close(): void {
    this.closed = true;
    void this.active?.return?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    if (this.started) throw new Error("a subscription can be iterated once");
    this.started = true;
    const { query, operationName } = documentText(this.document);
    const url = webSocketUrl(this.hub.config.endpoint);
    let failures = 0;
    while (!this.closed && !this.options.signal?.aborted) {
      let notified = false;
      const stopListening = this.hub.whenConnected(() => {
        if (!notified) this.options.onConnected?.();
        notified = true;
      });
      let reason = "the server ended the subscription";
      try {
        // Without a cursor, start from the newest event now: nothing committed from this moment on is missed, not
        // while the subscription takes effect, nor across a reconnection before its first event.
        if (this.cursor === undefined && typeof this.variables.projectId === "string") {
          this.cursor = await this.newestCursor(this.variables.projectId, url);
          if (this.closed) return;
        }
        const iterator = this.hub.ws.iterate<Record<string, T>>({ query, operationName, variables: { ...this.variables, after: this.cursor ?? null } });
        this.active = iterator;
        for await (const result of iterator) {
          if (result.errors?.length) {
            const outcome = classify(result.errors, url);
            throw "fatal" in outcome ? outcome.fatal : new GraphQLRequestError(result.errors as GraphQLErrorEntry[], url);
          }
          const event = result.data?.[this.field];
          if (!event) continue;
          failures = 0;
          this.cursor = event.cursor;
          yield event;
          if (this.closed) break;
        }
      } catch (error) {
        if (this.closed || this.options.signal?.aborted) return;
        if (error instanceof TransportError) throw error;
        const outcome = classify(error, url);
        if ("fatal" in outcome) throw outcome.fatal;
        reason = outcome.retry;
        const neverConnected = this.hub.connections === 0;
        if (neverConnected && this.options.retryInitialConnection === false) {
          throw new NetworkError(`cannot reach ${url}: ${reason}`, url, { cause: error });
        }
      } finally {
        stopListening();
        this.active = undefined;
      }
      if (this.closed || this.options.signal?.aborted) return;
      failures++;
      if (this.options.maxRetries !== undefined && failures > this.options.maxRetries) {
        throw new NetworkError(`gave up after ${failures - 1} reconnection attempts: ${reason}`, url);
      }
      const delayMs = backoff(failures - 1, 10_000);
      this.options.onReconnect?.({ attempt: failures, delayMs, reason, cursor: this.cursor });
      try {
        await sleep(delayMs, this.options.signal);
      } catch {
        return;
      }
    }
  }

  /** `project.eventCursor`, over the same connection; undefined when the project is not visible (the subscription then says so). */
  private async newestCursor(projectId: string, url: string): Promise<string | undefined> {
    const { query, operationName } = documentText(ProjectEventCursorDocument);
    for await (const result of this.hub.ws.iterate<ProjectEventCursorQuery>({ query, operationName, variables: { projectId } })) {
      if (result.errors?.length) {
        const outcome = classify(result.errors, url);
        throw "fatal" in outcome ? outcome.fatal : new GraphQLRequestError(result.errors as GraphQLErrorEntry[], url);
      }
      const node = result.data?.node;
      return node && "eventCursor" in node ? node.eventCursor : undefined;
    }
    return undefined;
  }
}

/** Options of `watchStageChanges` / `watchProjectEvents`: a resumable subscription driven by a callback. */
export interface WatchOptions<T> extends ResumeOptions {
  /**
   * Called for each event, one at a time: the next event waits until the returned promise settles, and the
   * watch's cursor advances only then. Throwing stops the watch (`done` rejects) with the cursor still before
   * the failed event, so a restart from `cursor` retries it.
   */
  onEvent: (event: T) => void | Promise<void>;
  /** Called when the watch stops on an error (also reported through `done`). */
  onError?: (error: unknown) => void;
}

/** A running watch. */
export interface Watch {
  /** The cursor of the last event handled (save it; pass it as `after` to resume after a restart). */
  readonly cursor: string | undefined;
  /** Settles when the watch stops: resolves after `close()` or abort, rejects on a fatal error or a failed handler. */
  readonly done: Promise<void>;
  /** Stops watching; resolves once stopped. */
  close(): Promise<void>;
}

/** Runs `subscription`, handing each event to `onEvent` and advancing the cursor once it was handled. */
export function runWatch<T extends { readonly cursor: string }>(subscription: ResumableSubscription<T>, options: WatchOptions<T>): Watch {
  let cursor = options.after ?? undefined;
  const done = (async () => {
    for await (const event of subscription) {
      await options.onEvent(event);
      cursor = event.cursor;
    }
  })();
  done.catch((error) => options.onError?.(error));
  return {
    get cursor() {
      return cursor;
    },
    done,
    async close() {
      subscription.close();
      await done.catch(() => {});
    },
  };
}
