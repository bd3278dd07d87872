// Live-event delivery (issue 4): one stage change to 1,000 graphql-ws subscribers of one server process, against
// the floor — a raw `ws` server broadcasting one pre-serialised message to 1,000 raw `ws` clients — in the same run.
//
//   orchestrator (this process)  ── GraphQL mutation ──▶ modelgraph server (own process, core 0) ─┐
//                                 ── "broadcast" (IPC) ─▶ raw ws server (own process, core 0) ─────┤ 1,000 + 1,000
//   load generator (own process, core 1): 1,000 graphql-ws clients + 1,000 raw ws clients ◀─────────┘ connections
//
// Ours: from the mutation's response at the orchestrator (the change has committed) to each subscriber's
// receipt. Raw: from the raw server's send to each client's receipt. Clocks: performance.timeOrigin + now()
// (the same wall clock, sub-millisecond, in every process of the machine).
//
// Run: pnpm bench:subscriptions [subscribers=1000] [rounds=20]
// Env: BENCH_DATABASE=pglite (default: a fresh database on PostgreSQL at 127.0.0.1:5432, like a deployment),
//      BENCH_VIEWER=admin (default: a VIEWER service account, so per-event access checks are exercised),
//      BENCH_VIEWERS=distinct (one VIEWER user and token per subscriber; default: one for all, as a fleet would),
//      BENCH_SELECTION=scalars (default: a deployer's selection, with model and modelVersion),
//      BENCH_CPU_PROF=dir (write a CPU profile of the server process there),
//      BENCH_SERVER_NODE_ARGS="--max-semi-space-size=64" (node flags for the server process).
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "graphql-ws";
import pg from "pg";
import WebSocket, { WebSocketServer } from "ws";
import { machine, recordResults, ROOT, startServerProcess, type ServerProcess } from "./support.ts";
import { encodeGlobalId } from "../server/src/domain/ids.ts";

const SELF = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SELECTIONS = {
  deployer: "cursor at number fromStage toStage cause model { id name } modelVersion { id number stage }",
  scalars: "cursor at number fromStage toStage cause",
};

// Messages between the processes (IPC).
type ToClients =
  | { kind: "connect"; oursUrl: string; rawUrl: string; count: number; tokens: string[]; query: string; variables: Record<string, unknown> }
  | { kind: "stop" };
type FromClients =
  | { kind: "connected"; ours: number; raw: number }
  | { kind: "ours"; cursor: string; receipts: number[] }
  | { kind: "raw"; round: number; latencies: number[] }
  | { kind: "log"; message: string };
type ToRaw = { kind: "broadcast"; round: number };
type FromRaw = { kind: "listening"; port: number } | { kind: "sent"; round: number; clients: number };

const mode = process.argv[2];
if (mode === "raw-server") await rawServer();
else if (mode === "clients") await loadGenerator();
else await orchestrate(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 20));

// ---- raw ws server: the floor ----

async function rawServer(): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", backlog: 4096 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const send = (m: FromRaw) => process.send!(m);
  send({ kind: "listening", port: (wss.address() as { port: number }).port });
  process.on("message", (m: ToRaw) => {
    if (m.kind !== "broadcast") return;
    // A message shaped and sized like one of ours (graphql-ws "next"), serialised once, sent to everyone.
    const sentAt = now();
    const message = JSON.stringify({
      id: "1",
      type: "next",
      payload: {
        data: {
          modelVersionStageChanged: {
            cursor: encodeGlobalId("Event", Math.abs(m.round)),
            at: new Date().toISOString(),
            number: m.round,
            fromStage: "STAGING",
            toStage: "PRODUCTION",
            cause: "MANUAL",
            model: { id: encodeGlobalId("Model", randomUUID()), name: "bench-model" },
            modelVersion: { id: encodeGlobalId("ModelVersion", randomUUID()), number: m.round, stage: "PRODUCTION" },
            sentAt,
            round: m.round,
          },
        },
      },
    });
    for (const client of wss.clients) client.send(message);
    send({ kind: "sent", round: m.round, clients: wss.clients.size });
  });
  process.on("disconnect", () => process.exit(0));
}

