// PostgreSQL goes away under load (issue 7). On a PRIVATE PostgreSQL cluster (the machine's shared server is never
// touched), a server process serves concurrent reads and writes from several clients while PostgreSQL stops and
// starts again. What must hold:
//   - during the outage every failed request is a clean refusal: HTTP 503, a top-level error with
//     extensions.code SERVICE_UNAVAILABLE and a Retry-After header; never "Unexpected error.";
//   - no request hangs (each has a bound); /readyz answers 503 (promptly) while PostgreSQL is down, 200 after;
//   - once PostgreSQL is back, requests succeed again without a restart of the server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createResource } from "../support/fixtures.ts";
import { privateClusterAvailable, serverOnPrivateCluster, type PrivateCluster, type ServerOnPrivateCluster } from "../support/postgres-cluster.ts";
import { ADMIN_TOKEN } from "../support/server.ts";
import type { ServerProcess } from "../support/subscriptions.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** No request may take longer than this, outage or not (the bound against hangs). */
const REQUEST_BOUND_MS = 20_000;

interface Outcome {
  kind: "read" | "write" | "download" | "ready";
  at: number;
  ms: number;
  status: number;
  ok: boolean;
  code?: string;
  message?: string;
  retryAfter?: string | null;
  hung?: boolean;
}

const READ = `query OutageRead($id: ID!) { node(id: $id) { ... on Project { id models(first: 5) { totalCount nodes { name } } } } }`;
const WRITE = `mutation OutageWrite($input: CreateModelInput!) { createModel(input: $input) { __typename ... on CreateModelPayload { model { id } } ... on Error { message } } }`;

async function graphql(baseUrl: string, kind: "read" | "write", query: string, variables: Record<string, unknown>): Promise<Outcome> {
  const at = Date.now();
  try {
    const response = await fetch(new URL("/graphql", baseUrl), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });
    const body = (await response.json()) as { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    const payload = body.data ? Object.values(body.data)[0] : null;
    const ok = response.status === 200 && !error && payload !== null && (kind === "read" || payload.__typename === "CreateModelPayload");
    return {
      kind,
      at,
      ms: Date.now() - at,
      status: response.status,
      ok,
      code: error?.extensions?.code,
      message: error?.message ?? (ok ? undefined : JSON.stringify(body).slice(0, 300)),
      retryAfter: response.headers.get("retry-after"),
    };
  } catch (error) {
    const hung = (error as Error).name === "TimeoutError";
    return { kind, at, ms: Date.now() - at, status: 0, ok: false, hung, message: (error as Error).message };
  }
}

/** GET /artifacts/{id}: the artifact route answers a lost database with 503 too (a JSON error, not GraphQL). */
async function download(url: string, expected: Buffer): Promise<Outcome> {
  const at = Date.now();
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    const bytes = Buffer.from(await response.arrayBuffer());
    const ok = response.status === 200 && bytes.equals(expected);
    let code: string | undefined;
    let message: string | undefined;
    if (!ok) {
      try {
        const body = JSON.parse(bytes.toString("utf8")) as { error?: { type?: string; message?: string } };
        code = body.error?.type === "ServiceUnavailable" ? "SERVICE_UNAVAILABLE" : body.error?.type;
        message = body.error?.message;
      } catch {
        message = bytes.toString("utf8").slice(0, 200);
      }
    }
    return { kind: "download", at, ms: Date.now() - at, status: response.status, ok, code, message, retryAfter: response.headers.get("retry-after") };
  } catch (error) {
    return { kind: "download", at, ms: Date.now() - at, status: 0, ok: false, hung: (error as Error).name === "TimeoutError", message: (error as Error).message };
  }
}

