// Model aliases (DESIGN.md §1 "Aliases"): a name per model pointing at one live version. Every move happens under
// the model lock (services/models.ts lockModel), the same lock stage moves and approvals take, so a model's alias
// moves have one order (AliasChange.seq), compare-and-set is exact, and history times follow that order.
import { roleIn } from "../access/permissions.ts";
import { assertSettableAlias, LATEST_ALIAS } from "../domain/aliases.ts";
import { AliasInUseError, ApprovalRequiredError, NotFoundError, StaleAliasError, ValidationError } from "../domain/errors.ts";
import { decodeGlobalId, encodeGlobalId, idOf } from "../domain/ids.ts";
import { check, MAX_ALIASES_PER_MODEL, MAX_COMMENT_LENGTH } from "../domain/rules.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import type { AliasChange, Model, ModelAlias, ModelVersion } from "../generated/prisma/client.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite, lockModel } from "./models.ts";
import { assertDirectMoveAllowed, evaluateMove } from "./policies.ts";

export interface SetModelAliasInput {
  modelId: string;
  alias: string;
  modelVersionId: string;
  /** Compare-and-set: absent = no check; null = the alias must not exist yet; an id = it must point there now. */
  expectedVersionId?: string | null;
  comment?: string | null;
}

export interface RemoveModelAliasInput {
  modelId: string;
  alias: string;
  expectedVersionId?: string | null;
  comment?: string | null;
}

/** What an alias mutation changed. `change` is null when nothing moved (the alias already pointed there). */
export interface AliasOutcome {
  model: Model;
  aliasName: string;
  /** The alias row after the change; null after a removal. */
  alias: ModelAlias | null;
  modelVersion: ModelVersion | null;
  previousVersion: ModelVersion | null;
  change: AliasChange | null;
}

/**
 * Points an alias at a version of the model, creating it if needed (EDITOR). The version must be the model's and
 * live (an ARCHIVED version may carry an alias; a deleted one cannot). The alias's promotion policy is enforced in this
 * transaction: a protected alias, or one whose policy asks approvals, never moves this way, whatever the caller's role
 * (ApprovalRequiredError: request it with requestModelVersionTransition); any other broken rule (metric gates,
 * must-beat the version the alias points at now, requireResource) is a PolicyViolationError. Setting it to the version
 * it already points at succeeds without recording anything (no AliasChange, no event).
 */
export async function setModelAlias(ctx: ServiceContext, input: SetModelAliasInput): Promise<AliasOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  assertSettableAlias(["input", "alias"], input.alias);
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "transition");
    await lockModel(tx, model.id);
    const target = await loadTargetVersion(ctx, tx, model, input.modelVersionId, ["input", "modelVersionId"]);
    // The alias's promotion policy (a protected alias asks one approval): ApprovalRequiredError when only approvals
    // are missing, PolicyViolationError listing every broken rule otherwise. Under the model lock, as the move.
    assertDirectMoveAllowed(await evaluateMove(tx, model, target, { alias: input.alias }, 0), { alias: input.alias });
    const current = await currentAlias(tx, model.id, input.alias);
    assertExpected(input.alias, input.expectedVersionId, current);
    if (current?.modelVersionId === target.id) {
      audit(tx, ctx, { action: "setModelAlias", targetType: "Model", targetId: model.id, projectId: model.projectId, before: current, after: { ...current, unchanged: true } });
      return { model, aliasName: input.alias, alias: current, modelVersion: target, previousVersion: target, change: null };
    }
    const outcome = await applyAliasMove(ctx, tx, { model, alias: input.alias, current, to: target, comment: input.comment ?? null, transitionRequestId: null });
    audit(tx, ctx, { action: "setModelAlias", targetType: "Model", targetId: model.id, projectId: model.projectId, before: current, after: outcome.alias });
    return outcome;
  });
}

/** Removes an alias (EDITOR); compare-and-set with `expectedVersionId`. A protected alias is refused: lift its protection first (updateModel). */
export async function removeModelAlias(ctx: ServiceContext, input: RemoveModelAliasInput): Promise<AliasOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  assertSettableAlias(["input", "alias"], input.alias);
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "transition");
    await lockModel(tx, model.id);
    if (model.protectedAliases.includes(input.alias)) {
      throw new ApprovalRequiredError(
        { alias: input.alias },
        `The alias ${JSON.stringify(input.alias)} is protected: it cannot be removed; an ADMIN must first take it out of the model's protectedAliases (updateModel)`,
      );
    }
    const current = await currentAlias(tx, model.id, input.alias);
    assertExpected(input.alias, input.expectedVersionId, current);
    if (!current) throw new NotFoundError("ModelAlias", input.alias);
    const outcome = await applyAliasMove(ctx, tx, { model, alias: input.alias, current, to: null, comment: input.comment ?? null, transitionRequestId: null });
    audit(tx, ctx, { action: "removeModelAlias", targetType: "Model", targetId: model.id, projectId: model.projectId, before: current });
    return outcome;
  });
}

/**
 * The version an alias input names: live, visible, and a version of `model`. One of another model the viewer can see
 * is a ValidationError on the field; one the viewer cannot see is not found.
 */
export async function loadTargetVersion(ctx: ServiceContext, tx: Tx, model: Pick<Model, "id">, ref: string, path: string[]): Promise<ModelVersion> {
  const version = await tx.modelVersion.findUnique({ where: { id: idOf("ModelVersion", ref) } });
  if (!version || version.deletedAt) throw new NotFoundError("ModelVersion", ref);
  if (version.modelId !== model.id) {
    if ((await roleIn(tx, ctx.viewer, version.projectId)) === null) throw new NotFoundError("ModelVersion", ref);
    throw ValidationError.single(path, "the version belongs to another model: an alias points at a version of its own model");
  }
  return version;
}

