import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The few SQL operations the migration runner needs; implemented over `pg` and over PGlite. */
export interface SqlRunner {
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a multi-statement script without parameters. */
  exec(sql: string): Promise<void>;
}

export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../prisma/migrations",
);

/** Prisma's own advisory lock key, so our runner and Prisma's never migrate at the same time. */
const PRISMA_MIGRATION_LOCK = 72707369;

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/**
 * Synchronous on purpose: it runs at start only, and a dozen small files read in ~1 ms, where the asynchronous reads
 * (four thread-pool round trips each, one file after the other) took ~0.5 s on a loaded machine while PGlite's
 * WebAssembly compiled in the background.
 */
function readMigrations(dir: string): Migration[] {
  const entries = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of entries) {
    const bytes = fs.readFileSync(path.join(dir, name, "migration.sql"));
    migrations.push({
      name,
      sql: bytes.toString("utf8"),
      checksum: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  return migrations;
}

/** One digest of every migration's name and checksum: what a database migrated from `dir` holds (pglite-template.ts). */
export async function migrationsDigest(dir = MIGRATIONS_DIR): Promise<string> {
  const hash = createHash("sha256");
  for (const m of readMigrations(dir)) hash.update(`${m.name}\0${m.checksum}\n`);
  return hash.digest("hex");
}

/**
 * Applies the pending migrations of prisma/migrations in order, each in its own transaction, and records
 * them in `_prisma_migrations` the way `prisma migrate deploy` does, so Prisma's tools accept the database.
 * Replicas starting together serialise on an advisory lock. Refuses to run if an applied migration was edited.
 */
export async function applyMigrations(db: SqlRunner, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = readMigrations(dir);
  await db.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATION_LOCK})`);
  try {
    await db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const rows = await db.query(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const applied = new Map(rows.map((r) => [String(r.migration_name), r]));
    const done: string[] = [];
    for (const migration of migrations) {
      const row = applied.get(migration.name);
      if (row) {
        if (!row.finished_at) {
          throw new Error(`Migration ${migration.name} failed earlier and must be resolved by hand.`);
        }
        if (row.checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.name} was edited after it was applied.`);
        }
        continue;
      }
      await db.exec("BEGIN");
      try {
        await db.exec(migration.sql);
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await db.exec("COMMIT");
      } catch (error) {
        await db.exec("ROLLBACK");
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await db.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATION_LOCK})`);
  }
}
