// Is this error "the database cannot be reached right now"? Such failures are not bugs: clients should retry
// (HTTP 503, SERVICE_UNAVAILABLE). They reach us in several shapes depending on where the connection broke:
// Prisma error codes, driver-adapter error kinds, PostgreSQL SQLSTATEs, Node socket errors or pg's own messages.

/** Prisma codes of connection-level failures (can't reach, timed out, closed, pool exhausted). */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P1037"]);

/** Driver-adapter error kinds (@prisma/driver-adapter-utils) that mean the connection, not the query, failed. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/**
 * SQLSTATEs: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, class 08 connection
 * exceptions, 53300 too_many_connections.
 */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006", "53300"]);

/** Node socket errors on the database connection. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Messages of pg and Prisma for the same situations, when no code survived the wrapping. */
const MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection|the database system is (shutting down|starting up|in recovery mode|not yet accepting connections)|terminating connection due to administrator command|Timed out fetching a new connection|Cannot use a pool after calling end/i;

/** True when `error` (or anything it wraps: originalError, cause, meta.driverAdapterError) is a lost database. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const x = e as {
      name?: unknown;
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      originalError?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown; code?: unknown };
      errors?: unknown;
    };
    if (typeof x.code === "string" && (PRISMA_CODES.has(x.code) || SQLSTATES.has(x.code) || SOCKET_CODES.has(x.code))) return true;
    if (typeof x.kind === "string" && ADAPTER_KINDS.has(x.kind)) return true;
    if (typeof x.originalCode === "string" && SQLSTATES.has(x.originalCode)) return true;
    if (typeof x.meta?.code === "string" && SQLSTATES.has(x.meta.code)) return true;
    if (typeof x.message === "string" && MESSAGES.test(x.message)) return true;
    if (x.name === "PrismaClientInitializationError") return true;
    queue.push(x.originalError, x.cause, x.meta?.driverAdapterError);
    if (Array.isArray(x.errors)) queue.push(...x.errors);
  }
  return false;
}

/** Seconds a client is asked to wait (Retry-After) before retrying a request refused for this reason. */
export const RETRY_AFTER_SECONDS = 2;
