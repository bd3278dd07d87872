// The migrated empty embedded database that fresh DATA_DIRs copy (server/src/db/pglite-template.ts): used only under
// its own key (PGlite's version and the migrations' digest), and a fresh data directory opened on it is migrated.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/src/db/database.ts";
import { currentPgliteTemplate } from "../../server/src/db/pglite-template.ts";
import { dbKind } from "../support/server.ts";

describe.skipIf(dbKind !== "pglite")("the embedded database template", () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-template-test-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it("is used only under its own key: a template recorded for another PGlite or other migrations is not", async () => {
    const current = await currentPgliteTemplate(); // made by the install or the tests' global set-up
    expect(current).toBeDefined();
    const key = path.basename(path.dirname(current!));
    const root = await tempDir();
    await fs.mkdir(path.join(root, key, "db"), { recursive: true });
    await fs.writeFile(path.join(root, key, "template-key"), "made-for-another-pglite-or-other-migrations");
    expect(await currentPgliteTemplate(root)).toBeUndefined();
    await fs.writeFile(path.join(root, key, "template-key"), key);
    expect(await currentPgliteTemplate(root)).toBe(path.join(root, key, "db"));
    expect(await currentPgliteTemplate(await tempDir())).toBeUndefined();
  });

  it("gives a fresh data directory the migrated schema, with private files", async () => {
    const dataDir = await tempDir();
    const db = await openDatabase({ databaseUrl: undefined, dataDir, poolSize: 1, preparedStatements: true });
    try {
      const [row] = await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`;
      const migrations = (await fs.readdir(path.resolve(import.meta.dirname, "../../prisma/migrations"), { withFileTypes: true })).filter((e) => e.isDirectory());
      expect(Number(row!.n)).toBe(migrations.length);
    } finally {
      await db.close();
    }
    const stat = await fs.stat(path.join(dataDir, "db", "PG_VERSION"));
    expect(stat.mode & 0o077).toBe(0);
  });
});
