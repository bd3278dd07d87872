import { assertRole, type Action } from "../access/permissions.ts";
import { Prisma, type Model, type ModelVersion, type Project } from "../generated/prisma/client.ts";
import type { Role } from "../generated/prisma/enums.ts";
import { modelColumns, unprefixed, versionColumns } from "./rows.ts";
import { NotFoundError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { protectedAliasIssues } from "../domain/aliases.ts";
import { ValidationError } from "../domain/errors.ts";
import { checkNamedObjectInput, toMap, type KeyValue } from "../domain/rules.ts";
import type { Stage } from "../domain/stages.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { assertNotArchived, withNameGuard } from "./named-objects.ts";
import { loadProjectForWrite } from "./projects.ts";

export interface CreateModelInput {
  projectId: string;
  name: string;
  description?: string | null;
  tags?: KeyValue[] | null;
  requireApprovalFor?: Stage[] | null;
  /** Aliases that only move through an approved transition request. */
  protectedAliases?: string[] | null;
}

function checkProtectedAliases(names: readonly string[] | null | undefined): void {
  const issues = protectedAliasIssues(["input", "protectedAliases"], names);
  if (issues.length > 0) throw new ValidationError(issues);
}

export async function createModel(ctx: ServiceContext, input: CreateModelInput) {
  checkNamedObjectInput(input);
  checkProtectedAliases(input.protectedAliases);
  return withNameGuard("Model", input.name, () =>
    transaction(ctx.prisma, async (tx) => {
      const project = await loadProjectForWrite(ctx, tx, input.projectId, "write");
      const model = await tx.model.create({
        data: {
          projectId: project.id,
          name: input.name,
          description: input.description ?? "",
          tags: toMap(input.tags ?? []),
          requireApprovalFor: [...new Set(input.requireApprovalFor ?? [])],
          protectedAliases: [...new Set(input.protectedAliases ?? [])].sort(),
          createdById: ctx.viewer.userId,
        },
      });
      appendEvent(tx, {
        projectId: project.id,
        type: "MODEL_CREATED",
        actorId: ctx.viewer.userId,
        modelId: model.id,
        payload: { name: model.name },
      });
      audit(tx, ctx, { action: "createModel", targetType: "Model", targetId: model.id, projectId: project.id, after: model });
      return model;
    }),
  );
}

export interface UpdateModelInput {
  id: string;
  name?: string | null;
  description?: string | null;
  tags?: KeyValue[] | null;
  /** Only ACTIVE is accepted here: it lifts a deprecation. Use deprecateModel / archiveModel otherwise. */
  status?: "ACTIVE" | "DEPRECATED" | null;
  requireApprovalFor?: Stage[] | null;
  /** Replaces the protected aliases (ADMIN only, like the approval policy). */
  protectedAliases?: string[] | null;
}

export async function updateModel(ctx: ServiceContext, input: UpdateModelInput, action = "updateModel") {
  checkNamedObjectInput(input);
  checkProtectedAliases(input.protectedAliases);
  return withNameGuard("Model", input.name, () =>
    transaction(ctx.prisma, async (tx) => {
      // Changing the approval policy (stages or protected aliases) is an admin decision; other edits need EDITOR.
      const policyChange = input.requireApprovalFor != null || input.protectedAliases != null;
      const model = await loadModelForWrite(ctx, tx, input.id, policyChange ? "manage" : "write");
      const updated = await tx.model.update({
        where: { id: model.id },
        data: {
          name: input.name ?? undefined,
          description: input.description ?? undefined,
          tags: input.tags ? toMap(input.tags) : undefined,
          status: input.status ?? undefined,
          requireApprovalFor: input.requireApprovalFor ? [...new Set(input.requireApprovalFor)] : undefined,
          protectedAliases: input.protectedAliases ? [...new Set(input.protectedAliases)].sort() : undefined,
        },
      });
      if (input.name != null && input.name !== model.name) {
        appendEvent(tx, {
          projectId: model.projectId,
          type: "MODEL_RENAMED",
          actorId: ctx.viewer.userId,
          modelId: model.id,
          payload: { from: model.name, to: updated.name },
        });
      }
      if (input.status === "DEPRECATED" && model.status !== "DEPRECATED") {
        appendEvent(tx, { projectId: model.projectId, type: "MODEL_DEPRECATED", actorId: ctx.viewer.userId, modelId: model.id });
      }
      const { project: _project, ...before } = model;
      audit(tx, ctx, { action, targetType: "Model", targetId: model.id, projectId: model.projectId, before, after: updated });
      return updated;
    }),
  );
}

export async function deprecateModel(ctx: ServiceContext, input: { id: string }) {
  return updateModel(ctx, { id: input.id, status: "DEPRECATED" }, "deprecateModel");
}

export async function archiveModel(ctx: ServiceContext, input: { id: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.id, "delete");
    const archived = await tx.model.update({ where: { id: model.id }, data: { status: "ARCHIVED" } });
    appendEvent(tx, { projectId: model.projectId, type: "MODEL_ARCHIVED", actorId: ctx.viewer.userId, modelId: model.id });
    audit(tx, ctx, { action: "archiveModel", targetType: "Model", targetId: model.id, projectId: model.projectId, after: archived });
    return archived;
  });
}

