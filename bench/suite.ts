// `pnpm bench`: the production-readiness benchmark suite (issue 7), each scenario against a peer in the same run.
//
//   orchestrator (this process, setup and checks only)
//   ├─ our server (server/src/main.ts) ─┐ pinned to core 0, one at a time under load
//   ├─ peers (bench/peers/*.ts) ────────┘ mercurius + graphql-jit, PostGraphile v4, raw pg
//   └─ load generator (bench/load.ts, autocannon or closed loops), pinned to core 1, a new process per run
//   PostgreSQL 15 at 127.0.0.1:5432: a fresh database mg_bench_<random>, migrated by our server, seeded in bulk
//   (bench/seed.ts), dropped at the end.
//
// Env: BENCH_DURATION=seconds per measured run (default 10), BENCH_CONNECTIONS (default 32),
//      BENCH_SCENARIOS=trivial,lineage,lineage-writes,race,promote,hostile,subscribers,embedded,start,cli (default
//      all), BENCH_POSTGRES_URL (admin connection), BENCH_SUBSCRIPTION_ROUNDS (default 10), BENCH_START_RUNS (3),
//      BENCH_CPU_PROF=dir (CPU profile of our server), BENCH_SERVER_NODE_ARGS, BENCH_SERVER_ENV="K=V K=V"
//      (extra env for our server, for experiments), BENCH_NO_RECORD=1 (do not write bench/RESULTS.md),
//      BENCH_VERBOSE=1 (server logs).
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { gql, startOurServer, type Proc } from "./harness.ts";
import { cli, start, subscribers } from "./scenarios/children.ts";
import { embedded } from "./scenarios/embedded.ts";
import { hostile } from "./scenarios/hostile.ts";
import { lineage } from "./scenarios/lineage.ts";
import { lineageWrites } from "./scenarios/lineage-writes.ts";
import { promote } from "./scenarios/promote.ts";
import { race } from "./scenarios/race.ts";
import { trivial } from "./scenarios/trivial.ts";
import type { Ctx, Row } from "./scenarios/context.ts";
import { seed, SHAPE } from "./seed.ts";
import { recordResults } from "./support.ts";
import { decodeGlobalId } from "../server/src/domain/ids.ts";

// In the issue's order: 1 trivial, 2 lineage, 2b lineage with 2 % writes, 3 race, 4 promote, 5 hostile,
// 6 subscribers, 7 embedded registrations, 8 embedded start, 9 CLI start.
const SCENARIOS = { trivial, lineage, "lineage-writes": lineageWrites, race, promote, hostile, subscribers, embedded, start, cli } as const;
type Name = keyof typeof SCENARIOS;

