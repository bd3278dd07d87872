import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseNetworkList, type Network } from "./domain/networks.ts";

/** Where the server keeps its state and how it is reached. The one place environment variables are read. */
export interface Config {
  port: number;
  host: string;
  /** Embedded database files (PGlite) and filesystem artifacts live here. */
  dataDir: string;
  /** PostgreSQL connection string; absent means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Connections in the PostgreSQL pool of each replica. */
  databasePoolSize: number;
  /** Prepare Prisma's statements once per connection (off behind a pooler that cannot keep them, e.g. PgBouncer's transaction mode before 1.21). */
  databasePreparedStatements: boolean;
  /** Nested reads in one SQL statement past Prisma's interpreter where they can (db/sql-reads.ts); off: every read through Prisma. */
  databaseSqlReads: boolean;
  s3:
    | { endpoint: string; bucket: string; accessKey: string; secretKey: string; region: string }
    | undefined;
  redisUrl: string | undefined;
  bootstrapToken: string | undefined;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Seconds before an abandoned PENDING upload is cleaned up. */
  artifactUploadTtlSeconds: number;
  /** Failed authentications allowed per client address within `windowSeconds` before it is refused with 429. */
  authFailures: { limit: number; windowSeconds: number };
  /** Seconds a process reuses a token's successful authentication without asking the database (0: never). */
  authCacheSeconds: number;
  /** Proxies of ours in front of the server: the client address is read from X-Forwarded-For that many hops back. */
  trustProxyHops: number;
  /** Webhook retries: the first waits `retryBaseMs`, each next one twice as long; FAILED after `maxAttempts`. */
  webhooks: {
    retryBaseMs: number;
    maxAttempts: number;
    disableAfterFailures: number;
    /** Networks deliveries may reach although they are loopback, private, link-local… (default: none). */
    allowedNetworks: readonly Network[];
  };
  /** GET /metrics: open, or only with `Authorization: Bearer <token>` when a token is set. */
  metrics: { token: string | undefined };
  /** On SIGTERM/SIGINT, requests in flight get this long to finish before connections are cut. */
  shutdownTimeoutSeconds: number;
  /** /readyz fails a dependency check that takes longer than this. */
  readinessTimeoutMs: number;
  /** Abuse limits of /graphql (HTTP and WebSocket); see graphql/limits.ts. */
  graphql: GraphQLLimitsConfig;
  /** How long a client may take to send its request; see http/timeouts.ts. */
  timeouts: {
    /** Artifact routes: the connection is cut after this long without a byte in either direction. */
    artifactIdleSeconds: number;
    /** Every other request must arrive whole (headers and body) within this long. */
    requestSeconds: number;
  };
  /** Origins (exact `scheme://host[:port]`) whose browser pages may call the API; same-origin only when empty. */
  corsOrigins: readonly string[];
  /** Long-lived sessions, counted per replica (each replica of a deployment allows this many). */
  sessions: {
    /** Open WebSocket connections authenticated with one token. */
    maxConnectionsPerToken: number;
    /** Operations in progress (subscriptions, and queries still running) on one WebSocket connection. */
    maxSubscriptionsPerConnection: number;
    /** Open SSE (text/event-stream) responses authenticated with one token. */
    maxSseStreamsPerToken: number;
    /**
     * Seconds between re-checks of the tokens of open subscriptions without a signal: ends those whose token expired
     * meanwhile, and bounds the delay a lost access-change signal can cause.
     */
    recheckSeconds: number;
  };
}

/** What a GraphQL request may ask for before it is refused, without running it. */
export interface GraphQLLimitsConfig {
  /** Deepest field nesting of an operation (fragments flattened). */
  maxDepth: number;
  /**
   * graphql-armor cost: objects 2, scalars 1, ×1.5 per level, × each field's multiplier (connection page sizes with
   * variables and defaults, plain lists at their cap, × the entries of list arguments); see graphql/limits.ts.
   */
  maxCost: number;
  /** Aliased fields per operation (`__typename` aliases are free). */
  maxAliases: number;
  /** Directives per operation. */
  maxDirectives: number;
  /** Lexical tokens of a document, counted while parsing (the parse stops at the limit). */
  maxTokens: number;
  /** Selections (fields, fragment spreads, inline fragments) of a document, counted before validation. */
  maxSelections: number;
  /** Ids one `nodes(ids:)` may ask for. */
  maxNodeIds: number;
  /** Bytes of a query's or mutation's JSON result; counted as fields resolve, refused once over. */
  maxResponseBytes: number;
  /** Bytes of a request body on /graphql (artifact routes stream and are not limited by this). */
  maxBodyBytes: number;
  /** `__schema` / `__type` allowed (and GraphiQL served). */
  introspection: boolean;
  /**
   * From the JSON file GRAPHQL_PERSISTED_OPERATIONS (`{ "<sha256 hex of the document>": "<document>" }`): when set,
   * only these operations are accepted, by hash.
   */
  persistedOperations: ReadonlyMap<string, string> | undefined;
}

