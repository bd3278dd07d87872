// Artifact transfer with web APIs only (fetch, streams), shared by every platform:
// - upload: know the sha256 and size first (hash a rereadable source in a first pass, spool a read-once stream),
//   declare the resource, then stream the bytes to the server's uploadUrl while hashing them again (a source
//   that changed meanwhile is caught before the request completes), or PUT them to presigned object-storage URLs;
// - download: stream from downloadUrl into a sink, hashing on the way; the sink is committed only if the sha256
//   and size match the resource's.
import type {
  CompleteResourceUploadMutation,
  CreateResourceUploadInput,
  CreateResourceUploadMutation,
  ResourceFieldsFragment,
  ResourceFormat,
} from "./generated/graphql.ts";
import { ArtifactIntegrityError, ArtifactNotReadyError, AuthenticationError, ModelgraphError, NetworkError, ServerError } from "./errors.ts";
import type { ByteSink, ByteSource, Platform } from "./platform.ts";
import { unwrap } from "./results.ts";
import { authorizationHeader, backoff, describeFetchFailure, retryAfterSeconds, sleep, type TokenSource } from "./transport.ts";

/** Progress of an artifact transfer, reported as bytes move. */
export interface TransferProgress {
  /** `hashing`: first pass over a source whose sha256 was not given; `uploading` / `downloading`: the transfer. */
  readonly phase: "hashing" | "uploading" | "downloading";
  /** Bytes done in this phase. */
  readonly bytes: number;
  /** Bytes in this phase, when known. */
  readonly totalBytes: number | undefined;
}

/** Options of `uploadArtifact`. */
export interface UploadArtifactOptions {
  /** The project that owns the artifact (global id). */
  projectId: string;
  /** The resource's file name; defaults to the File's or path's name. */
  name?: string;
  /** Exact size in bytes, if known (required with `sha256` to skip the hashing pass of a stream). */
  sizeBytes?: number | bigint | string;
  /** Hex sha256 of the bytes, if known: saves the hashing pass. The bytes are hashed again as they are sent. */
  sha256?: string;
  /** MIME type (default: the Blob's type, else application/octet-stream). */
  contentType?: string;
  /** Serialization format (default OTHER). */
  format?: ResourceFormat;
  /** The training run that produced it (global id, same project). */
  iterationId?: string;
  /** Called as bytes are hashed and sent. */
  onProgress?: (progress: TransferProgress) => void;
  /** Aborts the transfer (the resource stays PENDING and is cleaned up by the server later). */
  signal?: AbortSignal;
  /**
   * `server`: stream through the server's `uploadUrl` (every backend); `presigned`: PUT straight to object storage
   * (S3 backend; needs a rereadable source); `auto` (default): presigned when offered and possible, else server.
   */
  via?: "auto" | "server" | "presigned";
  /** Retries of a transfer broken by the network (rereadable sources only). Default 2. */
  retries?: number;
  /** Parallel part uploads for presigned multipart uploads. Default 4. */
  concurrency?: number;
}

/** A resource to download: its global id, or an object with at least `id` (e.g. `version.resource`). */
export type ResourceRef = string | { readonly id: string; readonly sha256?: string; readonly sizeBytes?: string | number; readonly downloadUrl?: string | null; readonly status?: string; readonly name?: string };

/** Options of `downloadArtifact`. */
export interface DownloadArtifactOptions {
  /** Called as bytes arrive. */
  onProgress?: (progress: TransferProgress) => void;
  /** Aborts the download (nothing is left at a destination path). */
  signal?: AbortSignal;
}

/** A verified download. */
export interface DownloadResult {
  /** The resource, as read before the download. */
  readonly resource: ResourceFieldsFragment;
  /** The sha256 of the bytes received (equal to the resource's). */
  readonly sha256: string;
  /** Bytes received. */
  readonly sizeBytes: number;
  /** Where the file was written, when the destination was a path. */
  readonly path?: string;
}

