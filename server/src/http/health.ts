import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../db/database.ts";
import type { ArtifactStore } from "../storage/store.ts";

export interface HealthOptions {
  db: Database;
  store: ArtifactStore;
  /** True once shutdown began: the process still finishes its requests but must get no new ones. */
  draining: () => boolean;
  /** Each check fails after this long: an unreachable dependency makes /readyz answer 503, never hang. */
  timeoutMs?: number;
}

/** `/healthz`: the process is alive. `/readyz`: not shutting down, and the database and artifact store answer. */
export async function handleHealth(req: IncomingMessage, res: ServerResponse, options: HealthOptions): Promise<boolean> {
  const path = (req.url ?? "").split("?")[0];
  if (path === "/healthz") {
    send(res, 200, { status: "ok" });
    return true;
  }
  if (path === "/readyz") {
    if (options.draining()) {
      send(res, 503, { status: "shutting down" });
      return true;
    }
    const timeoutMs = options.timeoutMs ?? 2_000;
    const [database, storage] = await Promise.all([
      check(() => options.db.prisma.$queryRaw`SELECT 1`, timeoutMs),
      check(() => options.store.ping(), timeoutMs),
    ]);
    const ready = database === "ok" && storage === "ok";
    send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", database, storage });
    return true;
  }
  return false;
}

/** "ok", or why not (the error's message, or a timeout). */
async function check(probe: () => Promise<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([probe().then(() => "ok", (error: Error) => error.message.split("\n")[0] ?? "failed"), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
