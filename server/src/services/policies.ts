// Promotion policies (DESIGN.md §1 "Promotion policies"): setting and removing a model's policies (ADMIN), and the
// one way the rest of the services and reads evaluate a move against them: load the target's effective policy,
// the candidate and the incumbent, and hand them to domain/policies.ts's `evaluatePolicy`.
import { ApprovalRequiredError, InvalidStageTransitionError, PolicyViolationError, ValidationError } from "../domain/errors.ts";
import {
  checkPolicyInput,
  checkPolicyTarget,
  effectivePolicy,
  evaluatePolicy,
  storedGates,
  storedMustBeat,
  targetLabel,
  violationsOf,
  type MetricGate,
  type MustBeatRule,
  type Policy,
  type RuleResult,
} from "../domain/policies.ts";
import { check, metricsFromMap, metricsToMap, MAX_PROMOTION_POLICIES_PER_MODEL } from "../domain/rules.ts";
import { assertAllowedTransition, type Stage } from "../domain/stages.ts";
import type { Prisma } from "../db/database.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import { Prisma as PrismaSql, type Model, type ModelVersion, type PromotionPolicy } from "../generated/prisma/client.ts";
import { audit } from "./audit.ts";
import { stagePastOf } from "./history.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite, lockModel } from "./models.ts";

type Db = Prisma | Tx;

/** A target of a model: a stage or an alias (exactly one). */
export interface PolicyTarget {
  stage?: Stage | null;
  alias?: string | null;
}

export interface SetPromotionPolicyInput extends PolicyTarget {
  modelId: string;
  approvals?: number | null;
  metricGates?: readonly MetricGate[] | null;
  mustBeatIncumbent?: readonly MustBeatRule[] | null;
  requireResource?: boolean | null;
}

export interface PolicyOutcome {
  model: Model;
  promotionPolicy: PromotionPolicy | null;
}

const whereTarget = (modelId: string, target: PolicyTarget) =>
  target.stage != null ? { modelId, targetStage: target.stage } : { modelId, targetAlias: target.alias! };

/**
 * Creates or changes the policy of one target (project ADMIN, like the approval policy). Fields left out keep their
 * value (or their default, 0 / [] / false, for a new policy); a list given replaces the whole list.
 */
export async function setPromotionPolicy(ctx: ServiceContext, input: SetPromotionPolicyInput): Promise<PolicyOutcome> {
  checkPolicyInput(check(), input).done();
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "manage");
    // Under the model lock a policy cannot change while a move of the model is being checked against it.
    await lockModel(tx, model.id);
    const before = await tx.promotionPolicy.findFirst({ where: whereTarget(model.id, input) });
    if (!before && (await tx.promotionPolicy.count({ where: { modelId: model.id } })) >= MAX_PROMOTION_POLICIES_PER_MODEL) {
      throw ValidationError.single(["input"], `a model has at most ${MAX_PROMOTION_POLICIES_PER_MODEL} promotion policies; remove one first`);
    }
    const fields = {
      ...(input.approvals != null ? { approvals: input.approvals } : {}),
      ...(input.metricGates != null ? { metricGates: storedGates(input.metricGates) as object[] } : {}),
      ...(input.mustBeatIncumbent != null ? { mustBeatIncumbent: storedMustBeat(input.mustBeatIncumbent) as object[] } : {}),
      ...(input.requireResource != null ? { requireResource: input.requireResource } : {}),
      updatedById: ctx.viewer.userId,
    };
    const policy = before
      ? await tx.promotionPolicy.update({ where: { id: before.id }, data: fields })
      : await tx.promotionPolicy.create({
          data: {
            projectId: model.projectId,
            modelId: model.id,
            targetStage: input.stage ?? null,
            targetAlias: input.alias ?? null,
            createdById: ctx.viewer.userId,
            ...fields,
          },
        });
    appendEvent(tx, {
      projectId: model.projectId,
      type: "PROMOTION_POLICY_CHANGED",
      actorId: ctx.viewer.userId,
      modelId: model.id,
      payload: { ...targetPayload(input), policy: policyPayload(policy) },
    });
    audit(tx, ctx, {
      action: "setPromotionPolicy",
      targetType: "Model",
      targetId: model.id,
      projectId: model.projectId,
      before: before ?? undefined,
      after: policy,
    });
    const { project: _project, ...row } = model;
    return { model: row, promotionPolicy: policy };
  });
}

