// Hostile documents (issue 7, abuse limits): how fast each is refused and whether refusing them grows memory.
// Goal: each rejected in ≤ 1 ms, with no memory growth.
//   1. Over HTTP, against a server process (embedded database, default limits): each hostile request N times on one
//      keep-alive connection. Client round trip p50/p99; the server process's CPU time per request (user + system,
//      from /proc: server-side cost, whatever the machine's other load); its RSS before and after.
//   2. In this process, the same Yoga pipeline the server runs up to the refusal (the real schema and the real limit
//      plugins of server/src/graphql/limits.ts, configured by loadConfig) driven through `yoga.fetch` without
//      sockets: server-side handling time p50/p99 per refusal, and heap after a forced GC before and after.
// Run: pnpm bench:hostile [N]   (N defaults to 200 per document)
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { loadConfig } from "../server/src/config.ts";
import { graphqlLimitPlugins } from "../server/src/graphql/limits.ts";
import { schema } from "../server/src/graphql/schema.ts";
import { machine, recordResults, rssOf, startServerProcess } from "./support.ts";

const N = Number(process.argv[2] ?? 200);
const TOKEN = `mg_bench_hostile_${"h".repeat(24)}`;
const MiB = 1024 * 1024;

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

// ---- the hostile documents (the same shapes as test/server/limits.test.ts) ----
/** 50 fields deep: createProject, project, models, nodes, then 15 × project/models/nodes, then id. */
function deepMutation(): string {
  const selection = "project { models(first: 1) { nodes { ".repeat(15) + "id" + " } } }".repeat(15);
  return `mutation { createProject(input: { name: "deep" }) { ... on CreateProjectPayload { project { models(first: 1) { nodes { ${selection} } } } } } }`;
}
const aliasedQuery = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: viewer { id }`).join(" ")} }`;
// Each `a` is one token: 100,000 of them fit in 200 KB, under the body limit, so the token limit is what refuses it.
const manyTokens = (tokens: number) => `mutation { createProject(input: { name: "tokens" }) { ${"a ".repeat(tokens)} } }`;
const hugeString = (bytes: number) => `mutation { createProject(input: { name: "huge", description: "${"x".repeat(bytes)}" }) { __typename } }`;

interface Case {
  name: string;
  /** Encoded once, so that the client's encoding is not timed. */
  body: Buffer;
  /** What the server must answer: HTTP status and `extensions.code` (null: a legitimate request). */
  status: number;
  code: string | null;
}

const cases: Case[] = [
  { name: "baseline: `{ viewer { id } }` (legitimate, authenticated, executed)", body: Buffer.from(JSON.stringify({ query: "{ viewer { id } }" })), status: 200, code: null },
  { name: "depth 50 (createProject → project → models → …)", body: Buffer.from(JSON.stringify({ query: deepMutation() })), status: 400, code: "MAX_DEPTH_EXCEEDED" },
  // 200 aliases are 400 selections, under the selection limit: the alias limit answers. 1,000 are refused at parse.
  { name: "200 aliases", body: Buffer.from(JSON.stringify({ query: aliasedQuery(200) })), status: 400, code: "MAX_ALIASES_EXCEEDED" },
  { name: "400 repeated `viewer { id }` (800 selections)", body: Buffer.from(JSON.stringify({ query: `{ ${"viewer { id } ".repeat(400)} }` })), status: 400, code: "MAX_SELECTIONS_EXCEEDED" },
  { name: "100,000 tokens", body: Buffer.from(JSON.stringify({ query: manyTokens(100_000) })), status: 400, code: "MAX_TOKENS_EXCEEDED" },
  { name: "10 MB string", body: Buffer.from(JSON.stringify({ query: hugeString(10 * MiB) })), status: 413, code: "REQUEST_BODY_TOO_LARGE" },
];

const headers = (body: Buffer) => ({
  "content-type": "application/json",
  accept: "application/graphql-response+json, application/json",
  authorization: `Bearer ${TOKEN}`,
  "content-length": String(body.length),
});