/** What artifact transfer needs from the client. */
export interface ArtifactContext {
  /** The GraphQL endpoint: artifact URLs on its origin get the bearer token, others (presigned) do not. */
  readonly endpoint: string;
  /** The client's token. */
  readonly token: TokenSource;
  /** The fetch implementation. */
  readonly fetch: typeof globalThis.fetch;
  /** Hashing and spooling of the platform. */
  readonly platform: Pick<Platform<unknown, unknown>, "createHasher" | "spool">;
  /** Declares the resource. */
  createResourceUpload(input: CreateResourceUploadInput, signal?: AbortSignal): Promise<CreateResourceUploadMutation["createResourceUpload"]>;
  /** Completes a presigned upload. */
  completeResourceUpload(resourceId: string, signal?: AbortSignal): Promise<CompleteResourceUploadMutation["completeResourceUpload"]>;
  /** Reads a resource (status, sha256, downloadUrl). */
  resourceById(id: string, signal?: AbortSignal): Promise<ResourceFieldsFragment | null>;
}

let requestStreamsSupported: boolean | undefined;

/** Whether this runtime's fetch can send a ReadableStream body (Node and Chromium can; others buffer a Blob). */
export function supportsRequestStreams(): boolean {
  if (requestStreamsSupported === undefined) {
    try {
      let duplexAccessed = false;
      const request = new Request("http://localhost/", {
        body: new ReadableStream(),
        method: "POST",
        get duplex() {
          duplexAccessed = true;
          return "half";
        },
      } as RequestInit);
      requestStreamsSupported = duplexAccessed && !request.headers.has("content-type");
    } catch {
      requestStreamsSupported = false;
    }
  }
  return requestStreamsSupported;
}

/** Whether a URL is this server's (gets the bearer token) rather than object storage's (carries a signature). */
function isServerUrl(ctx: ArtifactContext, url: string): boolean {
  return new URL(url).origin === new URL(ctx.endpoint).origin;
}

async function authHeaders(ctx: ArtifactContext, url: string): Promise<Record<string, string>> {
  return isServerUrl(ctx, url) ? { authorization: await authorizationHeader(ctx.token) } : {};
}

/** Reads a whole source once, hashing it: the first pass for a rereadable source of unknown sha256. */
async function hashSource(ctx: ArtifactContext, source: ByteSource, onBytes: (n: number) => void, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hasher = ctx.platform.createHasher();
  let size = 0;
  const reader = source.stream().getReader();
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { value, done } = await reader.read();
      if (done) break;
      hasher.update(value);
      size += value.length;
      onBytes(size);
    }
  } finally {
    reader.releaseLock();
  }
  return { sha256: hasher.digest(), size };
}

function parseSize(value: number | bigint | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`sizeBytes must be a non-negative integer, got ${String(value)}`);
  return n;
}

