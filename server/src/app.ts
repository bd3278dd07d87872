// Wiring: database, artifact store, event bus, authentication, GraphQL over HTTP/SSE and WebSocket, HTTP
// routes. No business rules here.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError, type ExecutionArgs } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { authenticate, AuthenticationError, FailedAuthLimiter, tokenFromHeader } from "./access/authenticate.ts";
import type { Viewer } from "./access/viewer.ts";
import type { Config } from "./config.ts";
import type { RequestContext } from "./context.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { onEventsCommitted } from "./db/transaction.ts";
import { openEventBus, type EventBus } from "./events/bus.ts";
import { EventFeed } from "./events/feed.ts";
import { shareIdenticalSubscriptions } from "./events/multicast.ts";
import { WebhookWorker } from "./events/webhooks.ts";
import { graphqlLimitPlugins, resolvePersistedOperation } from "./graphql/limits.ts";
import { schema } from "./graphql/schema.ts";
import { handleArtifacts } from "./http/artifacts.ts";
import { handleHealth } from "./http/health.ts";
import { createLogger, type Logger } from "./log.ts";
import { bootstrapAdmin } from "./services/bootstrap.ts";
import { sweepExpiredUploads } from "./services/resources.ts";
import { openArtifactStore } from "./storage/index.ts";
import type { ArtifactStore } from "./storage/store.ts";

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => ReturnType<Parameters<typeof useServer>[0]["execute"] & object>;
  subscribe: (args: ExecutionArgs) => ReturnType<Parameters<typeof useServer>[0]["subscribe"] & object>;
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

/** Refusals before the API: 401 (429 when rate limited), as a GraphQL error with a code. */
function unauthenticated(error: AuthenticationError): GraphQLError {
  const status = error.reason === "rate_limited" ? 429 : 401;
  return new GraphQLError(error.message, { extensions: { code: error.reason === "rate_limited" ? "RATE_LIMITED" : "UNAUTHENTICATED", http: { status } } });
}

