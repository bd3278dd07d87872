// Wiring: database, artifact store, event bus, authentication, GraphQL over HTTP/SSE and WebSocket, HTTP
// routes. No business rules here.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer, type WebSocket } from "ws";
import { authenticate, AuthenticationError, clientAddress, FailedAuthLimiter, tokenFromHeader } from "./access/authenticate.ts";
import { SessionLimits, SessionRegistry } from "./access/sessions.ts";
import { TokenCache } from "./access/token-cache.ts";
import { ConsoleSessions, CsrfHeaderRequiredError, consoleCredential, isSameOrigin } from "./access/console-sessions.ts";
import type { Viewer } from "./access/viewer.ts";
import type { Config } from "./config.ts";
import type { RequestContext } from "./context.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { onAccessChanged, onEventsCommitted } from "./db/transaction.ts";
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "./db/unavailable.ts";
import { openEventBus, type EventBus } from "./events/bus.ts";
import { EventFeed } from "./events/feed.ts";
import { allowSharingAcrossViewers, shareExecutionsAcrossViewers, shareIdenticalSubscriptions } from "./events/multicast.ts";
import { WebhookWorker } from "./events/webhooks.ts";
import { maskUnexpectedError, serviceUnavailableError } from "./graphql/errors.ts";
import { connectionCursorArgumentsPlugin } from "./graphql/cursors.ts";
import { storableTextArgumentsPlugin } from "./graphql/text-inputs.ts";
import { tooManySessionsError } from "./graphql/events.ts";
import { graphqlLimitPlugins, resolvePersistedOperation } from "./graphql/limits.ts";
import { schema } from "./graphql/schema.ts";
import { handleArtifacts } from "./http/artifacts.ts";
import { handleConsole } from "./http/console.ts";
import { CorsPolicy } from "./http/cors.ts";
import { handleGraphiQLAssets, renderGraphiQL } from "./http/graphiql.ts";
import { handleHealth } from "./http/health.ts";
import { handleMetrics } from "./http/metrics.ts";
import { applyRequestTimeout, configureServerTimeouts, isArtifactRequest } from "./http/timeouts.ts";
import { createLogger, requestScope, type Logger } from "./log.ts";
import { recordWebSocketSubscription, useObservability } from "./observability/graphql.ts";
import { createInstruments, observeRuntime, observeTokenCache, type Instruments } from "./observability/instruments.ts";
import { bootstrapAdmin } from "./services/bootstrap.ts";
import { sweepExpiredUploads } from "./services/resources.ts";
import { openArtifactStore } from "./storage/index.ts";
import { restrictFileCreation } from "./storage/private-files.ts";
import type { ArtifactStore } from "./storage/store.ts";

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => ReturnType<Parameters<typeof useServer>[0]["execute"] & object>;
  subscribe: (args: ExecutionArgs) => ReturnType<Parameters<typeof useServer>[0]["subscribe"] & object>;
}

/** Start-up failed for a reason outside the configuration's values (e.g. the port is taken). */
export class StartupError extends Error {
  override name = "StartupError";
}

/** A running server. */
export interface App {
  url: string;
  db: Database;
  store: ArtifactStore;
  bus: EventBus;
  feed: EventFeed;
  webhooks: WebhookWorker;
  log: Logger;
  instruments: Instruments;
  /**
   * Graceful stop: /readyz answers 503 at once, no new connections are accepted, WebSocket clients are closed
   * with 1001 (going away) and SSE streams ended so they reconnect elsewhere, requests in flight get `timeoutMs`
   * to finish, then the database is closed. Idempotent.
   */
  shutdown(timeoutMs: number): Promise<void>;
  /** shutdown() with a short grace period (tests). */
  close(): Promise<void>;
}

/** Returns deprecation (and other) warnings collected during execution in `extensions.warnings`. */
const warningsPlugin: Plugin<RequestContext> = {
  onExecute: ({ args }) => ({
    onExecuteDone: ({ result, setResult }) => {
      const warnings = (args.contextValue as RequestContext).warnings;
      if (warnings.size === 0 || Symbol.asyncIterator in result) return;
      setResult({ ...result, extensions: { ...result.extensions, warnings: [...warnings.values()] } });
    },
  }),
};

