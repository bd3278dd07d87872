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
import type { Model, ModelVersion, PromotionPolicy } from "../generated/prisma/client.ts";
import { audit } from "./audit.ts";
import { stagePastOf } from "./history.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite, lockModel } from "./models.ts";

type Db = Prisma | Tx;

/** A target of a model: a stage or (later) an alias. */
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

/** Alias targets are enforced once aliases exist in this codebase; until then such a policy is refused. */
function refuseAliasTargets(target: PolicyTarget): void {
  if (target.alias != null) {
    throw ValidationError.single(["input", "alias"], "alias targets are not supported by this server yet: give a `stage`");
  }
}

const whereTarget = (modelId: string, target: PolicyTarget) =>
  target.stage != null ? { modelId, targetStage: target.stage } : { modelId, targetAlias: target.alias! };

/**
 * Creates or changes the policy of one target (project ADMIN, like the approval policy). Fields left out keep their
 * value (or their default, 0 / [] / false, for a new policy); a list given replaces the whole list.
 */
export async function setPromotionPolicy(ctx: ServiceContext, input: SetPromotionPolicyInput): Promise<PolicyOutcome> {
  checkPolicyInput(check(), input).done();
  refuseAliasTargets(input);
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
    await appendEvent(tx, {
      projectId: model.projectId,
      type: "PROMOTION_POLICY_CHANGED",
      actorId: ctx.viewer.userId,
      modelId: model.id,
      payload: { ...targetPayload(input), policy: policyPayload(policy) },
    });
    await audit(tx, ctx, {
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
  refuseAliasTargets(input);
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "manage");
    await lockModel(tx, model.id);
    const before = await tx.promotionPolicy.findFirst({ where: whereTarget(model.id, input) });
    if (before) await tx.promotionPolicy.delete({ where: { id: before.id } });
    await appendEvent(tx, {
      projectId: model.projectId,
      type: "PROMOTION_POLICY_CHANGED",
      actorId: ctx.viewer.userId,
      modelId: model.id,
      payload: { ...targetPayload(input), policy: null, removed: before != null },
    });
    await audit(tx, ctx, { action: "removePromotionPolicy", targetType: "Model", targetId: model.id, projectId: model.projectId, before: before ?? undefined, after: { ...targetPayload(input), removed: before != null } });
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
 * The version a stage holds now, other than `candidateId`: the PRODUCTION version, or for another stage the live
 * version that entered it last (as `versionAt` answers for STAGING).
 */
export async function stageIncumbent(db: Db, modelId: string, stage: Stage, candidateId: string): Promise<ModelVersion | null> {
  return db.modelVersion.findFirst({
    where: { modelId, stage, deletedAt: null, id: { not: candidateId } },
    orderBy: [{ stageChangedAt: "desc" }, { number: "desc" }],
  });
}

/**
 * Evaluates moving `version` into `stage` with `approvals` given so far. Pass `policy` to evaluate another one than
 * the stage's (a request needs at least one approval even where the stage needs none). Inside a transaction the
 * caller holds the model lock, so the verdict stays true until commit.
 */
export async function evaluateStageMove(
  db: Db,
  model: Pick<Model, "id" | "requireApprovalFor">,
  version: ModelVersion,
  stage: Stage,
  approvals: number,
  policy?: Policy,
): Promise<Evaluation> {
  const effective = policy ?? (await stagePolicy(db, model, stage));
  const needsIncumbent = effective.mustBeatIncumbent.length > 0;
  const incumbent = await stageIncumbent(db, model.id, stage, version.id);
  const results = evaluatePolicy(
    effective,
    { metrics: metricsMap(version.metrics), hasResource: version.resourceId != null },
    needsIncumbent && incumbent ? { number: incumbent.number, metrics: metricsMap(incumbent.metrics) } : null,
    approvals,
  );
  return { target: targetLabel({ stage }), policy: effective, incumbent, results };
}

/**
 * What a direct move (no request) must pass: every rule, approvals counted as 0. Only missing approvals is the
 * ApprovalRequiredError of old; any other broken rule is a PolicyViolationError listing every broken rule, the
 * APPROVALS one included.
 */
export function assertDirectMoveAllowed(evaluation: Evaluation, stage: Stage): void {
  const violations = violationsOf(evaluation.results);
  if (violations.some((v) => v.rule !== "APPROVALS")) throw new PolicyViolationError(evaluation.target, violations);
  if (violations.length > 0) throw new ApprovalRequiredError(stage);
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
  stage: Stage;
  /** Why the move is refused outside the policy (stage table, deleted version, archived model); null if it is not. */
  transitionProblem: string | null;
}

/**
 * Evaluates moving `version` into `stage` right now, as transitionModelVersionStage would (approvals counted as 0),
 * without writing anything.
 */
export async function checkPromotion(db: Db, version: ModelVersion, stage: Stage): Promise<PromotionCheck> {
  const model = await db.model.findUniqueOrThrow({ where: { id: version.modelId }, include: { project: { select: { status: true } } } });
  let transitionProblem: string | null = null;
  if (version.deletedAt) transitionProblem = "the version is deleted";
  else if (model.status === "ARCHIVED" || model.project.status === "ARCHIVED") transitionProblem = "the model is archived (read-only)";
  else {
    try {
      assertAllowedTransition(version.stage, stage, await stagePastOf(db, version.id));
    } catch (error) {
      if (!(error instanceof InvalidStageTransitionError)) throw error;
      transitionProblem = error.message;
    }
  }
  return { ...(await evaluateStageMove(db, model, version, stage, 0)), stage, transitionProblem };
}
