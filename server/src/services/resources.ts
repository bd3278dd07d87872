// Artifacts: declaring an upload, receiving and verifying bytes, completion, deletion and clean-up.
// Bytes live in the ArtifactStore under a content key derived from (project, sha256): equal bytes are
// stored once. An advisory lock per (project, sha256) orders "declare" against "collect garbage", so bytes
// are only removed when no live resource (PENDING or READY) of the project still has that sha256.
import type { Readable } from "node:stream";
import { authorize, roleIn } from "../access/permissions.ts";
import { ChecksumMismatchError, CrossProjectLineageError, NotFoundError, ResourceInUseError, ValidationError } from "../domain/errors.ts";
import { encodeGlobalId, idOf } from "../domain/ids.ts";
import { contentTypeProblem } from "../domain/media.ts";
import { check } from "../domain/rules.ts";
import type { Prisma } from "../db/database.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import type { Resource } from "../generated/prisma/client.ts";
import { newAttemptId } from "../storage/filesystem.ts";
import { contentKey, resourceIdOfStagingKey, SizeExceeded, stagingKeyFor, type ArtifactStore, type PresignedUpload } from "../storage/store.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { assertNotArchived } from "./named-objects.ts";
import { loadProjectForWrite } from "./projects.ts";

export const RESOURCE_FORMATS = ["ONNX", "SAFETENSORS", "TORCHSCRIPT", "PICKLE", "OTHER"] as const;
export type ResourceFormat = (typeof RESOURCE_FORMATS)[number];

/** Largest artifact accepted (5 TiB, the S3 object limit). */
export const MAX_ARTIFACT_BYTES = 5n * 1024n ** 4n;

/** Services that touch artifact bytes need the store and the upload time-to-live. */
export interface ArtifactContext extends ServiceContext {
  store: ArtifactStore;
  uploadTtlSeconds: number;
}

export interface CreateResourceUploadInput {
  projectId: string;
  name: string;
  sizeBytes: bigint;
  sha256: string;
  contentType?: string | null;
  format?: ResourceFormat | null;
  iterationId?: string | null;
}

/** Staging key of presigned uploads: one per resource, so completion knows where to look. */
const presignedStagingKey = (resourceId: string) => stagingKeyFor(resourceId, "presigned");

/** Declares an artifact: a PENDING resource that becomes READY once its bytes are verified. */
export async function createResourceUpload(
  ctx: ArtifactContext,
  input: CreateResourceUploadInput,
): Promise<{ resource: Resource; presignedUpload: PresignedUpload | null }> {
  const sha256 = input.sha256.toLowerCase();
  const contentTypeIssue = input.contentType == null ? null : contentTypeProblem(input.contentType);
  check()
    .require(input.name.length > 0 && input.name.length <= 1024 && !/[\u0000-\u001f/\\]/.test(input.name), ["input", "name"], "must be 1 to 1,024 characters, without '/', '\\' or control characters")
    .require(/^[0-9a-f]{64}$/.test(sha256), ["input", "sha256"], "must be 64 hexadecimal characters")
    .require(input.sizeBytes >= 0n && input.sizeBytes <= MAX_ARTIFACT_BYTES, ["input", "sizeBytes"], `must be between 0 and ${MAX_ARTIFACT_BYTES} bytes`)
    .require(contentTypeIssue === null, ["input", "contentType"], contentTypeIssue ?? "")
    .done();
  const resource = await transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.projectId, "write");
    let iterationId: string | null = null;
    if (input.iterationId != null) {
      const iteration = await tx.iteration.findUnique({ where: { id: idOf("Iteration", input.iterationId) }, select: { id: true, projectId: true } });
      // An iteration of a project the viewer cannot see is not found, so the error reveals nothing about it.
      if (!iteration || (iteration.projectId !== project.id && (await roleIn(tx, ctx.viewer, iteration.projectId)) === null)) {
        throw new NotFoundError("Iteration", input.iterationId);
      }
      if (iteration.projectId !== project.id) throw new CrossProjectLineageError("iterationId");
      iterationId = iteration.id;
    }
    await lockContent(tx, project.id, sha256);
    const created = await tx.resource.create({
      data: {
        projectId: project.id,
        iterationId,
        name: input.name,
        sizeBytes: input.sizeBytes,
        sha256,
        contentType: input.contentType ?? "application/octet-stream",
        format: input.format ?? "OTHER",
        createdById: ctx.viewer.userId,
        expiresAt: new Date(Date.now() + ctx.uploadTtlSeconds * 1000),
      },
    });
    audit(tx, ctx, { action: "createResourceUpload", targetType: "Resource", targetId: created.id, projectId: project.id, after: created });
    return created;
  });
  let presignedUpload: PresignedUpload | null = null;
  if (ctx.store.presignUpload) {
    presignedUpload = await ctx.store.presignUpload(presignedStagingKey(resource.id), resource.sizeBytes, ctx.uploadTtlSeconds);
    if (presignedUpload.uploadId) {
      await ctx.prisma.resource.update({ where: { id: resource.id }, data: { uploadId: presignedUpload.uploadId } });
    }
  }
  return { resource, presignedUpload };
}

