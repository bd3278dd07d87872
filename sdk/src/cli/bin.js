#!/usr/bin/env node
// The `modelgraph` executable. Runs the compiled CLI (sdk/dist, built by `pnpm install` through the root `prepare`
// script, or `pnpm build`) while it is at least as new as every source file; otherwise (a source edited since the
// last build, or no build) the TypeScript sources through tsx — same behaviour, ~0.7 s slower to start
// (scripts/compiled.mjs). MODELGRAPH_CLI_SOURCE=1 forces the sources; MODELGRAPH_DEBUG=1 says which one runs and why.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { staleReason } from "../../../scripts/compiled.mjs";

const reason = staleReason(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../.."), "MODELGRAPH_CLI_SOURCE");
if (process.env.MODELGRAPH_DEBUG) process.stderr.write(`modelgraph: running ${reason ? `the TypeScript sources (${reason})` : "the compiled CLI (sdk/dist)"}\n`);
if (reason) {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("./main.ts");
  await main();
} else {
  // The one-file bundle when the build made it (scripts/build-js.mjs: bundleCli), else the tsc output.
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/cli");
  const { main } = await import(fs.existsSync(path.join(dist, "bundle.js")) ? "../../dist/cli/bundle.js" : "../../dist/cli/main.js");
  await main();
}
