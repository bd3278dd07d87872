#!/usr/bin/env node
// The `modelgraph` executable: runs the TypeScript CLI through tsx (the SDK ships its sources; no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
await main();
