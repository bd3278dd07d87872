// Webhooks cannot be pointed at internal services (server-side request forgery): a receiver on loopback, addressed
// in every spelling a URL allows, never gets a connection while WEBHOOK_ALLOWED_NETWORKS is unset — the check is
// made at send time on the resolved addresses, not only at registration — and gets each delivery once the
// allow-list includes it. Whatever it answers, its response body is never stored, and redirects are not followed.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/src/config.ts";
import { startApp, type App } from "../../server/src/app.ts";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, mutate } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, freshDatabase } from "../support/server.ts";

const SECRET_BODY = "internal-service-secret-body-5d1c";

/** An HTTP server on loopback that records every TCP connection and every request, and answers 500 with a body. */
class Receiver {
  connections = 0;
  readonly paths: string[] = [];
  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(host: string): Promise<Receiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const receiver = new Receiver(server, (server.address() as AddressInfo).port);
    server.on("connection", () => receiver.connections++);
    server.on("request", (req, res) => {
      receiver.paths.push(req.url ?? "");
      req.resume();
      req.on("end", () => {
        if (req.url === "/redirect") res.writeHead(307, { location: "/followed" }).end();
        else res.writeHead(500, { "content-type": "text/plain" }).end(SECRET_BODY);
      });
    });
    return receiver;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A host name other than localhost that /etc/hosts maps to 127.0.0.1, if the machine has one (resolved by DNS lookup). */
function hostsFileLoopbackName(): string | undefined {
  const lines = fs.existsSync("/etc/hosts") ? fs.readFileSync("/etc/hosts", "utf8").split("\n") : [];
  for (const line of lines) {
    const [address, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (address !== "127.0.0.1") continue;
    const name = names.find((n) => /^[a-z][a-z0-9-]*$/i.test(n) && !/localhost/i.test(n));
    if (name) return name;
  }
  return undefined;
}

const RUN_ENV = { WEBHOOK_RETRY_BASE_MS: "100", WEBHOOK_MAX_ATTEMPTS: "50", WEBHOOK_DISABLE_AFTER_FAILURES: "1000" };

describe.skipIf(!databaseAvailable)("webhook deliveries to internal addresses", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let app: App | undefined;
  let v4: Receiver;
  let v6: Receiver;

  /** Starts the server on the one database of this file, with or without the allow-list. */
  async function serve(env: Record<string, string>): Promise<GraphQLClient> {
    await app?.close();
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_POOL_SIZE: "8",
      MODELGRAPH_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
      ...db.env,
      ...RUN_ENV,
      ...env,
    });
    app = await startApp(config);
    return new GraphQLClient(app.url);
  }

  beforeAll(async () => {
    db = await freshDatabase();
    v4 = await Receiver.start("127.0.0.1");
    v6 = await Receiver.start("::1");
  });

  afterAll(async () => {
    await app?.close();
    await v4?.close();
    await v6?.close();
    await db?.drop();
  });

