import { authorize } from "../access/permissions.ts";
import {
  InvalidStageTransitionError,
  NotFoundError,
  StaleStageError,
  ValidationError,
} from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { assertAllowedTransition, type Stage, type StagePast } from "../domain/stages.ts";
import { check, MAX_COMMENT_LENGTH } from "../domain/rules.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import type { TransitionCause } from "../generated/prisma/enums.ts";
import { Prisma, type Model, type ModelVersion } from "../generated/prisma/client.ts";
import { appendEvent } from "../events/log.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { lockModel, loadModelForWrite } from "./models.ts";
import { assertDirectMoveAllowed, evaluateStageMove, stageIncumbentLateral, stagePolicy } from "./policies.ts";
import { effectivePolicy, isEmptyPolicy, type Policy, type StoredPolicy } from "../domain/policies.ts";
import { loadVersionForWriteLocked } from "./versions.ts";
import { uuid7 } from "../domain/ids.ts";
import { unprefixed, versionColumns } from "./rows.ts";

export interface TransitionInput {
  modelVersionId: string;
  stage: Stage;
  expectedStage?: Stage | null;
  archiveExisting?: boolean | null;
  comment?: string | null;
}

/** What a stage move changed: the version, the versions archived with it, and the recorded transition and its instant. */
export interface TransitionOutcome {
  modelVersion: ModelVersion;
  archivedVersions: ModelVersion[];
  transitionId: string;
  at: Date;
}

/**
 * Moves a version to another stage (compare-and-set with `expectedStage`), enforcing the stage's promotion policy
 * under the model lock: a stage that needs approvals is ApprovalRequiredError, any other broken rule a
 * PolicyViolationError. Versions archived as a consequence (the incumbent) are not checked against ARCHIVED's policy.
 */
export async function transitionModelVersionStage(ctx: ServiceContext, input: TransitionInput): Promise<TransitionOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  return transaction(ctx.prisma, async (tx) => {
    // The model's row lock is taken by the first read: everything else is re-read under it (reloadLocked).
    const { version: found, at } = await loadVersionForWriteLocked(ctx, tx, input.modelVersionId, "transition");
    const { version, past, target } = await reloadLocked(tx, found.id, input.modelVersionId, { model: found.model, stage: input.stage });
    if (input.expectedStage != null && version.stage !== input.expectedStage) {
      throw new StaleStageError(input.expectedStage, version.stage);
    }
    assertAllowedTransition(version.stage, input.stage, past);
    const evaluation = await evaluateStageMove(tx, found.model, version, input.stage, 0, target!.policy, { incumbent: target!.incumbent });
    assertDirectMoveAllowed(evaluation, input.stage);
    return auditedTransition(ctx, tx, "transitionModelVersionStage", {
      version,
      to: input.stage,
      cause: "MANUAL",
      comment: input.comment ?? null,
      archiveExisting: input.archiveExisting ?? false,
      at,
      // PRODUCTION holds one version at most (a unique index): the incumbent the policy was checked against.
      displaced: input.stage === "PRODUCTION" ? (evaluation.incumbent ? [evaluation.incumbent] : []) : undefined,
    });
  });
}

export interface RollbackInput {
  modelId: string;
  /** The version to bring back; by default the one most recently moved out of PRODUCTION. */
  toVersionId?: string | null;
  comment?: string | null;
}

/**
 * Puts back into PRODUCTION a version that has been there before, archiving the current one. Rollback is the
 * emergency path: it is exempt from PRODUCTION's promotion policy — approvals, metric gates, must-beat-incumbent
 * (the version it returns to was approved once, and is usually what the current one beat) and requireResource —
 * but wherever PRODUCTION has any policy (requireApprovalFor or a PromotionPolicy) it needs the ADMIN role.
 */
