import { AsyncLocalStorage } from "node:async_hooks";
import type { Config } from "./config.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

/** Structured JSON lines on stdout; one logger per process. */
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

export function createLogger(level: Config["logLevel"]): Logger {
  const min = LEVELS[level];
  const write = (lvl: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const requestId = requestScope.getStore()?.requestId;
    const line = { time: new Date().toISOString(), level: lvl, msg, ...(requestId ? { requestId } : {}), ...fields };
    process.stdout.write(`${JSON.stringify(line, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value))}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