export async function startApp(config: Config): Promise<App> {
  const log = createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  await bootstrapAdmin(db.prisma, { bootstrapToken: config.bootstrapToken, dataDir: config.dataDir, log });
  const store = await openArtifactStore(config);
  const bus = await openEventBus({ redisUrl: config.redisUrl, databaseUrl: config.databaseUrl, log });
  const feed = new EventFeed(db.prisma, bus, log);
  await feed.start();
  const webhooks = new WebhookWorker(db.prisma, feed, log, config.webhooks);
  webhooks.start();
  onEventsCommitted(db.prisma, (seq) => {
    bus.publish(seq).catch((error) => log.warn("event signal failed; readers will catch up by polling", { error: (error as Error).message }));
  });
  const limiter = new FailedAuthLimiter(config.authFailures.limit, config.authFailures.windowSeconds * 1000);

  // Abandoned uploads (and staging files of a crashed process) are cleaned at start and periodically.
  const sweep = () =>
    sweepExpiredUploads(db.prisma, store, config.artifactUploadTtlSeconds).catch((error) =>
      log.warn("upload sweep failed", { error: (error as Error).message }),
    );
  await sweep();
  const sweeper = setInterval(sweep, Math.min(60, Math.max(1, config.artifactUploadTtlSeconds / 2)) * 1000);
  sweeper.unref();

  const contextFor = (viewer: Viewer, origin: string, requestId: string): RequestContext => ({
    prisma: db.prisma,
    viewer,
    store,
    feed,
    config,
    uploadTtlSeconds: config.artifactUploadTtlSeconds,
    requestId,
    origin,
    warnings: new Map(),
  });

  const yoga = createYoga<{ viewer?: Viewer; clientKey?: string }, RequestContext>({
    schema,
    graphqlEndpoint: "/graphql",
    // GraphiQL needs introspection and runs arbitrary documents: off when either is refused.
    graphiql: config.graphql.introspection && !config.graphql.persistedOperations ? { title: "modelgraph", subscriptionsProtocol: "WS" } : false,
    landingPage: false,
    // graphql/limits.ts limits the body, saying the limit, and counts only bodies without a Content-Length.
    maxRequestBodySize: false,
    // Unexpected errors are masked in responses ("Unexpected error.") and logged here with the request id.
    logging: {
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => log.warn(String(args[0]), { details: args.slice(1).map(String) }),
      error: (...args: unknown[]) =>
        log.error("unexpected error", { error: args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" ") }),
    },
    plugins: [...graphqlLimitPlugins(config.graphql), warningsPlugin],
    context: async (initial) => {
      const requestId = initial.request.headers.get("x-request-id") ?? randomUUID();
      const origin = new URL(initial.request.url).origin;
      // WebSocket operations were authenticated when the connection opened.
      if (initial.viewer) return contextFor(initial.viewer, origin, requestId);
      try {
        const token = tokenFromHeader(initial.request.headers.get("authorization"));
        const viewer = await authenticate(db.prisma, limiter, token, initial.clientKey ?? "unknown");
        return contextFor(viewer, origin, requestId);
      } catch (error) {
        if (error instanceof AuthenticationError) throw unauthenticated(error);
        throw error;
      }
    },
  });

  const server = http.createServer(async (req, res) => {
    try {
      if (await handleHealth(req, res, db, store)) return;
      const clientKey = req.socket.remoteAddress ?? "unknown";
      const handled = await handleArtifacts(req, res, async () => {
        const viewer = await authenticate(db.prisma, limiter, tokenFromHeader(req.headers.authorization), clientKey);
        return contextFor(viewer, `http://${req.headers.host ?? "localhost"}`, String(req.headers["x-request-id"] ?? randomUUID()));
      });
      if (handled) return;
      await yoga(req, res, { clientKey });
    } catch (error) {
      log.error("request failed", { error: (error as Error).message });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });

  // Longer than the usual load-balancer idle timeout (60 s), so the proxy, not us, closes idle connections. It also
  // keeps a busy embedded database (PGlite blocks the loop while it works) from racing clients' connection reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  // A WebSocket message is one operation: it gets the body limit of an HTTP request (ws closes with 1009 above it).
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: config.graphql.maxBodyBytes });
  const wsServer = useServer<Record<string, unknown>, { request: http.IncomingMessage; viewer?: Viewer; token?: string | null }>(
    {
      // Authenticate once per connection: connectionParams.authorization, else the upgrade request's header.
      onConnect: async (ctx) => {
        const token = tokenFromHeader(String(ctx.connectionParams?.authorization ?? ctx.extra.request.headers.authorization ?? ""));
        try {
          ctx.extra.viewer = await authenticate(db.prisma, limiter, token, ctx.extra.request.socket.remoteAddress ?? "unknown");
          ctx.extra.token = token;
          return true;
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
      },
      // onSubscribe puts Yoga's enveloped execute/subscribe in rootValue, so WebSocket operations run
      // through the same plugins and context as HTTP ones.
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      // Identical live subscriptions (same operation, variables and identity) share one execution (events/multicast.ts).
      subscribe: (args) => shareIdenticalSubscriptions(args, () => (args.rootValue as EnvelopedRoot).subscribe(args)),
      onSubscribe: async (ctx, _id, rawParams) => {
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
          viewer = await authenticate(db.prisma, limiter, ctx.extra.token ?? null, ctx.extra.request.socket.remoteAddress ?? "unknown");
        } catch (error) {
          if (error instanceof AuthenticationError) return [unauthenticated(error)];
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

  await new Promise<void>((resolve) => server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, resolve));
  const address = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host}:${address.port}`;
  log.info("modelgraph listening", { url: `${url}/graphql`, database: db.kind, storage: store.kind, eventBus: bus.kind, dataDir: config.dataDir });

  return {
    url,
    db,
    store,
    bus,
    feed,
    webhooks,
    log,
    async close() {
      clearInterval(sweeper);
      await wsServer.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await webhooks.stop();
      await feed.stop();
      await bus.close();
      await db.close();
    },
  };
}
