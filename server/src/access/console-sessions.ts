// Web console sessions: a signed-in browser holds a random session id in an HttpOnly cookie; the database keeps only
// its sha256 (so every replica accepts it) and the API token it was opened with. The session works while that token
// does (not revoked, not expired, its user active — tokenUsable) and until its own expiry; signing out deletes it.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Prisma } from "../db/database.ts";
import { authenticate, AuthenticationError, type FailedAuthLimiter, TOKEN_STATE, tokenFailure } from "./authenticate.ts";
import type { Viewer } from "./viewer.ts";

export const SESSION_COOKIE = "mg_session";
/** Cookie-authenticated requests must carry `x-modelgraph-csrf: 1`: a cross-site form or link cannot send a header. */
export const CSRF_HEADER = "x-modelgraph-csrf";
/** A session lasts this long at most (and never longer than its token). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const hashSessionId = (id: string) => createHash("sha256").update(id, "utf8").digest("hex");

/** The session id in a Cookie header, or null. */
export function sessionIdFromCookie(header: string | undefined | null): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) {
      const id = value.join("=");
      return SESSION_ID.test(id) ? id : null;
    }
  }
  return null;
}

const cookieAttributes = (secure: boolean) => `Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;

/**
 * The cookie lives as long as a session may (SESSION_TTL_MS), even when the token expires sooner: the server decides
 * when the session ends, so the browser still sends the cookie then and the page can say why it ended.
 */
export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}; ${cookieAttributes(secure)}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes(secure)}`;
}

/**
 * Whether a browser request comes from a page of this origin: its Origin header (when sent) names our host. Browsers
 * send Origin on every WebSocket upgrade and cross-origin request, so a missing one is a same-origin GET or a
 * non-browser client (which cannot hold a victim's cookie).
 */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** A cookie-authenticated request without the CSRF header. */
export class CsrfHeaderRequiredError extends Error {
  override name = "CsrfHeaderRequiredError";
  constructor() {
    super(`Requests authenticated by the console's session cookie must carry the ${CSRF_HEADER}: 1 header`);
  }
}

export interface OpenedSession {
  /** The secret that goes into the cookie (never stored). */
  id: string;
  expiresAt: Date;
  viewer: Viewer;
}

export class ConsoleSessions {
  constructor(
    private readonly prisma: Prisma,
    private readonly limiter: FailedAuthLimiter,
  ) {}

  /** Exchanges a valid API token for a new session (failures count as failed authentications). */
  async open(token: string, clientKey: string): Promise<OpenedSession> {
    const viewer = await authenticate(this.prisma, this.limiter, token, clientKey);
    const row = await this.prisma.apiToken.findUniqueOrThrow({ where: { id: viewer.tokenId! }, select: { expiresAt: true } });
    const now = Date.now();
    const expiresAt = new Date(Math.min(now + SESSION_TTL_MS, row.expiresAt?.getTime() ?? Infinity));
    const id = randomBytes(32).toString("base64url");
    // Ended sessions are dropped as new ones open, so the table holds about the sessions of the last TTL.
    await this.prisma.consoleSession.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
    await this.prisma.consoleSession.create({ data: { sessionHash: hashSessionId(id), tokenId: viewer.tokenId!, expiresAt } });
    return { id, expiresAt, viewer };
  }

  /** The viewer of a live session; AuthenticationError when it is unknown, over, or its token no longer works. */
  async authenticate(sessionId: string, clientKey: string): Promise<Viewer> {
    const addressKey = `address:${clientKey}`;
    const fail = (reason: "session" | "revoked" | "deactivated" | "expired"): never => {
      this.limiter.refuseIfBlocked(addressKey);
      this.limiter.recordFailure(addressKey);
      throw new AuthenticationError(reason);
    };
    const row = await this.prisma.consoleSession.findUnique({
      where: { sessionHash: hashSessionId(sessionId) },
      select: { expiresAt: true, token: { select: { ...TOKEN_STATE, id: true, user: { select: { id: true, name: true, isAdmin: true, deactivatedAt: true } } } } },
    });
    if (!row) return fail("session");
    const failure = tokenFailure(row.token);
    if (failure) return fail(failure);
    if (row.expiresAt.getTime() <= Date.now()) return fail("session");
    const { user } = row.token;
    return { userId: user.id, name: user.name, isAdmin: user.isAdmin, tokenId: row.token.id };
  }

  /** Signs out: the session no longer authenticates anywhere. */
  async destroy(sessionId: string): Promise<void> {
    await this.prisma.consoleSession.deleteMany({ where: { sessionHash: hashSessionId(sessionId) } });
  }
}

/**
 * The console session a request authenticates with, or null when it uses a Bearer token (or nothing): the cookie
 * counts only without an Authorization header, and then only with the CSRF header (CsrfHeaderRequiredError).
 */
export function consoleCredential(authorization: string | null | undefined, cookie: string | null | undefined, csrf: string | null | undefined): string | null {
  if (authorization && authorization.trim()) return null;
  const sessionId = sessionIdFromCookie(cookie);
  if (!sessionId) return null;
  if (csrf !== "1") throw new CsrfHeaderRequiredError();
  return sessionId;
}
