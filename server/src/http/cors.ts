// Cross-origin access. Yoga's default CORS answer reflects any Origin with credentials allowed, which lets every web
// page a user visits call the API with whatever the browser holds. Only the configured origins (CORS_ORIGINS,
// exact matches) get CORS headers, on /graphql and on the artifact routes; same-origin pages need none. A foreign
// origin gets no Access-Control-* header at all, so the browser withholds the response (and fails the preflight).
import type http from "node:http";
import type { CORSOptions } from "graphql-yoga";

/** Request headers a page of an allowed origin may send. */
const ALLOWED_HEADERS = ["authorization", "content-type", "accept", "x-request-id", "if-none-match", "if-range", "range"];
/** Response headers such a page may read (beyond the CORS-safelisted ones). */
const EXPOSED_HEADERS = ["content-length", "content-range", "content-disposition", "etag", "accept-ranges", "retry-after", "x-request-id"];
/** Browsers may cache a preflight this long (seconds). */
const PREFLIGHT_MAX_AGE = 600;

export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.origins = new Set(origins);
  }

  /** Whether the request comes from a page of an allowed origin (not merely the same one). */
  allows(origin: string | null | undefined): origin is string {
    return typeof origin === "string" && this.origins.has(origin);
  }

  /** Yoga's `cors` option: headers for allowed origins only (false: none at all). */
  readonly forYoga = (request: Request): CORSOptions => {
    const origin = request.headers.get("origin");
    if (!this.allows(origin)) return false;
    // A one-element list makes yoga answer with exactly that origin.
    return { origin: [origin], credentials: true, methods: ["GET", "POST", "OPTIONS"], allowedHeaders: ALLOWED_HEADERS, exposedHeaders: EXPOSED_HEADERS, maxAge: PREFLIGHT_MAX_AGE };
  };

  /**
   * The artifact routes' CORS: sets the headers for an allowed origin and answers a preflight (204, with allow
   * headers only for an allowed origin). Returns true when it answered the request.
   */
  handleArtifactRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const origin = req.headers.origin;
    res.setHeader("vary", "Origin");
    const allowed = this.allows(origin);
    if (allowed) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
    }
    if (req.method !== "OPTIONS") return false;
    req.resume();
    const headers: Record<string, string> = { "content-length": "0" };
    if (allowed) {
      headers["access-control-allow-methods"] = "GET, HEAD, PUT, OPTIONS";
      headers["access-control-allow-headers"] = ALLOWED_HEADERS.join(", ");
      headers["access-control-max-age"] = String(PREFLIGHT_MAX_AGE);
    }
    res.writeHead(204, headers);
    res.end();
    return true;
  }
}
