// The Node platform: sha256 from node:crypto, artifacts from file paths and Node streams, downloads written to a
// temporary file renamed into place only once verified, and `ws` for subscriptions. Node-only imports live here
// (and in the CLI), never in the portable modules.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type WebSocketType from "ws";
import { safeFileName } from "../artifacts.ts";
import { openPortableSource, streamSource, writableStreamSink, type ByteSink, type ByteSource, type Platform, type UploadSource } from "../platform.ts";
import type { Hasher } from "../sha256.ts";

/** What the Node client uploads: a file path or `file:` URL, a Node Readable, or any portable source. */
export type NodeUploadSource = string | URL | Readable | UploadSource;

/**
 * Where the Node client downloads to: a file path (a directory gets the resource's name), a Node Writable, or a web
 * WritableStream. A path is written to a temporary file next to it and renamed only once the sha256 matched.
 */
export type NodeDownloadDestination = string | Writable | WritableStream<Uint8Array>;

/** sha256 from node:crypto (native, several hundred MB/s). */
export function createNodeSha256(): Hasher {
  const hash = createHash("sha256");
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => hash.digest("hex"),
  };
}

const READ_CHUNK = 1024 * 1024;

/** A rereadable source over a file: size from stat, ranges read with positional streams. */
export async function fileSource(filePath: string, dispose?: () => Promise<void>): Promise<ByteSource> {
  const stat = await fsp.stat(filePath);
  if (!stat.isFile()) throw new TypeError(`${filePath} is not a file`);
  return {
    size: stat.size,
    name: path.basename(filePath),
    contentType: undefined,
    rereadable: true,
    stream(start = 0, end = stat.size) {
      if (end <= start) return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      const stream = fs.createReadStream(filePath, { start, end: end - 1, highWaterMark: READ_CHUNK });
      return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
    },
    async blob(start, end) {
      return (await fs.openAsBlob(filePath)).slice(start, end);
    },
    dispose,
  };
}

function isNodeReadable(value: unknown): value is Readable {
  return value instanceof Readable || (typeof value === "object" && value !== null && typeof (value as Readable).pipe === "function" && typeof (value as Readable).read === "function");
}

function isNodeWritable(value: unknown): value is Writable {
  return value instanceof Writable || (typeof value === "object" && value !== null && typeof (value as Writable).write === "function" && typeof (value as Writable).end === "function");
}

function temporaryPath(dir: string, base: string): string {
  return path.join(dir, `.${base}.${randomBytes(6).toString("hex")}.part`);
}

/** A sink that writes a temporary file and renames it to `target` on commit, or deletes it on abort. */
async function fileSink(target: string): Promise<ByteSink> {
  const temporary = temporaryPath(path.dirname(target), path.basename(target));
  const handle = await fsp.open(temporary, "wx");
  return {
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
    },
    async commit() {
      await handle.sync();
      await handle.close();
      await fsp.rename(temporary, target);
      return { path: target };
    },
    async abort() {
      await handle.close().catch(() => {});
      await fsp.rm(temporary, { force: true });
    },
  };
}

/** `dir/<name>`, refusing anything that would resolve outside `dir` (the name is sanitised first). */
export function fileInDirectory(dir: string, fileName: string): string {
  const root = path.resolve(dir);
  const target = path.resolve(root, safeFileName(fileName));
  if (path.dirname(target) !== root) throw new TypeError(`refusing to write ${JSON.stringify(fileName)} outside ${root}`);
  return target;
}

/** A sink over a Node Writable (back-pressure respected; destroyed on abort). */
function writableSink(stream: Writable): ByteSink {
  return {
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (stream.write(chunk, (error) => error && reject(error))) resolve();
        else stream.once("drain", resolve);
      }),
    commit: () => new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve({})))),
    async abort(reason) {
      stream.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    },
  };
}

const require = createRequire(import.meta.url);
let wsClass: typeof WebSocketType | undefined;

/**
 * `ws`, loaded on the first socket: its modules (and http, https, tls, zlib) cost a one-query CLI command ~35 ms
 * at start for nothing. A constructor returning the real `ws` instance, with the readyState constants graphql-ws
 * compares against.
 */
class LazyWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  constructor(...args: ConstructorParameters<typeof WebSocketType>) {
    wsClass ??= require("ws") as typeof WebSocketType;
    return new wsClass(...args);
  }
}

/** The Node platform. */
export const nodePlatform: Platform<NodeUploadSource, NodeDownloadDestination> = {
  createHasher: createNodeSha256,
  webSocketImpl: (globalThis as { WebSocket?: unknown }).WebSocket ?? LazyWebSocket,
  async openSource(source) {
    if (typeof source === "string") return fileSource(source);
    if (source instanceof URL) return fileSource(fileURLToPath(source));
    if (isNodeReadable(source)) return streamSource(source as AsyncIterable<Uint8Array>);
    return openPortableSource(source);
  },
  async spool(source, onBytes, signal) {
    // A read-once stream goes to a temporary file (hashed on the way): memory stays flat whatever its size.
    const temporary = temporaryPath(os.tmpdir(), "modelgraph-upload");
    const hasher = createNodeSha256();
    let size = 0;
    const handle = await fsp.open(temporary, "wx", 0o600);
    try {
      const reader = source.stream().getReader();
      for (;;) {
        signal?.throwIfAborted();
        const { value, done } = await reader.read();
        if (done) break;
        hasher.update(value);
        let offset = 0;
        while (offset < value.length) offset += (await handle.write(value, offset, value.length - offset)).bytesWritten;
        size += value.length;
        onBytes(size);
      }
    } catch (error) {
      await handle.close().catch(() => {});
      await fsp.rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    const spooled = await fileSource(temporary, () => fsp.rm(temporary, { force: true }));
    return { ...spooled, name: source.name, contentType: source.contentType, sha256: hasher.digest(), size };
  },
  async openDestination(destination, fileName) {
    if (typeof destination === "string") {
      const stat = await fsp.stat(destination).catch(() => null);
      return fileSink(stat?.isDirectory() ? fileInDirectory(destination, fileName) : destination);
    }
    if (isNodeWritable(destination)) return writableSink(destination);
    return writableStreamSink(destination as WritableStream<Uint8Array>);
  },
};
