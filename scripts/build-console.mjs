// Builds the web console (console/ → console/dist, served by the server at /).
//
//   node scripts/build-console.mjs             build
//   node scripts/build-console.mjs --if-stale  build only when console/dist is missing or stale (what `pnpm start` runs)
//
// Plain JavaScript so that the freshness check costs `pnpm start` only Node's own start (tsx added ~2.5 s).
//
// Stale means: the sha256 of the console's sources (console/src, index.html, vite.config.ts, tsconfig.json, its
// package.json), of pnpm-lock.yaml and of this script differs from the one recorded in console/dist/.source-hash by the last build.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CONSOLE = path.join(ROOT, "console");
const STAMP = path.join(CONSOLE, "dist", ".source-hash");

/** @param {string} dir @returns {string[]} */
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? files(full) : [full];
  });
}

/** The hash of everything a build depends on, in a stable order. */
/** @returns {string} */
export function consoleSourceHash() {
  const inputs = [
    ...files(path.join(CONSOLE, "src")),
    ...["index.html", "vite.config.ts", "tsconfig.json", "package.json"].map((f) => path.join(CONSOLE, f)),
    path.join(ROOT, "pnpm-lock.yaml"),
    fileURLToPath(import.meta.url),
  ].sort();
  const hash = createHash("sha256");
  for (const file of inputs) hash.update(path.relative(ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

const ifStale = process.argv.includes("--if-stale");
const hash = consoleSourceHash();
if (ifStale && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === hash) process.exit(0);

const vite = path.join(CONSOLE, "node_modules", "vite", "bin", "vite.js");
if (!existsSync(vite)) {
  process.stderr.write("modelgraph: the console's dependencies are missing: run `pnpm install` first\n");
  process.exit(1);
}
const started = Date.now();
process.stderr.write(`building the console (${ifStale ? (existsSync(STAMP) ? "sources changed" : "no build yet") : "requested"})…\n`);
// NODE_ENV decides React's build: callers such as vitest set it to "test", which would ship React's development build.
const result = spawnSync(process.execPath, [vite, "build", "--logLevel", "warn"], { cwd: CONSOLE, stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${hash}\n`);
process.stderr.write(`console built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
