// Builds sdk/dist (the SDK and its CLI as JavaScript) with tsc, then writes dist/.build-stamp: bin.js runs the
// compiled CLI only while the stamp is newer than every source. The stamp's time is taken BEFORE compiling, so
// a source saved during the build counts as newer. Run by the root `prepare` script (every `pnpm install`).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(sdk, "dist");
const started = new Date();
let tsc;
try {
  tsc = createRequire(path.join(sdk, "..", "package.json")).resolve("typescript/bin/tsc");
} catch {
  // An install without dev dependencies (e.g. the server image): the CLI then runs its sources through tsx.
  console.warn("build-cli: typescript is not installed; skipping (the CLI runs its TypeScript sources)");
  process.exit(0);
}
if (!fs.existsSync(path.join(sdk, "src", "cli", "main.ts"))) process.exit(0);
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", path.join(sdk, "tsconfig.cli.json")], { stdio: "inherit" });
fs.writeFileSync(path.join(dist, ".build-stamp"), `${started.toISOString()}\n`);
fs.utimesSync(path.join(dist, ".build-stamp"), started, started);
