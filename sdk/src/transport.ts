// GraphQL over HTTP with fetch: one POST per operation, errors mapped to the SDK's error classes, retries of
// idempotent operations on transient failures. No Node-only API: runs in browsers as is.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { AuthenticationError, GraphQLRequestError, NetworkError, ServerError, type GraphQLErrorEntry } from "./errors.ts";

/** A token, or a function returning the current one (called before each request, e.g. to rotate tokens). */
export type TokenSource = string | (() => string | Promise<string>);

/** A warning the server attached to a response (`extensions.warnings`), e.g. a read of a deprecated model. */
export interface ServerWarning {
  /** Machine-readable kind, e.g. `DEPRECATED`. */
  readonly code: string;
  /** For humans. */
  readonly message: string;
  /** Global id of the object concerned, if any. */
  readonly subjectId?: string;
}

/** Per-call options accepted by every client method. */
export interface RequestOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Extra HTTP headers for this call (e.g. `x-request-id`). */
  headers?: Record<string, string>;
}

/** How the transport is configured (derived from `createClient` options). */
export interface TransportConfig {
  /** The GraphQL endpoint (`…/graphql`). */
  readonly endpoint: string;
  /** The token (or its source) sent as `Authorization: Bearer …`. */
  readonly token: TokenSource;
  /** The fetch implementation. */
  readonly fetch: typeof globalThis.fetch;
  /** Headers sent with every request. */
  readonly headers: Record<string, string>;
  /** Retries of idempotent operations on transient failures. */
  readonly retries: number;
  /** Per-request time limit in ms (undefined: none). */
  readonly timeoutMs: number | undefined;
  /** Receives the server's `extensions.warnings`. */
  readonly onWarning: (warning: ServerWarning) => void;
}

/**
 * Normalizes a server URL to its GraphQL endpoint: `http://host:4000` and `http://host:4000/graphql` both give
 * `http://host:4000/graphql`; a path prefix is kept (`https://x/mg` → `https://x/mg/graphql`).
 */
export function graphqlEndpoint(url: string): string {
  const parsed = new URL(url);
  if (!/\/graphql\/?$/.test(parsed.pathname)) parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/graphql`;
  parsed.pathname = parsed.pathname.replace(/\/+$/, "");
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString();
}

/** Resolves a token source to the `Authorization` header value. */
export async function authorizationHeader(token: TokenSource): Promise<string> {
  const value = typeof token === "function" ? await token() : token;
  return /^bearer\s/i.test(value) ? value : `Bearer ${value}`;
}

const printed = new WeakMap<DocumentNode, { query: string; operationName: string | undefined }>();

/** The query text and operation name of a document (printed once per document). */
export function documentText(document: DocumentNode | string): { query: string; operationName: string | undefined } {
  if (typeof document === "string") return { query: document, operationName: undefined };
  let entry = printed.get(document);
  if (!entry) {
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
    entry = { query: print(document), operationName: operation?.name?.value };
    printed.set(document, entry);
  }
  return entry;
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Exponential back-off with jitter: 250 ms, 500 ms, 1 s … capped at `maxMs`. */
export function backoff(attempt: number, maxMs = 10_000): number {
  const base = Math.min(maxMs, 250 * 2 ** attempt);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** The message of a fetch failure, including the system error code Node puts in `cause` (e.g. ECONNREFUSED). */
export function describeFetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const message = cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** A signal that aborts with `signal` or after `timeoutMs`, whichever comes first. */
function withTimeout(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal: AbortSignal | undefined; timedOut: () => boolean; clear: () => void } {
  if (!timeoutMs) return { signal, timedOut: () => false, clear: () => {} };
  const controller = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => controller.abort(signal!.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => fired,
    clear: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

interface GraphQLResponseBody {
  data?: unknown;
  errors?: GraphQLErrorEntry[];
  extensions?: { warnings?: ServerWarning[] } & Record<string, unknown>;
}

const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/** A Retry-After header (delay-seconds, or an HTTP date) as whole seconds from now; undefined when absent or invalid. */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Sends GraphQL operations over HTTP. One per client. */
export class HttpTransport {
  constructor(readonly config: TransportConfig) {}

  /**
   * Executes one operation and returns its `data`. Retries network failures and 502/503/504 when `idempotent`
   * (queries, and mutations carrying an idempotency key); never retries an authentication failure.
   */
  async execute<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables> | DocumentNode | string,
    variables: TVariables | undefined,
    options: RequestOptions & { idempotent: boolean },
  ): Promise<TResult> {
    const { query, operationName } = documentText(document);
    const body = JSON.stringify({ query, operationName, variables: variables ?? {} });
    const attempts = options.idempotent ? this.config.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<TResult>(body, options);
      } catch (error) {
        const transient = error instanceof NetworkError || (error instanceof ServerError && TRANSIENT_STATUSES.has(error.status ?? 0));
        if (!transient || attempt + 1 >= attempts || options.signal?.aborted) throw error;
        await sleep(backoff(attempt, 2_000), options.signal);
      }
    }
  }

  private async once<TResult>(body: string, options: RequestOptions): Promise<TResult> {
    const { endpoint } = this.config;
    const timeout = withTimeout(options.signal, this.config.timeoutMs);
    let response: Response;
    let text: string;
    try {
      try {
        response = await this.config.fetch(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/graphql-response+json, application/json",
            ...this.config.headers,
            ...options.headers,
            authorization: await authorizationHeader(this.config.token),
          },
          body,
          signal: timeout.signal,
        });
        text = await response.text();
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const timedOut = timeout.timedOut();
        const reason = timedOut ? `timed out after ${this.config.timeoutMs} ms` : describeFetchFailure(error);
        throw new NetworkError(`cannot reach ${endpoint}: ${reason}`, endpoint, { cause: error, timedOut });
      }
    } finally {
      timeout.clear();
    }
    let parsed: GraphQLResponseBody | undefined;
    try {
      parsed = text ? (JSON.parse(text) as GraphQLResponseBody) : undefined;
    } catch {
      parsed = undefined;
    }
    const firstMessage = parsed?.errors?.[0]?.message;
    if (response.status === 401 || response.status === 429 || parsed?.errors?.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
      const rateLimited = response.status === 429 || parsed?.errors?.some((e) => e.extensions?.code === "RATE_LIMITED");
      throw new AuthenticationError(firstMessage ?? `HTTP ${response.status}`, endpoint, {
        status: response.status,
        reason: rateLimited ? "rate_limited" : "unauthenticated",
        retryAfterSeconds: rateLimited ? retryAfterSeconds(response.headers.get("retry-after")) : undefined,
      });
    }
    if (!parsed || typeof parsed !== "object" || (!("data" in parsed) && !("errors" in parsed))) {
      throw new ServerError(`${endpoint} answered HTTP ${response.status} without a GraphQL response`, endpoint, {
        status: response.status,
        body: text.slice(0, 500),
      });
    }
    for (const warning of parsed.extensions?.warnings ?? []) this.config.onWarning(warning);
    if (parsed.errors?.length) {
      throw new GraphQLRequestError(parsed.errors, endpoint, { status: response.status, data: parsed.data });
    }
    if (response.status >= 400 || parsed.data == null) {
      throw new ServerError(`${endpoint} answered HTTP ${response.status}`, endpoint, { status: response.status, body: text.slice(0, 500) });
    }
    return parsed.data as TResult;
  }
}