// ---- load generator: all the clients, on their own core ----

async function loadGenerator(): Promise<void> {
  const send = (m: FromClients) => process.send!(m);
  const closers: (() => void)[] = [];
  process.on("message", async (m: ToClients) => {
    if (m.kind === "stop") {
      for (const close of closers) close();
      setTimeout(() => process.exit(0), 200);
      return;
    }
    // Ours: one graphql-ws client (one connection) per subscriber.
    const receipts = new Map<string, number[]>();
    let subscribed = 0;
    const connectOne = (i: number) =>
      new Promise<void>((resolve, reject) => {
        const client = createClient({
          url: `${m.oursUrl.replace(/^http/, "ws")}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${m.tokens[i % m.tokens.length]}` },
          retryAttempts: 0,
          lazy: false,
          keepAlive: 0,
          on: { connected: () => resolve(), closed: (event) => reject(new Error(`closed ${JSON.stringify(event)}`)) },
        });
        client.subscribe<Record<string, { cursor: string }>>(
          { query: m.query, variables: m.variables },
          {
            next: (result) => {
              const at = now();
              const cursor = result.data?.modelVersionStageChanged?.cursor;
              if (!cursor) return send({ kind: "log", message: `result without data: ${JSON.stringify(result).slice(0, 300)}` });
              let list = receipts.get(cursor);
              if (!list) receipts.set(cursor, (list = []));
              list.push(at);
              if (list.length === m.count) send({ kind: "ours", cursor, receipts: list });
            },
            error: (error) => send({ kind: "log", message: `subscription error: ${JSON.stringify(error).slice(0, 300)}` }),
            complete: () => {},
          },
        );
        subscribed++;
        closers.push(() => void client.dispose());
      });
    // Raw: one ws connection per client.
    const rawLatencies = new Map<number, number[]>();
    const rawOne = () =>
      new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(m.rawUrl);
        socket.on("open", () => resolve());
        socket.on("error", reject);
        socket.on("message", (data) => {
          const at = now();
          const event = JSON.parse(data.toString()).payload.data.modelVersionStageChanged as { sentAt: number; round: number };
          let list = rawLatencies.get(event.round);
          if (!list) rawLatencies.set(event.round, (list = []));
          list.push(at - event.sentAt);
          if (list.length === m.count) send({ kind: "raw", round: event.round, latencies: list });
        });
        closers.push(() => socket.terminate());
      });
    for (let i = 0; i < m.count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, m.count - i) }, (_, j) => Promise.all([connectOne(i + j), rawOne()])));
    }
    send({ kind: "connected", ours: subscribed, raw: m.count });
  });
}

// ---- orchestrator ----

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function pin(pid: number, cpu: number): void {
  if (os.cpus().length < 2) return;
  try {
    execFileSync("taskset", ["-a", "-cp", String(cpu), String(pid)], { stdio: "ignore" });
  } catch {
    /* taskset missing: unpinned */
  }
}

/** Waits for the first IPC message of `child` that `pick` accepts. */
function nextMessage<M, R>(child: ChildProcess, pick: (m: M) => R | undefined, timeoutMs: number, what: string): Promise<R> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", on);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const on = (m: M) => {
      const value = pick(m);
      if (value === undefined) return;
      clearTimeout(timer);
      child.off("message", on);
      resolve(value);
    };
    child.on("message", on);
  });
}