/** Start-up refused because of the environment; the message names every offending variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const postgresUrl = optionalString.refine(
  (value) => value === undefined || /^postgres(ql)?:\/\/.+/.test(value),
  "must be a postgres:// or postgresql:// URL",
);

const port = (fallback: number) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, "must be an integer")
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, "must be between 0 and 65535")
      .optional(),
  ).transform((n) => n ?? fallback);

const positiveInt = (fallback: number) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^[1-9]\d*$/, "must be a positive integer")
      .transform(Number)
      .optional(),
  ).transform((n) => n ?? fallback);

const nonNegativeInt = (fallback: number) =>
  optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, "must be a non-negative integer")
      .transform(Number)
      .optional(),
  ).transform((n) => n ?? fallback);
const booleanFlag = (fallback: boolean) =>
  optionalString.pipe(
    z
      .string()
      .toLowerCase()
      .refine((v) => ["true", "false", "1", "0", "on", "off", "yes", "no"].includes(v), "must be true or false")
      .transform((v) => ["true", "1", "on", "yes"].includes(v))
      .optional(),
  ).transform((b) => b ?? fallback);

/** A persisted-operations manifest: a JSON object mapping sha256 hex hashes to GraphQL documents. */
const persistedOperationsFile = optionalString.transform((value, ctx) => {
  if (value === undefined) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(fs.readFileSync(path.resolve(value), "utf8"));
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `cannot read a JSON file at ${value} (${(error as Error).message})` });
    return z.NEVER;
  }
  const entries = manifest !== null && typeof manifest === "object" && !Array.isArray(manifest) ? Object.entries(manifest) : undefined;
  if (!entries || entries.some(([hash, document]) => !/^[0-9a-f]{64}$/.test(hash) || typeof document !== "string")) {
    ctx.addIssue({ code: "custom", message: `${value} must hold a JSON object mapping sha256 hex hashes to GraphQL documents` });
    return z.NEVER;
  }
  return new Map(entries as [string, string][]) as ReadonlyMap<string, string>;
});

const httpUrl = optionalString.refine(
  (value) => value === undefined || /^https?:\/\/[^/]+/.test(value),
  "must be an http:// or https:// URL",
);

/** A comma-separated list of IPv4/IPv6 CIDRs (a bare address is a single host). */
const networkList = optionalString.transform((value, ctx) => {
  if (value === undefined) return [] as Network[];
  const parsed = parseNetworkList(value);
  if ("invalid" in parsed) {
    ctx.addIssue({ code: "custom", message: `must be comma-separated CIDRs such as 10.1.0.0/16,fd00::/8 (not: ${parsed.invalid.join(", ")})` });
    return z.NEVER;
  }
  return parsed.networks;
});

/** A comma-separated list of exact origins (`https://console.example.com`), each as a browser sends it. */
const originList = optionalString.transform((value, ctx) => {
  if (value === undefined) return [] as readonly string[];
  const origins = value.split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // An origin has no path, query or trailing slash; a wildcard would hand every site the API.
    if (!parsed || !["http:", "https:"].includes(parsed.protocol) || parsed.origin !== origin || origin.includes("*")) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(origin)} is not an exact origin such as https://console.example.com (no path, no trailing slash, no wildcard)` });
      return z.NEVER;
    }
  }
  return origins as readonly string[];
});