const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const selected = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(",")).split(",").map((s) => s.trim()).filter(Boolean) as Name[];
for (const name of selected) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(", ")}`);

const started = Date.now();
const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const dbName = `mg_bench_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${dbName}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-"));
const bootstrapToken = `mg_${randomBytes(32).toString("base64url")}`;

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
// Ctrl-C: stop our server and drop the database before leaving (peers and load runs get the signal themselves).
process.once("SIGINT", () => {
  log("interrupted: dropping the database");
  ours?.child.kill("SIGKILL");
  void admin
    .query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
    .catch(() => {})
    .finally(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
});
let ours: Proc | undefined;
let db: pg.Client | undefined;
const loads: number[] = [];
const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 5_000);
const rows: Row[] = [];
const failures: string[] = [];
let seedNote = "";
try {
  await admin.query(`CREATE DATABASE ${dbName}`);
  log(`database ${dbName}; starting our server (migrates it)`);
  const nodeArgs = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  if (process.env.BENCH_SERVER_NODE_ARGS) nodeArgs.push(...process.env.BENCH_SERVER_NODE_ARGS.split(" ").filter(Boolean));
  const extraEnv = Object.fromEntries((process.env.BENCH_SERVER_ENV ?? "").split(" ").filter(Boolean).map((kv) => kv.split("=", 2) as [string, string]));
  ours = await startOurServer({ DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: bootstrapToken, ...extraEnv }, nodeArgs);

  // The bench user and its token through the API (as the bootstrap admin); the dataset in bulk SQL.
  const user = await gql(ours.url, bootstrapToken, `mutation { r: createUser(input: { name: "bench-user" }) { __typename ... on CreateUserPayload { user { id } } ... on Error { message } } }`);
  const userId = decodeGlobalId(user.r.user.id)!.id;
  const tok = await gql(ours.url, bootstrapToken, `mutation($u: ID!) { r: createApiToken(input: { name: "bench", userId: $u }) { __typename ... on CreateApiTokenPayload { token } ... on Error { message } } }`, { u: user.r.user.id });
  const token = tok.r.token as string;
  db = new pg.Client({ connectionString: databaseUrl.toString() });
  db.on("error", () => {}); // terminated by DROP DATABASE … WITH (FORCE) on Ctrl-C
  await db.connect();
  const adminId = (await db.query(`SELECT id FROM "User" WHERE "isAdmin" ORDER BY "createdAt" LIMIT 1`)).rows[0].id as string;
  log("seeding");
  const seeded = await seed(db, adminId, userId);
  const c = seeded.counts;
  seedNote = `Seeded in ${seeded.seconds.toFixed(1)} s (bulk SQL, one transaction, then ANALYZE): ${c.Project} projects, ${c.Experiment} experiments, ${c.Iteration!.toLocaleString("en")} iterations, ${c.Resource!.toLocaleString("en")} READY resources, ${c.Model!.toLocaleString("en")} models, ${c.ModelVersion!.toLocaleString("en")} versions (${SHAPE.versionsPerModel} per model: v${SHAPE.versionsPerModel} PRODUCTION, v${SHAPE.versionsPerModel - 1} STAGING, with their ${c.StageTransition!.toLocaleString("en")} stage transitions), ${c.Membership} memberships (the bench user, EDITOR everywhere, not an instance admin; its token made through the API).`;
  log(seedNote);

  const ctx: Ctx = { ours, token, databaseUrl: databaseUrl.toString(), dbName, admin, db, seeded, duration, connections, log };
  for (const name of selected) {
    log(`scenario ${name}`);
    const t0 = Date.now();
    try {
      const l0 = os.loadavg()[0]!;
      const got = await SCENARIOS[name](ctx);
      const l1 = os.loadavg()[0]!;
      for (const row of Array.isArray(got) ? got : [got]) {
        row.notes.push(`Load average (1 min) ${l0.toFixed(1)} at the start, ${l1.toFixed(1)} at the end of the scenario.`);
        rows.push(row);
        log(`${name}: ours ${row.ours} | peer ${row.peer} | ratio ${row.ratio.toFixed(2)} (goal ${row.goal}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
    } catch (error) {
      failures.push(`${name}: ${(error as Error).stack ?? error}`);
      log(`scenario ${name} FAILED: ${(error as Error).stack ?? error}`);
    }
  }
} finally {
  clearInterval(sampler);
  await ours?.stop();
  await db?.end();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((error: Error) => log(`drop failed: ${error.message}`));
  await admin.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// ---- results ----
const pgVersion = (() => {
  try {
    return execFileSync("psql", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "PostgreSQL 15";
  }
})();
const cpus = os.cpus();
const load = loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (mean ${(loads.reduce((s, x) => s + x, 0) / loads.length).toFixed(1)})` : os.loadavg()[0]!.toFixed(1);
const minutes = (Date.now() - started) / 60_000;
const table = [
  "| scenario | ours | peer / baseline | ratio | goal | met? |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.scenario} | ${r.ours} | ${r.peer} | **${r.ratio.toFixed(2)}** | ${r.goal} | ${r.goal === "report" ? "–" : r.met ? "yes" : "**no**"} |`),
].join("\n");
const markdown = `Date: ${new Date().toISOString()}; whole suite ${minutes.toFixed(1)} min (\`BENCH_DURATION=${duration}\`, ${connections} connections${selected.length < Object.keys(SCENARIOS).length ? `, scenarios ${selected.join(", ")}` : ""}).  
Machine: ${cpus.length} cores × ${cpus[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}, ${pgVersion} (127.0.0.1:5432, not pinned).  
Load average (1 min) during the run: ${load} on ${cpus.length} cores${loads.length && Math.max(...loads) > cpus.length ? " — other work was running on this shared machine; figures are noisy" : ""}.  
Setup: each server (ours or a peer) in its own process pinned to core 0, the load generator (autocannon, or closed loops for latency) in its own process on core 1; peer and ours run back to back with the same duration and connections. ${seedNote}

${table}

${rows.map((r) => `- ${r.scenario}: ${r.notes.join(" ")}`).join("\n")}
${failures.length ? `\nFailed scenarios:\n${failures.map((f) => `- ${f.split("\n")[0]}`).join("\n")}\n` : ""}`;
process.stdout.write(`\n${markdown}\n`);
if (!process.env.BENCH_NO_RECORD) recordResults("Benchmark suite (pnpm bench)", markdown);
process.exit(failures.length ? 1 : 0);
