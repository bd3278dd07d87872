import type { IncomingMessage, ServerResponse } from "node:http";
import type { Database } from "../db/database.ts";

/** `/healthz`: the process is alive. `/readyz`: the database answers. */
export async function handleHealth(req: IncomingMessage, res: ServerResponse, db: Database): Promise<boolean> {
  const path = (req.url ?? "").split("?")[0];
  if (path === "/healthz") {
    send(res, 200, { status: "ok" });
    return true;
  }
  if (path === "/readyz") {
    try {
      await db.prisma.$queryRaw`SELECT 1`;
      send(res, 200, { status: "ready", database: "ok" });
    } catch (error) {
      send(res, 503, { status: "not ready", database: (error as Error).message });
    }
    return true;
  }
  return false;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
