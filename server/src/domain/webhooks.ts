// Pure rules of webhooks: what a valid target URL and secret are, how requests are signed, how retries back off.
import { createHmac, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { blockedAddressReason, isLoopbackName, LOOPBACK_ADDRESSES, urlHost, type Network } from "./networks.ts";

export const MAX_WEBHOOK_URL_LENGTH = 2_048;
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
export const MAX_WEBHOOK_SECRET_LENGTH = 255;
/** The longest wait between two attempts, whatever the retry base. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * Why a webhook URL is refused, or null when it is an absolute http(s) URL whose host is not obviously internal:
 * an IP literal in a special-purpose range, or a loopback name, unless `allowed` covers it. Names are checked
 * again, resolved, at every delivery (DNS can change): this early refusal is only a courtesy.
 */
export function webhookUrlProblem(url: string, allowed: readonly Network[] = []): string | null {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be an absolute http:// or https:// URL";
  if (parsed.username || parsed.password) return "must not carry credentials (sign requests with the secret instead)";
  const host = urlHost(parsed);
  const addresses = isIP(host) ? [host] : isLoopbackName(host) ? LOOPBACK_ADDRESSES : [];
  const reasons = addresses.map((address) => blockedAddressReason(address, allowed));
  const blocked = reasons.length > 0 && reasons.every((reason) => reason !== null) ? reasons[0] : null;
  if (blocked) return `must not point to a ${blocked} address (${host}); allow its network with WEBHOOK_ALLOWED_NETWORKS`;
  return null;
}

/** Why a caller-chosen secret is refused, or null. */
export function webhookSecretProblem(secret: string): string | null {
  if (secret.length < MIN_WEBHOOK_SECRET_LENGTH || secret.length > MAX_WEBHOOK_SECRET_LENGTH) {
    return `must be ${MIN_WEBHOOK_SECRET_LENGTH} to ${MAX_WEBHOOK_SECRET_LENGTH} characters`;
  }
  return null;
}

/** A new random signing secret (shown to its creator once). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/**
 * The `X-Modelgraph-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<delivery id>.<t>.<body>")>`.
 * The delivery id (X-Modelgraph-Delivery) is signed too, so a captured request cannot be replayed under another
 * id past a receiver's de-duplication; receivers recompute it over the raw body and reject old timestamps.
 */
export function signatureHeader(secret: string, deliveryId: string, body: string, unixSeconds: number): string {
  const digest = createHmac("sha256", secret).update(`${deliveryId}.${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${digest}`;
}

/**
 * Wait before the next attempt, after `attempts` failed ones (≥ 1): base, 2×base, 4×base … capped at an hour,
 * plus up to 10% jitter so that deliveries which failed together do not all retry in the same instant.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (1 + 0.1 * random()));
}
