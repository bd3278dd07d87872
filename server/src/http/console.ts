// The web console (console/, built by Vite into console/dist) served at `/`, and its sign-in routes under /auth.
// Hashed files under /assets/ are immutable; every other GET is the single-page app's index.html (deep links), with
// a Content-Security-Policy that allows only this origin's scripts, styles and connections.
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { AuthenticationError, clientAddress } from "../access/authenticate.ts";
import {
  CSRF_HEADER,
  clearedSessionCookie,
  isSameOrigin,
  sessionCookie,
  sessionIdFromCookie,
  type ConsoleSessions,
} from "../access/console-sessions.ts";

/** Where `pnpm console:build` writes the console. */
export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../console/dist");

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

/** Paths of the server's own routes (GraphiQL's files, artifacts): never answered with the app's page. */
const RESERVED_PREFIXES = ["/graphiql-assets/", "/artifacts/", "/auth/"];

/** Sign-in bodies are a token and nothing else. */
const MAX_SIGN_IN_BODY_BYTES = 4096;

export interface ConsoleRoutesOptions {
  sessions: ConsoleSessions;
  trustProxyHops: number;
  /** Directory of the built console (default: console/dist). */
  dist?: string;
}

/** The policy of the app's page: its own scripts and styles only, API calls and graphql-ws to this origin. */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Whether the request came over TLS (to us, or to the proxies we trust): the cookie is then `Secure`. */
function isHttps(req: http.IncomingMessage, trustProxyHops: number): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  if (trustProxyHops === 0) return false;
  const proto = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]!.trim().toLowerCase();
  return proto === "https";
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<string | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `GET /auth/session`: who the cookie signs in, or why it no longer does. Always 200 (the page asks it at start, and
 * a browser logs every 4xx as a console error): `{"viewer": {…}}` or `{"viewer": null, "reason", "message"}`.
 */
async function describeSession(req: http.IncomingMessage, res: http.ServerResponse, options: ConsoleRoutesOptions): Promise<void> {
  const sessionId = sessionIdFromCookie(req.headers.cookie);
  if (!sessionId) {
    sendJson(res, 200, { viewer: null, reason: "missing", message: "" });
    return;
  }
  try {
    const viewer = await options.sessions.authenticate(sessionId, clientAddress(req, options.trustProxyHops));
    sendJson(res, 200, { viewer: { name: viewer.name, isAdmin: viewer.isAdmin } });
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    sendJson(res, 200, { viewer: null, reason: error.reason, message: error.message }, { "set-cookie": clearedSessionCookie(isHttps(req, options.trustProxyHops)) });
  }
}

/**
 * `POST /auth/session` `{"token": "mg_…"}` opens a session (Set-Cookie), `DELETE /auth/session` ends it. Both need
 * the CSRF header (a cross-site form cannot send it) and, when the browser says where it comes from, this origin.
 */
async function handleSessionRoute(req: http.IncomingMessage, res: http.ServerResponse, options: ConsoleRoutesOptions): Promise<void> {
  if (req.method === "GET") {
    await describeSession(req, res, options);
    return;
  }
  if (req.method !== "POST" && req.method !== "DELETE") {
    req.resume();
    sendJson(res, 405, { error: { message: "Use GET to read the session, POST to sign in and DELETE to sign out" } }, { allow: "GET, POST, DELETE" });
    return;
  }
  if (req.headers[CSRF_HEADER] !== "1" || !isSameOrigin(req)) {
    req.resume();
    sendJson(res, 403, { error: { code: "CSRF_HEADER_REQUIRED", message: `Send the ${CSRF_HEADER}: 1 header from this origin` } });
    return;
  }
  const secure = isHttps(req, options.trustProxyHops);
  if (req.method === "DELETE") {
    req.resume();
    const sessionId = sessionIdFromCookie(req.headers.cookie);
    if (sessionId) await options.sessions.destroy(sessionId);
    res.writeHead(204, { "set-cookie": clearedSessionCookie(secure), "cache-control": "no-store" });
    res.end();
    return;
  }
  const text = await readBody(req, MAX_SIGN_IN_BODY_BYTES);
  let token: unknown;
  try {
    token = text === null ? undefined : (JSON.parse(text) as { token?: unknown }).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== "string") {
    sendJson(res, 400, { error: { code: "BAD_REQUEST", message: 'Send {"token": "mg_…"} as JSON' } });
    return;
  }
  try {
    const session = await options.sessions.open(token.trim(), clientAddress(req, options.trustProxyHops));
    sendJson(
      res,
      200,
      { viewer: { name: session.viewer.name, isAdmin: session.viewer.isAdmin }, expiresAt: session.expiresAt.toISOString() },
      { "set-cookie": sessionCookie(session.id, secure) },
    );
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    const limited = error.reason === "rate_limited";
    sendJson(
      res,
      limited ? 429 : 401,
      { error: { code: limited ? "RATE_LIMITED" : "UNAUTHENTICATED", message: error.message } },
      limited ? { "retry-after": String(error.retryAfterSeconds ?? 1) } : {},
    );
  }
}

/** A file of the build, or null. Only names found by listing the build directory reach the disk. */
async function assetFile(dist: string, pathname: string): Promise<string | null> {
  const name = pathname.slice("/assets/".length);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return null;
  const files = await fs.readdir(path.join(dist, "assets")).catch(() => [] as string[]);
  return files.includes(name) ? path.join(dist, "assets", name) : null;
}

async function serveAsset(req: http.IncomingMessage, res: http.ServerResponse, file: string): Promise<void> {
  const { size } = await fs.stat(file);
  res.writeHead(200, {
    "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "content-length": size,
    // The name carries a hash of the content: a new build is a new URL.
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  await pipeline(createReadStream(file), res);
}

async function serveIndex(req: http.IncomingMessage, res: http.ServerResponse, dist: string): Promise<void> {
  const html = await fs.readFile(path.join(dist, "index.html")).catch(() => null);
  const headers = {
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
  };
  if (!html) {
    const text = "The modelgraph console is not built: run `pnpm console:build` (pnpm start does it), then reload.\n";
    res.writeHead(503, { ...headers, "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(req.method === "HEAD" ? undefined : text);
    return;
  }
  res.writeHead(200, {
    ...headers,
    "content-type": "text/html; charset=utf-8",
    "content-length": html.length,
    "content-security-policy": contentSecurityPolicy(req.headers.host),
  });
  res.end(req.method === "HEAD" ? undefined : html);
}

/**
 * Serves /auth/session and the console: returns false for /graphql and for what the console does not answer
 * (non-GET methods elsewhere), which then go on to GraphQL (404).
 */
export async function handleConsole(req: http.IncomingMessage, res: http.ServerResponse, options: ConsoleRoutesOptions): Promise<boolean> {
  const pathname = (req.url ?? "/").split("?")[0] ?? "/";
  if (pathname === "/auth/session") {
    await handleSessionRoute(req, res, options);
    return true;
  }
  if (pathname === "/graphql" || (req.method !== "GET" && req.method !== "HEAD")) return false;
  // Other servers' namespaces are never the app's deep links: what they did not answer stays a 404.
  if (RESERVED_PREFIXES.some((prefix) => pathname.startsWith(prefix))) return false;
  const dist = options.dist ?? CONSOLE_DIST;
  if (pathname.startsWith("/assets/")) {
    const file = await assetFile(dist, pathname);
    if (file) await serveAsset(req, res, file);
    else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("Not found\n");
    }
    return true;
  }
  await serveIndex(req, res, dist);
  return true;
}
