// How long a client may take. Node's own `requestTimeout` (300 s by default) counts the whole request, body included,
// so it cut artifact uploads after a few GB whatever the declared size. It is switched off here and replaced by two
// rules: artifact transfers are cut only when no byte moves for a while (idle), every other request must still
// arrive whole within a total limit (a slow-loris body on /graphql cannot hold a connection for ever).
import type http from "node:http";
import type { Config } from "../config.ts";

/** Artifact routes stream for as long as bytes keep coming; see handleArtifacts. */
export function isArtifactRequest(req: http.IncomingMessage): boolean {
  return (req.url ?? "").startsWith("/artifacts/");
}

/** Server-wide settings: replaces Node's total request timeout by the per-request rules of `applyRequestTimeout`. */
export function configureServerTimeouts(server: http.Server): void {
  server.requestTimeout = 0;
}

/**
 * Arms the timeout of one request. Artifact routes: the socket is destroyed after `artifactIdleSeconds` without
 * traffic either way (a stalled upload or a client that stopped reading a download); an upload cut so keeps nothing
 * and its resource stays PENDING (services/resources.ts receiveResourceBytes). Other requests: 408 when the request
 * has not fully arrived after `requestSeconds` (the response may take longer: SSE streams are not cut).
 */
export function applyRequestTimeout(req: http.IncomingMessage, res: http.ServerResponse, timeouts: Config["timeouts"]): void {
  if (isArtifactRequest(req)) {
    res.setTimeout(timeouts.artifactIdleSeconds * 1000, () => res.destroy());
    return;
  }
  const timer = setTimeout(() => {
    if (req.complete) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(408, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ error: { type: "RequestTimeout", message: `the request did not arrive within ${timeouts.requestSeconds} s` } }));
    // Whatever is still being sent is not read: the connection goes once the answer is out.
    res.once("finish", () => req.socket.destroy());
  }, timeouts.requestSeconds * 1000);
  timer.unref();
  const clear = () => clearTimeout(timer);
  res.once("close", clear);
  req.once("end", clear);
}
