// Where artifact bytes live. Two implementations behind this interface: the filesystem under DATA_DIR
// (embedded default) and S3-compatible storage through the minio client. Chosen by configuration.
import type { Readable } from "node:stream";

/** What an upload stream turned out to contain. */
export interface StagedUpload {
  stagingKey: string;
  sha256: string;
  sizeBytes: bigint;
}

/** Something under staging: an object, or (with `uploadId`) an unfinished multipart upload. */
export interface StagedItem {
  stagingKey: string;
  modifiedAt: Date;
  uploadId?: string;
}

/** A presigned way for a client to send bytes straight to object storage. */
export interface PresignedUpload {
  /** One URL for a single PUT, when the object fits one part. */
  url: string | null;
  /** Multipart upload: PUT each part to its URL, then call completeResourceUpload. */
  uploadId: string | null;
  partSize: number | null;
  parts: { partNumber: number; url: string }[];
  expiresAt: Date;
}

export interface ArtifactStore {
  readonly kind: "filesystem" | "s3";
  /** Creates directories or the bucket if missing. */
  init(): Promise<void>;
  /** Whether the store answers (readiness). */
  ping(): Promise<void>;
  /**
   * Streams `body` into a staging object while hashing it. Stops with SizeExceeded as soon as more than
   * `maxBytes` arrive. The staged bytes are not visible under any content key until `promote`.
   */
  stage(stagingKey: string, body: Readable, maxBytes: bigint): Promise<StagedUpload>;
  /** Hashes an object already in staging (presigned uploads). */
  hashStaged(stagingKey: string): Promise<{ sha256: string; sizeBytes: bigint } | null>;
  /** Makes staged bytes available under their content key (idempotent: equal bytes, equal key). */
  promote(stagingKey: string, key: string): Promise<void>;
  /** Removes a staging object, if any; with `uploadId`, aborts that unfinished multipart upload of it (S3). */
  discardStaged(stagingKey: string, uploadId?: string): Promise<void>;
  /**
   * Staging objects (and their age), for the sweeper. On S3 this includes multipart uploads that were started but
   * never completed (presigned ones abandoned by a client, or a streaming one cut by a crash), with their `uploadId`:
   * their parts are invisible as objects but still take space.
   */
  listStaged(): Promise<StagedItem[]>;
  exists(key: string): Promise<boolean>;
  /** Streams bytes [start, end] inclusive (whole object without a range). */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Presigned upload for a staging key (S3 only). */
  presignUpload?(stagingKey: string, sizeBytes: bigint, expirySeconds: number): Promise<PresignedUpload>;
  /** Completes a multipart upload started by presignUpload (S3 only). */
  completeMultipart?(stagingKey: string, uploadId: string): Promise<void>;
  /** Presigned download URL (S3 only). */
  presignDownload?(key: string, expirySeconds: number, filename: string, contentType: string): Promise<string>;
}

/** More bytes arrived than were declared. */
export class SizeExceeded extends Error {
  override name = "SizeExceeded";
}

/** Content key of some bytes inside a project: equal bytes share one object. */
export function contentKey(projectId: string, sha256: string): string {
  return `projects/${projectId}/sha256/${sha256}`;
}

/** Staging key of a resource's upload; a fresh suffix per attempt so retries never collide. */
export function stagingKeyFor(resourceId: string, attempt: string): string {
  return `${resourceId}.${attempt}`;
}

/** The resource id a staging key belongs to. */
export function resourceIdOfStagingKey(stagingKey: string): string {
  return stagingKey.split(".")[0] ?? stagingKey;
}