export async function rollbackModel(ctx: ServiceContext, input: RollbackInput): Promise<TransitionOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "read");
    // Checked once with the role this model needs, so a refusal names that role (not EDITOR, then ADMIN).
    const action = isEmptyPolicy(await stagePolicy(tx, model, "PRODUCTION")) ? "transition" : "approve";
    await authorize(tx, ctx.viewer, model.projectId, action, () => new NotFoundError("Model", input.modelId));
    const at = await lockModel(tx, model.id);
    let targetId: string;
    if (input.toVersionId != null) {
      targetId = idOf("ModelVersion", input.toVersionId);
      const wasInProduction = await tx.stageTransition.findFirst({
        where: { modelVersionId: targetId, modelId: model.id, toStage: "PRODUCTION" },
        select: { seq: true },
      });
      const target = await tx.modelVersion.findUnique({ where: { id: targetId } });
      if (!target || target.deletedAt || target.modelId !== model.id) throw new NotFoundError("ModelVersion", input.toVersionId);
      if (!wasInProduction) {
        throw new InvalidStageTransitionError(target.stage, "PRODUCTION", "Rollback only returns to a version that was in PRODUCTION before; use transitionModelVersionStage");
      }
    } else {
      // The latest version to have left PRODUCTION that is still around and not in PRODUCTION now.
      const left = await tx.stageTransition.findFirst({
        where: {
          modelId: model.id,
          fromStage: "PRODUCTION",
          modelVersion: { deletedAt: null, stage: { not: "PRODUCTION" } },
        },
        orderBy: { seq: "desc" },
        select: { modelVersionId: true },
      });
      if (!left) {
        throw ValidationError.single(["input", "modelId"], "no earlier PRODUCTION version to roll back to");
      }
      targetId = left.modelVersionId;
    }
    const { version, past } = await reloadLocked(tx, targetId, input.toVersionId ?? input.modelId);
    if (version.stage === "PRODUCTION") {
      throw new InvalidStageTransitionError("PRODUCTION", "PRODUCTION", "The version is already in PRODUCTION");
    }
    assertAllowedTransition(version.stage, "PRODUCTION", past);
    return auditedTransition(ctx, tx, "rollbackModel", { version, to: "PRODUCTION", cause: "ROLLBACK", comment: input.comment ?? null, archiveExisting: false, at });
  });
}

/** Applies a move and records the mutation that asked for it in the audit log. */
export async function auditedTransition(ctx: ServiceContext, tx: Tx, action: string, move: Move): Promise<TransitionOutcome> {
  const outcome = await applyTransition(ctx, tx, move);
  audit(tx, ctx, {
    action,
    targetType: "ModelVersion",
    targetId: move.version.id,
    projectId: move.version.projectId,
    before: move.version,
    after: { ...outcome.modelVersion, archivedVersionIds: outcome.archivedVersions.map((v) => v.id) },
  });
  return outcome;
}

/**
 * The version as it is now that the model is locked (the first load may predate another move), with the stages it
 * has entered (`stagePastOf`), in one statement; given a target stage, the same statement also reads what the move
 * is checked against: the stage's policy (`stagePolicy`) and its incumbent (`stageIncumbent`).
 */
async function reloadLocked(
  tx: Tx,
  id: string,
  ref: string,
  to?: { model: Pick<Model, "requireApprovalFor">; stage: Stage },
): Promise<{ version: ModelVersion; past: StagePast; target?: { policy: Policy; incumbent: ModelVersion | null } }> {
  const rows = await tx.$queryRaw<Record<string, unknown>[]>`
    SELECT ${versionColumns("v")},
      ARRAY(SELECT DISTINCT t."toStage"::text FROM "StageTransition" t WHERE t."modelVersionId" = v."id") AS "entered"
      ${to ? Prisma.sql`, pp."approvals" AS "pp_approvals", pp."metricGates" AS "pp_metricGates", pp."mustBeatIncumbent" AS "pp_mustBeatIncumbent",
        pp."requireResource" AS "pp_requireResource", pp."id" AS "pp_id", ${versionColumns("i", "i_")}` : Prisma.empty}
    FROM "ModelVersion" v
    ${to ? Prisma.sql`LEFT JOIN "PromotionPolicy" pp ON pp."modelId" = v."modelId" AND pp."targetStage" = ${to.stage}::"ModelVersionStage"
      ${stageIncumbentLateral("i", to.stage)}` : Prisma.empty}
    WHERE v."id" = ${id}`;
  const row = rows[0];
  if (!row || row.deletedAt) throw new NotFoundError("ModelVersion", ref);
  const version = Object.fromEntries(Object.entries(row).filter(([key]) => !/^(entered$|pp_|i_)/.test(key))) as unknown as ModelVersion;
  const past = { entered: row.entered as Stage[] };
  if (!to) return { version, past };
  const stored = row.pp_id != null ? (unprefixed<StoredPolicy>(row, "pp_")) : null;
  const incumbent = row.i_id != null ? unprefixed<ModelVersion>(row, "i_") : null;
  return { version, past, target: { policy: effectivePolicy(stored, to.model.requireApprovalFor.includes(to.stage)), incumbent } };
}

interface Move {
  version: ModelVersion;
  to: Stage;
  cause: TransitionCause;
  comment: string | null;
  archiveExisting: boolean;
  /** The instant of the move, read under the model lock (`lockModel`'s); read here when not given. */
  at?: Date;
  /** The versions the move displaces, when the caller has just read them under the lock; read here when not given. */
  displaced?: ModelVersion[];
}

/**
 * The single place where a stage changes. Runs under the model lock: archives the PRODUCTION incumbent (or,
 * with archiveExisting, the other STAGING versions), moves the version, records each move and its event.
 */