/**
 * Receives the bytes of a PENDING resource as a stream (PUT /artifacts/{id}), verifying size and sha256
 * on the way. Memory stays flat whatever the size. A mismatch fails the resource and keeps nothing.
 * A broken stream (client gone) keeps nothing and leaves the resource PENDING for a retry.
 */
export async function receiveResourceBytes(ctx: ArtifactContext, ref: string, body: Readable): Promise<Resource> {
  const action = "uploadResourceBytes";
  const resource = await loadResourceForWrite(ctx, ctx.prisma, ref, "write");
  if (resource.status === "READY") {
    throw ValidationError.single(["resourceId"], "the resource is already READY; declare a new resource to upload other bytes");
  }
  if (resource.status === "FAILED") throw ValidationError.single(["resourceId"], "the resource FAILED verification; declare a new one");
  const stagingKey = stagingKeyFor(resource.id, newAttemptId());
  let staged;
  try {
    staged = await ctx.store.stage(stagingKey, body, resource.sizeBytes);
  } catch (error) {
    if (error instanceof SizeExceeded) {
      await failResource(ctx.prisma, resource.id, "more bytes than declared");
      throw new ChecksumMismatchError(`${resource.sizeBytes} bytes`, `more than ${resource.sizeBytes} bytes`, "size");
    }
    // Deleted or expired while the bytes arrived (its staging file is then removed under the writer): say so.
    const current = await ctx.prisma.resource.findUnique({ where: { id: resource.id }, select: { status: true, deletedAt: true } });
    if (!current || current.deletedAt) throw new NotFoundError("Resource", ref);
    if (current.status !== "PENDING") throw ValidationError.single(["resourceId"], `the resource became ${current.status} during the upload; declare a new one`);
    throw error;
  }
  return verifyAndFinish(ctx, resource, staged.stagingKey, staged, action);
}

/**
 * Completes an upload. Streaming uploads are complete once their PUT returned; for presigned uploads this
 * finishes the multipart upload, then reads the object back to verify size and sha256.
 */
export async function completeResourceUpload(ctx: ArtifactContext, input: { resourceId: string }): Promise<Resource> {
  const resource = await loadResourceForWrite(ctx, ctx.prisma, input.resourceId, "write");
  if (resource.status === "READY") {
    await transaction(ctx.prisma, async (tx) =>
      audit(tx, ctx, { action: "completeResourceUpload", targetType: "Resource", targetId: resource.id, projectId: resource.projectId, after: resource }),
    );
    return resource;
  }
  if (resource.status === "FAILED") {
    throw new ChecksumMismatchError(resource.sha256, resource.failureReason ?? "verification failed");
  }
  const stagingKey = presignedStagingKey(resource.id);
  if (resource.uploadId && ctx.store.completeMultipart) {
    try {
      await ctx.store.completeMultipart(stagingKey, resource.uploadId);
    } catch (error) {
      throw ValidationError.single(["input", "resourceId"], `the multipart upload could not be completed: ${(error as Error).message}`);
    }
  }
  const staged = await ctx.store.hashStaged(stagingKey);
  if (!staged) {
    throw ValidationError.single(["input", "resourceId"], "no bytes have been uploaded yet: PUT them to uploadUrl (or the presigned URLs) first");
  }
  return verifyAndFinish(ctx, resource, stagingKey, staged, "completeResourceUpload");
}