/** Pending connections the kernel may queue before the server accepts them (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;

/** A client's `x-request-id` is echoed if it is a sane token (length, characters), else replaced by a UUID. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

function requestIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

/** The metrics label of a path (a fixed set: paths carry ids). */
function routeOf(url: string | undefined): string {
  const path = (url ?? "").split("?")[0] ?? "";
  if (path === "/graphql") return "graphql";
  if (path.startsWith("/artifacts/")) return "artifacts";
  if (path === "/healthz" || path === "/readyz" || path === "/metrics") return path.slice(1);
  return "other";
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/** Counts a WebSocket subscriber from the moment it gets its stream until the stream ends or is closed. */
function countedStream<T>(result: T, onStart: () => void, onEnd: () => void): T {
  if (!result || typeof result !== "object" || !(Symbol.asyncIterator in result)) return result;
  const inner = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  onStart();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  const wrapped: AsyncIterableIterator<unknown> = {
    async next() {
      try {
        const step = await inner.next();
        if (step.done) end();
        return step;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return(value?: unknown) {
      end();
      return inner.return ? inner.return(value) : { done: true, value };
    },
    async throw(error?: unknown) {
      end();
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped as T;
}

/** Waits for `promise`, or `ms` at most (then resolves anyway); leaves no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}

/** Refusals before the API: 401 (429 with Retry-After when rate limited), as a GraphQL error with a code. */
function unauthenticated(error: AuthenticationError): GraphQLError {
  if (error.reason === "rate_limited") {
    const retryAfterSeconds = error.retryAfterSeconds ?? 1;
    return new GraphQLError(error.message, {
      extensions: { code: "RATE_LIMITED", retryAfterSeconds, http: { status: 429, headers: { "retry-after": String(retryAfterSeconds) } } },
    });
  }
  return new GraphQLError(error.message, { extensions: { code: "UNAUTHENTICATED", reason: error.reason, http: { status: 401 } } });
}

export async function startApp(config: Config): Promise<App> {
  restrictFileCreation();
  const log = createLogger(config.logLevel);
  const instruments = createInstruments();
  /** Set once shutdown begins: /readyz answers 503, responses close their connection. */
  let draining = false;
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, preparedStatements: config.databasePreparedStatements });
  await bootstrapAdmin(db.prisma, { bootstrapToken: config.bootstrapToken, dataDir: config.dataDir, log });
  const store = await openArtifactStore(config);
  const bus = await openEventBus({ redisUrl: config.redisUrl, databaseUrl: config.databaseUrl, log });
  const feed = new EventFeed(db.prisma, bus, log, undefined, (lagMs) => instruments.eventDeliveryLag.observe({}, lagMs / 1000));
  await feed.start();
  const webhooks = new WebhookWorker(db.prisma, log, config.webhooks);
  webhooks.start();
  observeRuntime(instruments, {
    db,
    feed,
    webhooks,
    draining: () => draining,
    info: { database: db.kind, event_bus: bus.kind, storage: store.kind },
  });
  onEventsCommitted(db.prisma, ({ seq, deliveries }) => {
    // The deliveries committed with their events: this process sends them now (other replicas' polls share the rest).
    if (deliveries > 0) webhooks.wake();
    bus.publish(seq).catch((error) => log.warn("event signal failed; readers will catch up by polling", { error: (error as Error).message }));
  });
  // Taking access away ends the affected subscriptions on every replica, at once (access/sessions.ts).
  const sessions = new SessionRegistry(db.prisma, bus, log, config.sessions.recheckSeconds * 1000);
  sessions.start();
  onAccessChanged(db.prisma, () => {
    bus.publishAccessChange().catch((error) => log.warn("access-change signal failed; replicas re-check on their timer", { error: (error as Error).message }));
  });
  const sessionLimits = new SessionLimits(config.sessions);
  const limiter = new FailedAuthLimiter(config.authFailures.limit, config.authFailures.windowSeconds * 1000);
  // Authenticated tokens are reused for a few seconds; any access change (from this or another replica) drops them.
  const tokenCache = new TokenCache(config.authCacheSeconds * 1000);
  const unsubscribeTokenCache = bus.subscribeAccessChange(() => tokenCache.clear());
  observeTokenCache(instruments, tokenCache);
  const authenticateToken = (token: string | null, clientKey: string) => authenticate(db.prisma, limiter, token, clientKey, tokenCache);
  const consoleSessions = new ConsoleSessions(db.prisma, limiter);
  /**
   * The one authentication of an HTTP request: its Bearer token, else the console's session cookie, which must
   * come with the CSRF header (`csrf` is that header's value). WebSockets authenticate once per connection (below).
   */
  const authenticateHttp = (authorization: string | null | undefined, cookie: string | null | undefined, csrf: string | null | undefined, clientKey: string): Promise<Viewer> => {
    const sessionId = consoleCredential(authorization, cookie, csrf);
    return sessionId ? consoleSessions.authenticate(sessionId, clientKey) : authenticateToken(tokenFromHeader(authorization ?? null), clientKey);
  };

  // Abandoned uploads (and staging files of a crashed process) are cleaned at start and periodically.
  const sweep = () =>
    sweepExpiredUploads(db.prisma, store, config.artifactUploadTtlSeconds).catch((error) =>
      log.warn("upload sweep failed", { error: (error as Error).message }),
    );
  await sweep();
  const sweeper = setInterval(sweep, Math.min(60, Math.max(1, config.artifactUploadTtlSeconds / 2)) * 1000);
  sweeper.unref();

  const sqlRead = config.databaseSqlReads ? db.read : undefined;
  const contextFor = (viewer: Viewer, origin: string, requestId: string): RequestContext => ({
    prisma: db.prisma,
    read: sqlRead,
    viewer,
    store,
    feed,
    sessions,
    config,
    uploadTtlSeconds: config.artifactUploadTtlSeconds,
    requestId,
    origin,
    warnings: new Map(),
  });

  // GraphiQL needs introspection and runs arbitrary documents: off when either is refused.
  const graphiql = config.graphql.introspection && !config.graphql.persistedOperations;
  const cors = new CorsPolicy(config.corsOrigins);
  const yoga = createYoga<{ viewer?: Viewer; clientKey?: string; requestId?: string; sseStream?: http.ServerResponse }, RequestContext>({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: graphiql ? { title: "modelgraph", subscriptionsProtocol: "WS" } : false,
    renderGraphiQL,
    cors: cors.forYoga,
    landingPage: false,
    // Unexpected errors are masked in responses ("Unexpected error."; a lost database: SERVICE_UNAVAILABLE, 503) and
    // logged here; the request id comes with every line logged while serving a request (log.ts requestScope).
    maskedErrors: { maskError: maskUnexpectedError },
    // graphql/limits.ts limits the body, saying the limit, and counts only bodies without a Content-Length.
    maxRequestBodySize: false,
    logging: {
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => log.warn(String(args[0]), { details: args.slice(1).map(String) }),
      error: (...args: unknown[]) => {
        if (args.length > 0 && args.every(isDatabaseUnavailable)) {
          log.warn("database unavailable", { error: args.map((a) => (a instanceof Error ? a.message.split("\n")[0] : String(a))).join(" ") });
          return;
        }
        log.error("unexpected error", { error: args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" ") });
      },
    },
    plugins: [useObservability(instruments, log), ...graphqlLimitPlugins(config.graphql), storableTextArgumentsPlugin(), connectionCursorArgumentsPlugin(), warningsPlugin,
      shareExecutionsAcrossViewers(() => instruments.subscriptionExecutions.inc())],
    context: async (initial) => {
      const requestId = initial.requestId ?? requestIdOf(initial.request.headers.get("x-request-id") ?? undefined);
      const origin = new URL(initial.request.url).origin;
      // WebSocket operations were authenticated when the connection opened.
      if (initial.viewer) return contextFor(initial.viewer, origin, requestId);
      try {
        const headers = initial.request.headers;
        // Without a Bearer token, the console's session cookie (which must come with the CSRF header).
        const viewer = await authenticateHttp(headers.get("authorization"), headers.get("cookie"), headers.get("x-modelgraph-csrf"), initial.clientKey ?? "unknown");
        const refusal = initial.sseStream && viewer.tokenId ? sessionLimits.claimSseStream(viewer.tokenId, initial.sseStream) : null;
        if (refusal) throw tooManySessionsError(refusal, 429);
        return contextFor(viewer, origin, requestId);
      } catch (error) {
        if (error instanceof AuthenticationError) throw unauthenticated(error);
        if (error instanceof CsrfHeaderRequiredError) throw new GraphQLError(error.message, { extensions: { code: "CSRF_HEADER_REQUIRED", http: { status: 403 } } });
        throw error;
      }
    },
  });

  /** Responses being produced (SSE streams apart): shutdown waits for them. */
  const inFlight = new Set<http.ServerResponse>();
  /** SSE subscription streams: shutdown ends them, as it closes WebSockets. */
  const streams = new Set<http.ServerResponse>();
  let drained: (() => void) | undefined;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, requestId: string) => {
    try {
      if (await handleHealth(req, res, { db, store, draining: () => draining, timeoutMs: config.readinessTimeoutMs })) return;
      if (await handleMetrics(req, res, instruments.registry, config.metrics.token)) return;
      if (await handleGraphiQLAssets(req, res, graphiql)) return;
      if (isArtifactRequest(req) && cors.handleArtifactRequest(req, res)) return;
      const clientKey = clientAddress(req, config.trustProxyHops);
      const handled = await handleArtifacts(req, res, async () => {
        // A download is a plain navigation from the console (a link cannot send the CSRF header); it changes
        // nothing, and the SameSite=Strict cookie is never sent by another site's page. Uploads need the header.
        const readOnly = req.method === "GET" || req.method === "HEAD";
        const csrf = readOnly ? "1" : String(req.headers["x-modelgraph-csrf"] ?? "");
        const viewer = await authenticateHttp(req.headers.authorization, req.headers.cookie, csrf, clientKey);
        return contextFor(viewer, `http://${req.headers.host ?? "localhost"}`, requestId);
      });
      if (handled) return;
      if (await handleConsole(req, res, { sessions: consoleSessions, trustProxyHops: config.trustProxyHops })) return;
      const sseStream = String(req.headers.accept ?? "").includes("text/event-stream") ? res : undefined;
      await yoga(req, res, { clientKey, requestId, sseStream });
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        log.warn("database unavailable", { error: (error as Error).message.split("\n")[0] });
        if (!res.headersSent) {
          req.resume();
          res.writeHead(503, { "content-type": "application/json", "retry-after": String(RETRY_AFTER_SECONDS) });
          res.end(JSON.stringify({ error: { type: "ServiceUnavailable", message: serviceUnavailableError().message } }));
        } else res.destroy();
        return;
      }
      log.error("request failed", { error: (error as Error).stack ?? String(error) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  };

  const server = http.createServer((req, res) => {
    const requestId = requestIdOf(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    applyRequestTimeout(req, res, config.timeouts);
    if (draining) res.setHeader("connection", "close");
    const route = routeOf(req.url);
    const method = METHODS.has(req.method ?? "") ? req.method! : "other";
    const streaming = route === "graphql" && String(req.headers.accept ?? "").includes("text/event-stream");
    const tracked = streaming ? streams : inFlight;
    tracked.add(res);
    const start = performance.now();
    // Counted when the response is handed to the OS ("finish", before the client can see it), or when the
    // connection closes without one ("close" alone: status 0).
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      tracked.delete(res);
      const status = res.headersSent ? res.statusCode : 0;
      instruments.httpRequests.inc({ route, method, status: String(status) });
      if (!streaming) instruments.httpDuration.observe({ route, method }, (performance.now() - start) / 1000);
      if (status === 503 && (route === "graphql" || route === "artifacts")) instruments.unavailable.inc({ route });
      if (inFlight.size === 0) drained?.();
    };
    res.once("finish", finished);
    res.once("close", finished);
    void requestScope.run({ requestId }, () => handle(req, res, requestId));
  });

  // Longer than the usual load-balancer idle timeout (60 s), so the proxy, not us, closes idle connections. It also
  // keeps a busy embedded database (PGlite blocks the loop while it works) from racing clients' connection reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  configureServerTimeouts(server);

  // Upgrades are routed here rather than by `new WebSocketServer({ server })`, which would also take over the HTTP
  // server's errors (a port already in use would be logged as a WebSocket failure instead of failing start-up).
  // A WebSocket message is one operation: it gets the body limit of an HTTP request (ws closes with 1009 above it).
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.graphql.maxBodyBytes });
  server.on("upgrade", (req, socket, head) => {
    if (draining || (req.url ?? "").split("?")[0] !== "/graphql") {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  const wsServer = useServer<Record<string, unknown>, { socket: WebSocket; request: http.IncomingMessage; viewer?: Viewer; token?: string | null; sessionId?: string }>(
    {
      // Authenticate once per connection: connectionParams.authorization, else the upgrade request's header, else
      // the console's session cookie — from a page of this origin only (cross-site WebSockets are not CORS-checked).
      onConnect: async (ctx) => {
        const request = ctx.extra.request;
        const authorization = String(ctx.connectionParams?.authorization ?? request.headers.authorization ?? "");
        const sessionId = consoleCredential(authorization, request.headers.cookie, "1");
        const token = tokenFromHeader(authorization);
        if (sessionId && !isSameOrigin(request)) {
          ctx.extra.socket.close(4403, "Forbidden: the console session cookie is accepted from this origin only");
          return false;
        }
        try {
          const clientKey = clientAddress(request, config.trustProxyHops);
          ctx.extra.viewer = sessionId ? await consoleSessions.authenticate(sessionId, clientKey) : await authenticateToken(token, clientKey);
          ctx.extra.token = token;
          if (sessionId) ctx.extra.sessionId = sessionId;
          const refusal = ctx.extra.viewer.tokenId ? sessionLimits.claimConnection(ctx.extra.viewer.tokenId, ctx.extra.socket) : null;
          if (refusal) {
            ctx.extra.socket.close(1008, refusal.message); // 1008 "policy violation", saying which limit
            return false;
          }
          return true;
        } catch (error) {
          if (error instanceof AuthenticationError && error.reason === "rate_limited") {
            ctx.extra.socket.close(4429, `Too many failed authentication attempts; retry after ${error.retryAfterSeconds ?? 1} s`);
            return false;
          }
          if (error instanceof AuthenticationError) return false;
          if (isDatabaseUnavailable(error)) {
            // 1013 "try again later": the client reconnects, maybe to another replica.
            ctx.extra.socket.close(1013, "Service unavailable: retry shortly");
            return false;
          }
          throw error;
        }
      },
      // onSubscribe puts Yoga's enveloped execute/subscribe in rootValue, so WebSocket operations run
      // through the same plugins and context as HTTP ones.
      execute: (args) =>
        requestScope.run({ requestId: (args.contextValue as RequestContext).requestId }, () => (args.rootValue as EnvelopedRoot).execute(args)),
      // Live subscriptions whose selection reads nothing of the viewer follow the feed together whatever their
      // identities (one execution and serialisation per event, each member's access checked); other identical ones
      // (same operation, variables and identity) share one execution (events/multicast.ts).
      subscribe: (args) =>
        requestScope.run({ requestId: (args.contextValue as RequestContext).requestId }, async () => {
          const result = await shareIdenticalSubscriptions(args, () => (args.rootValue as EnvelopedRoot).subscribe(args));
          recordWebSocketSubscription(instruments, log, args, result);
          return countedStream(
            result,
            () => instruments.subscriptions.inc({ transport: "ws" }),
            () => instruments.subscriptions.dec({ transport: "ws" }),
          );
        }),
      onSubscribe: async (ctx, id, rawParams) => {
        // graphql-ws lists the new operation among ctx.subscriptions before calling us.
        const refusal = sessionLimits.operationRefusal(Object.keys(ctx.subscriptions).length);
        if (refusal) return [tooManySessionsError(refusal)];
        let params = rawParams;
        if (config.graphql.persistedOperations) {
          try {
            params = resolvePersistedOperation(config.graphql.persistedOperations, rawParams);
          } catch (error) {
            if (error instanceof GraphQLError) return [error];
            throw error;
          }
        }
        // Each operation re-checks the connection's token: a token revoked (or expired) meanwhile stops working at once.
        let viewer: Viewer;
        try {
          const clientKey = clientAddress(ctx.extra.request, config.trustProxyHops);
          viewer = ctx.extra.sessionId
            ? await consoleSessions.authenticate(ctx.extra.sessionId, clientKey)
            : await authenticateToken(ctx.extra.token ?? null, clientKey);
        } catch (error) {
          if (error instanceof AuthenticationError) return [unauthenticated(error)];
          if (isDatabaseUnavailable(error)) return [serviceUnavailableError()];
          throw error;
        }
        const host = ctx.extra.request.headers.host ?? "localhost";
        const { schema: envelopedSchema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          viewer,
          // POST: a WebSocket carries mutations too, which Yoga refuses on GET requests.
          request: new Request(`http://${host}/graphql`, { method: "POST", headers: { "x-request-id": randomUUID() } }),
          params,
        } as never);
        // The enveloped parse counts tokens (graphql/limits.ts) and throws a GraphQLError at the limit.
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const args = {
          schema: envelopedSchema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        // A result shared across subscribers arrives serialised: its `next` message is written here, as graphql-ws
        // would write it (same fields, same order), without stringifying it again per subscriber.
        const socket = ctx.extra.socket;
        const nextPrefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
        allowSharingAcrossViewers(args.contextValue, (resultJson) => {
          if (socket.readyState === socket.OPEN) socket.send(`${nextPrefix}${resultJson}}`);
        });
        return args;
      },
    },
    wss,
  );
  // A message over maxPayload is refused by ws (close 1009) and reported as a socket error, which graphql-ws would
  // print to stderr as an internal error on every such message: it is an expected refusal, logged at debug.
  wss.on("connection", (socket) => {
    const others = socket.listeners("error") as ((error: Error) => void)[];
    socket.removeAllListeners("error");
    socket.on("error", (error: Error & { code?: string }) => {
      if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") log.debug("WebSocket message over the body limit refused", { limit: config.graphql.maxBodyBytes });
      else for (const listener of others) listener.call(socket, error);
    });
  });

  /** Stops the workers and closes the event bus and the database (the last step of a stop). */
  const releaseBackends = async () => {
    await webhooks.stop();
    sessions.stop();
    unsubscribeTokenCache();
    await feed.stop();
    await bus.close();
    await db.close();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // E.g. the port is taken: release what was opened, and say which address could not be had.
    clearInterval(sweeper);
    await wsServer.dispose();
    await releaseBackends();
    const code = (error as NodeJS.ErrnoException).code;
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${code === "EADDRINUSE" ? "the address is already in use" : (error as Error).message}`);
  }
  const address = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host}:${address.port}`;
  log.info("modelgraph listening", { url: `${url}/graphql`, database: db.kind, storage: store.kind, eventBus: bus.kind, dataDir: config.dataDir });

  let stopping: Promise<void> | undefined;
  const shutdown = (timeoutMs: number): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      log.info("shutting down", { inFlight: inFlight.size, webSockets: wss.clients.size, sseStreams: streams.size, timeoutMs });
      clearInterval(sweeper);
      // No new connections; idle keep-alive ones close now, busy ones after their response (connection: close).
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Subscribers reconnect (to another replica): WebSockets get 1001 "going away", SSE streams end.
      const wsClosed = Promise.resolve(wsServer.dispose()).catch(() => {});
      for (const res of streams) res.destroy();
      // Requests in flight finish, within the deadline; their connections close after the response.
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      if (inFlight.size > 0) await within(new Promise<void>((resolve) => (drained = resolve)), deadline - Date.now());
      const cut = inFlight.size;
      if (cut > 0) log.warn("shutdown timeout: cutting requests still in flight", { requests: cut });
      await within(wsClosed, deadline - Date.now());
      for (const socket of wss.clients) socket.terminate();
      server.closeAllConnections();
      await within(listenerClosed, 1_000);
      await releaseBackends();
      log.info("stopped", { requestsCut: cut });
    })();
    return stopping;
  };

  return {
    url,
    db,
    store,
    bus,
    feed,
    webhooks,
    log,
    instruments,
    shutdown,
    close: () => shutdown(2_000),
  };
}