function spawnSelf(args: string[], cpu: number | null): ChildProcess {
  const node = [process.execPath, "--import", "tsx", SELF, ...args];
  const [command, argv] = cpu !== null && os.cpus().length >= 2 ? ["taskset", ["-c", String(cpu), ...node]] : [node[0]!, node.slice(1)];
  return spawn(command, argv, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

async function orchestrate(subscribers: number, rounds: number): Promise<void> {
  const token = `mg_bench_${randomUUID().replaceAll("-", "")}`;
  const selection = (process.env.BENCH_SELECTION ?? "deployer") as keyof typeof SELECTIONS;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-subs-"));
  const usePglite = process.env.BENCH_DATABASE === "pglite";
  const dbName = `mg_bench_${randomUUID().replaceAll("-", "")}`;
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${dbName}`;
  const children: ChildProcess[] = [];
  let server: ServerProcess | undefined;
  try {
    if (!usePglite) {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.end();
    }
    // One identity for all subscribers is a fleet sharing one token: the per-token connection limit (100 by
    // default, WS_MAX_CONNECTIONS_PER_TOKEN) is raised to the fleet's size, as its operator would.
    const env: Record<string, string> = { DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: token, LOG_LEVEL: "info", WS_MAX_CONNECTIONS_PER_TOKEN: String(Math.max(100, subscribers)) };
    if (!usePglite) env.DATABASE_URL = databaseUrl.toString();
    const nodeArgs = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
    if (process.env.BENCH_SERVER_NODE_ARGS) nodeArgs.push(...process.env.BENCH_SERVER_NODE_ARGS.split(" ").filter(Boolean));
    server = await startServerProcess(env, nodeArgs);
    pin(server.child.pid!, 0);

    const raw = spawnSelf(["raw-server"], 0);
    children.push(raw);
    const rawPort = await nextMessage<FromRaw, number>(raw, (m) => (m.kind === "listening" ? m.port : undefined), 30_000, "the raw server");

    // Data: a project, a model, two versions in STAGING; a VIEWER service account that subscribes.
    const gql = async (query: string, variables: Record<string, unknown> = {}, as = token) => {
      const res = await fetch(`${server!.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${as}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const result = (data: any) => {
      const r = data.r;
      if (r.message) throw new Error(`${r.__typename}: ${r.message}`);
      return r;
    };
    const project = result(await gql(`mutation { r: createProject(input: {name: "bench-subs"}) { __typename ... on CreateProjectPayload { project { id } } ... on Error { message } } }`)).project;
    const model = result(
      await gql(`mutation($p: ID!) { r: createModel(input: {projectId: $p, name: "bench-model"}) { __typename ... on CreateModelPayload { model { id } } ... on Error { message } } }`, { p: project.id }),
    ).model;
    const versions: string[] = [];
    for (let i = 0; i < 2; i++) {
      const v = result(
        await gql(`mutation($m: ID!) { r: createModelVersion(input: {modelId: $m}) { __typename ... on CreateModelVersionPayload { modelVersion { id } } ... on Error { message } } }`, { m: model.id }),
      ).modelVersion;
      versions.push(v.id);
    }
    const move = (id: string, stage: string) =>
      gql(
        `mutation($id: ID!, $s: ModelVersionStage!) { r: transitionModelVersionStage(input: {modelVersionId: $id, stage: $s}) { __typename ... on Error { message } } }`,
        { id, s: stage },
      ).then(result);
    for (const id of versions) await move(id, "STAGING");
    // Subscribers' identities: one VIEWER service account for all (a fleet of deployers), one each, or the admin.
    const viewers = process.env.BENCH_VIEWERS === "distinct" ? subscribers : 1;
    const newViewer = async () => {
      const user = result(
        await gql(`mutation { r: createUser(input: {name: "deployer-${randomUUID().slice(0, 8)}"}) { __typename ... on CreateUserPayload { user { id } } ... on Error { message } } }`),
      ).user;
      result(
        await gql(`mutation($p: ID!, $u: ID!) { r: addProjectMember(input: {projectId: $p, userId: $u, role: VIEWER}) { __typename ... on Error { message } } }`, {
          p: project.id,
          u: user.id,
        }),
      );
      return result(
        await gql(`mutation($u: ID!) { r: createApiToken(input: {name: "bench", userId: $u}) { __typename ... on CreateApiTokenPayload { token } ... on Error { message } } }`, { u: user.id }),
      ).token as string;
    };
    const tokens: string[] = [];
    if (process.env.BENCH_VIEWER === "admin") tokens.push(token);
    else {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < viewers) {
            next++;
            tokens.push(await newViewer());
          }
        }),
      );
    }

    // The load generator connects everyone.
    const clients = spawnSelf(["clients"], 1);
    children.push(clients);
    clients.on("message", (m: FromClients) => {
      if (m.kind === "log") console.error(`[clients] ${m.message}`);
    });
    const query = `subscription($p: ID!, $m: ID!) { modelVersionStageChanged(projectId: $p, modelId: $m, stages: [PRODUCTION]) { ${SELECTIONS[selection]} } }`;
    const connectStarted = Date.now();
    clients.send({ kind: "connect", oursUrl: server.url, rawUrl: `ws://127.0.0.1:${rawPort}`, count: subscribers, tokens, query, variables: { p: project.id, m: model.id } } satisfies ToClients);
    await nextMessage<FromClients, true>(clients, (m) => (m.kind === "connected" ? true : undefined), 300_000, "the clients to connect");
    const connectSeconds = (Date.now() - connectStarted) / 1000;
    console.error(`${subscribers} graphql-ws + ${subscribers} raw ws clients connected in ${connectSeconds.toFixed(1)} s`);

    // One promotion (alternating versions: STAGING/ARCHIVED → PRODUCTION); resolves with per-subscriber latencies.
    let turn = 0;
    const oursRound = async () => {
      const id = versions[turn++ % 2]!;
      const delivered = nextMessage<FromClients, number[]>(clients, (m) => (m.kind === "ours" ? m.receipts : undefined), 60_000, "all subscribers to receive the promotion");
      const sent = now();
      await move(id, "PRODUCTION");
      const responded = now();
      const receipts = await delivered;
      return { fromResponse: receipts.map((t) => t - responded), fromRequest: receipts.map((t) => t - sent), mutationMs: responded - sent };
    };
    const rawRound = async (round: number) => {
      const delivered = nextMessage<FromClients, number[]>(clients, (m) => (m.kind === "raw" && m.round === round ? m.latencies : undefined), 60_000, "all raw clients");
      raw.send({ kind: "broadcast", round } satisfies ToRaw);
      return delivered;
    };

    // Warm-up: subscriptions become live (no `after`) asynchronously; promote until everyone got one, then 3 more.
    for (let attempt = 0; ; attempt++) {
      try {
        await oursRound();
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
    for (let i = 0; i < 3; i++) {
      await oursRound();
      await rawRound(-1 - i);
    }

    const ours: number[] = [];
    const oursFromRequest: number[] = [];
    const rawAll: number[] = [];
    const mutationMs: number[] = [];
    const perRound: string[] = [];
    const cpuBefore = { ours: cpuMs(server.child.pid!), raw: cpuMs(raw.pid!) };
    const loadBefore = os.loadavg()[0]!;
    for (let round = 0; round < rounds; round++) {
      await sleep(200);
      const o = await oursRound();
      await sleep(200);
      const r = await rawRound(round);
      ours.push(...o.fromResponse);
      oursFromRequest.push(...o.fromRequest);
      mutationMs.push(o.mutationMs);
      rawAll.push(...r);
      const max = (xs: number[]) => Math.max(...xs);
      perRound.push(`${max(o.fromResponse).toFixed(1)}/${max(r).toFixed(1)}`);
    }
    const cpu = { ours: (cpuMs(server.child.pid!) - cpuBefore.ours) / rounds, raw: (cpuMs(raw.pid!) - cpuBefore.raw) / rounds };
    const load = (loadBefore + os.loadavg()[0]!) / 2;
    const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const [o, of, r, mu] = [sort(ours), sort(oursFromRequest), sort(rawAll), sort(mutationMs)];
    const fmt = (x: number) => x.toFixed(1);
    const ratio = percentile(o, 99) / percentile(r, 99);
    const summary = {
      ours: { p50: percentile(o, 50), p99: percentile(o, 99), max: o.at(-1)! },
      oursFromRequest: { p50: percentile(of, 50), p99: percentile(of, 99) },
      raw: { p50: percentile(r, 50), p99: percentile(r, 99), max: r.at(-1)! },
      mutation: { p50: percentile(mu, 50) },
      cpuMsPerRound: cpu,
      loadAverage: load,
      ratio,
    };
    console.log(JSON.stringify(summary, null, 2));
    console.error(`per-round max ms (ours/raw): ${perRound.join(" ")}`);

    const viewer =
      process.env.BENCH_VIEWER === "admin"
        ? "all as the bootstrap admin"
        : viewers > 1
          ? `each as its own VIEWER user (${viewers.toLocaleString("en")} identities: no two subscriptions identical, nothing shared across subscribers but per-event loads and batched access checks)`
          : "all as one VIEWER service account, like a fleet of deployers (identical live subscriptions share one execution; access re-checked per event)";
    recordResults(
      `Subscriptions${selection === "scalars" ? " [scalar fields only]" : ""}${process.env.BENCH_VIEWER === "admin" ? " [admin]" : ""}: one stage change to ${subscribers.toLocaleString("en")} graphql-ws subscribers with ${viewers > 1 ? "distinct identities" : "one identity"}, against raw ws`,
      `Date: ${new Date().toISOString()}  
Machine: ${machine()}  
Setup: one server process (${usePglite ? "PGlite" : "PostgreSQL 127.0.0.1:5432, LISTEN/NOTIFY bus"}) and a raw \`ws\` server process, both pinned to core 0; one load-generator process pinned to core 1 holding ${subscribers.toLocaleString("en")} graphql-ws clients (\`modelVersionStageChanged(projectId, modelId, stages: [PRODUCTION])\` selecting \`${SELECTIONS[selection]}\`, ${viewer}) and ${subscribers.toLocaleString("en")} raw ws clients. ${rounds} measured rounds (after warm-up), alternating one promotion and one raw broadcast of a same-shaped message; all clients connected in ${connectSeconds.toFixed(1)} s.

| delivery to ${subscribers.toLocaleString("en")} clients | p50 ms | p99 ms | max ms |
|---|---|---|---|
| ours: mutation response → each subscriber | ${fmt(summary.ours.p50)} | ${fmt(summary.ours.p99)} | ${fmt(summary.ours.max)} |
| ours: mutation request → each subscriber | ${fmt(summary.oursFromRequest.p50)} | ${fmt(summary.oursFromRequest.p99)} | – |
| raw ws: send → each client | ${fmt(summary.raw.p50)} | ${fmt(summary.raw.p99)} | ${fmt(summary.raw.max)} |

Ratio ours p99 / raw p99: **${ratio.toFixed(2)}** (goal ≤ 2). Mutation round trip p50: ${fmt(summary.mutation.p50)} ms.  
Server CPU per round (user + system, less sensitive to other load than latency): ours ${fmt(cpu.ours)} ms per promotion (the mutation and 1 event to ${subscribers.toLocaleString("en")} subscribers), raw ${fmt(cpu.raw)} ms per broadcast.  
Machine load average during the rounds: ${load.toFixed(1)} on ${os.cpus().length} cores${load > os.cpus().length ? " — other work was running; latencies are noisy" : ""}.`,
    );
    clients.send({ kind: "stop" } satisfies ToClients);
    await sleep(500);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await server?.stop();
    if (!usePglite) {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

