// Webhooks (issue 4): signed POSTs of a project's events to a real HTTP receiver on 127.0.0.1, type filters,
// retries with exponential back-off, a queryable delivery log, disabling after repeated failures, ADMIN-only
// management, and exactly-once delivery with two replicas sharing one PostgreSQL database.
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, dbKind, startReplica, startTestServer, type TestServer } from "../support/server.ts";

/** Fast retries so the back-off can be watched: 100, 200, 400, 800 ms (+ ≤ 10% jitter). */
const RETRY_BASE_MS = 100;
const MAX_ATTEMPTS = 5;
const DISABLE_AFTER = 6;
const WEBHOOK_ENV = {
  WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
  WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  WEBHOOK_DISABLE_AFTER_FAILURES: String(DISABLE_AFTER),
  // The receiver listens on loopback, which deliveries reach only when allow-listed.
  WEBHOOK_ALLOWED_NETWORKS: "127.0.0.1/32",
};

// ---- a real receiver ----

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  at: number;
  /** The status the receiver answered. */
  status: number;
}

type Responder = (request: { headers: http.IncomingHttpHeaders; json: any }) => number | Promise<number>;

class Receiver {
  readonly requests: Received[] = [];
  respond: Responder = () => 200;
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const json = JSON.parse(body);
        const status = await receiver.respond({ headers: req.headers, json });
        receiver.requests.push({ headers: req.headers, body, json, at: Date.now(), status });
        res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "receiver is down");
      });
    });
    return receiver;
  }

  get successes(): Received[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Checks X-Modelgraph-Signature the way a receiver should: HMAC over "<X-Modelgraph-Delivery>.<t>.<raw body>",
 * t equal to X-Modelgraph-Timestamp and recent.
 */
function signatureValid(received: Received, secret: string): boolean {
  const header = String(received.headers["x-modelgraph-signature"] ?? "");
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match || received.headers["x-modelgraph-timestamp"] !== match[1]) return false;
  const deliveryId = String(received.headers["x-modelgraph-delivery"] ?? "");
  const expected = createHmac("sha256", secret).update(`${deliveryId}.${match[1]}.${received.body}`).digest("hex");
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

type Falsy = false | null | undefined | "" | 0;

/** Polls `probe` until it returns something truthy, and returns that. */
async function waitFor<T>(what: string, probe: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- API helpers ----

const PAYLOAD_FIELDS = {
  createWebhook: "secret webhook { id url eventTypes active }",
  updateWebhook: "webhook { id url eventTypes active consecutiveFailures disabledAt }",
  deleteWebhook: "deletedWebhookId project { id }",
};

/** Runs a webhook mutation; returns the whole result union, so tests can assert on errors too. */
async function webhookMutation(client: GraphQLClient, field: keyof typeof PAYLOAD_FIELDS, input: Record<string, unknown>) {
  const type = `${field.charAt(0).toUpperCase()}${field.slice(1)}`;
  const data = await client.request(
    `mutation($input: ${type}Input!) { result: ${field}(input: $input) {
      __typename ... on ${type}Payload { ${PAYLOAD_FIELDS[field]} } ... on ValidationError { issues { path message } } ... on Error { message }
    } }`,
    { input },
  );
  return data.result;
}

async function createWebhook(client: GraphQLClient, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const result = await webhookMutation(client, "createWebhook", input);
  if (result.__typename !== "CreateWebhookPayload") throw new Error(`createWebhook: ${result.__typename}: ${result.message}`);
  return { id: result.webhook.id, secret: result.secret ?? (input.secret as string) };
}

interface DeliveryRow {
  id: string;
  status: "PENDING" | "SUCCEEDED" | "FAILED";
  attempts: number;
  responseCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  eventSeq: string;
  event: { type: string; cursor: string };
}

async function webhookState(client: GraphQLClient, id: string) {
  const data = await client.request(
    `query($id: ID!) { node(id: $id) { ... on Webhook {
      id active consecutiveFailures disabledAt eventTypes
      deliveries(first: 500) { totalCount nodes { id status attempts responseCode lastError nextAttemptAt deliveredAt eventSeq event { type cursor } } }
    } } }`,
    { id },
  );
  return data.node as null | {
    id: string;
    active: boolean;
    consecutiveFailures: number;
    disabledAt: string | null;
    eventTypes: string[];
    deliveries: { totalCount: number; nodes: DeliveryRow[] };
  };
}

describe.runIf(databaseAvailable)("webhooks", () => {
  let server: TestServer;
  let admin: GraphQLClient;

  beforeAll(async () => {
    server = await startTestServer(WEBHOOK_ENV);
    admin = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  it("POSTs each event once, signed with the secret returned once, with the event as JSON", async () => {
    const receiver = await Receiver.start();
    try {
      const project = await createProject(admin);
      const created = await webhookMutation(admin, "createWebhook", { projectId: project.id, url: receiver.url });
      expect(created.__typename).toBe("CreateWebhookPayload");
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(created.webhook).toMatchObject({ url: receiver.url, eventTypes: [], active: true });
      const secret: string = created.secret;

      const model = await createModel(admin, project.id);
      const [request] = await waitFor("the delivery", () => receiver.successes.length === 1 && receiver.successes);
      expect(signatureValid(request!, secret)).toBe(true);
      expect(signatureValid(request!, `${secret}x`)).toBe(false);
      // The delivery id is signed too: the same body and time presented under another id does not verify.
      expect(signatureValid({ ...request!, headers: { ...request!.headers, "x-modelgraph-delivery": "another-id" } }, secret)).toBe(false);
      expect(request!.headers["content-type"]).toBe("application/json");
      expect(request!.headers["x-modelgraph-event"]).toBe("MODEL_CREATED");
      expect(request!.json).toMatchObject({ type: "MODEL_CREATED", projectId: project.id, modelId: model.id, modelVersionId: null, payload: { name: model.name } });
      expect(request!.json.id).toBe(request!.json.cursor);
      expect(request!.json.seq).toMatch(/^\d+$/);
      expect(Date.parse(request!.json.at)).toBeGreaterThan(Date.now() - 60_000);

      // The delivery log (the outcome is recorded just after the receiver answered), and the same event as
      // the subscriptions' log (same cursor).
      const state = await waitFor("the recorded success", async () => {
        const s = await webhookState(admin, created.webhook.id);
        return s?.deliveries.nodes[0]?.status === "SUCCEEDED" && s;
      });
      expect(state.deliveries.totalCount).toBe(1);
      const [delivery] = state.deliveries.nodes;
      expect(delivery).toMatchObject({ status: "SUCCEEDED", attempts: 1, responseCode: 200, lastError: null, nextAttemptAt: null });
      expect(delivery!.id).toBe(request!.headers["x-modelgraph-delivery"]);
      expect(delivery!.eventSeq).toBe(request!.json.seq);
      expect(delivery!.event).toEqual({ type: "MODEL_CREATED", cursor: request!.json.cursor });
      expect(Date.parse(delivery!.deliveredAt!)).toBeGreaterThan(0);

      // The secret is never readable again: no field exposes it and the audit log leaves it out.
      const audit = await admin.request(`query($p: ID!) { auditLog(filter: { projectId: $p, action: "createWebhook" }) { nodes { targetId after } } }`, { p: project.id });
      expect(audit.auditLog.nodes).toHaveLength(1);
      expect(audit.auditLog.nodes[0].targetId).toBe(created.webhook.id);
      expect(audit.auditLog.nodes[0].after).toContain(receiver.url);
      expect(audit.auditLog.nodes[0].after).not.toContain(secret);

      // A chosen secret signs too, and is not echoed back.
      const chosen = "a-secret-of-my-own-choosing";
      const second = await webhookMutation(admin, "createWebhook", { projectId: project.id, url: `${receiver.url}?second`, secret: chosen });
      expect(second.secret).toBeNull();
      await createModel(admin, project.id);
      await waitFor("three deliveries", () => receiver.successes.length === 3);
      const latest = receiver.requests.slice(1);
      expect(latest.filter((r) => signatureValid(r, chosen))).toHaveLength(1);
      expect(latest.filter((r) => signatureValid(r, secret))).toHaveLength(1);
      await sleep(300);
      expect(receiver.requests).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  it("sends only the event types a webhook asks for", async () => {
    const receiver = await Receiver.start();
    try {
      const project = await createProject(admin);
      const stages = await createWebhook(admin, { projectId: project.id, url: `${receiver.url}?stages`, eventTypes: ["MODEL_VERSION_STAGE_CHANGED"] });
      const every = await createWebhook(admin, { projectId: project.id, url: `${receiver.url}?every` });
      const model = await createModel(admin, project.id);
      const version = await createVersion(admin, model.id);
      expect((await transition(admin, { modelVersionId: version.id, stage: "STAGING" })).__typename).toBe("TransitionModelVersionStagePayload");

      await waitFor("4 deliveries", () => receiver.successes.length === 4);
      await sleep(300);
      const byHook = (id: string) => receiver.requests.filter((r) => signatureValid(r, id === stages.id ? stages.secret : every.secret));
      expect(byHook(stages.id).map((r) => r.json.type)).toEqual(["MODEL_VERSION_STAGE_CHANGED"]);
      expect(byHook(stages.id)[0]!.json).toMatchObject({ modelId: model.id, modelVersionId: version.id, payload: { fromStage: "NONE", toStage: "STAGING" } });
      expect(byHook(every.id).map((r) => r.json.type).sort()).toEqual(["MODEL_CREATED", "MODEL_VERSION_CREATED", "MODEL_VERSION_STAGE_CHANGED"]);

      expect((await webhookState(admin, stages.id))!.deliveries.totalCount).toBe(1);
      expect((await webhookState(admin, every.id))!.deliveries.totalCount).toBe(3);

      // Changing the filter applies to events from then on.
      const updated = await webhookMutation(admin, "updateWebhook", { id: stages.id, eventTypes: ["MODEL_CREATED"] });
      expect(updated.webhook.eventTypes).toEqual(["MODEL_CREATED"]);
      await createModel(admin, project.id);
      await waitFor("6 deliveries", () => receiver.successes.length === 6);
      expect(byHook(stages.id).map((r) => r.json.type)).toEqual(["MODEL_VERSION_STAGE_CHANGED", "MODEL_CREATED"]);
    } finally {
      await receiver.close();
    }
  });

  it("retries with exponential back-off: a receiver that fails 3 times gets exactly one successful delivery", async () => {
    const receiver = await Receiver.start();
    try {
      let calls = 0;
      receiver.respond = () => (++calls <= 3 ? 503 : 200);
      const project = await createProject(admin);
      const hook = await createWebhook(admin, { projectId: project.id, url: receiver.url });
      await createModel(admin, project.id);

      await waitFor("the successful attempt", () => receiver.successes.length === 1);
      await sleep(RETRY_BASE_MS * 8); // long enough for a (wrong) fifth attempt to show up
      expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
      expect(receiver.successes).toHaveLength(1);
      // One delivery, the same id on every attempt (receivers de-duplicate on it), attempts numbered 1..4.
      expect(new Set(receiver.requests.map((r) => r.headers["x-modelgraph-delivery"])).size).toBe(1);
      expect(receiver.requests.map((r) => r.headers["x-modelgraph-attempt"])).toEqual(["1", "2", "3", "4"]);
      expect(receiver.requests.every((r) => signatureValid(r, hook.secret))).toBe(true);
      // Waits of at least 100, 200, 400 ms between attempts (upper bounds depend on the machine's load).
      const gaps = receiver.requests.slice(1).map((r, i) => r.at - receiver.requests[i]!.at);
      gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(RETRY_BASE_MS * 2 ** i - 15));

      const state = await waitFor("the recorded success", async () => {
        const s = await webhookState(admin, hook.id);
        return s?.deliveries.nodes[0]?.status === "SUCCEEDED" && s.consecutiveFailures === 0 && s;
      });
      expect(state.deliveries.totalCount).toBe(1);
      expect(state.deliveries.nodes[0]).toMatchObject({ status: "SUCCEEDED", attempts: 4, responseCode: 200, lastError: null, nextAttemptAt: null });
      expect(state).toMatchObject({ active: true, consecutiveFailures: 0 });
    } finally {
      await receiver.close();
    }
  });

  it("logs failures, gives up after the attempt limit, and disables the webhook after N consecutive failures", async () => {
    const receiver = await Receiver.start();
    try {
      receiver.respond = () => 500;
      const project = await createProject(admin);
      const hook = await createWebhook(admin, { projectId: project.id, url: receiver.url });

      // First event: MAX_ATTEMPTS failed attempts, then FAILED for good.
      await createModel(admin, project.id);
      let state = await waitFor("the first delivery to fail", async () => {
        const s = await webhookState(admin, hook.id);
        // Webhook and deliveries are read by separate statements: wait for both to show the last failure.
        return s?.deliveries.nodes[0]?.status === "FAILED" && s.consecutiveFailures === MAX_ATTEMPTS && s;
      });
      expect(receiver.requests).toHaveLength(MAX_ATTEMPTS);
      expect(state.deliveries.nodes[0]).toMatchObject({ attempts: MAX_ATTEMPTS, responseCode: 500, lastError: "HTTP 500", nextAttemptAt: null, deliveredAt: null });
      expect(state).toMatchObject({ active: true, consecutiveFailures: MAX_ATTEMPTS, disabledAt: null });

      // While PENDING, the log says when the next attempt is due.
      await createModel(admin, project.id);
      state = await waitFor("the webhook to be disabled", async () => {
        const s = await webhookState(admin, hook.id);
        return s?.active === false && s;
      });
      expect(state.consecutiveFailures).toBe(DISABLE_AFTER);
      expect(Date.parse(state.disabledAt!)).toBeGreaterThan(Date.now() - 60_000);
      const pending = state.deliveries.nodes.find((d) => d.status === "PENDING")!;
      expect(pending).toMatchObject({ attempts: DISABLE_AFTER - MAX_ATTEMPTS, responseCode: 500 });
      expect(Date.parse(pending.nextAttemptAt!)).toBeGreaterThan(0);
      expect(receiver.requests).toHaveLength(DISABLE_AFTER);

      // Disabled: nothing is attempted, and new events are not queued for it.
      await createModel(admin, project.id);
      await sleep(1_500);
      expect(receiver.requests).toHaveLength(DISABLE_AFTER);
      expect((await webhookState(admin, hook.id))!.deliveries.totalCount).toBe(2);

      // Re-activated once the receiver is fixed: failure count reset, what was pending is delivered.
      receiver.respond = () => 204;
      const reactivated = await webhookMutation(admin, "updateWebhook", { id: hook.id, active: true });
      expect(reactivated.webhook).toMatchObject({ active: true, consecutiveFailures: 0, disabledAt: null });
      await waitFor("the pending delivery", () => receiver.successes.length === 1);
      expect(receiver.successes[0]!.headers["x-modelgraph-delivery"]).toBe(pending.id);
      state = await waitFor("the recorded success", async () => {
        const s = await webhookState(admin, hook.id);
        return s?.deliveries.nodes.some((d) => d.status === "SUCCEEDED") && s;
      });
      expect(state.deliveries.nodes.map((d) => d.status).sort()).toEqual(["FAILED", "SUCCEEDED"]);
      expect(state.deliveries.nodes.find((d) => d.id === pending.id)).toMatchObject({ status: "SUCCEEDED", responseCode: 204, lastError: null });
    } finally {
      await receiver.close();
    }
  });

  it("records network errors, and stops sending to a deleted webhook", async () => {
    const receiver = await Receiver.start();
    const deadUrl = receiver.url;
    await receiver.close(); // nobody listens there any more
    const project = await createProject(admin);
    const hook = await createWebhook(admin, { projectId: project.id, url: deadUrl });
    await createModel(admin, project.id);
    const state = await waitFor("a failed attempt", async () => {
      const s = await webhookState(admin, hook.id);
      return (s?.deliveries.nodes[0]?.attempts ?? 0) >= 1 && s?.deliveries.nodes[0]?.lastError && s;
    });
    expect(state.deliveries.nodes[0]).toMatchObject({ status: "PENDING", responseCode: null, lastError: "connection failed" });

    const deleted = await webhookMutation(admin, "deleteWebhook", { id: hook.id });
    expect(deleted).toEqual({ __typename: "DeleteWebhookPayload", deletedWebhookId: hook.id, project: { id: project.id } });
    expect(await webhookState(admin, hook.id)).toBeNull();
    const projectHooks = await admin.request(`query($id: ID!) { node(id: $id) { ... on Project { webhooks { totalCount } } } }`, { id: project.id });
    expect(projectHooks.node.webhooks.totalCount).toBe(0);
    await createModel(admin, project.id); // no webhook: nothing queued, nothing fails
  });

  it("is managed by project ADMINs only, validates its input, and hides webhooks from other members", async () => {
    const project = await createProject(admin);
    const member = async (role: string | null) => {
      const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("hooks") }, "user { id }")).user;
      const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "tests", userId: user.id }, "token");
      if (role) await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: project.id, userId: user.id, role }, "project { id }");
      return admin.as(token);
    };
    const [projectAdmin, editor, outsider] = await Promise.all([member("ADMIN"), member("EDITOR"), member(null)]);

    const bad = await webhookMutation(projectAdmin, "createWebhook", { projectId: project.id, url: "ftp://example.com/hook", secret: "short" });
    expect(bad.__typename).toBe("ValidationError");
    expect(bad.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(["input.url", "input.secret"]);
    for (const url of ["not a url", "http://user:pass@example.com/", "javascript:alert(1)", `https://example.com/${"x".repeat(2100)}`]) {
      expect((await webhookMutation(projectAdmin, "createWebhook", { projectId: project.id, url })).__typename).toBe("ValidationError");
    }

    const hook = await createWebhook(projectAdmin, { projectId: project.id, url: "https://hooks.example.com/modelgraph" });
    expect((await webhookMutation(editor, "createWebhook", { projectId: project.id, url: "https://example.com/" })).__typename).toBe("ForbiddenError");
    expect((await webhookMutation(editor, "updateWebhook", { id: hook.id, active: false })).__typename).toBe("ForbiddenError");
    expect((await webhookMutation(editor, "deleteWebhook", { id: hook.id })).__typename).toBe("ForbiddenError");
    expect((await webhookMutation(outsider, "createWebhook", { projectId: project.id, url: "https://example.com/" })).__typename).toBe("NotFoundError");
    expect((await webhookMutation(outsider, "updateWebhook", { id: hook.id, active: false })).__typename).toBe("NotFoundError");
    expect((await webhookMutation(projectAdmin, "updateWebhook", { id: hook.id, url: "file:///etc/passwd" })).__typename).toBe("ValidationError");

    const list = `query($id: ID!) { node(id: $id) { ... on Project { webhooks { totalCount nodes { id url } } } } }`;
    expect((await projectAdmin.request(list, { id: project.id })).node.webhooks).toEqual({ totalCount: 1, nodes: [{ id: hook.id, url: "https://hooks.example.com/modelgraph" }] });
    expect((await editor.request(list, { id: project.id })).node.webhooks).toEqual({ totalCount: 0, nodes: [] });
    expect(await webhookState(editor, hook.id)).toBeNull();
    expect(await webhookState(outsider, hook.id)).toBeNull();

    const paused = await webhookMutation(projectAdmin, "updateWebhook", { id: hook.id, active: false, url: "https://hooks.example.com/v2" });
    expect(paused.webhook).toMatchObject({ active: false, url: "https://hooks.example.com/v2" });
    expect(paused.webhook.disabledAt).not.toBeNull();
    expect((await webhookMutation(projectAdmin, "deleteWebhook", { id: hook.id })).__typename).toBe("DeleteWebhookPayload");
    expect((await webhookMutation(projectAdmin, "deleteWebhook", { id: hook.id })).__typename).toBe("NotFoundError");
    for (const e of [projectAdmin, editor, outsider]) e.close();
  });
});

