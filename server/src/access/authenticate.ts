// Who is calling: resolves `Authorization: Bearer mg_…` (or graphql-ws connectionParams.authorization)
// to a Viewer. Failures are counted per client address and per presented token, and rate limited; a valid
// token always works, whatever others did from its address.
import type { IncomingMessage } from "node:http";
import type { Prisma } from "../db/database.ts";
import type { TokenCache } from "./token-cache.ts";
import { hashesEqual, hashToken, isWellFormedToken } from "./tokens.ts";
import type { Viewer } from "./viewer.ts";

/** Why a request was refused before it reached the API. */
export type AuthFailure = "missing" | "malformed" | "unknown" | "revoked" | "expired" | "deactivated" | "rate_limited" | "session";

export class AuthenticationError extends Error {
  override name = "AuthenticationError";
  constructor(
    readonly reason: AuthFailure,
    /** For `rate_limited`: seconds until the window that blocks the caller ends (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(
      {
        missing: "Authentication required: send Authorization: Bearer <token>",
        malformed: "The token is malformed (expected mg_ followed by the secret)",
        unknown: "The token is not valid",
        revoked: "The token has been revoked",
        expired: "The token has expired",
        deactivated: "The user has been deactivated",
        rate_limited: "Too many failed authentication attempts; try again later",
        session: "The console session has ended: sign in again",
      }[reason],
    );
  }
}

/** lastUsedAt is written at most this often per token, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Failure windows kept in memory per replica (one per address and per presented token that failed). */
const MAX_TRACKED_KEYS = 100_000;

/** Fixed-window counter of failed attempts per key — a client address or a token hash (in memory, per replica). */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly maxFailures = 20,
    private readonly windowMs = 60_000,
  ) {}

  isBlocked(key: string, now = Date.now()): boolean {
    return this.retryAfterSeconds(key, now) !== null;
  }

  /** Whole seconds (≥ 1) until a blocked key's window ends, or null when the key is not blocked. */
  retryAfterSeconds(key: string, now = Date.now()): number | null {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs || w.count < this.maxFailures) return null;
    return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
  }

  /** Throws `rate_limited` (with its Retry-After) when the key is blocked. */
  refuseIfBlocked(key: string, now = Date.now()): void {
    const seconds = this.retryAfterSeconds(key, now);
    if (seconds !== null) throw new AuthenticationError("rate_limited", seconds);
  }

  recordFailure(key: string, now = Date.now()): void {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) this.windows.set(key, { start: now, count: 1 });
    else w.count++;
    if (this.windows.size > MAX_TRACKED_KEYS) this.prune(now);
  }

  /** Drops ended windows; if a flood of distinct keys still fills the map, the oldest windows go first. */
  private prune(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size <= MAX_TRACKED_KEYS * 0.9) break;
      this.windows.delete(key);
    }
  }
}

/** Extracts the token from an Authorization header value (`Bearer <token>`, or the bare token). */
export function tokenFromHeader(value: string | null | undefined): string | null {
  if (!value) return null;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1]! : value.trim() || null;
}

/**
 * Resolves a token to its user. Throws AuthenticationError on any failure, counting it against the client's
 * address `clientKey` and the presented token. A valid token is never refused for failures of others behind
 * the same address: an address over its limit gets 429 only for what does not authenticate (no, malformed or
 * unknown tokens), while a token that keeps failing (revoked, expired) is refused without a database lookup.
 * With a `cache`, a token that authenticated moments ago is not looked up again (access/token-cache.ts).
 */
export async function authenticate(prisma: Prisma, limiter: FailedAuthLimiter, token: string | null, clientKey: string, cache?: TokenCache): Promise<Viewer> {
  const addressKey = `address:${clientKey}`;
  const hash = token && isWellFormedToken(token) ? hashToken(token) : null;
  if (hash) limiter.refuseIfBlocked(`token:${hash}`);
  const fail = (reason: AuthFailure): never => {
    limiter.refuseIfBlocked(addressKey);
    limiter.recordFailure(addressKey);
    if (hash) limiter.recordFailure(`token:${hash}`);
    throw new AuthenticationError(reason);
  };
  if (!token) return fail("missing");
  if (!hash) return fail("malformed");
  const cached = cache?.get(hash);
  if (cached) return cached;
  const ticket = cache?.ticket() ?? 0;
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: hash }, include: { user: true } });
  if (!row || !hashesEqual(row.tokenHash, hash)) return fail("unknown");
  if (row.revokedAt) return fail("revoked");
  if (row.user.deactivatedAt) return fail("deactivated");
  const now = Date.now();
  if (!tokenUsable(row, now)) return fail("expired");
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  const viewer: Viewer = { userId: row.user.id, name: row.user.name, isAdmin: row.user.isAdmin, tokenId: row.id, user: row.user };
  cache?.set(hash, viewer, row.expiresAt, ticket, now);
  return viewer;
}

/**
 * Whether the token a long-lived operation (a subscription) authenticated with still works: not revoked, not
 * expired. Checked again before each event, so revoking a token ends its subscriptions.
 */
export async function tokenStillValid(prisma: Prisma, viewer: Viewer, now = Date.now()): Promise<boolean> {
  if (!viewer.tokenId) return true;
  const row = await prisma.apiToken.findUnique({ where: { id: viewer.tokenId }, select: TOKEN_STATE });
  return !!row && tokenUsable(row, now);
}

/** What tokenUsable needs of a token row (a Prisma `select`). */
export const TOKEN_STATE = { revokedAt: true, expiresAt: true, user: { select: { deactivatedAt: true } } } as const;

export interface TokenState {
  revokedAt: Date | null;
  expiresAt: Date | null;
  user: { deactivatedAt: Date | null };
}

/** A token works while it is neither revoked nor past its expiry, and its user is not deactivated. */
export function tokenUsable(row: TokenState, now = Date.now()): boolean {
  return tokenFailure(row, now) === null;
}

/** Why a token no longer works, or null while it does. */
export function tokenFailure(row: TokenState, now = Date.now()): "revoked" | "deactivated" | "expired" | null {
  if (row.revokedAt) return "revoked";
  if (row.user.deactivatedAt) return "deactivated";
  if (row.expiresAt && row.expiresAt.getTime() <= now) return "expired";
  return null;
}

/**
 * The caller's address, which failed authentications are counted against. Behind `trustProxyHops` proxies of
 * our own, it is the address the outermost of them saw (X-Forwarded-For, read from the right, since a client
 * can put anything on its left); otherwise the socket's peer.
 */
export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (trustProxyHops === 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((h) => h.trim()).filter(Boolean);
  return hops[hops.length - trustProxyHops] ?? hops[0] ?? peer;
}
