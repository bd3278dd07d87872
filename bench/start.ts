// Start-up of the embedded default (issue 14, "Embedded default"): wall time from spawning the server to its first
// `200 /healthz`, on a fresh DATA_DIR and on a restart of the same one. `pnpm bench:start`.
//
// Measured for `node server/bin.js` (what `pnpm start` runs after its console check: the compiled server and the
// migrated template database made by `pnpm install`), for the same bin forced onto the TypeScript sources
// (MODELGRAPH_SERVER_SOURCE=1: tsx at every start), and — when BENCH_BASELINE_DIR names another checkout (e.g. a
// worktree of main, installed or built) — for `node server/bin.js` there. Rounds alternate
// between the variants, RUNS rounds each; medians with min/max. Also the server's CPU time (user + system, all its
// threads, from /proc/<pid>/stat) until that first 200: on a shared machine it varies less than the wall time.
// Env: BENCH_RUNS (default 5), BENCH_BASELINE_DIR, BENCH_NO_RECORD=1 (print only). Other benches may call
// measureEmbeddedStart().
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { freePort, machine, recordResults, ROOT } from "./support.ts";

interface Variant {
  label: string;
  cwd: string;
  args: string[];
  env?: Record<string, string>;
}

function variantsFor(baseline: string | undefined): Variant[] {
  return [
    { label: "`node server/bin.js` (compiled + template)", cwd: ROOT, args: ["server/bin.js"] },
    { label: "`node server/bin.js`, MODELGRAPH_SERVER_SOURCE=1 (tsx + template)", cwd: ROOT, args: ["server/bin.js"], env: { MODELGRAPH_SERVER_SOURCE: "1" } },
    ...(baseline ? [{ label: `\`node server/bin.js\` in ${path.basename(baseline)} (before)`, cwd: baseline, args: ["server/bin.js"] }] : []),
  ];
}

/** CPU time (ms, user + system, every thread) the process `pid` has used so far; NaN where /proc is missing. */
function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks (100 Hz).
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Spawns the server on `dataDir`, resolves with the ms (wall, CPU) until /healthz answers 200, then stops it. */
async function timeToHealthy(variant: Variant, dataDir: string): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, variant.args, {
    cwd: variant.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: os.homedir(), PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", ...variant.env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${variant.label} exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
      if (ok) return { wall: performance.now() - started, cpu: cpuMs(child.pid!) };
      if (performance.now() - started > 120_000) throw new Error(`${variant.label} not healthy within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

interface Samples {
  fresh: number[];
  restart: number[];
  freshCpu: number[];
  restartCpu: number[];
}

const stat = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return `${(median / 1000).toFixed(2)} (${(sorted[0]! / 1000).toFixed(2)}–${(sorted.at(-1)! / 1000).toFixed(2)})`;
};

/** Runs the rounds; returns the Markdown table and the section's text (what RESULTS.md records). */
export async function measureEmbeddedStart(options: { runs?: number; baseline?: string } = {}): Promise<{ table: string; markdown: string }> {
  const runs = options.runs ?? 5;
  const variants = variantsFor(options.baseline);
  const times = new Map<string, Samples>(variants.map((v) => [v.label, { fresh: [], restart: [], freshCpu: [], restartCpu: [] }]));
  const loads: number[] = [];
  for (let round = 0; round < runs; round++) {
    for (const variant of variants) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-start-"));
      try {
        const samples = times.get(variant.label)!;
        loads.push(os.loadavg()[0]!);
        const fresh = await timeToHealthy(variant, dataDir);
        const restart = await timeToHealthy(variant, dataDir);
        samples.fresh.push(fresh.wall);
        samples.freshCpu.push(fresh.cpu);
        samples.restart.push(restart.wall);
        samples.restartCpu.push(restart.cpu);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
  const rows = variants.map((v) => {
    const t = times.get(v.label)!;
    return `| ${v.label} | ${stat(t.fresh)} | ${stat(t.restart)} | ${stat(t.freshCpu)} | ${stat(t.restartCpu)} |`;
  });
  const table = `| command | fresh DATA_DIR: s to /healthz, median (min–max) | restart: s to /healthz | fresh: CPU s | restart: CPU s |\n|---|---|---|---|---|\n${rows.join("\n")}`;
  const markdown = `Date: ${new Date().toISOString()}  \nMachine: ${machine()}; load average (1 min) during the rounds ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${os.cpus().length} cores.  \nSetup: ${runs} alternated rounds; each round starts every variant on a new empty DATA_DIR, waits for \`200 /healthz\`, stops it (SIGTERM), and starts it again on the same DATA_DIR (restart). Wall time from spawn; CPU = the server process's user + system time (all threads) at that first 200.\n\n${table}\n\nGoals: ≤ 5 s on a fresh DATA_DIR, ≤ 2 s on a restart.`;
  return { table, markdown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { table, markdown } = await measureEmbeddedStart({ runs: Number(process.env.BENCH_RUNS ?? 5), baseline: process.env.BENCH_BASELINE_DIR });
  console.log(table);
  if (!process.env.BENCH_NO_RECORD) recordResults("Embedded start (PGlite + filesystem)", markdown);
}