async function readiness(baseUrl: string): Promise<Outcome> {
  const at = Date.now();
  try {
    const response = await fetch(new URL("/readyz", baseUrl), { signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    const body = (await response.json()) as { database?: string };
    return { kind: "ready", at, ms: Date.now() - at, status: response.status, ok: response.status === 200, message: body.database };
  } catch (error) {
    return { kind: "ready", at, ms: Date.now() - at, status: 0, ok: false, hung: (error as Error).name === "TimeoutError", message: (error as Error).message };
  }
}

describe.runIf(privateClusterAvailable)("PostgreSQL outage under load", () => {
  let setup: ServerOnPrivateCluster;
  let cluster: PrivateCluster;
  let server: ServerProcess;
  let client: GraphQLClient;

  beforeAll(async () => {
    setup = await serverOnPrivateCluster({ READINESS_TIMEOUT_MS: "1000" });
    ({ cluster, server, client } = setup);
  });

  afterAll(async () => {
    await setup?.close();
  });

  it("refuses cleanly with 503 SERVICE_UNAVAILABLE while PostgreSQL is down, and recovers without a restart", async () => {
    const project = await createProject(client);
    await createModel(client, project.id);
    const bytes = Buffer.from("weights that survive the outage");
    const artifact = await createResource(client, project.id, { bytes });

    // Seven clients: three readers, three writers and a downloader, each one request at a time, until told to stop.
    const outcomes: Outcome[] = [];
    let running = true;
    let written = 0;
    const worker = async (kind: "read" | "write" | "download", n: number) => {
      while (running) {
        const outcome =
          kind === "read"
            ? await graphql(server.url, "read", READ, { id: project.id })
            : kind === "write"
              ? await graphql(server.url, "write", WRITE, { input: { projectId: project.id, name: `outage-${n}-${written++}` } })
              : await download(artifact.uploadUrl, bytes);
        outcomes.push(outcome);
        await sleep(outcome.ok ? 20 : 100);
      }
    };
    const workers = [...[0, 1, 2].flatMap((n) => [worker("read", n), worker("write", n)]), worker("download", 0)];
    const probes: Outcome[] = [];
    const successesSince = (t: number) => outcomes.filter((o) => o.ok && o.at >= t).length;
    const until = async (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms; last outcomes ${JSON.stringify(outcomes.slice(-8))}\n${server.output().slice(-3000)}`);
        await sleep(100);
      }
    };

    try {
      const start = Date.now();
      await until(() => successesSince(start) >= 20, 60_000, "20 successful requests before the outage");
      expect((await readiness(server.url)).status).toBe(200);

      // The outage: PostgreSQL stops (fast shutdown: sessions are terminated) and stays down for a while.
      const stoppedAt = Date.now();
      cluster.stop("fast");
      await until(
        async () => {
          const probe = await readiness(server.url);
          probes.push(probe);
          return probe.status === 503;
        },
        15_000,
        "/readyz answering 503",
      );
      await until(() => outcomes.filter((o) => !o.ok && o.at >= stoppedAt && o.kind === "write").length >= 3, 30_000, "failed writes during the outage");
      await until(() => outcomes.filter((o) => !o.ok && o.at >= stoppedAt && o.kind === "read").length >= 3, 30_000, "failed reads during the outage");
      await until(() => outcomes.some((o) => !o.ok && o.at >= stoppedAt && o.kind === "download"), 30_000, "a failed download during the outage");
      await sleep(1_000);

      cluster.start();
      const restartedAt = Date.now();
      await until(() => successesSince(restartedAt) >= 30, 60_000, "30 successful requests after PostgreSQL came back");
      await until(
        async () => {
          const probe = await readiness(server.url);
          probes.push(probe);
          return probe.status === 200;
        },
        30_000,
        "/readyz answering 200 again",
      );
      const recoveredAt = outcomes.filter((o) => o.ok && o.at >= restartedAt).reduce((min, o) => Math.min(min, o.at), Infinity);
      // Enough traffic after recovery to judge it.
      await until(() => successesSince(recoveredAt + 1_000) >= 20, 60_000, "traffic after recovery");
      running = false;
      await Promise.all(workers);

      const failures = outcomes.filter((o) => !o.ok);
      const kinds = new Map<string, number>();
      for (const f of failures) {
        const key = `${f.kind} ${f.status} ${f.code ?? ""} ${f.message ?? ""}`.slice(0, 160);
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
      }
      const summary = `${outcomes.length} requests, ${failures.length} failed: ${JSON.stringify([...kinds])}`;
      console.info(`[pg outage] ${summary}; recovered ${recoveredAt - restartedAt} ms after PostgreSQL was back`);

      // No request hung, during the outage or ever.
      expect(outcomes.filter((o) => o.hung), summary).toEqual([]);
      expect(probes.filter((p) => p.hung || p.status === 0), "readiness probes").toEqual([]);
      expect(Math.max(...probes.map((p) => p.ms)), "a readiness probe answers within its timeout").toBeLessThan(REQUEST_BOUND_MS);
      // Every failure is the clean, retryable refusal.
      expect(failures.length).toBeGreaterThanOrEqual(6);
      for (const f of failures) {
        expect(f, summary).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE", retryAfter: expect.stringMatching(/^\d+$/) });
        expect(f.message).not.toContain("Unexpected error.");
        expect(f.at, `failure outside the outage: ${JSON.stringify(f)}`).toBeGreaterThanOrEqual(stoppedAt - 1_000);
      }
      // After recovery, everything succeeds again: same process, no restart.
      const afterRecovery = outcomes.filter((o) => o.at > recoveredAt + 1_000);
      expect(afterRecovery.length).toBeGreaterThanOrEqual(20);
      expect(afterRecovery.filter((o) => !o.ok), "failures after recovery").toEqual([]);
      expect(server.alive()).toBe(true);

      // The logs: no "unexpected error"; each refusal is logged as a warning with its request id.
      const lines = server
        .output()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.filter((l) => l.level === "error"), "error log lines").toEqual([]);
      const refusals = lines.filter((l) => l.msg === "graphql request" && l.status === 503);
      const graphqlFailures = failures.filter((f) => f.kind !== "download");
      expect(refusals.length).toBe(graphqlFailures.length);
      expect(refusals.every((l) => typeof l.requestId === "string" && (l.errors as string[]).includes("SERVICE_UNAVAILABLE"))).toBe(true);
      const warnings = lines.filter((l) => l.msg === "database unavailable");
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.every((l) => typeof l.requestId === "string")).toBe(true);

      // The metrics count the refusals.
      const metrics = await (await fetch(new URL("/metrics", server.url))).text();
      const refused = (route: string) => Number(new RegExp(`^modelgraph_database_unavailable_errors_total\\{route="${route}"\\} (\\d+)$`, "m").exec(metrics)?.[1]);
      expect(refused("graphql")).toBe(graphqlFailures.length);
      expect(refused("artifacts")).toBe(failures.length - graphqlFailures.length);
    } finally {
      running = false;
      await Promise.all(workers);
    }
  });
});