async function verifyAndFinish(
  ctx: ArtifactContext,
  resource: Resource,
  stagingKey: string,
  staged: { sha256: string; sizeBytes: bigint },
  action: string,
): Promise<Resource> {
  if (staged.sizeBytes !== resource.sizeBytes || staged.sha256 !== resource.sha256) {
    await ctx.store.discardStaged(stagingKey);
    const sizeWrong = staged.sizeBytes !== resource.sizeBytes;
    const reason = sizeWrong ? `size ${staged.sizeBytes} ≠ declared ${resource.sizeBytes}` : `sha256 ${staged.sha256} ≠ declared ${resource.sha256}`;
    await failResource(ctx.prisma, resource.id, reason);
    throw sizeWrong
      ? new ChecksumMismatchError(`${resource.sizeBytes} bytes`, `${staged.sizeBytes} bytes`, "size")
      : new ChecksumMismatchError(resource.sha256, staged.sha256);
  }
  const key = contentKey(resource.projectId, resource.sha256);
  await ctx.store.promote(stagingKey, key);
  const finished = await transaction(ctx.prisma, async (tx) => {
    // The project may have been archived while the bytes arrived; the share lock orders this against archiveProject.
    const [project] = await tx.$queryRaw<{ status: string }[]>`SELECT "status"::text AS status FROM "Project" WHERE "id" = ${resource.projectId} FOR SHARE`;
    if (project?.status === "ARCHIVED") return null;
    // Only a resource still PENDING becomes READY: it may have been deleted or expired while its bytes arrived.
    const { count } = await tx.resource.updateMany({
      where: { id: resource.id, status: "PENDING", deletedAt: null },
      data: { status: "READY", storageKey: key, readyAt: new Date(), expiresAt: null, uploadId: null },
    });
    if (count === 0) return null;
    const ready = await tx.resource.findUniqueOrThrow({ where: { id: resource.id } });
    appendEvent(tx, {
      projectId: resource.projectId,
      type: "RESOURCE_READY",
      actorId: ctx.viewer.userId,
      payload: { resourceId: encodeGlobalId("Resource", resource.id), sha256: resource.sha256, sizeBytes: String(resource.sizeBytes) },
    });
    audit(tx, ctx, { action, targetType: "Resource", targetId: resource.id, projectId: resource.projectId, before: resource, after: ready });
    return ready;
  });
  return finished ?? settleLateUpload(ctx, resource);
}

/**
 * Bytes were promoted for a resource that is no longer PENDING (deleted or expired meanwhile) or whose project
 * was archived meanwhile: they stay only
 * if a live resource needs them, and the uploader learns why its upload did not count.
 */
async function settleLateUpload(ctx: ArtifactContext, resource: Resource): Promise<Resource> {
  await collectGarbage(ctx.prisma, ctx.store, resource.projectId, resource.sha256);
  const current = await ctx.prisma.resource.findUnique({ where: { id: resource.id }, include: { project: { select: { id: true, status: true } } } });
  if (!current || current.deletedAt) throw new NotFoundError("Resource", encodeGlobalId("Resource", resource.id));
  assertNotArchived("Project", current.project);
  if (current.status === "READY") return current; // a concurrent upload of the same resource finished first
  throw ValidationError.single(["resourceId"], `the resource is ${current.status} (${current.failureReason ?? "no reason given"}); declare a new one`);
}

async function failResource(prisma: Prisma, id: string, reason: string): Promise<void> {
  await prisma.resource.updateMany({ where: { id, status: "PENDING" }, data: { status: "FAILED", failureReason: reason, expiresAt: null } });
}

/** Deletes a resource no live version references; its bytes go when no other live resource shares them. */
export async function deleteResource(ctx: ArtifactContext, input: { id: string }): Promise<Resource> {
  const deleted = await transaction(ctx.prisma, async (tx) => {
    const resource = await loadResourceForWrite(ctx, tx, input.id, "delete");
    const users = await tx.modelVersion.count({ where: { resourceId: resource.id, deletedAt: null } });
    if (users > 0) throw new ResourceInUseError(users);
    const gone = await tx.resource.update({ where: { id: resource.id }, data: { deletedAt: new Date() } });
    audit(tx, ctx, { action: "deleteResource", targetType: "Resource", targetId: resource.id, projectId: resource.projectId, before: resource, after: gone });
    return gone;
  });
  await discardStagedOf(ctx.store, deleted.id);
  await collectGarbage(ctx.prisma, ctx.store, deleted.projectId, deleted.sha256);
  return deleted;
}

