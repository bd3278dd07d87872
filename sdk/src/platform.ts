// What differs between runtimes, behind one small interface: how to hash, where upload bytes come from, where
// download bytes go, and which WebSocket to use. The portable implementation (this file) uses only web APIs
// (Blob, ReadableStream, WritableStream); node/platform.ts adds files, Node streams and node:crypto.
import { createSha256, type HasherFactory } from "./sha256.ts";

/** Bytes to upload, readable once or (files, blobs) as often as needed and in ranges. */
export interface ByteSource {
  /** Size in bytes, when known up front. */
  readonly size: number | undefined;
  /** A file name to default the resource name to (a File's or a path's base name). */
  readonly name: string | undefined;
  /** A MIME type to default the content type to (a Blob's `type`). */
  readonly contentType: string | undefined;
  /** Whether {@link ByteSource.stream} may be called more than once (two passes, retries, presigned parts). */
  readonly rereadable: boolean;
  /** The bytes from `start` (inclusive) to `end` (exclusive), default all. One call only unless rereadable. */
  stream(start?: number, end?: number): ReadableStream<Uint8Array>;
  /** The bytes of a range as a Blob, for requests that must announce their length (presigned PUTs). */
  blob?(start: number, end: number): Promise<Blob>;
  /** Releases what the source holds (e.g. a spooled temporary file). */
  dispose?(): Promise<void>;
}

/** Where downloaded bytes go. Nothing is final until {@link ByteSink.commit}. */
export interface ByteSink {
  /** Writes the next chunk (waits for back-pressure). */
  write(chunk: Uint8Array): Promise<void>;
  /** The bytes were verified: make them visible (close the stream, rename the temporary file). */
  commit(): Promise<{ path?: string }>;
  /** Verification or transfer failed: discard what was written. */
  abort(reason: unknown): Promise<void>;
}

/** The runtime-specific parts of a client. */
export interface Platform<Source, Destination> {
  /** The fastest incremental sha256 available. */
  readonly createHasher: HasherFactory;
  /** The WebSocket implementation for subscriptions when the client options give none. */
  readonly webSocketImpl: unknown;
  /** Opens what the caller passed to `uploadArtifact`. */
  openSource(source: Source): Promise<ByteSource>;
  /**
   * Stores a read-once stream so it can be read twice (hash first, then upload), hashing it on the way;
   * `onBytes` reports progress. Node spools to a temporary file; browsers to a Blob.
   */
  spool(source: ByteSource, onBytes: (bytes: number) => void, signal?: AbortSignal): Promise<ByteSource & { sha256: string; size: number }>;
  /** Opens what the caller passed to `downloadArtifact`; `fileName` is the resource's name (for directories). */
  openDestination(destination: Destination, fileName: string): Promise<ByteSink>;
}

/** What the portable client uploads: a Blob or File, bytes, a web ReadableStream or any async iterable of bytes. */
export type UploadSource = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Where the portable client downloads to: a web WritableStream (e.g. from the File System Access API). */
export type DownloadDestination = WritableStream<Uint8Array>;

/** A source over a Blob (or File): rereadable, sliceable, of known size. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    name: typeof (blob as { name?: unknown }).name === "string" ? (blob as File).name : undefined,
    contentType: blob.type || undefined,
    rereadable: true,
    stream: (start = 0, end = blob.size) => blob.slice(start, end).stream() as ReadableStream<Uint8Array>,
    blob: async (start, end) => blob.slice(start, end),
  };
}

/** A read-once source over a stream or async iterable of bytes. */
export function streamSource(stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, size?: number): ByteSource {
  let used = false;
  return {
    size,
    name: undefined,
    contentType: undefined,
    rereadable: false,
    stream(start = 0, end) {
      if (used) throw new Error("this upload source is a stream and can only be read once");
      if (start !== 0 || (end !== undefined && end !== size)) throw new Error("a stream source cannot be read in ranges");
      used = true;
      return toReadableStream(stream);
    },
  };
}

/** Adapts an async iterable of bytes (e.g. a Node Readable) to a web ReadableStream. */
export function toReadableStream(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  if (typeof (source as ReadableStream).getReader === "function") return source as ReadableStream<Uint8Array>;
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBufferLike));
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/** Opens the portable upload sources. */
export async function openPortableSource(source: UploadSource): Promise<ByteSource> {
  if (typeof Blob !== "undefined" && source instanceof Blob) return blobSource(source);
  if (source instanceof Uint8Array) return blobSource(new Blob([source as Uint8Array<ArrayBuffer>]));
  if (source instanceof ArrayBuffer) return blobSource(new Blob([source]));
  if (source && (typeof (source as ReadableStream).getReader === "function" || Symbol.asyncIterator in (source as object))) {
    return streamSource(source as ReadableStream<Uint8Array>);
  }
  throw new TypeError("uploadArtifact: expected a Blob, File, Uint8Array, ArrayBuffer, ReadableStream or async iterable of bytes");
}

/** A sink over a web WritableStream: aborting it on failure tells the consumer the bytes are not valid. */
export function writableStreamSink(stream: WritableStream<Uint8Array>): ByteSink {
  const writer = stream.getWriter();
  return {
    async write(chunk) {
      await writer.ready;
      await writer.write(chunk);
    },
    async commit() {
      await writer.close();
      return {};
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => {});
    },
  };
}

/** The portable platform: web APIs only (browsers, Deno, Bun, Node ≥ 22 with a global WebSocket). */
export const portablePlatform: Platform<UploadSource, DownloadDestination> = {
  createHasher: createSha256,
  webSocketImpl: (globalThis as { WebSocket?: unknown }).WebSocket,
  openSource: openPortableSource,
  async spool(source, onBytes, signal) {
    // A Blob assembled from the chunks: browsers page large Blobs to disk.
    const hasher = createSha256();
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    const reader = source.stream().getReader();
    for (;;) {
      signal?.throwIfAborted();
      const { value, done } = await reader.read();
      if (done) break;
      hasher.update(value);
      chunks.push(value as Uint8Array<ArrayBuffer>);
      size += value.length;
      onBytes(size);
    }
    return { ...blobSource(new Blob(chunks)), name: source.name, contentType: source.contentType, sha256: hasher.digest(), size };
  },
  async openDestination(destination) {
    if (!destination || typeof (destination as WritableStream).getWriter !== "function") {
      throw new TypeError("downloadArtifact: expected a WritableStream<Uint8Array>");
    }
    return writableStreamSink(destination);
  },
};
