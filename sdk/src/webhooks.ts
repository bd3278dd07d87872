// Verifying the webhooks a modelgraph server sends, in a receiver. Web Crypto only, so it runs in Node, Deno,
// Bun, browsers and edge workers alike.

/** How old a delivery's timestamp may be (or how far ahead) before it is refused as a replay: 5 minutes. */
export const WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Request headers as a `Headers` object (fetch, workers) or a plain object (Node's `req.headers`). */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

/** What {@link verifyWebhookSignature} needs from a received request. */
export interface WebhookVerification {
  /** The webhook's signing secret (returned once by createWebhook, or the one you chose). */
  readonly secret: string;
  /** The raw request body, exactly as received (not re-serialised JSON). */
  readonly body: string | Uint8Array;
  /** The request's headers: X-Modelgraph-Signature and X-Modelgraph-Delivery are read. */
  readonly headers: WebhookHeaders;
  /** Accepted clock difference, in seconds (default {@link WEBHOOK_SIGNATURE_TOLERANCE_SECONDS}). */
  readonly toleranceSeconds?: number;
  /** The current time in milliseconds (default `Date.now()`), for tests. */
  readonly now?: number;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Whether a request really is a delivery of this webhook, recent and unmodified: header
 * `X-Modelgraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<X-Modelgraph-Delivery>.<t>.<raw body>")>`
 * matches and `t` is within the tolerance of now. Receivers should also de-duplicate by X-Modelgraph-Delivery
 * (the same on every attempt), which the signature binds to the body.
 *
 * @example
 * ```ts
 * if (!(await verifyWebhookSignature({ secret, body: rawBody, headers: req.headers }))) return res.writeHead(401).end();
 * ```
 */
export async function verifyWebhookSignature(request: WebhookVerification): Promise<boolean> {
  const signature = header(request.headers, "x-modelgraph-signature");
  const deliveryId = header(request.headers, "x-modelgraph-delivery");
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature?.trim() ?? "");
  if (!match || !deliveryId) return false;
  const timestamp = Number(match[1]);
  const now = (request.now ?? Date.now()) / 1000;
  if (Math.abs(now - timestamp) > (request.toleranceSeconds ?? WEBHOOK_SIGNATURE_TOLERANCE_SECONDS)) return false;
  const encoder = new TextEncoder();
  const body = typeof request.body === "string" ? encoder.encode(request.body) : request.body;
  const prefix = encoder.encode(`${deliveryId}.${match[1]}.`);
  const signed = new Uint8Array(prefix.byteLength + body.byteLength);
  signed.set(prefix);
  signed.set(body, prefix.byteLength);
  const key = await crypto.subtle.importKey("raw", encoder.encode(request.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const expected = [...new Uint8Array(await crypto.subtle.sign("HMAC", key, signed))].map((b) => b.toString(16).padStart(2, "0")).join("");
  // Compared in constant time, so the response time does not reveal how much of a forged signature was right.
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ match[2]!.charCodeAt(i);
  return difference === 0;
}
