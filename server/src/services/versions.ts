import { roleIn, authorize } from "../access/permissions.ts";
import { CrossProjectLineageError, NotFoundError, ValidationError } from "../domain/errors.ts";
import { encodeGlobalId, idOf } from "../domain/ids.ts";
import { check, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_METRICS_PER_VERSION, metricsToMap, toMap, type KeyValue, type NamedValue } from "../domain/rules.ts";
import { isUniqueViolation, transaction, type Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite, lockModel } from "./models.ts";

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
 * so numbers are unique and contiguous in commit order. A retried call with the same idempotency key
 * returns the version the first call created.
 */
export async function createModelVersion(ctx: ServiceContext, input: CreateModelVersionInput) {
  check()
    .description(["input", "description"], input.description)
    .keyValues(["input", "tags"], input.tags)
    .metrics(["input", "metrics"], input.metrics, MAX_METRICS_PER_VERSION)
    .maxLength(["input", "idempotencyKey"], input.idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH)
    .require(input.idempotencyKey !== "", ["input", "idempotencyKey"], "must not be empty")
    .done();
  const modelId = idOf("Model", input.modelId);
  const key = input.idempotencyKey ?? null;
  if (key) {
    const existing = await findByIdempotencyKey(ctx, modelId, key, input.modelId);
    if (existing) return existing;
  }
  try {
    return await transaction(ctx.prisma, async (tx) => {
      const model = await loadModelForWrite(ctx, tx, input.modelId, "write");
      const lineage = await resolveLineage(ctx, tx, model.projectId, input);
      // The increment locks the model row until commit: concurrent creators queue here.
      const { nextVersionNumber } = await tx.model.update({
        where: { id: model.id },
        data: { nextVersionNumber: { increment: 1 } },
        select: { nextVersionNumber: true },
      });
      const version = await tx.modelVersion.create({
        data: {
          projectId: model.projectId,
          modelId: model.id,
          number: nextVersionNumber - 1,
          description: input.description ?? "",
          tags: toMap(input.tags ?? []),
          metrics: metricsToMap(input.metrics ?? []),
          ...lineage,
          idempotencyKey: key,
          createdById: ctx.viewer.userId,
        },
      });
      await appendEvent(tx, {
        projectId: model.projectId,
        type: "MODEL_VERSION_CREATED",
        actorId: ctx.viewer.userId,
        modelId: model.id,
        modelVersionId: version.id,
        payload: { number: version.number },
      });
      await audit(tx, ctx, { action: "createModelVersion", targetType: "ModelVersion", targetId: version.id, projectId: model.projectId, after: version });
      return version;
    });
  } catch (error) {
    // Two calls with the same key raced: the loser returns the winner's version.
    if (key && isUniqueViolation(error)) {
      const existing = await findByIdempotencyKey(ctx, modelId, key, input.modelId);
      if (existing) return existing;
    }
    throw error;
  }
}

async function findByIdempotencyKey(ctx: ServiceContext, modelId: string, key: string, ref: string) {
  const version = await ctx.prisma.modelVersion.findUnique({
    where: { modelId_idempotencyKey: { modelId, idempotencyKey: key } },
  });
  if (!version) return null;
  await authorize(ctx.prisma, ctx.viewer, version.projectId, "write", () => new NotFoundError("Model", ref));
  // A replay is a successful call too: it is audited, marked as such.
  await transaction(ctx.prisma, (tx) =>
    audit(tx, ctx, { action: "createModelVersion", targetType: "ModelVersion", targetId: version.id, projectId: version.projectId, after: { ...version, idempotentReplay: true } }),
  );
  return version;
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

export async function updateModelVersion(ctx: ServiceContext, input: UpdateModelVersionInput) {
  check()
    .description(["input", "description"], input.description)
    .keyValues(["input", "tags"], input.tags)
    .metrics(["input", "metrics"], input.metrics, MAX_METRICS_PER_VERSION)
    .done();
  return transaction(ctx.prisma, async (tx) => {
    const version = await loadVersionForWrite(ctx, tx, input.id, "write");
    if (input.parentVersionId != null && idOf("ModelVersion", input.parentVersionId) === version.id) {
      throw ValidationError.single(["input", "parentVersionId"], "a version cannot be its own parent");
    }
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
    await appendEvent(tx, {
      projectId: version.projectId,
      type: "MODEL_VERSION_UPDATED",
      actorId: ctx.viewer.userId,
      modelId: version.modelId,
      modelVersionId: version.id,
      payload: { number: version.number },
    });
    const { model: _model, ...before } = version;
    await audit(tx, ctx, { action: "updateModelVersion", targetType: "ModelVersion", targetId: version.id, projectId: version.projectId, before, after: updated });
    return updated;
  });
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
    const deleted = await tx.modelVersion.update({ where: { id: version.id }, data: { deletedAt: new Date() } });
    await appendEvent(tx, {
      projectId: version.projectId,
      type: "MODEL_VERSION_DELETED",
      actorId: ctx.viewer.userId,
      modelId: version.modelId,
      modelVersionId: version.id,
      payload: { number: version.number },
    });
    await audit(tx, ctx, { action: "deleteModelVersion", targetType: "ModelVersion", targetId: version.id, projectId: version.projectId, after: deleted });
    return deleted;
  });
}

/** Loads a live (not deleted) version the viewer may change, checking its model is writable. */
export async function loadVersionForWrite(ctx: ServiceContext, tx: Tx, ref: string, action: "write" | "transition" | "delete") {
  const version = await tx.modelVersion.findUnique({ where: { id: idOf("ModelVersion", ref) } });
  if (!version || version.deletedAt) throw new NotFoundError("ModelVersion", ref);
  await authorize(tx, ctx.viewer, version.projectId, action, () => new NotFoundError("ModelVersion", ref));
  const model = await loadModelForWrite(ctx, tx, encodeGlobalId("Model", version.modelId), action);
  return { ...version, model };
}