function currentAlias(tx: Tx, modelId: string, name: string): Promise<ModelAlias | null> {
  return tx.modelAlias.findUnique({ where: { modelId_name: { modelId, name } } });
}

/** Compare-and-set: throws StaleAliasError unless the alias points where `expected` says (undefined: no check). */
function assertExpected(alias: string, expected: string | null | undefined, current: ModelAlias | null): void {
  if (expected === undefined) return;
  const decoded = expected === null ? null : decodeGlobalId(expected);
  // A malformed or foreign id never matches (and is reported back as given).
  const expectedId = expected === null ? null : decoded?.typename === "ModelVersion" ? decoded.id : `invalid:${expected}`;
  const actualId = current?.modelVersionId ?? null;
  if (expectedId !== actualId) {
    throw new StaleAliasError(alias, expected, actualId === null ? null : encodeGlobalId("ModelVersion", actualId));
  }
}

export interface AliasMove {
  model: Pick<Model, "id" | "projectId">;
  alias: string;
  current: ModelAlias | null;
  /** The new target; null removes the alias. */
  to: ModelVersion | null;
  comment: string | null;
  transitionRequestId: string | null;
}

/**
 * The single place where an alias moves; the caller holds the model lock and has checked permission, protection and
 * compare-and-set. Writes the alias, its AliasChange and its MODEL_ALIAS_SET / MODEL_ALIAS_REMOVED event at one instant.
 */
export async function applyAliasMove(ctx: ServiceContext, tx: Tx, move: AliasMove): Promise<AliasOutcome> {
  const { model, alias, current, to } = move;
  const [{ at }] = (await tx.$queryRaw<{ at: Date }[]>`SELECT clock_timestamp()::timestamptz(3) AS at`) as [{ at: Date }];
  const previousVersion = current ? await tx.modelVersion.findUniqueOrThrow({ where: { id: current.modelVersionId } }) : null;
  let row: ModelAlias | null = null;
  if (to) {
    if (!current) {
      const count = await tx.modelAlias.count({ where: { modelId: model.id } });
      if (count >= MAX_ALIASES_PER_MODEL) {
        throw ValidationError.single(["input", "alias"], `a model carries at most ${MAX_ALIASES_PER_MODEL} aliases; remove one first`);
      }
    }
    row = await tx.modelAlias.upsert({
      where: { modelId_name: { modelId: model.id, name: alias } },
      create: { projectId: model.projectId, modelId: model.id, name: alias, modelVersionId: to.id, setById: ctx.viewer.userId, setAt: at },
      update: { modelVersionId: to.id, setById: ctx.viewer.userId, setAt: at },
    });
  } else if (current) {
    await tx.modelAlias.delete({ where: { id: current.id } });
  }
  const change = await tx.aliasChange.create({
    data: {
      projectId: model.projectId,
      modelId: model.id,
      alias,
      fromVersionId: previousVersion?.id ?? null,
      toVersionId: to?.id ?? null,
      actorId: ctx.viewer.userId,
      comment: move.comment,
      transitionRequestId: move.transitionRequestId,
      at,
    },
  });
  const versionRef = (v: ModelVersion | null) => (v ? encodeGlobalId("ModelVersion", v.id) : null);
  appendEvent(tx, {
    projectId: model.projectId,
    type: to ? "MODEL_ALIAS_SET" : "MODEL_ALIAS_REMOVED",
    actorId: ctx.viewer.userId,
    modelId: model.id,
    modelVersionId: (to ?? previousVersion)?.id,
    payload: {
      alias,
      fromVersionId: versionRef(previousVersion),
      fromNumber: previousVersion?.number ?? null,
      toVersionId: versionRef(to),
      toNumber: to?.number ?? null,
      ...(move.transitionRequestId ? { requestId: encodeGlobalId("TransitionRequest", move.transitionRequestId) } : {}),
    },
  });
  return { model: model as Model, aliasName: alias, alias: row, modelVersion: to, previousVersion, change };
}

/** Refuses to delete a version that aliases point at (the caller holds the model lock). */
export async function assertNoAliasesOn(tx: Tx, modelVersionId: string): Promise<void> {
  const aliases = await tx.modelAlias.findMany({ where: { modelVersionId }, select: { name: true }, orderBy: { name: "asc" } });
  if (aliases.length > 0) throw new AliasInUseError(aliases.map((a) => a.name));
}

/**
 * The id of the version `alias` pointed at at instant `at` (at the instant of a move, its new target), or null.
 * `latest`: the highest-numbered version that existed and was not deleted at that instant.
 */
export async function versionAliasedAt(db: Pick<Tx, "aliasChange" | "modelVersion">, modelId: string, alias: string, at: Date): Promise<string | null> {
  if (alias === LATEST_ALIAS) {
    const latest = await db.modelVersion.findFirst({
      where: { modelId, createdAt: { lte: at }, OR: [{ deletedAt: null }, { deletedAt: { gt: at } }] },
      orderBy: { number: "desc" },
      select: { id: true },
    });
    return latest?.id ?? null;
  }
  const last = await db.aliasChange.findFirst({ where: { modelId, alias, at: { lte: at } }, orderBy: { seq: "desc" }, select: { toVersionId: true } });
  return last?.toVersionId ?? null;
}