export async function applyTransition(ctx: ServiceContext, tx: Tx, move: Move): Promise<TransitionOutcome> {
  const { version, to } = move;
  // One instant for every move of this change: they commit together, so the past (versionAt) must not show a
  // state between them (e.g. no PRODUCTION version). Read under the model lock, so times still follow `seq`.
  const at = move.at ?? ((await tx.$queryRaw<{ at: Date }[]>`SELECT clock_timestamp()::timestamptz(3) AS at`) as [{ at: Date }])[0].at;
  const displaced =
    to === "PRODUCTION" || (to === "STAGING" && move.archiveExisting)
      ? (move.displaced ??
        (await tx.modelVersion.findMany({
          where: { modelId: version.modelId, stage: to, deletedAt: null, id: { not: version.id } },
          orderBy: { number: "asc" },
        })))
      : [];
  const moves: Change[] = [
    ...displaced.map((other) => ({ version: other, to: "ARCHIVED" as const, cause: "AUTO_ARCHIVE" as const, comment: `archived when version ${version.number} entered ${to}` })),
    { version, to, cause: move.cause, comment: move.comment },
  ];
  const recorded = await recordMoves(ctx, tx, moves, at);
  const moved = recorded.at(-1)!;
  return { modelVersion: moved.version, archivedVersions: recorded.slice(0, -1).map((r) => r.version), transitionId: moved.transitionId, at };
}

/** One version's change of stage, as `recordMoves` writes it. */
interface Change {
  version: ModelVersion;
  to: Stage;
  cause: TransitionCause;
  comment: string | null;
}

/**
 * Writes the moves in one statement, in order: each version's new stage, and its StageTransition row (their seqs in
 * the moves' order). The last move (the version asked for) is updated only once the others are (its UPDATE's
 * condition reads them), so a version entering PRODUCTION never meets the incumbent still there (the unique index
 * holding one PRODUCTION version per model is checked row by row). Appends a stage-change event per move, in order.
 */
async function recordMoves(ctx: ServiceContext, tx: Tx, moves: Change[], at: Date): Promise<{ version: ModelVersion; transitionId: string }[]> {
  const last = moves.length - 1;
  const json = JSON.stringify(
    moves.map((m, n) => ({ n, versionId: m.version.id, transitionId: uuid7(), fromStage: m.version.stage, toStage: m.to, cause: m.cause, comment: m.comment })),
  );
  const updatedAt = new Date();
  const rows = await tx.$queryRaw<(ModelVersion & { transitionId: string })[]>`
    WITH moves AS MATERIALIZED (
      SELECT * FROM json_to_recordset(${json}::json) AS x("n" int, "versionId" text, "transitionId" text, "fromStage" text,
        "toStage" text, "cause" text, "comment" text)),
    earlier AS (
      UPDATE "ModelVersion" v SET "stage" = x."toStage"::"ModelVersionStage", "stageChangedAt" = ${at}, "updatedAt" = ${updatedAt}
      FROM moves x WHERE v."id" = x."versionId" AND x."n" < ${last}::int
      RETURNING v.*),
    asked AS (
      UPDATE "ModelVersion" v SET "stage" = x."toStage"::"ModelVersionStage", "stageChangedAt" = ${at}, "updatedAt" = ${updatedAt}
      FROM moves x WHERE v."id" = x."versionId" AND x."n" = ${last}::int AND (SELECT count(*) FROM earlier) >= 0
      RETURNING v.*),
    moved AS (SELECT * FROM earlier UNION ALL SELECT * FROM asked),
    recorded AS (
      INSERT INTO "StageTransition" ("id", "projectId", "modelId", "modelVersionId", "fromStage", "toStage", "cause", "actorId", "comment", "at")
      SELECT x."transitionId", m."projectId", m."modelId", m."id", x."fromStage"::"ModelVersionStage", x."toStage"::"ModelVersionStage",
        x."cause"::"TransitionCause", ${ctx.viewer.userId}, x."comment", ${at}
      FROM moves x JOIN moved m ON m."id" = x."versionId"
      ORDER BY x."n"
      RETURNING 1)
    SELECT ${versionColumns("m")}, x."transitionId" FROM moves x JOIN moved m ON m."id" = x."versionId" ORDER BY x."n"`;
  if (rows.length !== moves.length) throw new NotFoundError("ModelVersion", moves[rows.length]?.version.id ?? moves[last]!.version.id);
  return rows.map((row, n) => {
    const { transitionId, ...moved } = row;
    const { version, to, cause } = moves[n]!;
    appendEvent(tx, {
      projectId: version.projectId,
      type: "MODEL_VERSION_STAGE_CHANGED",
      actorId: ctx.viewer.userId,
      modelId: version.modelId,
      modelVersionId: version.id,
      payload: { number: version.number, fromStage: version.stage, toStage: to, cause },
    });
    return { version: moved, transitionId };
  });
}