function check(c: Case, status: number, text: string): void {
  if (status !== c.status) throw new Error(`${c.name}: HTTP ${status}, expected ${c.status}: ${text.slice(0, 300)}`);
  const codes = ((JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((e) => e.extensions?.code);
  if (c.code ? !codes.includes(c.code) : codes.length > 0) throw new Error(`${c.name}: codes ${JSON.stringify(codes)}, expected ${c.code}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/graphql`, { method: "POST", agent, headers: headers(body) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** user + system CPU time of a process, in ms (Linux /proc). */
function cpuMsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const ms = (n: number) => n.toFixed(3);
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

interface Row {
  name: string;
  p50: number;
  p99: number;
  cpuPerRequest?: number;
  cpuP50?: number;
  cpuP99?: number;
  /** Server RSS growth over the timed round, then over a second round of as many requests. */
  rssGrowth?: [number, number];
}

// ---- 1. over HTTP against a server process ----
const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "modelgraph-bench-hostile-"));
// LOG_LEVEL info (startServerProcess waits for the "listening" line); refusals log nothing.
const server = await startServerProcess({ DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: TOKEN });
const pid = server.child.pid!;
const httpRows: Row[] = [];
let rssBefore = 0;
let rssAfter = 0;
try {
  // Warm-up: every case a few times (JIT, caches, first allocations), then settle.
  for (const c of cases) for (let i = 0; i < 20; i++) check(c, ...Object.values(await post(server.url, c.body)) as [number, string]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  rssBefore = rssOf(pid);
  for (const c of cases) {
    const times: number[] = [];
    const rss0 = rssOf(pid);
    const cpu0 = cpuMsOf(pid);
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint();
      const { status, text } = await post(server.url, c.body);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      check(c, status, text);
    }
    const cpuPerRequest = (cpuMsOf(pid) - cpu0) / N;
    const rss1 = rssOf(pid);
    // A second, untimed round: a leak grows again by as much; memory the allocator keeps after the first does not.
    for (let i = 0; i < N; i++) check(c, ...(Object.values(await post(server.url, c.body)) as [number, string]));
    const rss2 = rssOf(pid);
    times.sort((a, b) => a - b);
    httpRows.push({ name: c.name, p50: quantile(times, 0.5), p99: quantile(times, 0.99), cpuPerRequest, rssGrowth: [rss1 - rss0, rss2 - rss1] });
    console.error(`http ${c.name}: p50 ${ms(quantile(times, 0.5))} ms, p99 ${ms(quantile(times, 0.99))} ms, server CPU ${ms(cpuPerRequest)} ms/request, RSS +${mib(rss1 - rss0)} then +${mib(rss2 - rss1)} MiB`);
  }
  rssAfter = rssOf(pid);
} finally {
  agent.destroy();
  await server.stop();
  await fsp.rm(dataDir, { recursive: true, force: true });
}

// ---- 2. in process: Yoga with the server's schema and limit plugins, up to the refusal ----
// graphql-yoga is the server package's dependency, resolved from there.
type CreateYoga = (options: Record<string, unknown>) => { fetch(url: string, init: RequestInit): Promise<Response> };
const { createYoga } = (await import(createRequire(new URL("../server/package.json", import.meta.url)).resolve("graphql-yoga"))) as { createYoga: CreateYoga };
const config = loadConfig({ LOG_LEVEL: "silent" });
const yoga = createYoga({ schema, graphqlEndpoint: "/graphql", graphiql: false, landingPage: false, logging: false, maxRequestBodySize: false, plugins: graphqlLimitPlugins(config.graphql) });
const hostile = cases.filter((c) => c.code !== null);
const handle = async (c: Case) => {
  const response = await yoga.fetch("http://localhost/graphql", { method: "POST", headers: headers(c.body), body: c.body as unknown as BodyInit });
  return { status: response.status, text: await response.text() };
};
for (const c of hostile) for (let i = 0; i < 50; i++) check(c, ...Object.values(await handle(c)) as [number, string]);
gc();
const heapBefore = process.memoryUsage().heapUsed;
const inProcessRows: Row[] = [];
for (const c of hostile) {
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < N; i++) {
    const cpu = process.cpuUsage();
    const t = process.hrtime.bigint();
    const { status, text } = await handle(c);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
    check(c, status, text);
  }
  times.sort((a, b) => a - b);
  cpuTimes.sort((a, b) => a - b);
  inProcessRows.push({ name: c.name, p50: quantile(times, 0.5), p99: quantile(times, 0.99), cpuP50: quantile(cpuTimes, 0.5), cpuP99: quantile(cpuTimes, 0.99) });
  console.error(`in-process ${c.name}: p50 ${ms(quantile(times, 0.5))} ms, p99 ${ms(quantile(times, 0.99))} ms, CPU p50 ${ms(quantile(cpuTimes, 0.5))} ms`);
}
gc();
const heapAfter = process.memoryUsage().heapUsed;

// ---- results ----
const load = os.loadavg()[0]!.toFixed(1);
const inProcessMet = inProcessRows.every((r) => r.p99 <= 1);
const inProcessCpuMet = inProcessRows.every((r) => r.cpuP50! <= 1);
const cpuMet = httpRows.filter((r) => !r.name.startsWith("baseline")).every((r) => (r.cpuPerRequest ?? Infinity) <= 1);
const heapGrowth = heapAfter - heapBefore;
const sizes = Object.fromEntries(cases.map((c) => [c.name, c.body.length]));
const markdown = `
Date: ${new Date().toISOString()}  
Machine: ${machine()}  
Setup: default limits (depth ${config.graphql.maxDepth}, cost ${config.graphql.maxCost}, aliases ${config.graphql.maxAliases}, tokens ${config.graphql.maxTokens}, body ${config.graphql.maxBodyBytes} bytes). ${N} requests per document, one after another on one keep-alive connection, after 20 of each as warm-up. Server: one process on the embedded database (PGlite); client: this process.

Over HTTP (client round trip; server CPU per request = the server process's user + system time over the ${N} requests / ${N}):

| document | body | round trip p50 ms | round trip p99 ms | server CPU ms/request | server RSS growth MiB, round 1 / round 2 |
|---|---|---|---|---|---|
${httpRows.map((r) => `| ${r.name} | ${(sizes[r.name]! / 1024).toFixed(0)} KiB | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.cpuPerRequest!)} | ${mib(r.rssGrowth![0])} / ${mib(r.rssGrowth![1])} |`).join("\n")}

Server RSS after warm-up ${mib(rssBefore)} MiB, after all ${2 * N * cases.length} requests ${mib(rssAfter)} MiB. Each document is sent ${N} times (timed), then ${N} times more (round 2): a leak grows in both rounds alike.

Server-side handling in process (\`yoga.fetch\` with the server's schema and limit plugins, from the request to the refusal's response text; no sockets; CPU = this process's user + system time during the request, less sensitive to the machine's other load than wall time):

| document | wall p50 ms | wall p99 ms | CPU p50 ms | CPU p99 ms |
|---|---|---|---|---|
${inProcessRows.map((r) => `| ${r.name} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.cpuP50!)} | ${ms(r.cpuP99!)} |`).join("\n")}

Heap after a forced GC: before ${mib(heapBefore)} MiB, after ${N * hostile.length} refusals ${mib(heapAfter)} MiB (growth ${mib(heapGrowth)} MiB).

Goal "each rejected in ≤ 1 ms": server-side wall p99 in process ${inProcessMet ? "**met**" : "**not met**"} (${inProcessRows.map((r) => `${r.name.split(" (")[0]} ${ms(r.p99)}`).join(", ")}); CPU p50 in process ${inProcessCpuMet ? "**≤ 1 ms for each**" : "**over 1 ms for some**"} (${inProcessRows.map((r) => `${r.name.split(" (")[0]} ${ms(r.cpuP50!)}`).join(", ")}); server CPU per refused request over HTTP (body transfer included) ${cpuMet ? "**≤ 1 ms for each**" : "**over 1 ms for some**"}. Memory: server RSS growth in round 2 of the refused documents ${httpRows.filter((r) => r.name !== cases[0]!.name).map((r) => `${mib(r.rssGrowth![1])}`).join(", ")} MiB (baseline ${mib(httpRows[0]!.rssGrowth![1])} MiB); in-process heap growth ${mib(heapGrowth)} MiB.  
Machine load average at the end: ${load} on ${os.cpus().length} cores${Number(load) > os.cpus().length ? " — other work was running; latencies are noisy" : ""}.
`;
console.log(markdown);
recordResults("Abuse limits: hostile documents refused", markdown);
process.exit(0);
