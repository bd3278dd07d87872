// Start-up of the embedded default (issue 14, "Embedded default"): wall time from spawning the server to its first
// `200 /healthz`, on a fresh DATA_DIR and on a restart of the same one. `pnpm bench:start`.
//
// Measured for `node server/bin.js` (what `pnpm start` runs after its console check: the compiled server and the
// migrated template database made by `pnpm install`), for the same bin forced onto the TypeScript sources
// (MODELGRAPH_SERVER_SOURCE=1: tsx at every start), and — when BENCH_BASELINE_DIR names another checkout (e.g. a
// worktree of main, installed or built) — for `node server/bin.js` there. Rounds alternate
// between the variants, RUNS rounds each; medians with min/max.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { freePort, machine, recordResults, ROOT } from "./support.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const baseline = process.env.BENCH_BASELINE_DIR;

interface Variant {
  label: string;
  cwd: string;
  args: string[];
  env?: Record<string, string>;
}

const variants: Variant[] = [
  { label: "`node server/bin.js` (compiled + template)", cwd: ROOT, args: ["server/bin.js"] },
  { label: "`node server/bin.js`, MODELGRAPH_SERVER_SOURCE=1 (tsx + template)", cwd: ROOT, args: ["server/bin.js"], env: { MODELGRAPH_SERVER_SOURCE: "1" } },
  ...(baseline ? [{ label: `\`node server/bin.js\` in ${path.basename(baseline)} (before)`, cwd: baseline, args: ["server/bin.js"] }] : []),
];

/** Spawns the server on `dataDir`, resolves with the ms until /healthz answers 200, then stops it. */
async function timeToHealthy(variant: Variant, dataDir: string): Promise<number> {
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
      if (ok) return performance.now() - started;
      if (performance.now() - started > 120_000) throw new Error(`${variant.label} not healthy within 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

const times = new Map<string, { fresh: number[]; restart: number[] }>(variants.map((v) => [v.label, { fresh: [], restart: [] }]));
const loads: number[] = [];
for (let round = 0; round < RUNS; round++) {
  for (const variant of variants) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-start-"));
    try {
      loads.push(os.loadavg()[0]!);
      times.get(variant.label)!.fresh.push(await timeToHealthy(variant, dataDir));
      times.get(variant.label)!.restart.push(await timeToHealthy(variant, dataDir));
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

const stat = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return `${(median / 1000).toFixed(2)} (${(sorted[0]! / 1000).toFixed(2)}–${(sorted.at(-1)! / 1000).toFixed(2)})`;
};
const rows = variants.map((v) => `| ${v.label} | ${stat(times.get(v.label)!.fresh)} | ${stat(times.get(v.label)!.restart)} |`);
const table = `| command | fresh DATA_DIR: s to /healthz, median (min–max) | restart: s to /healthz |\n|---|---|---|\n${rows.join("\n")}`;
console.log(table);
recordResults(
  "Embedded start (PGlite + filesystem)",
  `Date: ${new Date().toISOString()}  \nMachine: ${machine()}; load average (1 min) during the rounds ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${os.cpus().length} cores.  \nSetup: ${RUNS} alternated rounds; each round starts every variant on a new empty DATA_DIR, waits for \`200 /healthz\`, stops it (SIGTERM), and starts it again on the same DATA_DIR (restart). Wall time from spawn.\n\n${table}\n\nGoals: ≤ 5 s on a fresh DATA_DIR, ≤ 2 s on a restart.`,
);