/** The error of an artifact route's JSON body (`{ error: { type, message } }`), as the SDK's error classes. */
async function artifactRouteError(response: Response, url: string, declared?: { sha256: string }): Promise<Error> {
  const text = await response.text().catch(() => "");
  let body: { error?: { type?: string; message?: string } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const message = body?.error?.message ?? `HTTP ${response.status}`;
  switch (response.status) {
    case 401:
    case 429:
      return new AuthenticationError(message, url, {
        status: response.status,
        reason: response.status === 429 ? "rate_limited" : "unauthenticated",
        retryAfterSeconds: response.status === 429 ? retryAfterSeconds(response.headers.get("retry-after")) : undefined,
      });
    case 404:
      return new ModelgraphError({ __typename: "NotFoundError", message, kind: "Resource", ref: url });
    case 403:
      return isObjectStorageDenial(body) ? new ServerError(`object storage refused the request: ${message}`, url, { status: 403, body: text.slice(0, 500) }) : new ModelgraphError({ __typename: "ForbiddenError", message, requiredRole: null });
    case 422:
      return new ModelgraphError({ __typename: "ChecksumMismatchError", message, expected: declared?.sha256 ?? "", actual: "" });
    case 400:
      return new ModelgraphError({ __typename: "ValidationError", message, issues: [{ path: ["resourceId"], message }] });
    default:
      return new ServerError(`${url} answered HTTP ${response.status}: ${message}`, url, { status: response.status, body: text.slice(0, 500) });
  }
}

function isObjectStorageDenial(body: { error?: { type?: string } } | undefined): boolean {
  return !body?.error?.type;
}

/**
 * A stream of `source` that hashes and counts what is read from it; when it ends with a different sha256 or
 * size than declared, it errors instead of closing, so the request fails before the server accepts the bytes.
 */
function verifyingStream(
  ctx: ArtifactContext,
  source: ReadableStream<Uint8Array>,
  declared: { sha256: string; size: number },
  onBytes: (n: number) => void,
  onMismatch: (error: ArtifactIntegrityError) => void,
): ReadableStream<Uint8Array> {
  const hasher = ctx.platform.createHasher();
  let sent = 0;
  return source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hasher.update(chunk);
        sent += chunk.length;
        onBytes(sent);
        controller.enqueue(chunk);
      },
      flush() {
        const sha256 = hasher.digest();
        if (sha256 !== declared.sha256 || sent !== declared.size) {
          const error = new ArtifactIntegrityError("the bytes read from the upload source do not match the declared sha256 and size (a wrong sha256, or the source changed)", declared, { sha256, size: sent });
          onMismatch(error);
          throw error;
        }
      },
    }),
  );
}

/** Sends the bytes to the server's streaming PUT route; resolves when the server verified them. */
async function putThroughServer(
  ctx: ArtifactContext,
  url: string,
  source: ByteSource,
  declared: { sha256: string; size: number },
  onBytes: (n: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let mismatch: ArtifactIntegrityError | undefined;
  const headers = { "content-type": "application/octet-stream", ...(await authHeaders(ctx, url)) };
  let init: RequestInit;
  if (supportsRequestStreams()) {
    const body = verifyingStream(ctx, source.stream(), declared, onBytes, (e) => (mismatch = e));
    init = { method: "PUT", body, headers, signal, duplex: "half" } as RequestInit;
  } else {
    // Browsers without streaming uploads send a Blob: progress jumps at the end, the server still verifies.
    init = { method: "PUT", body: await source.blob!(0, declared.size), headers, signal };
  }
  let response: Response;
  try {
    response = await ctx.fetch(url, init);
  } catch (error) {
    if (mismatch) throw mismatch;
    if (signal?.aborted) throw signal.reason;
    throw new NetworkError(`upload to ${url} failed: ${describeFetchFailure(error)}`, url, { cause: error });
  }
  if (!supportsRequestStreams()) onBytes(declared.size);
  if (!response.ok) throw await artifactRouteError(response, url, declared);
  await response.body?.cancel().catch(() => {});
}

/** PUTs one presigned range (a Blob, so the request announces its length as object storage requires). */
async function putPresigned(ctx: ArtifactContext, url: string, source: ByteSource, start: number, end: number, signal: AbortSignal | undefined): Promise<void> {
  let response: Response;
  try {
    response = await ctx.fetch(url, { method: "PUT", body: await source.blob!(start, end), signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new NetworkError(`upload to object storage failed: ${describeFetchFailure(error)}`, url, { cause: error });
  }
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    throw new ServerError(`object storage answered HTTP ${response.status} to a presigned upload`, url, { status: response.status, body: text.slice(0, 500) });
  }
  await response.body?.cancel().catch(() => {});
}

/** Runs `task` with retries on network errors. */
async function withRetries<T>(retries: number, signal: AbortSignal | undefined, task: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= retries || signal?.aborted) throw error;
      await sleep(backoff(attempt, 5_000), signal);
    }
  }
}

/**
 * Uploads an artifact: declares it (`createResourceUpload`), sends the bytes, and returns the READY resource.
 * See {@link UploadArtifactOptions}. Expected failures (no such project, no permission, checksum mismatch)
 * throw {@link ModelgraphError}; a source that changed during the upload throws {@link ArtifactIntegrityError}.
 */
