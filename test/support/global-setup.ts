// Runs once per test run: prepares an embedded database with every migration applied, which each PGlite test
// server then copies instead of creating and migrating its own (saves seconds per test file).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../server/src/db/database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-template-"));
  const db = await openDatabase({ databaseUrl: undefined, dataDir: dir, poolSize: 1 });
  await db.close();
  project.provide("pgliteTemplate", path.join(dir, "db"));
  return async () => {
    await fs.rm(dir, { recursive: true, force: true });
  };
}
