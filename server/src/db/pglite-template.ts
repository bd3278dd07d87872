// The migrated empty embedded database: made once (at install by the root `prepare`, or by the tests' global set-up)
// and copied into every fresh DATA_DIR instead of running PGlite's initdb and every migration there (~6 CPU s of
// WebAssembly against ~0.5 s for the copy). It is keyed by PGlite's version and the migrations' digest: a template
// made by another PGlite or for other migrations is never used (a fresh DATA_DIR then initialises itself, as before).
// It lives under node_modules/.cache (made per install, never committed, never served).
import { createHash } from "node:crypto";
import fsSync from "node:fs";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { closeDir, ensurePrivateDir, restrictFileCreation } from "../storage/private-files.ts";
import { applyMigrations, migrationsDigest, type SqlRunner } from "./migrate.ts";

/** Same depth under server/src and server/dist: both resolve to the repository's node_modules/.cache. */
export const TEMPLATE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../node_modules/.cache/modelgraph/pglite-template");

const KEY_FILE = "template-key";

async function templateKey(): Promise<string> {
  // The package's exports hide its package.json: read it beside the resolved entry.
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const packageDir = entry.slice(0, entry.lastIndexOf(`${path.sep}@electric-sql${path.sep}pglite${path.sep}`)) + `${path.sep}@electric-sql${path.sep}pglite`;
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  return createHash("sha256").update(`pglite ${version}\n${await migrationsDigest()}`).digest("hex").slice(0, 32);
}

/** The data directory of a current template (PGlite's files), or undefined when there is none for this install. */
export async function currentPgliteTemplate(root = TEMPLATE_ROOT): Promise<string | undefined> {
  const key = await templateKey();
  const stored = await fs.readFile(path.join(root, key, KEY_FILE), "utf8").catch(() => undefined);
  return stored === key ? path.join(root, key, "db") : undefined;
}

/** Returns the current template's data directory, making it first if there is none (~6 CPU s). */
export async function ensurePgliteTemplate(root = TEMPLATE_ROOT): Promise<string> {
  const existing = await currentPgliteTemplate(root);
  if (existing) return existing;
  restrictFileCreation();
  const key = await templateKey();
  await fs.mkdir(root, { recursive: true });
  // Made aside, then renamed into place: a reader never sees half a template, and two makers do not collide.
  const work = await fs.mkdtemp(path.join(root, `.making-${os.hostname()}-`));
  try {
    const pglite = await PGlite.create({ dataDir: path.join(work, "db") });
    await applyMigrations(pgliteRunner(pglite));
    await pglite.close();
    await fs.writeFile(path.join(work, KEY_FILE), key);
    await fs.rename(work, path.join(root, key)).catch(async (error: NodeJS.ErrnoException) => {
      // Another process made the same template meanwhile: theirs is as good as ours.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  // Templates of older keys (another PGlite, other migrations) are of no use any more.
  for (const name of await fs.readdir(root)) {
    if (name !== key && !name.startsWith(".making-")) await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
  return path.join(root, key, "db");
}

/** The migration runner's SQL over PGlite. */
export function pgliteRunner(db: PGlite): SqlRunner {
  return {
    query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params as unknown[])).rows,
    exec: async (sql) => {
      await db.exec(sql);
    },
  };
}

/** Whether `dir` holds no database yet (missing or empty). */
export async function isEmptyDir(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return entries.length === 0;
}

/**
 * Opens the embedded database in `dir` and brings its schema up to date: a fresh (empty) directory first becomes a
 * copy of the current template. Lives here, apart from database.ts and Prisma, so that main.ts can start it before
 * the rest of the server is imported (startOpeningPglite).
 */
export async function openPgliteFiles(dir: string): Promise<PGlite> {
  if (await isEmptyDir(dir)) {
    const template = await currentPgliteTemplate();
    // cpSync: the asynchronous fs.cp takes ~1-3 s for the template's ~1,200 files (one promise chain per file),
    // the synchronous one ~0.2-0.4 s; nothing else is served before this database is open anyway.
    if (template) fsSync.cpSync(template, dir, { recursive: true });
  }
  // Only the directory itself before PGlite opens (0700 keeps anyone else from reaching what is under it): the walk
  // over its ~1,000 files waits until the database is up, so PGlite starts at once (main.ts starts this before the
  // server's modules load, and every await here waits for that loading to finish).
  await closeDir(dir);
  const pglite = await PGlite.create({ dataDir: dir });
  await applyMigrations(pgliteRunner(pglite));
  // PGlite sets some files' modes itself (pg_internal.init 0644, whatever the umask), and an older version may have
  // left files open: closed once it is up (and again once it is shut).
  await ensurePrivateDir(dir);
  return pglite;
}

let early: { dir: string; pglite: Promise<PGlite> } | undefined;

/**
 * Starts opening `dir`'s database now, for the next openDatabase of the same directory to take over. main.ts calls
 * it before importing the server: PGlite's WebAssembly compiles off the main thread while the modules load (a
 * restart is otherwise ~1 s of each, one after the other).
 */
export function startOpeningPglite(dir: string): void {
  const pglite = openPgliteFiles(dir);
  // Reported when taken (openDatabase), not as an unhandled rejection meanwhile.
  pglite.catch(() => {});
  early = { dir, pglite };
}

/** The database startOpeningPglite began for `dir`, once (undefined when none). */
export function takeEarlyPglite(dir: string): Promise<PGlite> | undefined {
  if (early?.dir !== dir) return undefined;
  const { pglite } = early;
  early = undefined;
  return pglite;
}
