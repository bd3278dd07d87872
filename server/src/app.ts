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

/**
 * The caller's address, which failed authentications are counted against. Behind `trustProxyHops` proxies of
 * our own, it is the address the outermost of them saw (X-Forwarded-For, read from the right, since a client
 * can put anything on its left); otherwise the socket's peer.
 */
export function clientAddress(req: http.IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (trustProxyHops === 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((h) => h.trim()).filter(Boolean);
  return hops[hops.length - trustProxyHops] ?? hops[0] ?? peer;
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
    graphiql: { title: "modelgraph", subscriptionsProtocol: "WS" },
    landingPage: false,
    // Unexpected errors are masked in responses ("Unexpected error.") and logged here with the request id.
    logging: {
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => log.warn(String(args[0]), { details: args.slice(1).map(String) }),
      error: (...args: unknown[]) =>
        log.error("unexpected error", { error: args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" ") }),
    },
    plugins: [warningsPlugin],
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
      const clientKey = clientAddress(req, config.trustProxyHops);
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

  // Upgrades are routed here rather than by `new WebSocketServer({ server })`, which would also take over the HTTP
  // server's errors (a port already in use would be logged as a WebSocket failure instead of failing start-up).
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    if ((req.url ?? "").split("?")[0] !== "/graphql") {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  const wsServer = useServer<Record<string, unknown>, { request: http.IncomingMessage; viewer?: Viewer; token?: string | null }>(
    {
      // Authenticate once per connection: connectionParams.authorization, else the upgrade request's header.
      onConnect: async (ctx) => {
        const token = tokenFromHeader(String(ctx.connectionParams?.authorization ?? ctx.extra.request.headers.authorization ?? ""));
        try {
          ctx.extra.viewer = await authenticate(db.prisma, limiter, token, clientAddress(ctx.extra.request, config.trustProxyHops));
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
      onSubscribe: async (ctx, _id, params) => {
        // Each operation re-checks the connection's token: a token revoked (or expired) meanwhile stops working at once.
        let viewer: Viewer;
        try {
          viewer = await authenticate(db.prisma, limiter, ctx.extra.token ?? null, clientAddress(ctx.extra.request, config.trustProxyHops));
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
        const args = {
          schema: envelopedSchema,
          operationName: params.operationName,
          document: parse(params.query),
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
    await webhooks.stop();
    await feed.stop();
    await bus.close();
    await db.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${code === "EADDRINUSE" ? "the address is already in use" : (error as Error).message}`);
  }
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
