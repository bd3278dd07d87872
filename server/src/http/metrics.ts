// GET /metrics: the Prometheus text exposition of this process. Unauthenticated unless METRICS_TOKEN is set
// (then `Authorization: Bearer <METRICS_TOKEN>`); it never shows tokens, names of projects or any user data.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "../observability/metrics.ts";

export async function handleMetrics(req: IncomingMessage, res: ServerResponse, registry: Registry, token: string | undefined): Promise<boolean> {
  const path = (req.url ?? "").split("?")[0];
  if (path !== "/metrics") return false;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" });
    res.end();
    return true;
  }
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' });
    res.end("metrics need Authorization: Bearer <METRICS_TOKEN>\n");
    return true;
  }
  const body = await registry.render();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