export async function uploadArtifact(ctx: ArtifactContext, opened: ByteSource, options: UploadArtifactOptions): Promise<ResourceFieldsFragment> {
  const { signal } = options;
  const report = (phase: TransferProgress["phase"], totalBytes: number | undefined) => (bytes: number) =>
    options.onProgress?.({ phase, bytes, totalBytes });
  let source = opened;
  let spooled: (ByteSource & { sha256: string; size: number }) | undefined;
  try {
    let size = parseSize(options.sizeBytes) ?? source.size;
    let sha256 = options.sha256?.toLowerCase();
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError("sha256 must be 64 hexadecimal characters");
    const needsBlob = !supportsRequestStreams() && !source.blob;
    if (sha256 === undefined || size === undefined || (!source.rereadable && needsBlob)) {
      if (source.rereadable) {
        ({ sha256, size } = await hashSource(ctx, source, report("hashing", size), signal));
      } else {
        spooled = await ctx.platform.spool(source, report("hashing", size), signal);
        if (sha256 !== undefined && spooled.sha256 !== sha256) {
          throw new ArtifactIntegrityError("the upload source does not match the given sha256", { sha256, size }, { sha256: spooled.sha256, size: spooled.size });
        }
        source = spooled;
        ({ sha256, size } = spooled);
      }
    }
    const declared = { sha256, size };
    const name = options.name ?? source.name;
    if (!name) throw new TypeError("uploadArtifact: give options.name (the source has no file name)");
    const created = unwrap(
      await ctx.createResourceUpload(
        {
          projectId: options.projectId,
          name,
          sizeBytes: String(size),
          sha256,
          contentType: options.contentType ?? source.contentType,
          format: options.format,
          iterationId: options.iterationId,
        },
        signal,
      ),
      "createResourceUpload",
    );
    const resourceId = created.resource.id;
    const retries = source.rereadable ? (options.retries ?? 2) : 0;
    const presigned = created.presignedUpload;
    const canPresign = presigned && source.rereadable && source.blob !== undefined;
    if (options.via === "presigned" && !canPresign) {
      throw new TypeError(presigned ? "presigned uploads need a rereadable source (a file or Blob)" : "the server offers no presigned upload (filesystem storage): use via 'server'");
    }
    if (canPresign && options.via !== "server") {
      const progress = report("uploading", size);
      if (presigned.url) {
        await withRetries(retries, signal, () => putPresigned(ctx, presigned.url!, source, 0, size, signal));
        progress(size);
      } else {
        const partSize = presigned.partSize ?? size;
        let done = 0;
        const queue = [...presigned.parts];
        const worker = async () => {
          for (let part = queue.shift(); part; part = queue.shift()) {
            const start = (part.partNumber - 1) * partSize;
            const end = Math.min(start + partSize, size);
            await withRetries(retries, signal, () => putPresigned(ctx, part.url, source, start, end, signal));
            done += end - start;
            progress(done);
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, queue.length)) }, worker));
      }
      return unwrap(await ctx.completeResourceUpload(resourceId, signal), "completeResourceUpload").resource;
    }
    await withRetries(retries, signal, async (attempt) => {
      if (attempt > 0) {
        // The previous attempt may have completed on the server with its answer lost.
        const current = await ctx.resourceById(resourceId, signal);
        if (current?.status === "READY") return;
      }
      await putThroughServer(ctx, created.uploadUrl, source, declared, report("uploading", size), signal);
    });
    const resource = await ctx.resourceById(resourceId, signal);
    if (!resource) throw ModelgraphError.notFound("Resource", resourceId, "uploadArtifact");
    return resource;
  } finally {
    await spooled?.dispose?.();
    await opened.dispose?.();
  }
}

