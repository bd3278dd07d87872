// The server's files are its own: the embedded database, artifacts, staging and the bootstrap token are readable and
// writable by the server's user only (directories 0700, files 0600). PGlite creates its files with mode 0666, so
// under the usual umask 022 the database was readable by every local user, and writable under umask 000.
import fsSync from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";

/** No group or other bits on anything the process creates. */
export const PRIVATE_UMASK = 0o077;
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Adds PRIVATE_UMASK to the process umask, so files created by libraries (PGlite) are private too. Process-wide on
 * purpose: it is called by main.ts first and by startApp (in-process servers). Worker threads cannot change the
 * umask; there the explicit modes and `ensurePrivateDir` still apply.
 */
export function restrictFileCreation(): void {
  try {
    const previous = process.umask(PRIVATE_UMASK);
    process.umask(previous | PRIVATE_UMASK);
  } catch {
    // ERR_WORKER_UNSUPPORTED_OPERATION
  }
}

/**
 * Creates `dir` (and missing parents) with mode 0700, then takes the group and other bits off `dir` and everything
 * under it, which an older version or another umask may have left open. Symbolic links are not followed.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  fsSync.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  restrictTree(dir);
}

/** Creates `dir` (and missing parents) with mode 0700 and takes the group and other bits off `dir` alone. */
export async function closeDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const stat = await fs.lstat(dir);
  if ((stat.mode & 0o077) !== 0) await fs.chmod(dir, stat.mode & 0o700);
}

/**
 * Synchronous on purpose (as ensurePrivateDir's mkdir): it runs when a store or the embedded database opens or
 * closes, never while requests are served. The database alone is ~1,200 files: ~20 ms of system calls in a row. The
 * asynchronous walk took 50-700 ms at start: every call is a thread-pool round trip, and right after PGlite opens
 * those threads compete for the cores with V8's background compilation of its WebAssembly (a single async mkdir
 * there was seen waiting ~0.6 s on a loaded 2-core machine).
 */
function restrictTree(target: string): void {
  let stat: fsSync.Stats;
  try {
    stat = fsSync.lstatSync(target);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) return;
  if ((stat.mode & 0o077) !== 0) fsSync.chmodSync(target, stat.mode & 0o700);
  if (!stat.isDirectory()) return;
  for (const name of fsSync.readdirSync(target)) restrictTree(path.join(target, name));
}
