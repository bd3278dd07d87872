import { roleIn } from "../access/permissions.ts";
import { CrossProjectLineageError, IdempotencyKeyReuseError, NotFoundError, ValidationError } from "../domain/errors.ts";
import { encodeGlobalId, idOf } from "../domain/ids.ts";
import { check, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_METRICS_PER_VERSION, metricsFromMap, metricsToMap, toMap, type KeyValue, type NamedValue } from "../domain/rules.ts";
import { assertReviewedContentMayChange, changedReviewedFields, createVersionFingerprint, type ReviewedContent } from "../domain/versions.ts";
import { isUniqueViolation, transaction, type Tx } from "../db/transaction.ts";
import type { ModelVersion } from "../generated/prisma/client.ts";
import { appendEvent } from "../events/log.ts";
import { assertNoAliasesOn } from "./aliases.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { stagePastOf } from "./history.ts";
import { uuid7 } from "../domain/ids.ts";
import { versionColumns } from "./rows.ts";
import { checkModelForWrite, loadModelForWrite, lockModel, readForWrite } from "./models.ts";
import { cancelRequestsOfChangedVersion } from "./transition-requests.ts";

export interface CreateModelVersionInput {
  modelId: string;
  iterationId?: string | null;
  resourceId?: string | null;
  parentVersionId?: string | null;
  description?: string | null;
  tags?: KeyValue[] | null;
  metrics?: NamedValue[] | null;
  idempotencyKey?: string | null;
}

/**
 * Registers the next version of a model. Its number is taken from the model's counter in this transaction,
 * so numbers are unique and contiguous in commit order. A retried call with the same idempotency key and the
 * same input returns the version the first call created; the same key with another input is an
 * IdempotencyKeyReuseError (compared by a fingerprint of the input stored with the version).
 */
