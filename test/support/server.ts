// Starts a real modelgraph server for a test file: on a fresh PGlite data directory, or on a fresh
// database of the machine's PostgreSQL, depending on the vitest project (MG_TEST_DB).
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startApp, type App } from "../../server/src/app.ts";
import { loadConfig } from "../../server/src/config.ts";

export type DbKind = "pglite" | "postgres";

/**
 * The server's executable as operators run it (`pnpm start` runs it too): the compiled server while it is fresh,
 * else the TypeScript sources through tsx (server/bin.js). Tests that need a server process spawn
 * `node SERVER_BIN`.
 */
export const SERVER_BIN = path.resolve(import.meta.dirname, "../../server/bin.js");

/** The bootstrap admin's token on every test server (MODELGRAPH_BOOTSTRAP_TOKEN). */
export const ADMIN_TOKEN = "mg_test_admin_token_for_the_test_suite_000001";

export const dbKind: DbKind = process.env.MG_TEST_DB === "postgres" ? "postgres" : "pglite";

/** Admin connection used to create one database per test server. */
export const POSTGRES_ADMIN_URL = process.env.MG_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

let postgresReachable: Promise<boolean> | undefined;

/** Whether the machine's PostgreSQL answers. On CI it must (the suite fails rather than skip). */
export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      if (process.env.CI) throw new Error(`PostgreSQL is required on CI but ${POSTGRES_ADMIN_URL} is unreachable`);
      return false;
    }
  })();
  return postgresReachable;
}

/** True when this project's database is available; tests of the postgres project skip without one locally. */
export const databaseAvailable = dbKind === "pglite" ? true : await isPostgresReachable();
if (!databaseAvailable) {
  console.warn(`[modelgraph tests] PostgreSQL at ${POSTGRES_ADMIN_URL} is unreachable: the postgres project is skipped`);
}

/** The Redis the Redis-bus variants of tests use. */
export const REDIS_URL = process.env.MG_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether Redis answers a PING (CI must have it, like PostgreSQL; elsewhere the Redis variants are skipped). */
export async function redisReachable(): Promise<boolean> {
  const { hostname, port } = new URL(REDIS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(2_000, () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => (socket.end(), resolve(data.toString().startsWith("+PONG"))));
  });
  if (!ok && process.env.CI) throw new Error(`Redis is required on CI but ${REDIS_URL} is unreachable`);
  if (!ok) console.warn(`[modelgraph tests] Redis at ${REDIS_URL} is unreachable: the Redis variants are skipped`);
  return ok;
}

/**
 * The buses a change made on one replica can reach another through, for `describe.each`: the database's own (NOTIFY
 * on PostgreSQL, in-process on PGlite) and, on PostgreSQL with Redis reachable, Redis (`run` false: skip the variant).
 */
export async function accessChangeBuses(): Promise<{ bus: string; env: Record<string, string>; run: boolean }[]> {
  return [
    { bus: dbKind === "postgres" ? "postgres" : "in-process", env: {}, run: databaseAvailable },
    { bus: "redis", env: { REDIS_URL }, run: databaseAvailable && dbKind === "postgres" && (await redisReachable()) },
  ];
}

export interface TestServer {
  app: App;
  url: string;
  /** The database this server uses: a PGlite data dir or a PostgreSQL URL. */
  dataDir: string;
  databaseUrl: string | undefined;
  close(): Promise<void>;
}

/** Creates an empty database (or data directory) for a server; returns the environment to point at it. */
export async function freshDatabase(): Promise<{ env: Record<string, string>; dataDir: string; databaseUrl?: string; drop(): Promise<void> }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-test-"));
  if (dbKind === "pglite") {
    // The server copies the migrated empty database into the fresh DATA_DIR (test/support/global-setup.ts).
    return { env: { DATA_DIR: dataDir }, dataDir, drop: () => fs.rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `mg_test_${randomUUID().replaceAll("-", "")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
    dataDir,
    databaseUrl,
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts another server (a replica) on the database of `primary`, as a second process of a deployment would.
 * PostgreSQL only: PGlite is one process's database. Closing it leaves the database to `primary`.
 */
export async function startReplica(primary: TestServer, extraEnv: Record<string, string> = {}): Promise<TestServer> {
  if (!primary.databaseUrl) throw new Error("a replica needs PostgreSQL (PGlite is single-process)");
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DATABASE_POOL_SIZE: "8",
    MODELGRAPH_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    DATA_DIR: primary.dataDir,
    DATABASE_URL: primary.databaseUrl,
    ...extraEnv,
  });
  const app = await startApp(config);
  return { app, url: app.url, dataDir: primary.dataDir, databaseUrl: primary.databaseUrl, close: () => app.close() };
}

/**
 * Replicas A and B of one deployment on a fresh database: two servers on PostgreSQL, the one server twice on PGlite
 * (a single process). `close` stops both and drops the database.
 */
export async function startReplicaPair(extraEnv: Record<string, string> = {}): Promise<{ a: TestServer; b: TestServer; close(): Promise<void> }> {
  const a = await startTestServer(extraEnv);
  const b = dbKind === "postgres" ? await startReplica(a, extraEnv) : a;
  return {
    a,
    b,
    async close() {
      if (b !== a) await b.close();
      await a.close();
    },
  };
}

/** Starts a server on a fresh database, listening on a free port of 127.0.0.1. */
export async function startTestServer(extraEnv: Record<string, string> = {}): Promise<TestServer> {
  const db = await freshDatabase();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DATABASE_POOL_SIZE: "8",
    MODELGRAPH_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
    ...db.env,
    ...extraEnv,
  });
  const app = await startApp(config);
  return {
    app,
    url: app.url,
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