  it("sends nothing to loopback in any spelling unless allow-listed, then delivers, and never stores the response body", async () => {
    const p4 = v4.port;
    const p6 = v6.port;
    const name = hostsFileLoopbackName();
    /** Each form gets its own path, so the receiver tells which webhook reached it. */
    const forms: [string, string][] = [
      ["dotted", `http://127.0.0.1:${p4}/dotted`],
      ["decimal", `http://2130706433:${p4}/decimal`],
      ["hexadecimal", `http://0x7f000001:${p4}/hexadecimal`],
      ["octal", `http://0177.0.0.1:${p4}/octal`],
      ["short", `http://127.1:${p4}/short`],
      ["mapped", `http://[::ffff:127.0.0.1]:${p4}/mapped`],
      ["localhost", `http://localhost:${p4}/localhost`],
      ["upper-case", `http://LOCALHOST:${p4}/upper-case`],
      ["trailing-dot", `http://localhost.:${p4}/trailing-dot`],
      ["ipv6", `http://[::1]:${p6}/ipv6`],
      ["ipv6-long", `http://[0:0:0:0:0:0:0:1]:${p6}/ipv6-long`],
      ...(name ? ([["hosts-file", `http://${name}:${p4}/hosts-file`]] as [string, string][]) : []),
    ];

    // Registration, on a server that allow-lists loopback (literal internal addresses are refused otherwise).
    let client = await serve({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.1/32,::1/128" });
    const project = await createProject(client);
    const hooks = new Map<string, string>();
    for (const [form, url] of forms) {
      hooks.set(form, (await mutate(client, "createWebhook", "CreateWebhookInput", { projectId: project.id, url }, "webhook { id }")).webhook.id);
    }

    // The same webhooks, on a server without the allow-list: an event queues a delivery to each; none connects.
    client = await serve({});
    const refused = await client.request(
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on ValidationError { issues { path message } } } }`,
      { input: { projectId: project.id, url: `http://2130706433:${p4}/` } },
    );
    expect(refused.createWebhook).toEqual({ __typename: "ValidationError", issues: [{ path: ["input", "url"], message: expect.stringContaining("loopback") }] });
    await createModel(client, project.id);
    const blocked = await waitForDeliveries(client, hooks, (d) => d.attempts >= 1 && d.lastError !== null);
    for (const [form, delivery] of blocked) {
      expect([form, delivery]).toEqual([form, { status: "PENDING", attempts: expect.any(Number), responseCode: null, lastError: "blocked address: loopback" }]);
    }
    expect(v4.connections + v6.connections).toBe(0);

    // With the allow-list, each pending delivery reaches the receiver; its 500 is recorded as a status only.
    client = await serve({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.1/32,::1/128" });
    const reached = await waitForDeliveries(client, hooks, (d) => d.responseCode === 500);
    for (const [form, delivery] of reached) expect([form, delivery.lastError]).toEqual([form, "HTTP 500"]);
    for (const [form] of forms) expect(v4.paths.concat(v6.paths), form).toContain(`/${form}`);
    const log = JSON.stringify(await client.request(`query($id: ID!) { node(id: $id) { ... on Project { webhooks(first: 50) { nodes { deliveries(first: 50) { nodes { lastError responseCode } } } } } } }`, { id: project.id }));
    expect(log).not.toContain(SECRET_BODY);
    expect(log).toContain("HTTP 500");

    // Redirects are not followed (their target was never checked): a 307 is recorded as such.
    const redirecting = (await mutate(client, "createWebhook", "CreateWebhookInput", { projectId: project.id, url: `http://127.0.0.1:${p4}/redirect` }, "webhook { id }")).webhook.id;
    await createModel(client, project.id);
    const redirected = await waitForDeliveries(client, new Map([["redirect", redirecting]]), (d) => d.responseCode !== null);
    expect(redirected.get("redirect")).toMatchObject({ responseCode: 307, lastError: "HTTP 307" });
    expect(v4.paths).toContain("/redirect");
    expect(v4.paths).not.toContain("/followed");
  });
});

interface Delivery {
  status: string;
  attempts: number;
  responseCode: number | null;
  lastError: string | null;
}

/** Polls the (single) delivery of each of the webhooks, in one query per round, until `done` holds for all of them. */
async function waitForDeliveries(client: GraphQLClient, hooks: Map<string, string>, done: (d: Delivery) => boolean): Promise<Map<string, Delivery>> {
  const deadline = Date.now() + 60_000;
  const forms = [...hooks.keys()];
  for (;;) {
    const data = await client.request(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Webhook { deliveries(first: 5) { nodes { status attempts responseCode lastError } } } } }`, {
      ids: forms.map((form) => hooks.get(form)!),
    });
    const result = new Map<string, Delivery>();
    forms.forEach((form, i) => {
      const delivery = data.nodes[i]?.deliveries.nodes[0] as Delivery | undefined;
      if (delivery && done(delivery)) result.set(form, delivery);
    });
    if (result.size === hooks.size) return result;
    if (Date.now() > deadline) throw new Error(`timed out: ${forms.filter((f) => !result.has(f)).join(", ")} not done`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
