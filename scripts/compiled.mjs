// The compiled JavaScript of the SDK (sdk/dist: the CLI) and of the server (server/dist), and when it may run.
// Both are plain `tsc` output of their `src/`, built by the root `prepare` script (every `pnpm install`) through
// scripts/build-js.mjs. Each dist holds a .build-stamp whose mtime is taken BEFORE compiling: the compiled code runs
// only while the stamp is newer than every source (`.ts`/`.json` under src/), so a source edited since the build
// (or saved during it) sends the bins back to the TypeScript sources through tsx — same behaviour, slower start.
import fs from "node:fs";
import path from "node:path";

/** Newest mtime (ms) of the .ts/.json files under `dir` (a few hundred stat calls: a few ms). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".ts") || entry.name.endsWith(".json")) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Why `packageDir`'s compiled dist cannot run, or undefined when it can. `forceSource`: the env var that forbids it. */
export function staleReason(packageDir, forceSource) {
  if (process.env[forceSource] === "1") return `${forceSource}=1`;
  let built;
  try {
    built = fs.statSync(path.join(packageDir, "dist", ".build-stamp")).mtimeMs;
  } catch {
    return "not built (run pnpm build)";
  }
  return newestSource(path.join(packageDir, "src")) > built ? "sources changed since the last build (run pnpm build)" : undefined;
}

/** Compiles `packageDir` with `tsc -p packageDir/tsconfigName` into packageDir/dist, then writes the stamp. */
export function compile(packageDir, tsconfigName, run) {
  const dist = path.join(packageDir, "dist");
  const started = new Date();
  fs.rmSync(dist, { recursive: true, force: true });
  run(path.join(packageDir, tsconfigName));
  fs.writeFileSync(path.join(dist, ".build-stamp"), `${started.toISOString()}\n`);
  fs.utimesSync(path.join(dist, ".build-stamp"), started, started);
}