/**
 * Removes the bytes of (project, sha256) when no live resource needs them. Holds the content lock while it
 * counts and deletes, so a resource declared meanwhile waits and then uploads the bytes again.
 */
export async function collectGarbage(prisma: Prisma, store: ArtifactStore, projectId: string, sha256: string): Promise<boolean> {
  return transaction(prisma, async (tx) => {
    await lockContent(tx, projectId, sha256);
    const live = await tx.resource.count({ where: { projectId, sha256, deletedAt: null, status: { in: ["PENDING", "READY"] } } });
    if (live > 0) return false;
    await store.delete(contentKey(projectId, sha256));
    return true;
  });
}

/**
 * Fails PENDING uploads older than their time-to-live, discards their staged bytes and any staging object
 * left by a crashed upload, then collects bytes nobody needs. Runs at start-up and periodically.
 */
export async function sweepExpiredUploads(prisma: Prisma, store: ArtifactStore, ttlSeconds: number): Promise<number> {
  const now = new Date();
  const expired = await prisma.resource.findMany({
    where: { status: "PENDING", expiresAt: { lt: now } },
    select: { id: true, projectId: true, sha256: true },
  });
  for (const resource of expired) {
    await failResource(prisma, resource.id, "upload expired");
  }
  const staleBefore = new Date(now.getTime() - ttlSeconds * 1000);
  const staged = await store.listStaged();
  const pendingIds = new Set(
    (await prisma.resource.findMany({ where: { id: { in: staged.map((s) => resourceIdOfStagingKey(s.stagingKey)) }, status: "PENDING" }, select: { id: true } })).map((r) => r.id),
  );
  for (const item of staged) {
    // A multipart upload's date is when it began, not when its last part came: one of a PENDING resource is left to
    // the resource's own expiry (after which it is no longer PENDING), so a long upload is not cut while it runs.
    if (!pendingIds.has(resourceIdOfStagingKey(item.stagingKey)) || (!item.uploadId && item.modifiedAt < staleBefore)) {
      await store.discardStaged(item.stagingKey, item.uploadId);
    }
  }
  for (const resource of expired) await collectGarbage(prisma, store, resource.projectId, resource.sha256);
  return expired.length;
}

async function discardStagedOf(store: ArtifactStore, resourceId: string): Promise<void> {
  for (const item of await store.listStaged()) {
    if (resourceIdOfStagingKey(item.stagingKey) === resourceId) await store.discardStaged(item.stagingKey, item.uploadId);
  }
}

async function lockContent(tx: Tx, projectId: string, sha256: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${projectId}:${sha256}`}, 0))`;
}

/**
 * Loads a resource the viewer may change. Every write to an existing resource (bytes by PUT, completion of any
 * upload, deletion) comes through here, so this is where an archived project (read-only) refuses them all.
 */
async function loadResourceForWrite(ctx: ServiceContext, db: Prisma | Tx, ref: string, action: "write" | "delete"): Promise<Resource> {
  const found = await db.resource.findUnique({ where: { id: idOf("Resource", ref) }, include: { project: { select: { id: true, status: true } } } });
  if (!found || found.deletedAt) throw new NotFoundError("Resource", ref);
  await authorize(db, ctx.viewer, found.projectId, action, () => new NotFoundError("Resource", ref));
  const { project, ...resource } = found;
  assertNotArchived("Project", project);
  return resource;
}

/** A readable resource (READY, not deleted) the viewer may see, for downloads. */
export async function loadResourceForRead(ctx: ServiceContext, ref: string): Promise<Resource> {
  const resource = await ctx.prisma.resource.findUnique({ where: { id: idOf("Resource", ref) } });
  if (!resource || resource.deletedAt || resource.status !== "READY" || !resource.storageKey) throw new NotFoundError("Resource", ref);
  await authorize(ctx.prisma, ctx.viewer, resource.projectId, "read", () => new NotFoundError("Resource", ref));
  return resource;
}
