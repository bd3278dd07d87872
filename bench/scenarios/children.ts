// Scenarios 6, 8 and 9 run other benchmarks of bench/ as child processes (they own their servers and databases,
// and other work changes them independently), told not to record (BENCH_NO_RECORD) and read back from their
// output: bench/subscriptions.ts prints a JSON summary, bench/start.ts a table, bench/cli-start.ts one line per
// command.
import { spawn } from "node:child_process";
import { ROOT } from "../support.ts";
import type { Ctx, Row } from "./context.ts";

/** Runs `node --import tsx script args` (not pinned: the script pins its own processes) and returns its stdout. */
function run(ctx: Ctx, script: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_NO_RECORD: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      if (err.length > 1e5) err = err.slice(-2e4);
      if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${script} exited with ${code}: ${err.slice(-800)}`));
    });
    ctx.log(`running ${script} ${args.join(" ")}`);
  });
}

export async function subscribers(ctx: Ctx): Promise<Row> {
  const rounds = process.env.BENCH_SUBSCRIPTION_ROUNDS ?? "10";
  const out = await run(ctx, "bench/subscriptions.ts", ["1000", rounds], { BENCH_VIEWERS: "distinct" });
  const json = /^\{\n[\s\S]*?\n\}$/m.exec(out)?.[0];
  if (!json) throw new Error(`bench/subscriptions.ts printed no summary: ${out.slice(-500)}`);
  const s = JSON.parse(json) as {
    ours: { p50: number; p99: number; max: number };
    raw: { p50: number; p99: number };
    cpuMsPerRound: { ours: number; raw: number };
    loadAverage: number;
    ratio: number;
  };
  return {
    scenario: "6. one stage change to 1,000 graphql-ws subscribers with distinct identities, p99 delivery ÷ raw ws",
    ours: `p99 ${s.ours.p99.toFixed(1)} ms (p50 ${s.ours.p50.toFixed(1)}, max ${s.ours.max.toFixed(1)}; ${s.cpuMsPerRound.ours.toFixed(0)} ms server CPU per event)`,
    peer: `p99 ${s.raw.p99.toFixed(1)} ms raw ws (p50 ${s.raw.p50.toFixed(1)}; ${s.cpuMsPerRound.raw.toFixed(0)} ms CPU per broadcast)`,
    ratio: s.ratio,
    goal: "≤ 2",
    met: s.ratio <= 2,
    notes: [`bench/subscriptions.ts 1000 ${rounds} with BENCH_VIEWERS=distinct (its own server on a fresh PostgreSQL database, one VIEWER user and token per subscriber), ${rounds} alternated rounds; load average ${s.loadAverage.toFixed(1)} during its rounds.`],
  };
}

export async function start(ctx: Ctx): Promise<Row[]> {
  const runs = process.env.BENCH_START_RUNS ?? "3";
  const out = await run(ctx, "bench/start.ts", [], { BENCH_RUNS: runs });
  // The first variant is `node server/bin.js` (compiled + template): what `pnpm start` runs.
  const line = out.split("\n").find((l) => l.startsWith("| `node server/bin.js` (compiled"));
  const cells = line?.split("|").map((c) => c.trim());
  if (!cells) throw new Error(`bench/start.ts printed no row for server/bin.js: ${out.slice(-500)}`);
  const median = (cell: string) => Number(cell.split(" ")[0]);
  const [fresh, restart] = [median(cells[2]!), median(cells[3]!)];
  const note = `bench/start.ts with BENCH_RUNS=${runs}: \`node server/bin.js\` (compiled server, template database) spawned on an empty DATA_DIR, then again on the same one; wall time from spawn to the first 200 /healthz, median (min–max) ${cells[2]} s fresh, ${cells[3]} s restart.`;
  return [
    { scenario: "8a. embedded start on a fresh DATA_DIR, s to /healthz (median)", ours: `${fresh.toFixed(2)} s`, peer: "goal 5 s", ratio: fresh / 5, goal: "≤ 1 (÷ 5 s)", met: fresh <= 5, notes: [note] },
    { scenario: "8b. embedded restart on the same DATA_DIR, s to /healthz (median)", ours: `${restart.toFixed(2)} s`, peer: "goal 2 s", ratio: restart / 2, goal: "≤ 1 (÷ 2 s)", met: restart <= 2, notes: ["Same runs as 8a."] },
  ];
}

export async function cli(ctx: Ctx): Promise<Row> {
  const out = await run(ctx, "bench/cli-start.ts", [], {});
  const line = out.split("\n").find((l) => l.startsWith("`node sdk/src/cli/bin.js whoami` (the bundle"));
  const ms = Number(/median (\d+) ms/.exec(line ?? "")?.[1]);
  if (!line || !Number.isFinite(ms)) throw new Error(`bench/cli-start.ts printed no line for the bin: ${out.slice(-500)}`);
  const node = /`node -e ''`.*median (\d+) ms/.exec(out)?.[1];
  return {
    scenario: "9. `modelgraph whoami` from the bin, wall s (median)",
    ours: `${(ms / 1000).toFixed(2)} s`,
    peer: `goal 0.3 s${node ? ` (Node's own start: ${(Number(node) / 1000).toFixed(2)} s)` : ""}`,
    ratio: ms / 300,
    goal: "≤ 1 (÷ 0.3 s)",
    met: ms <= 300,
    notes: [`bench/cli-start.ts: ${line.trim()}; every command it compares: ${out.trim().split("\n").filter((l) => l.includes("median")).join("; ")}.`],
  };
}
