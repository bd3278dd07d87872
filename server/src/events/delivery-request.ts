// One webhook POST, to public addresses only (server-side request forgery): the host is resolved once, every
// address it resolves to is checked (domain/networks.ts), and the connection goes to a checked address — the
// HTTP client gets a `lookup` that answers it, so a second resolution cannot swap in another (DNS rebinding).
// Redirects are not followed. The outcome is a status code and a fixed category of error: neither the
// receiver's body nor the network's error texts are kept, so the delivery log cannot be used to read internal
// services or to tell their ports apart.
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { blockedAddressReason, isLoopbackName, LOOPBACK_ADDRESSES, urlHost, type Network } from "../domain/networks.ts";

export interface DeliveryOutcome {
  ok: boolean;
  /** The receiver's HTTP status; null when no response arrived. */
  responseCode: number | null;
  /** One of a fixed set of texts (see `WebhookDelivery.lastError`); null on success. */
  error: string | null;
}

export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Aborts the request (timeout or shutdown). */
  signal: AbortSignal;
  /** Whether an abort was the timeout (rather than shutdown). */
  timedOut: () => boolean;
  /** WEBHOOK_ALLOWED_NETWORKS: internal networks that may be reached anyway. */
  allowedNetworks: readonly Network[];
}

const failure = (error: string): DeliveryOutcome => ({ ok: false, responseCode: null, error });

/** Resolves the URL's host to the address to connect to, or says why nothing may be sent. */
async function checkedAddress(host: string, allowed: readonly Network[]): Promise<{ address: string; family: number } | string> {
  let candidates: { address: string; family: number }[];
  if (isIP(host)) candidates = [{ address: host, family: isIP(host) }];
  else if (isLoopbackName(host)) {
    // Loopback by definition, whatever a resolver answers: reachable only if allow-listed.
    const allowedLoopback = LOOPBACK_ADDRESSES.filter((address) => blockedAddressReason(address, allowed) === null);
    return allowedLoopback[0] ? { address: allowedLoopback[0], family: isIP(allowedLoopback[0]) } : "blocked address: loopback";
  } else {
    try {
      candidates = await lookup(host, { all: true, verbatim: true });
    } catch {
      return "DNS lookup failed";
    }
  }
  if (candidates.length === 0) return "DNS lookup failed";
  // Every answer must pass, not just the first: the client could otherwise fall back to a refused one.
  for (const candidate of candidates) {
    const reason = blockedAddressReason(candidate.address, allowed);
    if (reason) return `blocked address: ${reason}`;
  }
  return candidates[0]!;
}

/** Sends the POST and reports its outcome; never throws. */
export async function sendDelivery(request: DeliveryRequest): Promise<DeliveryOutcome> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return failure("invalid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return failure("invalid URL");
  const target = await checkedAddress(urlHost(url), request.allowedNetworks);
  if (typeof target === "string") return failure(target);

  // The connection goes to the checked address; Host and TLS SNI stay the URL's host name.
  const checkedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise<DeliveryOutcome>((resolve) => {
    const req = client.request(url, {
      method: "POST",
      headers: { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
      lookup: checkedLookup,
      // A fresh connection each time: no pooled socket outlives the check it was made under.
      agent: false,
      signal: request.signal,
    });
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      res.destroy(); // the body is never read
      resolve(status >= 200 && status < 300 ? { ok: true, responseCode: status, error: null } : { ok: false, responseCode: status, error: `HTTP ${status}` });
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (request.signal.aborted) resolve(failure(request.timedOut() ? "timeout" : "interrupted"));
      else resolve(failure(isTlsError(error) ? "TLS error" : "connection failed"));
    });
    req.end(request.body);
  });
}

/** Certificate and handshake failures (OpenSSL and Node codes). */
function isTlsError(error: NodeJS.ErrnoException): boolean {
  return /^(ERR_TLS|ERR_SSL|ERR_OSSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(error.code ?? "") || /SSL routines|TLS/.test(error.message);
}
