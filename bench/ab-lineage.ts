// Scratch A/B for the lineage document: this checkout's server against another checkout's (AB_OTHER, default
// /work/main), same seeded database, alternated rounds; server CPU per request from /proc.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { body, cpuMs, globalId, gql, load, sleep, type Proc } from "./harness.ts";
import { LINEAGE } from "./scenarios/lineage.ts";
import { seed } from "./seed.ts";
import { freePort, ROOT } from "./support.ts";
import { decodeGlobalId } from "../server/src/domain/ids.ts";

const other = process.env.AB_OTHER ?? "/work/main";
const rounds = Number(process.env.AB_ROUNDS ?? 4);
const seconds = Number(process.env.AB_SECONDS ?? 5);
const connections = Number(process.env.AB_CONNECTIONS ?? 8);
const adminUrl = "postgresql://postgres@127.0.0.1:5432/postgres";
const dbName = `mg_ab_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${dbName}`;
const bootstrapToken = `mg_${randomBytes(32).toString("base64url")}`;

async function start(root: string, nodeArgs: string[] = [], extra: Record<string, string> = {}): Promise<Proc> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mg-ab-"));
  const child = spawn("taskset", ["-c", "0", process.execPath, ...nodeArgs, "--import", "tsx", "server/src/main.ts"], {
    cwd: root,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "warn", DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: bootstrapToken, ...extra },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(url.replace("/graphql", "/healthz"));
      if (r.status < 500) break;
    } catch {}
    await sleep(300);
  }
  return { url, child, stop: async () => void child.kill("SIGTERM") };
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
const procs: Proc[] = [];
try {
  const mine = await start(ROOT, [...(process.env.AB_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.AB_PROF}`] : []), ...(process.env.AB_MINE_NODE_ARGS ?? "").split(" ").filter(Boolean)],
    Object.fromEntries((process.env.AB_MINE_ENV ?? "").split(" ").filter(Boolean).map((kv) => kv.split("=", 2) as [string, string])));
  procs.push(mine);
  await sleep(1000);
  const user = await gql(mine.url, bootstrapToken, `mutation { r: createUser(input: { name: "bench-user" }) { ... on CreateUserPayload { user { id } } } }`);
  const userId = decodeGlobalId(user.r.user.id)!.id;
  const tok = await gql(mine.url, bootstrapToken, `mutation($u: ID!) { r: createApiToken(input: { name: "bench", userId: $u }) { ... on CreateApiTokenPayload { token } } }`, { u: user.r.user.id });
  const token = tok.r.token as string;
  const db = new pg.Client({ connectionString: databaseUrl.toString() });
  await db.connect();
  const adminId = (await db.query(`SELECT id FROM "User" WHERE "isAdmin" LIMIT 1`)).rows[0].id as string;
  const seeded = await seed(db, adminId, userId);
  await db.end();
  const base = await start(other);
  procs.push(base);
  const projects = seeded.projects.slice(0, 20);
  const requests = projects.map((p) => ({ body: body(LINEAGE, { id: globalId("Project", p.id) }) }));
  const a = JSON.stringify(await gql(mine.url, token, LINEAGE, { id: globalId("Project", projects[0]!.id) }));
  const b = JSON.stringify(await gql(base.url, token, LINEAGE, { id: globalId("Project", projects[0]!.id) }));
  if (a !== b) throw new Error(`answers differ:\n${a.slice(0, 400)}\n${b.slice(0, 400)}`);
  const targets = { mine, main: base } as const;
  const run = (p: Proc, d: number) => load({ kind: "autocannon", url: p.url, headers: { authorization: `Bearer ${token}` }, requests, connections, duration: d });
  await run(mine, 2);
  await run(base, 2);
  const out: Record<string, { rps: number[]; cpu: number[] }> = { mine: { rps: [], cpu: [] }, main: { rps: [], cpu: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const name of (r % 2 ? ["main", "mine"] : ["mine", "main"]) as (keyof typeof targets)[]) {
      const p = targets[name];
      const c0 = cpuMs(p.child.pid);
      const res = await run(p, seconds);
      await sleep(300);
      const cpu = (cpuMs(p.child.pid) - c0) / res.requests;
      if (res.non2xx || res.errors) throw new Error(`${name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
      out[name]!.rps.push(res.rps);
      out[name]!.cpu.push(cpu);
      console.log(`round ${r} ${name}: ${res.rps.toFixed(1)} rps, ${cpu.toFixed(2)} ms CPU/request, load ${os.loadavg()[0]!.toFixed(1)}`);
    }
  }
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
  console.log(`median: mine ${med(out.mine!.rps).toFixed(1)} rps ${med(out.mine!.cpu).toFixed(2)} ms; main ${med(out.main!.rps).toFixed(1)} rps ${med(out.main!.cpu).toFixed(2)} ms; cpu ratio mine/main ${(med(out.mine!.cpu) / med(out.main!.cpu)).toFixed(2)}`);
} finally {
  for (const p of procs) p.child.kill("SIGTERM");
  await sleep(1500);
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