// Two replicas on ONE PostgreSQL database (PGlite is single-process): every event is delivered once.
describe.runIf(databaseAvailable && dbKind === "postgres")("webhooks with two replicas", () => {
  const EVENTS = 50;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    a = await startTestServer(WEBHOOK_ENV);
    b = await startReplica(a, WEBHOOK_ENV);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it(`delivers each of ${EVENTS} events exactly once, retries included`, async () => {
    const receiver = await Receiver.start();
    const clientA = new GraphQLClient(a.url);
    const clientB = new GraphQLClient(b.url);
    try {
      // Responses are held until more requests are in flight than one replica sends at once (16), so both
      // replicas must be delivering; every fifth event fails its first attempt, so retries race too.
      let held: (() => void)[] = [];
      let released = false;
      receiver.respond = async ({ headers, json }) => {
        if (!released) {
          await new Promise<void>((resolve) => {
            held.push(resolve);
            if (held.length > 16) {
              released = true;
              held.forEach((r) => r());
              held = [];
            }
            setTimeout(resolve, 5_000).unref();
          });
        }
        return BigInt(json.seq) % 5n === 0n && headers["x-modelgraph-attempt"] === "1" ? 503 : 200;
      };

      const project = await createProject(clientA);
      const hook = await createWebhook(clientA, { projectId: project.id, url: receiver.url, eventTypes: ["MODEL_CREATED"] });
      const started = Date.now();
      // Events committed through both replicas, 10 at a time.
      for (let i = 0; i < EVENTS; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => createModel((i + j) % 2 ? clientB : clientA, project.id)));
      }
      await waitFor(`${EVENTS} successful deliveries`, () => receiver.successes.length >= EVENTS, 30_000);
      const deliveredMs = Date.now() - started;
      await sleep(1_500); // any duplicate would arrive meanwhile (polls run every second)

      const successes = receiver.successes;
      expect(successes).toHaveLength(EVENTS);
      expect(new Set(successes.map((r) => r.headers["x-modelgraph-delivery"])).size).toBe(EVENTS);
      expect(new Set(successes.map((r) => r.json.seq)).size).toBe(EVENTS);
      expect(successes.every((r) => signatureValid(r, hook.secret))).toBe(true);
      // No attempt was made twice either: exactly one failed first attempt per fifth event, then its retry.
      const failing = successes.filter((r) => BigInt(r.json.seq) % 5n === 0n).length;
      expect(receiver.requests).toHaveLength(EVENTS + failing);
      const attemptsByDelivery = new Map<string, string[]>();
      for (const r of receiver.requests) {
        const id = String(r.headers["x-modelgraph-delivery"]);
        attemptsByDelivery.set(id, [...(attemptsByDelivery.get(id) ?? []), String(r.headers["x-modelgraph-attempt"])]);
      }
      for (const attempts of attemptsByDelivery.values()) expect(attempts.length === 1 ? attempts : attempts.sort()).toEqual(attempts.length === 1 ? ["1"] : ["1", "2"]);

      // Both replicas delivered, and the log (read through either) agrees.
      const stats = [a.app.webhooks.stats, b.app.webhooks.stats];
      expect(stats[0]!.succeeded).toBeGreaterThan(0);
      expect(stats[1]!.succeeded).toBeGreaterThan(0);
      expect(stats[0]!.succeeded + stats[1]!.succeeded).toBe(EVENTS);
      const state = await waitFor("every success recorded", async () => {
        const s = await webhookState(clientB, hook.id);
        return s?.deliveries.nodes.every((d) => d.status === "SUCCEEDED") && s;
      });
      expect(state.deliveries.totalCount).toBe(EVENTS);
      expect(state.deliveries.nodes.filter((d) => d.attempts === 2)).toHaveLength(failing);
      console.info(`[webhooks] ${EVENTS} events through 2 replicas delivered in ${deliveredMs} ms; replica A ${stats[0]!.succeeded}, B ${stats[1]!.succeeded}; ${failing} retried`);
    } finally {
      clientA.close();
      clientB.close();
      await receiver.close();
    }
  });
});
