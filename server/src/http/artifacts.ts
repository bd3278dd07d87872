// Streaming artifact transfer: PUT /artifacts/{resourceId} receives and verifies the bytes of a PENDING
// resource; GET/HEAD serve READY ones with Range, ETag, Content-Length and Content-Type.
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { AuthenticationError } from "../access/authenticate.ts";
import { CsrfHeaderRequiredError } from "../access/console-sessions.ts";
import { DomainError, NotFoundError } from "../domain/errors.ts";
import { contentDisposition, servableContentType } from "../domain/media.ts";
import { loadResourceForRead, receiveResourceBytes, type ArtifactContext } from "../services/resources.ts";

const ROUTE = /^\/artifacts\/([A-Za-z0-9+/=_-]+)$/;

/** Handles the request if it is an artifact route; returns false otherwise. */
export async function handleArtifacts(req: IncomingMessage, res: ServerResponse, context: () => Promise<ArtifactContext>): Promise<boolean> {
  const path = (req.url ?? "").split("?")[0] ?? "";
  const match = ROUTE.exec(path);
  if (!match) return false;
  const ref = decodeURIComponent(match[1]!);
  try {
    if (req.method === "PUT") await upload(req, res, await context(), ref);
    else if (req.method === "GET" || req.method === "HEAD") await download(req, res, await context(), ref);
    else {
      res.writeHead(405, { allow: "GET, HEAD, PUT" });
      res.end();
    }
  } catch (error) {
    if (res.headersSent) {
      res.destroy(error as Error);
      return true;
    }
    if (error instanceof AuthenticationError) {
      req.resume();
      const limited = error.reason === "rate_limited";
      const retryAfter: Record<string, string> = limited ? { "retry-after": String(error.retryAfterSeconds ?? 1) } : {};
      sendJson(res, limited ? 429 : 401, { error: { type: "AuthenticationError", message: error.message } }, retryAfter);
    } else if (error instanceof CsrfHeaderRequiredError) {
      req.resume();
      sendJson(res, 403, { error: { type: "CsrfHeaderRequiredError", message: error.message } });
    } else if (error instanceof DomainError) {
      const status = error instanceof NotFoundError ? 404 : error.name === "ForbiddenError" ? 403 : error.name === "ChecksumMismatchError" ? 422 : 400;
      sendJson(res, status, { error: { type: error.name, message: error.message } });
    } else if (req.destroyed || (error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE") {
      res.destroy();
    } else {
      throw error;
    }
  }
  return true;
}

async function upload(req: IncomingMessage, res: ServerResponse, ctx: ArtifactContext, ref: string): Promise<void> {
  const resource = await receiveResourceBytes(ctx, ref, req);
  sendJson(res, 200, {
    resource: { id: ref, status: resource.status, sha256: resource.sha256, sizeBytes: String(resource.sizeBytes) },
  });
}

async function download(req: IncomingMessage, res: ServerResponse, ctx: ArtifactContext, ref: string): Promise<void> {
  const resource = await loadResourceForRead(ctx, ref);
  const size = Number(resource.sizeBytes);
  const etag = `"${resource.sha256}"`;
  const headers: Record<string, string | number> = {
    etag,
    "accept-ranges": "bytes",
    // Name and type come from the uploader: encoded so any name is a valid header, and never rendered by the browser
    // (always an attachment, no sniffing, and sandboxed should it be opened anyway).
    "content-type": servableContentType(resource.contentType),
    "content-disposition": contentDisposition(resource.name),
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "private, max-age=31536000, immutable",
  };
  if (matchesEtag(req.headers["if-none-match"], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  let range: { start: number; end: number } | undefined;
  const rangeHeader = req.headers.range;
  if (rangeHeader && (!req.headers["if-range"] || req.headers["if-range"] === etag)) {
    range = parseRange(rangeHeader, size) ?? undefined;
    if (range === undefined) {
      res.writeHead(416, { ...headers, "content-range": `bytes */${size}` });
      res.end();
      return;
    }
  }
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : size;
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  headers["content-length"] = length;
  if (req.method === "HEAD" || length === 0) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const body = await ctx.store.read(resource.storageKey!, range);
  res.writeHead(status, headers);
  await pipeline(body, res);
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header === "*" || header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** A single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) clamped to the size; null if unsatisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return null;
  return { start, end };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, "content-type": "application/json", "x-content-type-options": "nosniff" });
  res.end(JSON.stringify(body));
}
