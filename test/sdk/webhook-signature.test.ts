// The SDK's verifyWebhookSignature against a real delivery: a receiver on loopback (allow-listed) gets a signed
// POST from the server; the helper accepts it as received and refuses it once the body, the delivery id, the
// secret or the time (replay past the tolerance) differ.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap, verifyWebhookSignature, WEBHOOK_SIGNATURE_TOLERANCE_SECONDS } from "@modelgraph/sdk";
import { databaseAvailable } from "../support/server.ts";
import { startSdkServer, unique, type SdkFixture } from "./support.ts";

describe.skipIf(!databaseAvailable)("verifyWebhookSignature", () => {
  let fx: SdkFixture;
  let receiver: http.Server;
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    fx = await startSdkServer({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.1/32" });
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await fx?.close();
  });

  it("accepts a delivery as received and refuses it altered, under another id or secret, or replayed late", async () => {
    const { project } = unwrap(await fx.client.createProject({ name: unique("hooks") }));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const { secret } = unwrap(await fx.client.createWebhook({ projectId: project.id, url }));
    unwrap(await fx.client.createModel({ projectId: project.id, name: unique("model") }));
    const deadline = Date.now() + 30_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    const [delivery] = received;
    expect(delivery, "a delivery").toBeDefined();
    const { headers, body } = delivery!;
    const t = Number(headers["x-modelgraph-timestamp"]);

    expect(await verifyWebhookSignature({ secret: secret!, body, headers })).toBe(true);
    expect(await verifyWebhookSignature({ secret: secret!, body: new TextEncoder().encode(body), headers: new Headers(headers as Record<string, string>) })).toBe(true);
    expect(await verifyWebhookSignature({ secret: secret!, body: body.replace("MODEL_CREATED", "MODEL_DELETED"), headers })).toBe(false);
    expect(await verifyWebhookSignature({ secret: secret!, body, headers: { ...headers, "x-modelgraph-delivery": "V2ViaG9va0RlbGl2ZXJ5OnN3YXBwZWQ=" } })).toBe(false);
    expect(await verifyWebhookSignature({ secret: `${secret}x`, body, headers })).toBe(false);
    expect(await verifyWebhookSignature({ secret: secret!, body, headers: { ...headers, "x-modelgraph-signature": undefined } })).toBe(false);
    // Replay protection: within the tolerance it verifies, past it it does not (both ways of a skewed clock).
    const at = (seconds: number) => verifyWebhookSignature({ secret: secret!, body, headers, now: (t + seconds) * 1000 });
    expect(await at(WEBHOOK_SIGNATURE_TOLERANCE_SECONDS)).toBe(true);
    expect(await at(WEBHOOK_SIGNATURE_TOLERANCE_SECONDS + 1)).toBe(false);
    expect(await at(-WEBHOOK_SIGNATURE_TOLERANCE_SECONDS - 1)).toBe(false);
    expect(await verifyWebhookSignature({ secret: secret!, body, headers, now: (t + 30) * 1000, toleranceSeconds: 10 })).toBe(false);
  });
});
