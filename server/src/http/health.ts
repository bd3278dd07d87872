import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../db/database.ts";
import type { ArtifactStore } from "../storage/store.ts";

/** `/healthz`: the process is alive. `/readyz`: the database and the artifact store answer. */
export async function handleHealth(req: IncomingMessage, res: ServerResponse, db: Database, store: ArtifactStore): Promise<boolean> {
  const path = (req.url ?? "").split("?")[0];
  if (path === "/healthz") {
    send(res, 200, { status: "ok" });
    return true;
  }
  if (path === "/readyz") {
    const [database, storage] = await Promise.all([
      db.prisma.$queryRaw`SELECT 1`.then(() => "ok", (error: Error) => error.message),
      store.ping().then(() => "ok", (error: Error) => error.message),
    ]);
    const ready = database === "ok" && storage === "ok";
    send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", database, storage });
    return true;
  }
  return false;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
