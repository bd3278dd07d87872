import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { createHash } from "node:crypto";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";
import { ensurePrivateDir } from "../storage/private-files.ts";
import { trackTransactions } from "./driver.ts";
import { applyMigrations, type SqlRunner } from "./migrate.ts";
import { openPgliteFiles, takeEarlyPglite } from "./pglite-template.ts";

/** The Prisma client the server uses. */
export type Prisma = PrismaClient;

/** An open database: the Prisma client, a raw SQL runner for migrations and the count of statements sent. */
export interface Database {
  kind: "pglite" | "postgres";
  prisma: Prisma;
  /** Statements sent since start, by Prisma, the transaction helper and `read` (observability and the N+1 tests). */
  readonly stats: { statements: number };
  /** Calls `listener` with the text of every statement sent from now on (BEGIN is not counted). */
  onStatement(listener: (sql: string) => void): void;
  /** Runs one read-only statement whose rows each hold one text column `o` (db/sql-reads.ts), past Prisma. */
  read(sql: string, params: unknown[]): Promise<string[]>;
  /** Connections now: PostgreSQL's pool (open, idle, callers waiting for one); PGlite is one in-process connection. */
  pool(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  max: number;
  total: number;
  /** Unknown for PGlite (it has no pool). */
  idle?: number;
  waiting?: number;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; absent means embedded PGlite stored under `dataDir/db`. */
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
  /** Named (prepared) statements on PostgreSQL; see statementName. */
  preparedStatements: boolean;
}

/** Opens the database named by the configuration and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize, options.preparedStatements);
  return openPglite(path.join(options.dataDir, "db"));
}

/**
 * Opening a connection gives up after CONNECT_TIMEOUT_MS (an unreachable host that drops packets would otherwise
 * hold a request for minutes), and TCP keep-alive notices peers that vanished. Set on the client, not the pool:
 * the pool's own timeout would also cut callers that merely wait for a busy pool.
 */
const CONNECT_TIMEOUT_MS = 10_000;

class BoundedConnectClient extends pg.Client {
  constructor(config: pg.ClientConfig = {}) {
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  }
}

/**
 * Most of PostgreSQL's work on our short statements was parsing and planning them again each time (log durations of
 * one promotion: parse and bind ~0.3–0.9 ms each, execute ~0.05 ms). A named statement is parsed once per connection
 * and its plan cached (PostgreSQL keeps re-planning it when a generic plan would cost more). Named by a hash of the
 * text, so one text has one name; bounded, since each distinct text costs memory in every connection, and texts
 * whose length varies with the data (long IN lists) are left unnamed.
 */
const MAX_NAMED_STATEMENTS = 500;
const MAX_NAMED_ARGS = 32;
const statementNames = new Map<string, string>();

function statementName(query: { sql: string; args: unknown[] }): string | undefined {
  if (query.args.length > MAX_NAMED_ARGS) return undefined;
  let name = statementNames.get(query.sql);
  if (name === undefined) {
    if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
    name = `mg_${createHash("sha1").update(query.sql).digest("base64url")}`;
    statementNames.set(query.sql, name);
  }
  return name;
}

async function openPostgres(url: string, poolSize: number, preparedStatements: boolean): Promise<Database> {
  const migrationClient = new pg.Client({ connectionString: url });
  await migrationClient.connect();
  try {
    await applyMigrations(pgRunner(migrationClient));
  } finally {
    await migrationClient.end();
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize, Client: BoundedConnectClient });
  // A broken idle connection (e.g. PostgreSQL restarted) must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  const counter = statementCounter();
  const prisma = newPrismaClient(trackTransactions(new PrismaPg(pool, preparedStatements ? { statementNameGenerator: statementName as (query: { sql: string }) => string } : {}), counter.sent));
  const poolStats = () => ({ max: poolSize, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  const read = async (sql: string, params: unknown[]) => {
    counter.sent(sql);
    const name = preparedStatements ? statementName({ sql, args: params }) : undefined;
    return (await pool.query<{ o: string }>({ text: sql, values: params, ...(name ? { name } : {}) })).rows.map((r) => r.o);
  };
  return { kind: "postgres", prisma, ...counter.api, read, pool: poolStats, close: async () => {
    await prisma.$disconnect();
    await pool.end();
  } };
}

async function openPglite(dir: string): Promise<Database> {
  const pglite = await (takeEarlyPglite(dir) ?? openPgliteFiles(dir));
  const counter = statementCounter();
  const prisma = newPrismaClient(trackTransactions(new PrismaPGlite(pglite), counter.sent));
  // PGlite's query waits for a transaction open on its one connection, as Prisma's statements do.
  const read = async (sql: string, params: unknown[]) => {
    counter.sent(sql);
    return (await pglite.query<{ o: string }>(sql, params)).rows.map((r) => r.o);
  };
  return { kind: "pglite", prisma, ...counter.api, read, pool: () => ({ max: 1, total: 1 }), close: async () => {
    await prisma.$disconnect();
    await pglite.close();
    await ensurePrivateDir(dir);
  } };
}

function newPrismaClient(adapter: SqlDriverAdapterFactory): Prisma {
  return new PrismaClient({
    adapter,
    // Many writers can queue on one model's row lock; let them wait rather than fail.
    transactionOptions: { maxWait: 120_000, timeout: 60_000 },
  });
}

/** Counts the statements the tracked adapter sends (db/driver.ts) and tells the listeners. */
function statementCounter() {
  const stats = { statements: 0 };
  const listeners: ((sql: string) => void)[] = [];
  const sent = (sql: string) => {
    stats.statements++;
    for (const listener of listeners) listener(sql);
  };
  return { sent, api: { stats, onStatement: (listener: (sql: string) => void) => void listeners.push(listener) } };
}

function pgRunner(client: pg.Client): SqlRunner {
  return {
    query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}