const EnvSchema = z.object({
  PORT: port(4000),
  HOST: optionalString.transform((v) => v ?? "0.0.0.0"),
  DATA_DIR: optionalString.transform((v) => path.resolve(v ?? "./.modelgraph")),
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: positiveInt(10),
  DATABASE_PREPARED_STATEMENTS: booleanFlag(true),
  DATABASE_SQL_READS: booleanFlag(true),
  S3_ENDPOINT: httpUrl,
  S3_BUCKET: optionalString,
  S3_ACCESS_KEY: optionalString,
  S3_SECRET_KEY: optionalString,
  S3_REGION: optionalString,
  REDIS_URL: optionalString.refine(
    (value) => value === undefined || /^rediss?:\/\/.+/.test(value),
    "must be a redis:// or rediss:// URL",
  ),
  MODELGRAPH_BOOTSTRAP_TOKEN: optionalString.refine(
    (value) => value === undefined || /^mg_[A-Za-z0-9_-]{20,}$/.test(value),
    "must start with mg_ followed by at least 20 characters of [A-Za-z0-9_-]",
  ),
  LOG_LEVEL: optionalString.pipe(z.enum(["debug", "info", "warn", "error", "silent"]).optional()),
  ARTIFACT_UPLOAD_TTL: positiveInt(24 * 3600),
  AUTH_FAILURE_LIMIT: positiveInt(20),
  AUTH_FAILURE_WINDOW_SECONDS: positiveInt(60),
  AUTH_CACHE_SECONDS: nonNegativeInt(5),
  TRUST_PROXY_HOPS: optionalString.pipe(z.string().regex(/^\d+$/, "must be a whole number (0 when no proxy of yours is in front)").transform(Number).optional()),
  WEBHOOK_RETRY_BASE_MS: positiveInt(5_000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(8),
  WEBHOOK_DISABLE_AFTER_FAILURES: positiveInt(10),
  WEBHOOK_ALLOWED_NETWORKS: networkList,
  METRICS_TOKEN: optionalString.refine(
    (value) => value === undefined || /^[\x21-\x7e]{16,}$/.test(value),
    "must be at least 16 printable characters without spaces",
  ),
  SHUTDOWN_TIMEOUT_SECONDS: nonNegativeInt(25),
  READINESS_TIMEOUT_MS: positiveInt(2_000),
  GRAPHQL_MAX_DEPTH: positiveInt(15),
  GRAPHQL_MAX_COST: positiveInt(5_000_000),
  GRAPHQL_MAX_ALIASES: positiveInt(50),
  GRAPHQL_MAX_DIRECTIVES: positiveInt(50),
  GRAPHQL_MAX_TOKENS: positiveInt(10_000),
  GRAPHQL_MAX_SELECTIONS: positiveInt(500),
  GRAPHQL_MAX_NODE_IDS: positiveInt(100),
  GRAPHQL_MAX_RESPONSE_BYTES: positiveInt(16 * 1024 * 1024),
  GRAPHQL_MAX_BODY_BYTES: positiveInt(512 * 1024),
  GRAPHQL_INTROSPECTION: booleanFlag(true),
  GRAPHQL_PERSISTED_OPERATIONS: persistedOperationsFile,
  ARTIFACT_IDLE_TIMEOUT_SECONDS: positiveInt(60),
  REQUEST_TIMEOUT_SECONDS: positiveInt(300),
  CORS_ORIGINS: originList,
  WS_MAX_CONNECTIONS_PER_TOKEN: positiveInt(100),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(200),
  SSE_MAX_STREAMS_PER_TOKEN: positiveInt(100),
  SESSION_RECHECK_SECONDS: positiveInt(60),
});

/**
 * Reads and validates the configuration. Throws a ConfigError naming each invalid variable,
 * so that a misconfigured replica refuses to start instead of misbehaving later.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  let s3: Config["s3"];
  if (e.S3_ENDPOINT) {
    const missing = (["S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY"] as const).filter((k) => !e[k]);
    if (missing.length > 0) {
      throw new ConfigError(
        `Invalid configuration:\n${missing.map((k) => `  ${k}: required when S3_ENDPOINT is set`).join("\n")}`,
      );
    }
    s3 = {
      endpoint: e.S3_ENDPOINT,
      bucket: e.S3_BUCKET!,
      accessKey: e.S3_ACCESS_KEY!,
      secretKey: e.S3_SECRET_KEY!,
      region: e.S3_REGION ?? "us-east-1",
    };
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    databaseSqlReads: e.DATABASE_SQL_READS,
    s3,
    redisUrl: e.REDIS_URL,
    bootstrapToken: e.MODELGRAPH_BOOTSTRAP_TOKEN,
    logLevel: e.LOG_LEVEL ?? "info",
    artifactUploadTtlSeconds: e.ARTIFACT_UPLOAD_TTL,
    authFailures: { limit: e.AUTH_FAILURE_LIMIT, windowSeconds: e.AUTH_FAILURE_WINDOW_SECONDS },
    authCacheSeconds: e.AUTH_CACHE_SECONDS,
    trustProxyHops: e.TRUST_PROXY_HOPS ?? 0,
    webhooks: {
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      disableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
      allowedNetworks: e.WEBHOOK_ALLOWED_NETWORKS,
    },
    metrics: { token: e.METRICS_TOKEN },
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    readinessTimeoutMs: e.READINESS_TIMEOUT_MS,
    graphql: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxCost: e.GRAPHQL_MAX_COST,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxSelections: e.GRAPHQL_MAX_SELECTIONS,
      maxNodeIds: e.GRAPHQL_MAX_NODE_IDS,
      maxResponseBytes: e.GRAPHQL_MAX_RESPONSE_BYTES,
      maxBodyBytes: e.GRAPHQL_MAX_BODY_BYTES,
      introspection: e.GRAPHQL_INTROSPECTION,
      persistedOperations: e.GRAPHQL_PERSISTED_OPERATIONS,
    },
    timeouts: { artifactIdleSeconds: e.ARTIFACT_IDLE_TIMEOUT_SECONDS, requestSeconds: e.REQUEST_TIMEOUT_SECONDS },
    corsOrigins: e.CORS_ORIGINS,
    sessions: {
      maxConnectionsPerToken: e.WS_MAX_CONNECTIONS_PER_TOKEN,
      maxSubscriptionsPerConnection: e.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSseStreamsPerToken: e.SSE_MAX_STREAMS_PER_TOKEN,
      recheckSeconds: e.SESSION_RECHECK_SECONDS,
    },
  };
}

/** Every environment variable the loader reads (checked against docker-compose.yml by a test). */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);