/** Removes the policy of one target (project ADMIN); `promotionPolicy` is the removed one, null if there was none. */
export async function removePromotionPolicy(ctx: ServiceContext, input: PolicyTarget & { modelId: string }): Promise<PolicyOutcome> {
  checkPolicyTarget(check(), input).done();
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "manage");
    await lockModel(tx, model.id);
    const before = await tx.promotionPolicy.findFirst({ where: whereTarget(model.id, input) });
    if (before) await tx.promotionPolicy.delete({ where: { id: before.id } });
    appendEvent(tx, {
      projectId: model.projectId,
      type: "PROMOTION_POLICY_CHANGED",
      actorId: ctx.viewer.userId,
      modelId: model.id,
      payload: { ...targetPayload(input), policy: null, removed: before != null },
    });
    audit(tx, ctx, { action: "removePromotionPolicy", targetType: "Model", targetId: model.id, projectId: model.projectId, before: before ?? undefined, after: { ...targetPayload(input), removed: before != null } });
    const { project: _project, ...row } = model;
    return { model: row, promotionPolicy: before };
  });
}

const targetPayload = (target: PolicyTarget) => (target.stage != null ? { stage: target.stage } : { alias: target.alias });

const policyPayload = (p: PromotionPolicy) => ({
  approvals: p.approvals,
  metricGates: p.metricGates,
  mustBeatIncumbent: p.mustBeatIncumbent,
  requireResource: p.requireResource,
});

// ---- evaluation ----

/** Everything a verdict on one move is made of, and the verdict. */
export interface Evaluation {
  target: string;
  policy: Policy;
  incumbent: ModelVersion | null;
  results: RuleResult[];
}

/** The policy a stage of a model enforces: its PromotionPolicy row folded with `requireApprovalFor`. */
export async function stagePolicy(db: Db, model: Pick<Model, "id" | "requireApprovalFor">, stage: Stage): Promise<Policy> {
  const row = await db.promotionPolicy.findFirst({ where: { modelId: model.id, targetStage: stage } });
  return effectivePolicy(row, model.requireApprovalFor.includes(stage));
}

/**
 * The policy an alias of a model enforces: its PromotionPolicy row folded with `protectedAliases` (a protected
 * alias is the short form of "one approval", as `requireApprovalFor` is for a stage).
 */
export async function aliasPolicy(db: Db, model: Pick<Model, "id" | "protectedAliases">, alias: string): Promise<Policy> {
  const row = await db.promotionPolicy.findFirst({ where: { modelId: model.id, targetAlias: alias } });
  return effectivePolicy(row, model.protectedAliases.includes(alias));
}

/** The policy of a target, stage or alias. */
export function targetPolicy(db: Db, model: Pick<Model, "id" | "requireApprovalFor" | "protectedAliases">, target: PolicyTarget): Promise<Policy> {
  return target.alias != null ? aliasPolicy(db, model, target.alias) : stagePolicy(db, model, target.stage!);
}

/**
 * The incumbent `stageIncumbent` reads, as an SQL fragment for a statement that reads more: a LATERAL subquery named
 * `alias`, for the version `v` of the statement (candidate), the stage given. Keep the two in step.
 */
export function stageIncumbentLateral(alias: string, stage: Stage): PrismaSql.Sql {
  return PrismaSql.sql`LEFT JOIN LATERAL (
      SELECT * FROM "ModelVersion" c
      WHERE c."modelId" = v."modelId" AND c."stage" = ${stage}::"ModelVersionStage" AND c."deletedAt" IS NULL AND c."id" <> v."id"
      ORDER BY c."stageChangedAt" DESC, c."number" DESC LIMIT 1) ${PrismaSql.raw(`"${alias}"`)} ON true`;
}

/**
 * The version a stage holds now, other than `candidateId`: the PRODUCTION version, or for another stage the live
 * version that entered it last (as `versionAt` answers for STAGING).
 */
export async function stageIncumbent(db: Db, modelId: string, stage: Stage, candidateId: string): Promise<ModelVersion | null> {
  return db.modelVersion.findFirst({
    where: { modelId, stage, deletedAt: null, id: { not: candidateId } },
    orderBy: [{ stageChangedAt: "desc" }, { number: "desc" }],
  });
}

/** The version an alias points at now, other than `candidateId` (null: unset, or already the candidate). */
export async function aliasIncumbent(db: Db, modelId: string, alias: string, candidateId: string): Promise<ModelVersion | null> {
  const row = await db.modelAlias.findUnique({ where: { modelId_name: { modelId, name: alias } }, select: { modelVersionId: true } });
  if (!row || row.modelVersionId === candidateId) return null;
  return db.modelVersion.findUnique({ where: { id: row.modelVersionId } });
}

/**
 * Evaluates moving `version` into a target (a stage, or an alias pointing at it) with `approvals` given so far. Pass
 * `policy` to evaluate another one than the target's (a request needs at least one approval even where the target
 * needs none). Inside a transaction the caller holds the model lock, so the verdict stays true until commit.
 */
