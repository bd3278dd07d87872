import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashingStream } from "./hashing.ts";
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./private-files.ts";
import type { ArtifactStore, StagedUpload } from "./store.ts";

/**
 * Artifacts as files under `<root>/objects/<key>`, uploads staged in `<root>/staging/`. A staged file is
 * fsynced and then renamed into place, so a content key only ever holds complete, verified bytes.
 */
export class FilesystemStore implements ArtifactStore {
  readonly kind = "filesystem" as const;
  private readonly objects: string;
  private readonly staging: string;

  constructor(root: string) {
    this.objects = path.join(root, "objects");
    this.staging = path.join(root, "staging");
  }

  async init(): Promise<void> {
    await fs.mkdir(this.objects, { recursive: true, mode: PRIVATE_DIR_MODE });
    await fs.mkdir(this.staging, { recursive: true, mode: PRIVATE_DIR_MODE });
    // Also closes what an older version left open (it created files 0644, directories 0755).
    await ensurePrivateDir(path.dirname(this.objects));
  }

  async ping(): Promise<void> {
    await fs.access(this.objects);
  }

  private objectPath(key: string): string {
    const resolved = path.resolve(this.objects, key);
    if (!resolved.startsWith(this.objects + path.sep)) throw new Error("invalid object key");
    return resolved;
  }

  private stagingPath(stagingKey: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(stagingKey)) throw new Error("invalid staging key");
    return path.join(this.staging, stagingKey);
  }

  async stage(stagingKey: string, body: Readable, maxBytes: bigint): Promise<StagedUpload> {
    const file = this.stagingPath(stagingKey);
    const hashing = new HashingStream(maxBytes);
    const out = createWriteStream(file, { flags: "wx", mode: PRIVATE_FILE_MODE, highWaterMark: 1 << 20 });
    try {
      await pipeline(body, hashing, out);
      const handle = await fs.open(file, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await fs.rm(file, { force: true });
      throw error;
    }
    return { stagingKey, sha256: hashing.digest(), sizeBytes: hashing.bytes };
  }

  async hashStaged(stagingKey: string): Promise<{ sha256: string; sizeBytes: bigint } | null> {
    const hashing = new HashingStream();
    try {
      await pipeline(createReadStream(this.stagingPath(stagingKey)), hashing, async function* (source) {
        for await (const _ of source);
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    return { sha256: hashing.digest(), sizeBytes: hashing.bytes };
  }

  async promote(stagingKey: string, key: string): Promise<void> {
    const target = this.objectPath(key);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: PRIVATE_DIR_MODE });
    // rename is atomic: readers see the old complete file or the new complete file, never a partial one.
    await fs.rename(this.stagingPath(stagingKey), target);
  }

  async discardStaged(stagingKey: string): Promise<void> {
    await fs.rm(this.stagingPath(stagingKey), { force: true });
  }

  async listStaged(): Promise<{ stagingKey: string; modifiedAt: Date }[]> {
    const names = await fs.readdir(this.staging).catch(() => [] as string[]);
    const out: { stagingKey: string; modifiedAt: Date }[] = [];
    for (const name of names) {
      const stat = await fs.stat(path.join(this.staging, name)).catch(() => null);
      if (stat) out.push({ stagingKey: name, modifiedAt: stat.mtime });
    }
    return out;
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.objectPath(key)).then(
      () => true,
      () => false,
    );
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.objectPath(key);
    const handle = await fs.open(file, "r"); // fails now (not mid-stream) if the object is missing
    return createReadStream("", { fd: handle, start: range?.start, end: range?.end, highWaterMark: 1 << 20 });
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.objectPath(key), { force: true });
  }
}

export const newAttemptId = () => randomUUID().replaceAll("-", "").slice(0, 16);