export async function createModelVersion(ctx: ServiceContext, input: CreateModelVersionInput) {
  check()
    .description(["input", "description"], input.description)
    .keyValues(["input", "tags"], input.tags)
    .metrics(["input", "metrics"], input.metrics, MAX_METRICS_PER_VERSION)
    .maxLength(["input", "idempotencyKey"], input.idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH)
    .require(input.idempotencyKey !== "", ["input", "idempotencyKey"], "must not be empty")
    .done();
  const key = input.idempotencyKey ?? null;
  const fingerprint = key ? createVersionFingerprint(fingerprintInput(input)) : null;
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction(ctx.prisma, async (tx) => {
        const model = await loadModelForWrite(ctx, tx, input.modelId, "write");
        if (key) {
          // Under the model lock, calls sharing a key queue: each later one finds the first one's version committed.
          await lockModel(tx, model.id);
          const existing = await tx.modelVersion.findUnique({ where: { modelId_idempotencyKey: { modelId: model.id, idempotencyKey: key } } });
          // Versions keyed before fingerprints were stored have none: they replay as they always did.
          if (existing?.idempotencyInputHash != null && existing.idempotencyInputHash !== fingerprint) throw new IdempotencyKeyReuseError(key);
          if (existing) {
            // A replay is a successful call too: it is audited, marked as such.
            audit(tx, ctx, { action: "createModelVersion", targetType: "ModelVersion", targetId: existing.id, projectId: existing.projectId, after: { ...existing, idempotentReplay: true } });
            return existing;
          }
        }
        const lineage = await resolveLineage(ctx, tx, model.projectId, input);
        const version = await insertNextVersion(tx, {
          projectId: model.projectId,
          modelId: model.id,
          description: input.description ?? "",
          tags: toMap(input.tags ?? []),
          metrics: input.metrics ?? [],
          iterationId: lineage.iterationId ?? null,
          resourceId: lineage.resourceId ?? null,
          parentVersionId: lineage.parentVersionId ?? null,
          idempotencyKey: key,
          idempotencyInputHash: fingerprint,
          createdById: ctx.viewer.userId,
        });
        appendEvent(tx, {
          projectId: model.projectId,
          type: "MODEL_VERSION_CREATED",
          actorId: ctx.viewer.userId,
          modelId: model.id,
          modelVersionId: version.id,
          payload: { number: version.number },
        });
        audit(tx, ctx, { action: "createModelVersion", targetType: "ModelVersion", targetId: version.id, projectId: model.projectId, after: version });
        return version;
      });
    } catch (error) {
      // The unique index is the last word on keys: should two creations ever race past the lock, the loser runs
      // again and then finds (and compares with) the winner's version.
      if (key && attempt === 1 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

interface NewVersion {
  projectId: string;
  modelId: string;
  description: string;
  tags: Record<string, string>;
  metrics: readonly NamedValue[];
  iterationId: string | null;
  resourceId: string | null;
  parentVersionId: string | null;
  idempotencyKey: string | null;
  idempotencyInputHash: string | null;
  createdById: string;
}

/**
 * Takes the model's next number and inserts the version with it, and its searchable metric rows, in one statement.
 * The increment locks the model row until commit, so concurrent creators queue on it and numbers are unique and
 * contiguous in commit order. Returns the row as Prisma's `modelVersion.create` would (ids and times made here, as
 * Prisma makes them client-side).
 */
async function insertNextVersion(tx: Tx, v: NewVersion): Promise<ModelVersion> {
  const now = new Date();
  const metrics = metricsToMap(v.metrics);
  const metricRows = JSON.stringify(metricsFromMap(metrics));
  const rows = await tx.$queryRaw<ModelVersion[]>`
    WITH counter AS (
      UPDATE "Model" SET "nextVersionNumber" = "nextVersionNumber" + 1, "updatedAt" = ${now}
      WHERE "id" = ${v.modelId}
      RETURNING "nextVersionNumber" - 1 AS "number"),
    created AS (
      INSERT INTO "ModelVersion" ("id", "projectId", "modelId", "number", "description", "tags", "metrics", "iterationId", "resourceId",
        "parentVersionId", "idempotencyKey", "idempotencyInputHash", "createdById", "createdAt", "updatedAt", "stageChangedAt")
      SELECT ${uuid7()}, ${v.projectId}, ${v.modelId}, counter."number", ${v.description}, ${JSON.stringify(v.tags)}::jsonb, ${JSON.stringify(metrics)}::jsonb,
        ${v.iterationId}, ${v.resourceId}, ${v.parentVersionId}, ${v.idempotencyKey}, ${v.idempotencyInputHash}, ${v.createdById}, ${now}, ${now}, ${now}
      FROM counter
      RETURNING *),
    metric_rows AS (
      INSERT INTO "ModelVersionMetric" ("versionId", "modelId", "name", "value", "number")
      SELECT c."id", c."modelId", m."name", m."value", c."number"
      FROM created c, json_to_recordset(${metricRows}::json) AS m("name" text, "value" double precision))
    SELECT ${versionColumns("c")} FROM created c`;
  const row = rows[0];
  if (!row) throw new Error(`model ${v.modelId} vanished while a version was being registered`);
  return row;
}

/** The parts of a create input that make the version, as the fingerprint sees them (database ids, defaults applied). */
function fingerprintInput(input: CreateModelVersionInput) {
  const ref = (kind: string, id: string | null | undefined) => (id == null ? null : idOf(kind, id));
  return {
    modelId: idOf("Model", input.modelId),
    iterationId: ref("Iteration", input.iterationId),
    resourceId: ref("Resource", input.resourceId),
    parentVersionId: ref("ModelVersion", input.parentVersionId),
    description: input.description ?? "",
    tags: toMap(input.tags ?? []),
    metrics: metricsToMap(input.metrics ?? []),
  };
}

interface LineageInput {
  iterationId?: string | null;
  resourceId?: string | null;
  parentVersionId?: string | null;
}

/**
 * Resolves lineage references and checks they live in the model's project. A reference into a project the
 * viewer cannot see is reported as not found, so the error reveals nothing about it.
 */
async function resolveLineage(ctx: ServiceContext, tx: Tx, projectId: string, input: LineageInput) {
  const result: { iterationId?: string | null; resourceId?: string | null; parentVersionId?: string | null } = {};
  const sameProject = async (field: string, kind: string, ref: string, row: { projectId: string } | null) => {
    if (!row) throw new NotFoundError(kind, ref);
    if (row.projectId !== projectId) {
      if ((await roleIn(tx, ctx.viewer, row.projectId)) === null) throw new NotFoundError(kind, ref);
      throw new CrossProjectLineageError(field);
    }
  };
  if (input.iterationId !== undefined) {
    if (input.iterationId === null) result.iterationId = null;
    else {
      const id = idOf("Iteration", input.iterationId);
      const row = await tx.iteration.findUnique({ where: { id }, select: { projectId: true } });
      await sameProject("iterationId", "Iteration", input.iterationId, row);
      result.iterationId = id;
    }
  }
  if (input.resourceId !== undefined) {
    if (input.resourceId === null) result.resourceId = null;
    else {
      const id = idOf("Resource", input.resourceId);
      const row = await tx.resource.findUnique({
        where: { id },
        select: { projectId: true, status: true, deletedAt: true },
      });
      await sameProject("resourceId", "Resource", input.resourceId, row && !row.deletedAt ? row : null);
      if (row!.status !== "READY") {
        throw ValidationError.single(["input", "resourceId"], `the resource is ${row!.status}; only READY resources (bytes uploaded and verified) can be attached`);
      }
      result.resourceId = id;
    }
  }
  if (input.parentVersionId !== undefined) {
    if (input.parentVersionId === null) result.parentVersionId = null;
    else {
      const id = idOf("ModelVersion", input.parentVersionId);
      const row = await tx.modelVersion.findUnique({ where: { id }, select: { projectId: true, deletedAt: true } });
      await sameProject("parentVersionId", "ModelVersion", input.parentVersionId, row && !row.deletedAt ? row : null);
      result.parentVersionId = id;
    }
  }
  return result;
}

export interface UpdateModelVersionInput extends LineageInput {
  id: string;
  description?: string | null;
  tags?: KeyValue[] | null;
  metrics?: NamedValue[] | null;
}

/**
 * Changes a version. What was reviewed is frozen: once the version has left NONE, its resource, iteration, parent
 * and metrics are refused (FrozenVersionError); description and tags stay editable. While it is still in NONE, a
 * change of that content cancels its PENDING transition requests in the same transaction.
 */
export async function updateModelVersion(ctx: ServiceContext, input: UpdateModelVersionInput) {
  check()
    .description(["input", "description"], input.description)
    .keyValues(["input", "tags"], input.tags)
    .metrics(["input", "metrics"], input.metrics, MAX_METRICS_PER_VERSION)
    .done();
  const requested = requestedReviewedContent(input);
  return transaction(ctx.prisma, async (tx) => {
    const found = await loadVersionForWrite(ctx, tx, input.id, "write");
    let version: typeof found = found;
    if (Object.keys(requested).length > 0) {
      // Under the model lock the stage cannot move (nor a request be approved) between this check and the change.
      await lockModel(tx, found.modelId);
      version = { ...found, ...(await tx.modelVersion.findUniqueOrThrow({ where: { id: found.id } })) };
    }
    if (requested.parentVersionId != null && requested.parentVersionId === version.id) {
      throw ValidationError.single(["input", "parentVersionId"], "a version cannot be its own parent");
    }
    const changed = changedReviewedFields(
      { resourceId: version.resourceId, iterationId: version.iterationId, parentVersionId: version.parentVersionId, metrics: metricsMapOf(version.metrics) },
      requested,
    );
    if (changed.length > 0) assertReviewedContentMayChange(version.stage, await stagePastOf(tx, version.id), changed);
    const lineage = await resolveLineage(ctx, tx, version.projectId, input);
    const updated = await tx.modelVersion.update({
      where: { id: version.id },
      data: {
        description: input.description ?? undefined,
        tags: input.tags ? toMap(input.tags) : undefined,
        metrics: input.metrics ? metricsToMap(input.metrics) : undefined,
        ...lineage,
      },
    });
    if (input.metrics) {
      await tx.modelVersionMetric.deleteMany({ where: { versionId: version.id } });
      await writeMetricRows(tx, updated, input.metrics);
    }
    appendEvent(tx, {
      projectId: version.projectId,
      type: "MODEL_VERSION_UPDATED",
      actorId: ctx.viewer.userId,
      modelId: version.modelId,
      modelVersionId: version.id,
      payload: { number: version.number, ...(changed.length > 0 ? { changed } : {}) },
    });
    const cancelled = changed.length > 0 ? await cancelRequestsOfChangedVersion(ctx, tx, version, changed) : [];
    const { model: _model, ...before } = version;
    audit(tx, ctx, {
      action: "updateModelVersion",
      targetType: "ModelVersion",
      targetId: version.id,
      projectId: version.projectId,
      before,
      after: cancelled.length > 0 ? { ...updated, cancelledTransitionRequestIds: cancelled.map((r) => encodeGlobalId("TransitionRequest", r.id)) } : updated,
    });
    return updated;
  });
}

/** The reviewed fields an update input sets, with database ids (a malformed id is simply not found). */
function requestedReviewedContent(input: UpdateModelVersionInput): Partial<ReviewedContent> {
  const requested: Partial<ReviewedContent> = {};
  const ref = (kind: string, id: string | null) => (id === null ? null : idOf(kind, id));
  if (input.resourceId !== undefined) requested.resourceId = ref("Resource", input.resourceId);
  if (input.iterationId !== undefined) requested.iterationId = ref("Iteration", input.iterationId);
  if (input.parentVersionId !== undefined) requested.parentVersionId = ref("ModelVersion", input.parentVersionId);
  if (input.metrics != null) requested.metrics = metricsToMap(input.metrics);
  return requested;
}

/** The searchable copy of a version's metrics (ModelVersionMetric), one row per name, as the metrics map keeps them. */
async function writeMetricRows(tx: Tx, version: { id: string; modelId: string; number: number }, metrics: readonly NamedValue[]) {
  const rows = metricsFromMap(metricsToMap(metrics)).map((m) => ({ versionId: version.id, modelId: version.modelId, name: m.name, value: m.value, number: version.number }));
  if (rows.length > 0) await tx.modelVersionMetric.createMany({ data: rows });
}

function metricsMapOf(stored: unknown): Record<string, number> {
  return metricsToMap(metricsFromMap(stored));
}

/** Soft delete: the version leaves lists, keeps its number, and its resource stays. */
export async function deleteModelVersion(ctx: ServiceContext, input: { id: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const found = await loadVersionForWrite(ctx, tx, input.id, "delete");
    // Under the model lock, so a concurrent promotion cannot put the version in PRODUCTION meanwhile.
    await lockModel(tx, found.modelId);
    const version = { ...found, ...(await tx.modelVersion.findUniqueOrThrow({ where: { id: found.id } })) };
    if (version.stage === "PRODUCTION") {
      throw ValidationError.single(["input", "id"], "a PRODUCTION version cannot be deleted; move it out of PRODUCTION first");
    }
    // What an alias points at stays resolvable: move or remove the aliases first (archiving is fine).
    await assertNoAliasesOn(tx, version.id);
    const deleted = await tx.modelVersion.update({ where: { id: version.id }, data: { deletedAt: new Date() } });
    appendEvent(tx, {
      projectId: version.projectId,
      type: "MODEL_VERSION_DELETED",
      actorId: ctx.viewer.userId,
      modelId: version.modelId,
      modelVersionId: version.id,
      payload: { number: version.number },
    });
    audit(tx, ctx, { action: "deleteModelVersion", targetType: "ModelVersion", targetId: version.id, projectId: version.projectId, after: deleted });
    return deleted;
  });
}

/**
 * Loads a live (not deleted) version the viewer may change, checking its model is writable (the version, its model,
 * project and membership: one statement).
 */
export async function loadVersionForWrite(ctx: ServiceContext, tx: Tx, ref: string, action: "write" | "transition" | "delete") {
  return (await readVersionForWrite(ctx, tx, ref, action, false)).version;
}

/**
 * loadVersionForWrite taking the model's row lock in the same statement, with the lock's instant (`lockModel`'s):
 * the version read may predate the wait for the lock, so the caller re-reads it under the lock.
 */
export async function loadVersionForWriteLocked(ctx: ServiceContext, tx: Tx, ref: string, action: "write" | "transition" | "delete") {
  const { version, at } = await readVersionForWrite(ctx, tx, ref, action, true);
  return { version, at: at! };
}

async function readVersionForWrite(ctx: ServiceContext, tx: Tx, ref: string, action: "write" | "transition" | "delete", lock: boolean) {
  const notFound = () => new NotFoundError("ModelVersion", ref);
  const found = await readForWrite(tx, ctx.viewer.userId, { versionId: idOf("ModelVersion", ref) }, lock);
  const version = found?.version;
  if (!version || version.deletedAt) throw notFound();
  // The model's project is the version's: authorised once, there, and refused as this version not found.
  const model = checkModelForWrite(ctx, found, action, notFound);
  return { version: { ...version, model }, at: found!.at };
}
