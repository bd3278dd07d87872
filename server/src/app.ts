// Wiring: database, GraphQL over HTTP/SSE and WebSocket, HTTP routes. No business rules here.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ExecutionArgs } from "graphql";
import { createYoga, type Plugin } from "graphql-yoga";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Config } from "./config.ts";
import type { RequestContext } from "./context.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { schema } from "./graphql/schema.ts";
import { handleArtifacts } from "./http/artifacts.ts";
import { handleHealth } from "./http/health.ts";
import { createLogger, type Logger } from "./log.ts";
import { ensureLocalAdmin } from "./services/bootstrap.ts";
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

export async function startApp(config: Config): Promise<App> {
  const log = createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
  const viewer = await ensureLocalAdmin(db.prisma);
  const store = await openArtifactStore(config);

  // Abandoned uploads (and staging files of a crashed process) are cleaned at start and periodically.
  const sweep = () =>
    sweepExpiredUploads(db.prisma, store, config.artifactUploadTtlSeconds).catch((error) =>
      log.warn("upload sweep failed", { error: (error as Error).message }),
    );
  await sweep();
  const sweeper = setInterval(sweep, Math.min(60, Math.max(1, config.artifactUploadTtlSeconds / 2)) * 1000);
  sweeper.unref();

  const baseContext = (origin: string) => ({
    prisma: db.prisma,
    viewer,
    store,
    config,
    uploadTtlSeconds: config.artifactUploadTtlSeconds,
    requestId: randomUUID(),
    origin,
    warnings: new Map(),
  });

  const yoga = createYoga<Record<string, unknown>, RequestContext>({
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
    context: ({ request }) => ({
      ...baseContext(new URL(request.url).origin),
      requestId: request.headers.get("x-request-id") ?? randomUUID(),
    }),
  });

  const server = http.createServer(async (req, res) => {
    try {
      if (await handleHealth(req, res, db)) return;
      if (await handleArtifacts(req, res, () => baseContext(`http://${req.headers.host ?? "localhost"}`))) return;
      await yoga.requestListener(req, res);
    } catch (error) {
      log.error("request failed", { error: (error as Error).message });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });

  const wss = new WebSocketServer({ server, path: "/graphql" });
  const wsServer = useServer<Record<string, unknown>, { req: http.IncomingMessage }>(
    {
      // onSubscribe puts Yoga's enveloped execute/subscribe in rootValue, so WebSocket operations run
      // through the same plugins and context as HTTP ones.
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema: envelopedSchema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
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

  // A deep accept queue: Node's default backlog (511) overflows when many clients connect at once while the event
  // loop is busy, and the kernel then drops (later resets) the connections it could not queue.
  await new Promise<void>((resolve) => server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, resolve));
  const address = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host}:${address.port}`;
  log.info("modelgraph listening", { url: `${url}/graphql`, database: db.kind, dataDir: config.dataDir });

  return {
    url,
    db,
    store,
    log,
    async close() {
      clearInterval(sweeper);
      await wsServer.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await db.close();
    },
  };
}
