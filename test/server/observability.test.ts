// Operations (issue 7): /metrics in Prometheus format, x-request-id, one JSON log line per GraphQL request, and
// graceful shutdown of a real server process (SIGTERM with requests in flight and live subscriptions).
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createResource, createUserWithToken, mutate } from "../support/fixtures.ts";
import { scrape, scrapeUntil } from "../support/metrics.ts";
import { ADMIN_TOKEN, databaseAvailable, dbKind, freshDatabase, startTestServer, type TestServer } from "../support/server.ts";
import {
  describeError,
  freePort,
  PROJECT_EVENTS,
  startServerProcess,
  subscribe,
  untilLive,
  type EventData,
  type ServerProcess,
} from "../support/subscriptions.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /graphql with raw access to status and headers. */
async function post(baseUrl: string, query: string, headers: Record<string, string> = {}, variables: Record<string, unknown> = {}) {
  const response = await fetch(new URL("/graphql", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

/** JSON lines of a process's output. */
function logLines(output: string): Record<string, any>[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000, detail: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms\n${detail()}`);
    await sleep(25);
  }
}

describe.runIf(databaseAvailable)(`metrics and request ids (${dbKind})`, () => {
  let server: TestServer;
  let client: GraphQLClient;

  beforeAll(async () => {
    // Failed webhook deliveries wait 10 minutes before their retry: they stay pending while the test looks.
    // The webhook below posts to a closed port of 127.0.0.1, which deliveries may reach only when allow-listed.
    server = await startTestServer({ WEBHOOK_RETRY_BASE_MS: "600000", WEBHOOK_ALLOWED_NETWORKS: "127.0.0.1/32" });
    client = new GraphQLClient(server.url);
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("serves Prometheus text: GraphQL requests and latency per operation and result, HTTP routes, pool and statements", async () => {
    for (let i = 0; i < 2; i++) expect((await post(server.url, "query ObsProjects { projects { totalCount } }")).status).toBe(200);
    const created = await post(server.url, `mutation ObsCreate($input: CreateProjectInput!) { createProject(input: $input) { __typename ... on CreateProjectPayload { project { id } } } }`, {}, {
      input: { name: `obs-${Date.now()}` },
    });
    expect(created.body.data.createProject.__typename).toBe("CreateProjectPayload");
    const projectId = created.body.data.createProject.project.id as string;
    // Refused before execution (no token), and invalid (unknown field): both counted as errors under their names.
    expect((await post(server.url, "query ObsDenied { viewer { id } }", { authorization: "" })).status).toBe(401);
    const invalid = await post(server.url, "query ObsInvalid { noSuchField }");
    expect(invalid.body.errors?.length).toBeGreaterThan(0);
    // Artifact routes: an upload (PUT) and a download (GET).
    const resource = await createResource(client, projectId);
    const downloaded = await fetch(resource.uploadUrl, { headers: client.authHeaders });
    expect(downloaded.status).toBe(200);
    await downloaded.arrayBuffer();

    const m = await scrape(server.url);
    expect(m.types.get("modelgraph_graphql_requests_total")).toBe("counter");
    expect(m.types.get("modelgraph_graphql_request_duration_seconds")).toBe("histogram");
    expect(m.value("modelgraph_graphql_requests_total", { operation_name: "ObsProjects", operation_type: "query", result: "ok" })).toBe(2);
    expect(m.value("modelgraph_graphql_request_duration_seconds_count", { operation_name: "ObsProjects", operation_type: "query" })).toBe(2);
    expect(m.value("modelgraph_graphql_request_duration_seconds_bucket", { operation_name: "ObsProjects", operation_type: "query", le: "+Inf" })).toBe(2);
    expect(m.value("modelgraph_graphql_request_duration_seconds_sum", { operation_name: "ObsProjects" })).toBeGreaterThan(0);
    expect(m.value("modelgraph_graphql_requests_total", { operation_name: "ObsCreate", operation_type: "mutation", result: "ok" })).toBe(1);
    expect(m.value("modelgraph_graphql_requests_total", { operation_name: "ObsDenied", result: "error" })).toBe(1);
    expect(m.value("modelgraph_graphql_requests_total", { operation_name: "ObsInvalid", result: "error" })).toBe(1);
    expect(m.value("modelgraph_graphql_requests_total", { operation_name: "ObsDenied", result: "ok" })).toBeUndefined();

    // HTTP requests are counted once their response has been handed over, which may be an instant after the client
    // has it: wait for the counts rather than race them.
    const http = await scrapeUntil(
      server.url,
      (s) => s.value("modelgraph_http_requests_total", { route: "artifacts", method: "GET", status: "200" }) === 1,
      "the download counted",
    );
    expect(http.value("modelgraph_http_requests_total", { route: "graphql", method: "POST", status: "401" })).toBe(1);
    expect(http.value("modelgraph_http_requests_total", { route: "artifacts", method: "PUT", status: "200" })).toBe(1);
    expect(http.value("modelgraph_http_request_duration_seconds_count", { route: "artifacts" })).toBe(2);

    expect(m.value("modelgraph_db_statements_total")).toBeGreaterThan(10);
    expect(m.value("modelgraph_info", { database: dbKind })).toBe(1);
    if (dbKind === "postgres") {
      expect(m.value("modelgraph_db_pool_max")).toBe(8); // DATABASE_POOL_SIZE of the test servers
      expect(m.value("modelgraph_db_pool_connections", { state: "total" })).toBeGreaterThanOrEqual(1);
      expect(m.value("modelgraph_db_pool_connections", { state: "idle" })).toBeGreaterThanOrEqual(0);
      expect(m.value("modelgraph_db_pool_connections", { state: "waiting" })).toBe(0);
    } else {
      expect(m.value("modelgraph_db_pool_max")).toBe(1);
      expect(m.value("modelgraph_db_pool_connections", { state: "total" })).toBe(1);
    }
    // Never a token or a name of the API's data in the metrics.
    expect(m.text).not.toContain(ADMIN_TOKEN);
    expect(m.text).not.toContain("obs-");
  });

  it("counts token-cache lookups: a new token's first request is a miss, the same token's second a hit", async () => {
    const { token } = await createUserWithToken(client);
    const lookups = async () => {
      const m = await scrape(server.url);
      expect(m.types.get("modelgraph_auth_cache_lookups_total")).toBe("counter");
      return { hit: m.value("modelgraph_auth_cache_lookups_total", { result: "hit" }) ?? 0, miss: m.value("modelgraph_auth_cache_lookups_total", { result: "miss" }) ?? 0 };
    };
    const before = await lookups();
    expect((await post(server.url, "query CacheFirst { viewer { id } }", { authorization: `Bearer ${token}` })).status).toBe(200);
    const afterFirst = await lookups();
    expect(afterFirst).toEqual({ hit: before.hit, miss: before.miss + 1 });
    expect((await post(server.url, "query CacheSecond { viewer { id } }", { authorization: `Bearer ${token}` })).status).toBe(200);
    expect(await lookups()).toEqual({ hit: before.hit + 1, miss: before.miss + 1 });
  });

  it("serves Node's default collectors under their standard names beside the README's process metrics", async () => {
    const m = await scrape(server.url);
    for (const [name, type] of [
      ["process_cpu_seconds_total", "counter"],
      ["process_start_time_seconds", "gauge"],
      ["process_resident_memory_bytes", "gauge"],
      ["nodejs_eventloop_lag_seconds", "gauge"],
      ["nodejs_eventloop_lag_p99_seconds", "gauge"],
      ["nodejs_gc_duration_seconds", "histogram"],
      ["nodejs_heap_size_used_bytes", "gauge"],
      ["nodejs_heap_used_bytes", "gauge"],
      ["nodejs_active_handles_total", "gauge"],
    ]) expect(m.types.get(name!), name).toBe(type);
    const started = m.value("process_start_time_seconds")!;
    expect(started).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(started).toBeLessThanOrEqual(Date.now() / 1000);
    expect(m.value("process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(m.value("nodejs_heap_used_bytes")).toBeGreaterThan(1_000_000);
    // Each family once, though every app of a process shares the process's collectors.
    const typeLines = m.text.split("\n").filter((line) => line.startsWith("# TYPE "));
    expect(new Set(typeLines).size).toBe(typeLines.length);
  });

  it("reports event-bus lag and live subscriptions per transport, counted per subscriber", async () => {
    const project = await createProject(client);
    const before = await scrape(server.url);
    const delivered = before.value("modelgraph_events_delivered_total") ?? 0;
    // Two identical WebSocket subscriptions share one execution (events/multicast.ts) but are two subscribers.
    const subscriptions = (["ws", "ws", "sse"] as const).map((transport) => subscribe<EventData>(transport, server.url, PROJECT_EVENTS, { projectId: project.id }));
    try {
      for (const s of subscriptions) await untilLive(s, async () => void (await createModel(client, project.id)), (e) => e.type === "MODEL_CREATED");
      const live = await scrapeUntil(
        server.url,
        (s) => s.value("modelgraph_subscriptions_active", { transport: "ws" }) === 2 && s.value("modelgraph_subscriptions_active", { transport: "sse" }) === 1,
        "2 ws and 1 sse subscriptions",
      );
      // Each subscriber is one GraphQL request (the shared WebSocket execution too).
      expect(live.value("modelgraph_graphql_requests_total", { operation_type: "subscription", result: "ok" })).toBe(3);
      expect(live.value("modelgraph_events_delivered_total")).toBeGreaterThan(delivered);
      expect(live.value("modelgraph_event_delivery_lag_seconds_count")).toBeGreaterThanOrEqual(live.value("modelgraph_events_delivered_total")! - delivered);
      expect(live.value("modelgraph_event_feed_seq")).toBeGreaterThan(0);
      expect(live.value("modelgraph_event_bus_announced_seq")).toBeGreaterThanOrEqual(live.value("modelgraph_event_feed_seq")!);
      expect(live.value("modelgraph_event_feed_lag_seconds")).toBeGreaterThanOrEqual(0);
    } finally {
      for (const s of subscriptions) await s.close();
    }
    await scrapeUntil(
      server.url,
      (s) => s.value("modelgraph_subscriptions_active", { transport: "ws" }) === 0 && s.value("modelgraph_subscriptions_active", { transport: "sse" }) === 0,
      "no live subscription after they closed",
    );
  });

  it("reports the webhook queue: pending deliveries and failed attempts", async () => {
    const project = await createProject(client);
    // A receiver that refuses connections: each attempt fails, and the retry waits 10 minutes.
    const url = `http://127.0.0.1:${await freePort()}/hook`;
    await mutate(client, "createWebhook", "CreateWebhookInput", { projectId: project.id, url }, "webhook { id }");
    const failedBefore = (await scrape(server.url)).value("modelgraph_webhook_attempts_total", { result: "failed" }) ?? 0;
    await createModel(client, project.id);
    await createModel(client, project.id);
    const m = await scrapeUntil(
      server.url,
      (s) => (s.value("modelgraph_webhook_attempts_total", { result: "failed" }) ?? 0) >= failedBefore + 2,
      "two failed webhook attempts",
    );
    expect(m.value("modelgraph_webhook_deliveries_pending")).toBeGreaterThanOrEqual(2);
    expect(m.value("modelgraph_webhook_attempts_total", { result: "succeeded" })).toBe(0);
    expect(m.value("modelgraph_webhook_deliveries_in_flight")).toBeGreaterThanOrEqual(0);
  });

  it("echoes a sane x-request-id on every route, and replaces a missing or unsafe one", async () => {
    const resource = await createResource(client, (await createProject(client)).id);
    const targets: [string, RequestInit][] = [
      ["/healthz", {}],
      ["/readyz", {}],
      ["/metrics", {}],
      [new URL(resource.uploadUrl).pathname, { headers: client.authHeaders }],
      ["/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ query: "{ viewer { id } }" }) }],
      ["/no-such-route", {}],
    ];
    for (const [path, init] of targets) {
      const id = `req-${path.length}.abc:123`;
      const echoed = await fetch(new URL(path, server.url), { ...init, headers: { ...(init.headers as Record<string, string>), "x-request-id": id } });
      await echoed.arrayBuffer();
      expect(echoed.headers.get("x-request-id"), path).toBe(id);
      const generated = new Set<string>();
      for (const bad of [undefined, "has spaces", "x".repeat(200), "a;b", '"quoted"']) {
        const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
        if (bad !== undefined) headers["x-request-id"] = bad;
        const response = await fetch(new URL(path, server.url), { ...init, headers });
        await response.arrayBuffer();
        const got = response.headers.get("x-request-id") ?? "";
        expect(got, `${path} with ${JSON.stringify(bad)}`).toMatch(UUID);
        generated.add(got);
      }
      expect(generated.size, "a new id per request").toBe(5);
    }
  });
});

describe.runIf(dbKind === "pglite")("METRICS_TOKEN", () => {
  it("when set, /metrics needs Authorization: Bearer <METRICS_TOKEN>", async () => {
    const token = "metrics-secret-0123456789";
    const server = await startTestServer({ METRICS_TOKEN: token });
    try {
      const url = new URL("/metrics", server.url);
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      const ok = await scrape(server.url, { authorization: `Bearer ${token}` });
      expect(ok.value("modelgraph_shutting_down")).toBe(0);
      // Health checks stay open.
      expect((await fetch(new URL("/readyz", server.url))).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

/** A request written by hand on its own connection, so that the test decides when each byte is sent. */
class RawRequest {
  private readonly socket: net.Socket;
  private received = "";
  readonly closed: Promise<void>;

  constructor(port: number, head: string) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setEncoding("utf8").on("data", (chunk: string) => (this.received += chunk));
    this.socket.on("error", () => {});
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    this.socket.write(head);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves with the status and body of the first response once it is complete (content-length or chunked). */
  async response(timeoutMs = 30_000): Promise<{ status: number; body: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const head = this.received.indexOf("\r\n\r\n");
      if (head !== -1) {
        const headers = this.received.slice(0, head);
        const rest = this.received.slice(head + 4);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]);
        const length = /content-length: (\d+)/i.exec(headers)?.[1];
        if (length !== undefined && Buffer.byteLength(rest) >= Number(length)) return { status, body: rest.slice(0, Number(length)) };
        if (/transfer-encoding: chunked/i.test(headers) && rest.includes("\r\n0\r\n\r\n")) {
          let body = "";
          for (let at = 0; ; ) {
            const eol = rest.indexOf("\r\n", at);
            const size = parseInt(rest.slice(at, eol), 16);
            if (!size) break;
            body += rest.slice(eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
          }
          return { status, body };
        }
      }
      if (Date.now() > deadline) throw new Error(`no complete response in ${timeoutMs} ms; received ${JSON.stringify(this.received.slice(0, 500))}`);
      await sleep(20);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe.runIf(databaseAvailable)(`server process: request logs and graceful shutdown (${dbKind})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  async function start(env: Record<string, string> = {}): Promise<{ server: ServerProcess; port: number; exited: Promise<number | null> }> {
    const db = await freshDatabase();
    const server = await startServerProcess({ ...db.env, DATABASE_POOL_SIZE: "5", ...env }, 100_000);
    cleanups.push(async () => {
      await server.stop();
      await db.drop();
    });
    const exited = new Promise<number | null>((resolve) => {
      if (!server.alive()) resolve(null);
      server.child.once("exit", (code) => resolve(code));
    });
    return { server, port: Number(new URL(server.url).port), exited };
  }

  it("logs one JSON line per GraphQL request with its request id, operation, status and duration, and no secrets", async () => {
    const { server } = await start();
    const wrongToken = `mg_${"w".repeat(40)}`;
    expect((await post(server.url, "query LogViewer { viewer { id } }", { "x-request-id": "log-test-1" })).status).toBe(200);
    expect((await post(server.url, "query LogDenied { viewer { id } }", { "x-request-id": "log-test-2", authorization: `Bearer ${wrongToken}` })).status).toBe(401);
    const projectName = `log-proj-${Date.now()}`;
    const created = await post(server.url, `mutation LogCreate($input: CreateProjectInput!) { createProject(input: $input) { __typename } }`, { "x-request-id": "log-test-3" }, {
      input: { name: projectName },
    });
    expect(created.status).toBe(200);
    // A WebSocket operation is logged too (no HTTP status: transport ws).
    const ws = subscribe<EventData>("ws", server.url, PROJECT_EVENTS, { projectId: "UHJvamVjdDpub25l" });
    await sleep(500);
    await ws.close();

    const requestLines = () => logLines(server.output()).filter((l) => l.msg === "graphql request");
    await until(() => requestLines().length >= 4, "4 request log lines", 20_000, () => server.output());
    const byId = (id: string) => requestLines().filter((l) => l.requestId === id);
    expect(byId("log-test-1")).toHaveLength(1);
    expect(byId("log-test-1")[0]).toMatchObject({ level: "info", transport: "http", method: "POST", operationName: "LogViewer", operationType: "query", status: 200, result: "ok" });
    expect(byId("log-test-1")[0]!.durationMs).toBeTypeOf("number");
    expect(byId("log-test-2")[0]).toMatchObject({ operationName: "LogDenied", status: 401, result: "error", errors: ["UNAUTHENTICATED"] });
    expect(byId("log-test-3")[0]).toMatchObject({ operationName: "LogCreate", operationType: "mutation", status: 200, result: "ok" });
    expect(requestLines().some((l) => l.transport === "ws" && l.operationType === "subscription")).toBe(true);
    // One line per request: the three HTTP requests above appear once each.
    expect(requestLines().filter((l) => l.transport === "http")).toHaveLength(3);
    // No tokens, no Authorization header, no variables.
    const output = server.output();
    expect(output).not.toContain(ADMIN_TOKEN);
    expect(output).not.toContain(wrongToken);
    expect(output.toLowerCase()).not.toContain("bearer");
    expect(output).not.toContain(projectName);
  });

  it("SIGTERM: readyz answers 503 at once, no new connections, in-flight requests finish, subscribers get 1001 or a closed stream, exit 0", async () => {
    const { server, port, exited } = await start({ SHUTDOWN_TIMEOUT_SECONDS: "60" });
    const client = new GraphQLClient(server.url);
    cleanups.push(async () => client.close());
    const project = await createProject(client);

    // Live subscribers on both transports.
    const ws = subscribe<EventData>("ws", server.url, PROJECT_EVENTS, { projectId: project.id });
    const sse = subscribe<EventData>("sse", server.url, PROJECT_EVENTS, { projectId: project.id });
    for (const s of [ws, sse]) await untilLive(s, async () => void (await createModel(client, project.id)), (e) => e.type === "MODEL_CREATED");

    // Requests in flight, each waiting for the rest of its body: an artifact upload and a GraphQL mutation.
    const bytes = Buffer.alloc(256 * 1024, 7);
    const pending = await createResource(client, project.id, { bytes, upload: false });
    const upload = new RawRequest(
      port,
      `PUT ${new URL(pending.uploadUrl).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: ${bytes.length}\r\n\r\n`,
    );
    upload.write(bytes.subarray(0, 1000));
    const mutation = JSON.stringify({
      query: `mutation($input: CreateModelInput!) { createModel(input: $input) { __typename ... on CreateModelPayload { model { name } } } }`,
      variables: { input: { projectId: project.id, name: "created-during-shutdown" } },
    });
    const graphql = new RawRequest(
      port,
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${Buffer.byteLength(mutation)}\r\n\r\n`,
    );
    graphql.write(mutation.slice(0, 20));
    // A readiness probe on an open connection, its headers not yet finished (so shutdown does not close it as idle).
    const readiness = new RawRequest(port, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await sleep(300);

    server.child.kill("SIGTERM");
    await until(() => logLines(server.output()).some((l) => l.msg === "shutting down"), "the shutting down log line", 10_000, () => server.output());

    // Not ready at once, while requests are still in flight.
    readiness.write("\r\n");
    const ready = await readiness.response();
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: "shutting down" });
    // No new connections.
    await expect(fetch(new URL("/healthz", server.url), { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    // Subscribers are told to go elsewhere: WebSocket close 1001, SSE stream ended.
    await ws.waitEnded(10_000);
    expect(ws.errors.map(describeError).join(" "), "ws close code").toMatch(/close 1001/);
    await sse.waitEnded(10_000);

    // The requests in flight complete normally.
    upload.write(bytes.subarray(1000));
    const uploaded = await upload.response();
    expect(uploaded.status, uploaded.body).toBe(200);
    expect(JSON.parse(uploaded.body).resource.status).toBe("READY");
    graphql.write(mutation.slice(20));
    const answered = await graphql.response();
    expect(answered.status, answered.body).toBe(200);
    expect(JSON.parse(answered.body).data.createModel.model.name).toBe("created-during-shutdown");

    expect(await Promise.race([exited, sleep(30_000).then(() => "still running")])).toBe(0);
    const stopped = logLines(server.output()).find((l) => l.msg === "stopped");
    expect(stopped, server.output()).toMatchObject({ requestsCut: 0 });
    expect(server.output()).not.toMatch(/"level":"error"/);
  });

  it("SIGTERM: a request that does not finish within SHUTDOWN_TIMEOUT_SECONDS is cut, and the process still exits", async () => {
    const { server, port, exited } = await start({ SHUTDOWN_TIMEOUT_SECONDS: "1" });
    const client = new GraphQLClient(server.url);
    cleanups.push(async () => client.close());
    const project = await createProject(client);
    const pending = await createResource(client, project.id, { bytes: Buffer.alloc(10_000), upload: false });
    const stuck = new RawRequest(port, `PUT ${new URL(pending.uploadUrl).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Length: 10000\r\n\r\n`);
    stuck.write(Buffer.alloc(100));
    await sleep(300);
    server.child.kill("SIGTERM");
    expect(await Promise.race([exited, sleep(30_000).then(() => "still running")])).toBe(0);
    await Promise.race([stuck.closed, sleep(5_000)]);
    stuck.destroy();
    expect(logLines(server.output()).find((l) => l.msg === "stopped")).toMatchObject({ requestsCut: 1 });
  });
});
