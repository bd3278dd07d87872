import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";
import type { Config } from "./config.ts";

/** Structured JSON lines on stdout (pino); one logger per process. */
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

const NO_FIELDS = Object.freeze({});

let stdout: pino.DestinationStream | undefined;

/**
 * Synchronous writes to fd 1, as `process.stdout` does on pipes and files: a line is out before the next statement
 * (nothing lost on a crash or exit, and in order with what else the process prints). One per process.
 */
function destination(): pino.DestinationStream {
  stdout ??= pino.destination({ dest: 1, sync: true });
  return stdout;
}

export function createLogger(level: Config["logLevel"]): Logger {
  const logger = pino(
    {
      level,
      // The documented line: {"level":"info","time":"<ISO 8601>","msg":…, "requestId"?, …fields}; no pid or hostname.
      base: null,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A new object each line: pino merges the line's fields into it.
      mixin: () => {
        const requestId = requestScope.getStore()?.requestId;
        return requestId ? { requestId } : {};
      },
    },
    destination(),
  );
  return {
    debug: (msg, fields) => logger.debug(fields ?? NO_FIELDS, msg),
    info: (msg, fields) => logger.info(fields ?? NO_FIELDS, msg),
    warn: (msg, fields) => logger.warn(fields ?? NO_FIELDS, msg),
    error: (msg, fields) => logger.error(fields ?? NO_FIELDS, msg),
  };
}
