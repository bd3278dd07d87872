#!/usr/bin/env node
// Starts the server (`pnpm start`, the tests' child processes). Runs the compiled server (server/dist/bundle/main.js,
// one esbuild file, or the tsc output in server/dist when esbuild was missing; built by `pnpm install` through the
// root `prepare` script, or `pnpm build`) while it is at least as new as every source file; otherwise the TypeScript
// sources through tsx (scripts/compiled.mjs). MODELGRAPH_SERVER_SOURCE=1 forces the sources.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { staleReason } from "../scripts/compiled.mjs";

const reason = staleReason(path.dirname(fileURLToPath(import.meta.url)), "MODELGRAPH_SERVER_SOURCE");
if (reason) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("./src/main.ts");
} else {
  // The one-file bundle when the build made it (esbuild present), else the tsc output (scripts/build-js.mjs).
  const bundle = new URL("./dist/bundle/main.js", import.meta.url);
  await import(fs.existsSync(bundle) ? bundle.href : "./dist/main.js");
}
