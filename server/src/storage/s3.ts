import { PassThrough, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as Minio from "minio";
import { contentDisposition, servableContentType } from "../domain/media.ts";
import { HashingStream } from "./hashing.ts";
import type { ArtifactStore, PresignedUpload, StagedItem, StagedUpload } from "./store.ts";

export interface S3Options {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** Parts of multipart uploads (client-side buffering of the minio client and presigned part size). */
export const S3_PART_SIZE = 16 * 1024 * 1024;
const STAGING_PREFIX = "staging/";

/**
 * Artifacts in an S3-compatible bucket (MinIO, AWS S3), through the minio client. Uploads land under
 * `staging/`, are verified, then copied to their content key under `objects/`.
 */
export class S3Store implements ArtifactStore {
  readonly kind = "s3" as const;
  readonly client: Minio.Client;
  readonly bucket: string;
  private readonly region: string;

  constructor(options: S3Options) {
    const url = new URL(options.endpoint);
    this.client = new Minio.Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === "https:",
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
      partSize: S3_PART_SIZE,
    });
    this.bucket = options.bucket;
    this.region = options.region;
  }

  private object(key: string): string {
    return `objects/${key}`;
  }

  private staged(stagingKey: string): string {
    return `${STAGING_PREFIX}${stagingKey}`;
  }

  async init(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (error) {
        // Another replica created it meanwhile.
        if (!(await this.client.bucketExists(this.bucket))) throw error;
      }
    }
  }

  async ping(): Promise<void> {
    await this.client.bucketExists(this.bucket);
  }

  async stage(stagingKey: string, body: Readable, maxBytes: bigint): Promise<StagedUpload> {
    // body → hashing → feed → minio. minio's multipart path pipes `feed` on without listening for its
    // errors, and its 0-byte path never reads it: a failing source (client gone, more bytes than declared)
    // must not error `feed` (an unhandled 'error' kills the process, and the upload would never settle).
    // The failure is kept here instead, `feed` is ended so minio settles, and the staged object is discarded.
    const hashing = new HashingStream(maxBytes);
    const feed = new PassThrough({ highWaterMark: 1 << 20 });
    const received = pipeline(
      body,
      hashing,
      new Writable({
        write: (chunk: Buffer, _encoding, callback) => (feed.write(chunk) ? callback() : feed.once("drain", () => callback())),
        final: (callback) => {
          feed.end();
          callback();
        },
      }),
    ).catch((error: unknown) => {
      feed.end();
      throw error;
    });
    const uploaded = this.client.putObject(this.bucket, this.staged(stagingKey), feed, Number(maxBytes)).catch((error: unknown) => {
      hashing.destroy(error as Error); // stop receiving: nobody reads `feed` any more
      throw error;
    });
    const [receiving, uploading] = await Promise.allSettled([received, uploaded]);
    if (receiving.status === "rejected" || uploading.status === "rejected") {
      // A multipart upload minio could not complete (e.g. no part arrived) would otherwise stay open.
      if (uploading.status === "rejected") await this.client.removeIncompleteUpload(this.bucket, this.staged(stagingKey)).catch(() => {});
      await this.discardStaged(stagingKey);
      throw receiving.status === "rejected" ? receiving.reason : (uploading as PromiseRejectedResult).reason;
    }
    return { stagingKey, sha256: hashing.digest(), sizeBytes: hashing.bytes };
  }

  async hashStaged(stagingKey: string): Promise<{ sha256: string; sizeBytes: bigint } | null> {
    let stream: Readable;
    try {
      stream = await this.client.getObject(this.bucket, this.staged(stagingKey));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    const hashing = new HashingStream();
    for await (const chunk of stream.pipe(hashing)) void chunk;
    return { sha256: hashing.digest(), sizeBytes: hashing.bytes };
  }

  async promote(stagingKey: string, key: string): Promise<void> {
    // composeObject copies server-side, in parts when the object is larger than a single copy allows.
    await this.client.composeObject(
      new Minio.CopyDestinationOptions({ Bucket: this.bucket, Object: this.object(key) }),
      [new Minio.CopySourceOptions({ Bucket: this.bucket, Object: this.staged(stagingKey) })],
    );
    await this.discardStaged(stagingKey);
  }

  async discardStaged(stagingKey: string, uploadId?: string): Promise<void> {
    if (uploadId) {
      await this.client.abortMultipartUpload(this.bucket, this.staged(stagingKey), uploadId).catch(() => {});
      return;
    }
    await this.client.removeObject(this.bucket, this.staged(stagingKey)).catch(() => {});
  }

  async listStaged(): Promise<StagedItem[]> {
    const out: StagedItem[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, STAGING_PREFIX, true)) {
      const entry = item as { name?: string; lastModified?: Date };
      if (entry.name) out.push({ stagingKey: entry.name.slice(STAGING_PREFIX.length), modifiedAt: entry.lastModified ?? new Date(0) });
    }
    for await (const item of this.client.listIncompleteUploads(this.bucket, STAGING_PREFIX, true)) {
      const upload = item as { key?: string; uploadId?: string; initiated?: Date };
      if (upload.key?.startsWith(STAGING_PREFIX) && upload.uploadId) {
        out.push({ stagingKey: upload.key.slice(STAGING_PREFIX.length), modifiedAt: upload.initiated ?? new Date(0), uploadId: upload.uploadId });
      }
    }
    return out;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, this.object(key));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    if (!range) return this.client.getObject(this.bucket, this.object(key));
    return this.client.getPartialObject(this.bucket, this.object(key), range.start, range.end - range.start + 1);
  }

  async delete(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, this.object(key));
  }

  async presignUpload(stagingKey: string, sizeBytes: bigint, expirySeconds: number): Promise<PresignedUpload> {
    const expiresAt = new Date(Date.now() + expirySeconds * 1000);
    const object = this.staged(stagingKey);
    if (sizeBytes <= BigInt(S3_PART_SIZE)) {
      const url = await this.client.presignedPutObject(this.bucket, object, expirySeconds);
      return { url, uploadId: null, partSize: null, parts: [], expiresAt };
    }
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, object, {});
    const count = Number((sizeBytes + BigInt(S3_PART_SIZE) - 1n) / BigInt(S3_PART_SIZE));
    const parts = [];
    for (let partNumber = 1; partNumber <= count; partNumber++) {
      const url = await this.client.presignedUrl("PUT", this.bucket, object, expirySeconds, {
        partNumber: String(partNumber),
        uploadId,
      });
      parts.push({ partNumber, url });
    }
    return { url: null, uploadId, partSize: S3_PART_SIZE, parts, expiresAt };
  }

  async completeMultipart(stagingKey: string, uploadId: string): Promise<void> {
    const object = this.staged(stagingKey);
    const lister = this.client as unknown as { listParts(b: string, o: string, u: string): Promise<{ part: number; etag: string }[]> };
    const parts = await lister.listParts(this.bucket, object, uploadId);
    await this.client.completeMultipartUpload(
      this.bucket,
      object,
      uploadId,
      parts.sort((a, b) => a.part - b.part).map((p) => ({ part: p.part, etag: p.etag })),
    );
  }

  async presignDownload(key: string, expirySeconds: number, filename: string, contentType: string): Promise<string> {
    return this.client.presignedGetObject(this.bucket, this.object(key), expirySeconds, {
      "response-content-disposition": contentDisposition(filename),
      "response-content-type": servableContentType(contentType),
    });
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "NoSuchKey" || code === "NotFound" || code === "NoSuchObject";
}
