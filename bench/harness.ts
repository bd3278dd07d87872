// Pieces shared by the scenarios of `pnpm bench` (bench/suite.ts): pinned child processes (servers and peers on
// core 0, the load generator on core 1), the load generator's jobs, SQL statement counts, percentiles.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { AutocannonJob, AutocannonResult, LoopsJob, LoopsResult } from "./load.ts";
import { freePort, ROOT } from "./support.ts";
import { encodeGlobalId } from "../server/src/domain/ids.ts";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pinnable = os.cpus().length >= 2;

/** `node --import tsx <script>` pinned to `cpu` (when the machine has two cores or more). */
export function spawnPinned(cpu: number, script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const node = [process.execPath, ...nodeArgs, "--import", "tsx", script, ...args];
  const [command, argv] = pinnable ? ["taskset", ["-c", String(cpu), ...node]] : [node[0]!, node.slice(1)];
  return spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
}

export interface Proc {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess) {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/** Waits until the child's stdout matches `ready` (returns the match), or fails when it exits first. */
function waitFor(child: ChildProcess, ready: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 90 s`)), 90_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
      buffered += chunk.toString();
      const match = ready.exec(buffered);
      if (match) {
        clearTimeout(timer);
        buffered = "";
        resolve(match);
      }
      if (buffered.length > 1e6) buffered = buffered.slice(-1e5);
    });
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

/** Our server (server/src/main.ts, the real entry point) on core 0. */
export async function startOurServer(env: Record<string, string>, nodeArgs: string[] = []): Promise<Proc> {
  const port = await freePort();
  const child = spawnPinned(0, "server/src/main.ts", [], { HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ...env }, nodeArgs);
  await waitFor(child, /"modelgraph listening"/, "our server");
  return { url: `http://127.0.0.1:${port}/graphql`, child, stop: stopper(child) };
}

/** A peer (bench/peers/<name>.ts) on core 0; it prints `listening <port>`. */
export async function startPeer(name: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Proc> {
  const child = spawnPinned(0, path.join("bench", "peers", `${name}.ts`), [], env, nodeArgs);
  const match = await waitFor(child, /listening (\d+)/, `peer ${name}`);
  return { url: `http://127.0.0.1:${match[1]}/graphql`, child, stop: stopper(child) };
}

/** Runs a pinned child to completion and returns the JSON of its last stdout line. */
export async function runToJson<T>(cpu: number, script: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const child = spawnPinned(cpu, script, args, env);
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`${script} exited with ${code}: ${out.slice(-500)}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as T;
}

let jobSeq = 0;
const jobDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-jobs-"));
process.on("exit", () => fs.rmSync(jobDir, { recursive: true, force: true }));

/** The load generator (bench/load.ts) on core 1, as its own process. */
export function load(job: AutocannonJob): Promise<AutocannonResult>;
export function load(job: LoopsJob): Promise<LoopsResult>;
export async function load(job: AutocannonJob | LoopsJob): Promise<AutocannonResult | LoopsResult> {
  const file = path.join(jobDir, `job-${jobSeq++}.json`);
  fs.writeFileSync(file, JSON.stringify(job));
  try {
    return await runToJson(1, "bench/load.ts", [file]);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export const body = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

/** One GraphQL request from the orchestrator (setup and checks, not measured). */
export async function gql<T = any>(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body(query, variables),
  });
  const json = (await res.json()) as { data?: T; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 1000));
  return json.data as T;
}

/** Transactions committed or rolled back in a database, as PostgreSQL's cumulative statistics report them. */
export async function xacts(admin: pg.Client, dbName: string): Promise<number> {
  await admin.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await admin.query(`SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = $1`, [dbName]);
  return Number(rows[0].n);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export const globalId = (type: string, id: string) => encodeGlobalId(type, id);

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 0 elsewhere). */
export function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/**
 * Runs `work` (a load run of `seconds`) and returns its result with the share of one core `pid` used during it
 * (1 = a full core; the load generator's own start-up, when `pid` idles, is not counted in the denominator).
 */
export async function withCpu<T>(pid: number | undefined, seconds: number, work: () => Promise<T>): Promise<T & { cpu: number }> {
  const c0 = cpuMs(pid);
  const result = await work();
  return { ...result, cpu: (cpuMs(pid) - c0) / (seconds * 1000) };
}

/**
 * CPU time (ms) used so far by the PostgreSQL backends serving `dbName` (pg_stat_activity's pids, read from /proc:
 * PostgreSQL runs on this machine). pg_stat_statements is not loaded on the shared server, hence /proc.
 */
export async function postgresCpuMs(admin: pg.Client, dbName: string): Promise<Map<number, number>> {
  const { rows } = await admin.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [dbName]);
  return new Map(rows.map((r: { pid: number }) => [r.pid, cpuMs(r.pid)]));
}

/** PostgreSQL CPU (ms) of `dbName`'s backends between two postgresCpuMs samples (backends new since count from 0). */
export function postgresCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
