// Start-up time of the `modelgraph` CLI for a one-query command (`whoami`), against a local server:
// the bin running the bundled CLI (sdk/dist/cli/bundle.js), the tsc output it replaced (sdk/dist/cli/main.js), the bin forced onto the TypeScript sources (tsx, the old way),
// and `pnpm -s modelgraph`. 10 runs each (after one warm-up), median and min/max wall time. `pnpm bench:cli`.
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { machine, recordResults, ROOT, startServerProcess } from "./support.ts";

const TOKEN = "mg_bench_cli_start_token_0000000000000000001";
const RUNS = 10;
const dataDir = path.join(os.tmpdir(), `modelgraph-bench-cli-${process.pid}`);
const server = await startServerProcess({ DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: TOKEN, LOG_LEVEL: "silent" });
const env = { ...process.env, MODELGRAPH_URL: server.url, MODELGRAPH_TOKEN: TOKEN };
const bin = path.join(ROOT, "sdk/src/cli/bin.js");

function measure(label: string, command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const once = () => {
    const start = performance.now();
    const result = spawnSync(command, args, { cwd: ROOT, env: { ...env, ...extraEnv }, encoding: "utf8" });
    const ms = performance.now() - start;
    if (result.status !== 0) throw new Error(`${label} failed (${result.status}): ${result.stderr}`);
    return ms;
  };
  once();
  const times = Array.from({ length: RUNS }, once).sort((a, b) => a - b);
  const median = (times[RUNS / 2 - 1]! + times[RUNS / 2]!) / 2;
  console.log(`${label}: median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)})`);
  return `| ${label} | ${median.toFixed(0)} | ${times[0]!.toFixed(0)} | ${times.at(-1)!.toFixed(0)} |`;
}

try {
  const rows = [
    measure("`node sdk/src/cli/bin.js whoami` (the bundle, sdk/dist/cli/bundle.js)", process.execPath, [bin, "whoami"]),
    measure("tsc output without the bundle (`sdk/dist/cli/main.js`: before)", process.execPath, ["--input-type=module", "-e", "const { main } = await import('./sdk/dist/cli/main.js'); await main(['whoami']);"]),
    measure("`node sdk/src/cli/bin.js whoami` (sources through tsx, MODELGRAPH_CLI_SOURCE=1: before)", process.execPath, [bin, "whoami"], { MODELGRAPH_CLI_SOURCE: "1" }),
    measure("`pnpm -s modelgraph whoami` (compiled)", "pnpm", ["-s", "modelgraph", "whoami"]),
    measure("`node -e ''` (Node's own start, for scale)", process.execPath, ["-e", ""]),
  ];
  recordResults(
    "CLI start-up: one-query command",
    `Date: ${new Date().toISOString()}  \nMachine: ${machine()}  \nSetup: \`whoami\` (one GraphQL query) against a local server (PGlite, loopback); ${RUNS} runs after one warm-up, wall time of the child process.\n\n| command | median ms | min ms | max ms |\n|---|---|---|---|\n${rows.join("\n")}\n\nGoal: ≤ 300 ms median from the bin. Machine load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`,
  );
} finally {
  await server.stop();
}
