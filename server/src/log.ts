// The server's logger: pino, writing JSON lines on stdout in the shape the README documents
// ({"level":"info","time":"<ISO 8601>","requestId":…,…fields,"msg":…}): level names, not pino's numbers, and no
// pid/hostname. Callers keep this module's small interface (message first, then fields).
import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";
import type { Config } from "./config.ts";

/** Structured JSON lines on stdout; one logger per app. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * The request being served, if any: every line logged while serving it (from any depth of the call stack,
 * across awaits) carries its `requestId`, so an error can be matched to the request log line and to the
 * `x-request-id` the client got.
 */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** Synchronous writes, as process.stdout's to a file or a pipe: no line is lost when the process exits or crashes. */
let stdout: pino.DestinationStream | undefined;

/** Never written to: pino copies a line's fields out of it. */
const NO_FIELDS = {};

export function createLogger(level: Config["logLevel"]): Logger {
  stdout ??= pino.destination({ fd: 1, sync: true });
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A new object each time: pino assigns the line's fields into it.
      mixin: () => {
        const requestId = requestScope.getStore()?.requestId;
        return requestId ? { requestId } : {};
      },
    },
    stdout,
  );
  return {
    debug: (msg, fields) => logger.debug(fields ?? NO_FIELDS, msg),
    info: (msg, fields) => logger.info(fields ?? NO_FIELDS, msg),
    warn: (msg, fields) => logger.warn(fields ?? NO_FIELDS, msg),
    error: (msg, fields) => logger.error(fields ?? NO_FIELDS, msg),
  };
}