/**
 * Loads a model the viewer may change; archived models (and models of archived projects) are read-only. A model
 * the viewer cannot see is `notFound` (by default this model, named as the caller passed it).
 */
export async function loadModelForWrite(ctx: ServiceContext, tx: Tx, ref: string, action: Action, notFound = () => new NotFoundError("Model", ref)) {
  return checkModelForWrite(ctx, await readForWrite(tx, ctx.viewer.userId, { modelId: idOf("Model", ref) }), action, notFound);
}

/** A model as a write needs it: with its project. */
export type ModelForWrite = Model & { project: Pick<Project, "id" | "name" | "status"> };

/** What `readForWrite` read: the model, the viewer's role in its project (null: not a member), and the version asked for. */
export interface ReadForWrite {
  model: ModelForWrite;
  role: Role | null;
  version: ModelVersion | null;
  /** With `lock`: the database's clock once the model's row lock was granted (as `lockModel` returns it). */
  at: Date | null;
}

/**
 * Reads a model (by its id, or by one of its versions' id: then with that version), its project and the user's
 * membership role, in one statement: Prisma's include and the membership read were three (four with the version),
 * each a round trip and a result mapping on every write. With `lock`, the same statement takes the model's row lock
 * for the rest of the transaction, as `lockModel` does (and returns its instant): what it read besides the model row
 * may predate the wait for the lock, so a caller re-reads what the lock protects (stages.ts reloadLocked).
 */
export async function readForWrite(tx: Tx, userId: string, by: { modelId: string } | { versionId: string }, lock = false): Promise<ReadForWrite | null> {
  const byVersion = "versionId" in by;
  const read = Prisma.sql`
    SELECT ${modelColumns("m", "m_")}, p."name" AS "p_name", p."status"::text AS "p_status",
      (SELECT mb."role"::text FROM "Membership" mb WHERE mb."projectId" = m."projectId" AND mb."userId" = ${userId}) AS "role"
      ${byVersion ? Prisma.sql`, ${versionColumns("v", "v_")}` : Prisma.empty}
    FROM ${byVersion ? Prisma.sql`"ModelVersion" v JOIN "Model" m ON m."id" = v."modelId"` : Prisma.sql`"Model" m`}
      JOIN "Project" p ON p."id" = m."projectId"
    WHERE ${byVersion ? Prisma.sql`v."id" = ${by.versionId}` : Prisma.sql`m."id" = ${by.modelId}`}`;
  // The clock is read above the locking subquery, so after any wait for the lock.
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`${
    lock ? Prisma.sql`SELECT clock_timestamp()::timestamptz(3) AS "at", r.* FROM (${read} FOR UPDATE OF m) AS r` : read
  }`;
  const row = rows[0];
  if (!row) return null;
  const model = unprefixed<Model>(row, "m_");
  return {
    model: { ...model, project: { id: model.projectId, name: row.p_name as string, status: row.p_status as Project["status"] } },
    role: row.role as Role | null,
    version: byVersion ? unprefixed<ModelVersion>(row, "v_") : null,
    at: lock ? (row.at as Date) : null,
  };
}

/** Authorises `action` on a model read by `readModelForWrite` and refuses archived ones. */
export function checkModelForWrite(ctx: ServiceContext, found: ReadForWrite | null, action: Action, notFound: () => NotFoundError): ModelForWrite {
  if (!found) throw notFound();
  assertRole(found.role, action, notFound, ctx.viewer);
  assertNotArchived("Project", found.model.project);
  assertNotArchived("Model", found.model);
  return found.model;
}

/**
 * Takes the model's row lock for the rest of the transaction. Everything that changes a model's versions'
 * stages or numbers holds it, so those changes are serialised per model and their history has one order.
 * Returns the database's clock once the lock is granted (taken above the locking subquery, so after any wait):
 * an instant later than anything the previous holder recorded, for moves that must follow `seq` in time.
 */
export async function lockModel(tx: Tx, modelId: string): Promise<Date> {
  const rows = await tx.$queryRaw<{ at: Date }[]>`
    SELECT clock_timestamp()::timestamptz(3) AS "at" FROM (SELECT 1 FROM "Model" WHERE "id" = ${modelId} FOR UPDATE) AS locked`;
  return rows[0]?.at ?? new Date();
}