/** Windows device names: a file called `CON` or `nul.txt` is not a file there. */
const RESERVED_FILE_NAME = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i;
/** Characters no common file system takes in a name (Windows' set, which includes POSIX's '/'), and controls. */
const UNSAFE_FILE_NAME_CHARS = /[\u0000-\u001f\u007f<>:"/\\|?*]/g;
/** Bytes most file systems allow in one name. */
const MAX_FILE_NAME_BYTES = 255;

/**
 * A resource's name made safe to use as a file name in a directory: its last path segment only (`../x` → `x`,
 * `/etc/passwd` → `passwd`), separators, NUL and other unsafe characters replaced by `_`, trailing dots and spaces
 * trimmed, Windows device names prefixed with `_`, at most 255 UTF-8 bytes; `artifact` when nothing usable is
 * left (`..`, `.`). Names are chosen by whoever uploaded the artifact, so they are never trusted as paths.
 */
export function safeFileName(name: string): string {
  // Trailing dots and spaces go (Windows drops them), which also turns `.` and `..` into nothing.
  let base = (name.split(/[/\\]/).pop() ?? "").replace(UNSAFE_FILE_NAME_CHARS, "_").replace(/[. ]+$/, "");
  if (RESERVED_FILE_NAME.test(base)) base = `_${base}`;
  while (new TextEncoder().encode(base).length > MAX_FILE_NAME_BYTES) base = Array.from(base).slice(0, -1).join("");
  return base === "" ? "artifact" : base;
}

/**
 * Downloads an artifact into `sink`, verifying its sha256 and size; the sink is committed only when they match
 * (else aborted, and {@link ArtifactIntegrityError} is thrown). Presigned URLs that expired are refreshed once.
 */
export async function downloadArtifact(ctx: ArtifactContext, ref: ResourceRef, openSink: (fileName: string) => Promise<ByteSink>, options: DownloadArtifactOptions = {}): Promise<DownloadResult> {
  const { signal } = options;
  const id = typeof ref === "string" ? ref : ref.id;
  const load = async () => {
    const resource = await ctx.resourceById(id, signal);
    if (!resource) throw ModelgraphError.notFound("Resource", id, "downloadArtifact");
    return resource;
  };
  let resource = await load();
  if (resource.status !== "READY" || !resource.downloadUrl) throw new ArtifactNotReadyError(id, resource.status);
  const expected = { sha256: resource.sha256, size: Number(resource.sizeBytes) };

  let response: Response | undefined;
  for (let attempt = 0; !response; attempt++) {
    const url: string = resource.downloadUrl!;
    let candidate: Response;
    try {
      candidate = await ctx.fetch(url, { headers: await authHeaders(ctx, url), signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (attempt < 2) {
        await sleep(backoff(attempt), signal);
        continue;
      }
      throw new NetworkError(`download from ${url} failed: ${describeFetchFailure(error)}`, url, { cause: error });
    }
    if (candidate.ok) {
      response = candidate;
    } else if (attempt === 0 && !isServerUrl(ctx, url) && (candidate.status === 403 || candidate.status === 400)) {
      // An expired presigned URL: read the resource again for a fresh one.
      await candidate.body?.cancel().catch(() => {});
      resource = await load();
    } else {
      throw await artifactRouteError(candidate, url);
    }
  }

  const sink = await openSink(safeFileName(resource.name));
  const hasher = ctx.platform.createHasher();
  let received = 0;
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      hasher.update(value);
      received += value.length;
      await sink.write(value);
      options.onProgress?.({ phase: "downloading", bytes: received, totalBytes: expected.size });
    }
  } catch (error) {
    await sink.abort(error);
    if (signal?.aborted) throw signal.reason;
    throw error instanceof Error && error.name === "AbortError" ? error : new NetworkError(`download of ${id} broke after ${received} bytes: ${describeFetchFailure(error)}`, resource.downloadUrl!, { cause: error });
  }
  const sha256 = hasher.digest();
  if (sha256 !== expected.sha256 || received !== expected.size) {
    const error = new ArtifactIntegrityError(`download of ${resource.name} (${id})`, expected, { sha256, size: received });
    await sink.abort(error);
    throw error;
  }
  const { path } = await sink.commit();
  return { resource, sha256, sizeBytes: received, ...(path ? { path } : {}) };
}