export async function evaluateMove(
  db: Db,
  model: Pick<Model, "id" | "requireApprovalFor" | "protectedAliases">,
  version: ModelVersion,
  target: PolicyTarget,
  approvals: number,
  policy?: Policy,
  /** The target's incumbent when the caller has just read it under the model lock (undefined: read it here). */
  known?: { incumbent: ModelVersion | null },
): Promise<Evaluation> {
  const effective = policy ?? (await targetPolicy(db, model, target));
  const needsIncumbent = effective.mustBeatIncumbent.length > 0;
  const incumbent = known
    ? known.incumbent
    : target.alias != null
      ? await aliasIncumbent(db, model.id, target.alias, version.id)
      : await stageIncumbent(db, model.id, target.stage!, version.id);
  const results = evaluatePolicy(
    effective,
    { metrics: metricsMap(version.metrics), hasResource: version.resourceId != null },
    needsIncumbent && incumbent ? { number: incumbent.number, metrics: metricsMap(incumbent.metrics) } : null,
    approvals,
  );
  return { target: targetLabel(target), policy: effective, incumbent, results };
}

/** evaluateMove for a stage target. */
export function evaluateStageMove(
  db: Db,
  model: Pick<Model, "id" | "requireApprovalFor" | "protectedAliases">,
  version: ModelVersion,
  stage: Stage,
  approvals: number,
  policy?: Policy,
  known?: { incumbent: ModelVersion | null },
): Promise<Evaluation> {
  return evaluateMove(db, model, version, { stage }, approvals, policy, known);
}

/**
 * What a direct move (no request) must pass: every rule, approvals counted as 0. Only missing approvals is the
 * ApprovalRequiredError of old; any other broken rule is a PolicyViolationError listing every broken rule, the
 * APPROVALS one included.
 */
export function assertDirectMoveAllowed(evaluation: Evaluation, target: Stage | PolicyTarget): void {
  const violations = violationsOf(evaluation.results);
  if (violations.some((v) => v.rule !== "APPROVALS")) throw new PolicyViolationError(evaluation.target, violations);
  if (violations.length === 0) return;
  const alias = typeof target === "string" ? null : target.alias ?? null;
  if (alias === null) throw new ApprovalRequiredError(typeof target === "string" ? target : target.stage!);
  const n = evaluation.policy.approvals;
  throw new ApprovalRequiredError(
    { alias },
    `The alias ${JSON.stringify(alias)} only moves through an approved transition request (requestModelVersionTransition with alias): ` +
      `it is protected or its promotion policy asks for ${n} approval${n === 1 ? "" : "s"}`,
  );
}

/**
 * What a request, and each approval of it, must pass: every rule but APPROVALS (which the request exists to
 * collect). Throws a PolicyViolationError listing each broken one.
 */
export function assertRulesPassExceptApprovals(evaluation: Evaluation): void {
  const violations = violationsOf(evaluation.results).filter((v) => v.rule !== "APPROVALS");
  if (violations.length > 0) throw new PolicyViolationError(evaluation.target, violations);
}

function metricsMap(stored: unknown): Record<string, number> {
  return metricsToMap(metricsFromMap(stored));
}

/** The verdict `modelVersion.promotionCheck` shows: the same evaluation a direct move runs, with nothing moved. */
export interface PromotionCheck extends Evaluation {
  stage: Stage | null;
  alias: string | null;
  /** Why the move is refused outside the policy (stage table, deleted version, archived model); null if it is not. */
  transitionProblem: string | null;
}

/**
 * Evaluates moving `version` into a stage, or pointing an alias at it, right now, as transitionModelVersionStage or
 * setModelAlias would (approvals counted as 0), without writing anything.
 */
export async function checkPromotion(db: Db, version: ModelVersion, target: PolicyTarget): Promise<PromotionCheck> {
  checkPolicyTarget(check(), target).done();
  const model = await db.model.findUniqueOrThrow({ where: { id: version.modelId }, include: { project: { select: { status: true } } } });
  let transitionProblem: string | null = null;
  if (version.deletedAt) transitionProblem = "the version is deleted";
  else if (model.status === "ARCHIVED" || model.project.status === "ARCHIVED") transitionProblem = "the model is archived (read-only)";
  else if (target.stage != null) {
    try {
      assertAllowedTransition(version.stage, target.stage, await stagePastOf(db, version.id));
    } catch (error) {
      if (!(error instanceof InvalidStageTransitionError)) throw error;
      transitionProblem = error.message;
    }
  }
  return { ...(await evaluateMove(db, model, version, target, 0)), stage: target.stage ?? null, alias: target.alias ?? null, transitionProblem };
}
