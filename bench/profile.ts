// Summarises a V8 CPU profile (`node --cpu-prof`, e.g. `BENCH_CPU_PROF=dir pnpm bench`): self time by package
// (or source folder), the heaviest functions, and the inclusive time of named functions (a sample counts for a
// name when the name is on its stack). Run: tsx bench/profile.ts <file.cpuprofile> [top=25] [name,name,…]
import fs from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2]!;
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// PROFILE_WINDOW="from-to" (seconds since the profile started) keeps only the samples of that window, e.g. the load.
const [from, to] = (process.env.PROFILE_WINDOW ?? "0-1e9").split("-").map(Number) as [number, number];
const self = new Map<number, number>();
let clock = 0;
profile.samples.forEach((id, i) => {
  clock += profile.timeDeltas[i] ?? 0;
  if (clock < from * 1e6 || clock > to * 1e6) return;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((s, x) => s + x, 0);

function bucket(url: string): string {
  if (!url) return "(native/gc/idle)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return "node internals";
  const src = url.indexOf("/server/src/");
  if (src >= 0) return `server/src/${url.slice(src + 12).split("/")[0]}`;
  return url.replace(/^file:\/\//, "");
}

const packages = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || "(anonymous)";
  const b = name === "(idle)" || name === "(program)" || name === "(garbage collector)" ? name : bucket(n.callFrame.url);
  packages.set(b, (packages.get(b) ?? 0) + us);
  const f = `${name} ${n.callFrame.url.replace(/^.*node_modules\//, "").replace(/^.*\/server\/src\//, "server/src/")}:${n.callFrame.lineNumber + 1}`;
  functions.set(f, (functions.get(f) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;
console.log(`total ${(total / 1e6).toFixed(1)} s sampled`);
console.log("\nself time by package / folder:");
for (const [k, v] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(7)}  ${k}`);
console.log("\nheaviest functions (self):");
for (const [k, v] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(7)}  ${k}`);

// Inclusive time: samples whose stack holds a function of that name (each counted once per name).
const names = (process.argv[4] ?? "").split(",").filter(Boolean);
if (names.length) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>(names.map((n) => [n, 0]));
  const busy = total - (packages.get("(idle)") ?? 0);
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const fn = byId.get(at)!.callFrame.functionName;
      if (inclusive.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        inclusive.set(fn, inclusive.get(fn)! + us);
      }
    }
  }
  console.log(`\ninclusive time, share of busy (non-idle) time ${(busy / 1e6).toFixed(1)} s:`);
  for (const [k, v] of inclusive) console.log(`  ${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`);
}

// PROFILE_TREE=1: the call tree (top-down, inclusive time) down to nodes above PROFILE_TREE_MIN % of busy time.
if (process.env.PROFILE_TREE) {
  const min = Number(process.env.PROFILE_TREE_MIN ?? 2);
  const busy = total - (packages.get("(idle)") ?? 0);
  const inclusive = new Map<number, number>();
  const visit = (id: number): number => {
    const n = byId.get(id)!;
    let sum = self.get(id) ?? 0;
    for (const c of n.children ?? []) sum += visit(c);
    inclusive.set(id, sum);
    return sum;
  };
  const root = profile.nodes[0]!;
  visit(root.id);
  const print = (id: number, depth: number) => {
    const n = byId.get(id)!;
    const v = inclusive.get(id)!;
    if ((100 * v) / busy < min || n.callFrame.functionName === "(idle)") return;
    const where = n.callFrame.url.replace(/^.*node_modules\//, "").replace(/^.*\/server\/src\//, "server/src/");
    console.log(`${"  ".repeat(depth)}${((100 * v) / busy).toFixed(1)} % ${n.callFrame.functionName || "(anonymous)"} ${where}:${n.callFrame.lineNumber + 1}`);
    for (const c of [...(n.children ?? [])].sort((a, b) => inclusive.get(b)! - inclusive.get(a)!)) print(c, depth + 1);
  };
  console.log(`\ncall tree (inclusive, ≥ ${min} % of busy time):`);
  print(root.id, 0);
}

// PROFILE_TIMELINE=1: busy (non-idle) share of each second, to find the load windows for PROFILE_WINDOW.
if (process.env.PROFILE_TIMELINE) {
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  const seconds: number[] = [];
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const s = Math.floor(t / 1e6);
    seconds[s] ??= 0;
    if (!idleIds.has(id)) seconds[s] += (profile.timeDeltas[i] ?? 0) / 1e4;
  });
  console.log(`\nbusy % per second: ${seconds.map((v, s) => `${s}:${Math.round(v ?? 0)}`).join(" ")}`);
}
