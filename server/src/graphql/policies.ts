// Promotion policies (DESIGN.md §1 "Promotion policies"): the policy types, `model.promotionPolicies`,
// `modelVersion.promotionCheck`, the approvals of a request, and setPromotionPolicy / removePromotionPolicy.
import type { RuleResult } from "../domain/policies.ts";
import { MAX_PROMOTION_POLICIES_PER_MODEL } from "../domain/rules.ts";
import type { PromotionPolicy } from "../generated/prisma/client.ts";
import {
  checkPromotion,
  removePromotionPolicy,
  setPromotionPolicy,
  targetPolicy,
  type PolicyOutcome,
  type PromotionCheck,
} from "../services/policies.ts";
import { builder } from "./builder.ts";
import { StageEnum } from "./common.ts";
import { COMMON_ERRORS, PolicyComparisonEnum, PolicyRuleEnum, PolicyViolationRef } from "./errors.ts";
import { ModelRef } from "./models.ts";
import { ModelVersionRef } from "./versions.ts";

type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";
type Direction = "HIGHER_IS_BETTER" | "LOWER_IS_BETTER";

export const MetricDirectionEnum = builder.enumType("MetricDirection", {
  description: "Which way a metric improves.",
  values: {
    HIGHER_IS_BETTER: { description: "Higher values are better (accuracy, recall)." },
    LOWER_IS_BETTER: { description: "Lower values are better (loss, latency)." },
  } as const,
});

// ---- the policy ----

const MetricGateRef = builder.objectRef<{ metric: string; min?: number | null; max?: number | null }>("MetricGate").implement({
  description: "A version's metric must lie within [min, max] (inclusive; either bound may be absent).",
  fields: (t) => ({
    metric: t.exposeString("metric", { description: "Metric name." }),
    min: t.float({ nullable: true, description: "Lowest accepted value.", resolve: (g) => g.min ?? null }),
    max: t.float({ nullable: true, description: "Highest accepted value.", resolve: (g) => g.max ?? null }),
  }),
});

const MustBeatIncumbentRef = builder.objectRef<{ metric: string; direction: Direction; margin?: number | null }>("MustBeatIncumbentRule").implement({
  description: "A version's metric must beat the version the target holds now by at least `margin` (a tie passes with margin 0).",
  fields: (t) => ({
    metric: t.exposeString("metric", { description: "Metric name." }),
    direction: t.field({ type: MetricDirectionEnum, description: "Which way the metric improves.", resolve: (r) => r.direction }),
    margin: t.float({ description: "How much better it must be (≥ 0).", resolve: (r) => r.margin ?? 0 }),
  }),
});

export const PromotionPolicyRef = builder.objectRef<PromotionPolicy>("PromotionPolicy").implement({
  description:
    "What a version must meet to enter one target of its model: a stage, or an alias pointing at it. `requireApprovalFor: [stage]` (or `protectedAliases: [alias]`) on the model counts as `approvals: 1`: the target needs the larger of the two.",
  fields: (t) => ({
    stage: t.field({ type: StageEnum, nullable: true, description: "The target stage (null for an alias target).", resolve: (p) => p.targetStage }),
    alias: t.string({ nullable: true, description: "The target alias (null for a stage target).", resolve: (p) => p.targetAlias }),
    approvals: t.exposeInt("approvals", { description: "Distinct approvers (project ADMINs other than the requester) this policy asks for; 0: none." }),
    requiredApprovals: t.int({
      description: "Approvals the target needs, with the model's requireApprovalFor / protectedAliases folded in (max of the two).",
      resolve: async (p, _args, ctx) => {
        const model = await ctx.prisma.model.findUniqueOrThrow({ where: { id: p.modelId }, select: { id: true, requireApprovalFor: true, protectedAliases: true } });
        return (await targetPolicy(ctx.prisma, model, p.targetAlias != null ? { alias: p.targetAlias } : { stage: p.targetStage as Stage })).approvals;
      },
    }),
    metricGates: t.field({ type: [MetricGateRef], description: "Bounds on the version's metrics.", resolve: (p) => p.metricGates as never }),
    mustBeatIncumbent: t.field({ type: [MustBeatIncumbentRef], description: "Metrics on which the version must beat the incumbent.", resolve: (p) => p.mustBeatIncumbent as never }),
    requireResource: t.exposeBoolean("requireResource", { description: "The version must have an artifact." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the policy was first set." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change." }),
    updatedBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who changed it last.",
      resolve: (query, p, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: p.updatedById } }),
    }),
  }),
});

builder.prismaObjectField("Model", "promotionPolicies", (t) =>
  t.field({
    type: [PromotionPolicyRef],
    description: `The model's promotion policies, one per target, in stage order (at most ${MAX_PROMOTION_POLICIES_PER_MODEL}).`,
    resolve: (m, _args, ctx) =>
      ctx.prisma.promotionPolicy.findMany({ where: { modelId: m.id }, orderBy: [{ targetStage: "asc" }, { targetAlias: "asc" }], take: MAX_PROMOTION_POLICIES_PER_MODEL }),
  }),
);

// ---- the check ----

const PolicyRuleResultRef = builder.objectRef<RuleResult>("PolicyRuleResult").implement({
  description: "One rule of the target's policy and whether the version passes it now.",
  fields: (t) => ({
    rule: t.field({ type: PolicyRuleEnum, description: "Which kind of rule.", resolve: (r) => r.rule }),
    metric: t.exposeString("metric", { nullable: true, description: "The metric (METRIC_GATE, MUST_BEAT_INCUMBENT); null otherwise." }),
    passed: t.exposeBoolean("passed", { description: "Whether the version passes it." }),
    actual: t.exposeFloat("actual", { nullable: true, description: "The version's value (null when it lacks the metric); approvals given for APPROVALS." }),
    required: t.exposeFloat("required", { nullable: true, description: "The bound to reach (see `comparison`); null when there is none (e.g. no incumbent)." }),
    comparison: t.field({ type: PolicyComparisonEnum, nullable: true, description: "AT_LEAST (≥) or AT_MOST (≤).", resolve: (r) => r.comparison }),
    message: t.exposeString("message", { description: "The verdict, for humans." }),
  }),
});

const PromotionCheckRef = builder.objectRef<PromotionCheck>("PromotionCheck").implement({
  description:
    "The verdict of the target's promotion policy on moving this version now, computed by the same rules as the move itself, with nothing moved.",
  fields: (t) => ({
    stage: t.field({ type: StageEnum, nullable: true, description: "The target stage (null when the target is an alias).", resolve: (c) => c.stage }),
    alias: t.string({ nullable: true, description: "The target alias (null when the target is a stage).", resolve: (c) => c.alias }),
    allowed: t.boolean({
      description:
        "Whether transitionModelVersionStage (or setModelAlias, for an alias) would move it now: the stage table allows it and no rule is broken (a target needing approval never is).",
      resolve: (c) => c.transitionProblem === null && c.results.every((r) => r.passed),
    }),
    needsApproval: t.boolean({
      description: "Whether the target needs approvals: go through requestModelVersionTransition; it can be approved once every other rule passes.",
      resolve: (c) => c.policy.approvals > 0,
    }),
    requiredApprovals: t.int({ description: "Distinct approvers the target needs (0: none).", resolve: (c) => c.policy.approvals }),
    transitionProblem: t.string({
      nullable: true,
      description: "Why the move is refused whatever the policy (stage table, deleted version, archived model); null when it is not.",
      resolve: (c) => c.transitionProblem,
    }),
    incumbent: t.field({ type: ModelVersionRef, nullable: true, description: "The version the target holds now (what must-beat rules compare with).", resolve: (c) => c.incumbent }),
    violations: t.field({
      type: [PolicyViolationRef],
      description: "Every broken rule, as transitionModelVersionStage's or setModelAlias's PolicyViolationError would list them (APPROVALS included).",
      resolve: (c) => c.results.filter((r) => !r.passed),
    }),
    rules: t.field({ type: [PolicyRuleResultRef], description: "Every rule of the policy, passed or not.", resolve: (c) => c.results }),
  }),
});

builder.prismaObjectField("ModelVersion", "promotionCheck", (t) =>
  t.field({
    type: PromotionCheckRef,
    description:
      "Would the target's promotion policy let this version move now (into `stage`, or `alias` pointing at it; give exactly one)? Each rule with its verdict; no side effects.",
    args: {
      stage: t.arg({ type: StageEnum, description: "The target stage." }),
      alias: t.arg.string({ description: "The target alias (not `latest`)." }),
    },
    select: { modelId: true, stage: true, deletedAt: true, metrics: true, resourceId: true },
    resolve: (v, args, ctx) => checkPromotion(ctx.prisma, v, { stage: (args.stage as Stage | null | undefined) ?? null, alias: args.alias ?? null }),
  }),
);

// ---- the approvals of a request ----

builder.prismaObject("TransitionApproval", {
  description: "One approver's approval of a transition request.",
  fields: (t) => ({
    comment: t.exposeString("comment", { nullable: true, description: "The approver's comment." }),
    at: t.expose("at", { type: "DateTime", description: "When." }),
    approver: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who approved.",
      resolve: (query, a, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: a.approverId } }),
    }),
  }),
});

builder.prismaObjectField("TransitionRequest", "approvals", (t) =>
  t.relation("approvals", {
    description: "Approvals given so far, oldest first (the last one moved the version when the request is APPROVED).",
    query: { orderBy: [{ at: "asc" }, { id: "asc" }] },
  }),
);

builder.prismaObjectField("TransitionRequest", "requiredApprovals", (t) =>
  t.int({
    description: "Distinct approvals the request needs under the target's policy as it is now (at least 1).",
    resolve: async (r, _args, ctx) => {
      const version = await ctx.prisma.modelVersion.findUniqueOrThrow({
        where: { id: r.modelVersionId },
        select: { model: { select: { id: true, requireApprovalFor: true, protectedAliases: true } } },
      });
      const target = r.toAlias != null ? { alias: r.toAlias } : { stage: r.toStage as Stage };
      return Math.max(1, (await targetPolicy(ctx.prisma, version.model, target)).approvals);
    },
  }),
);

// ---- mutations ----

const MetricGateInput = builder.inputType("MetricGateInput", {
  description: "A bound on a metric: give min, max or both (min ≤ max, inclusive).",
  fields: (t) => ({
    metric: t.string({ required: true, description: "Metric name (≤ 255 characters)." }),
    min: t.float({ description: "Lowest accepted value." }),
    max: t.float({ description: "Highest accepted value." }),
  }),
});

const MustBeatIncumbentInput = builder.inputType("MustBeatIncumbentInput", {
  description: "The candidate must beat the version the target holds by at least `margin` in `direction`.",
  fields: (t) => ({
    metric: t.string({ required: true, description: "Metric name (≤ 255 characters)." }),
    direction: t.field({ type: MetricDirectionEnum, required: true, description: "Which way the metric improves." }),
    margin: t.float({ description: "How much better (≥ 0, default 0: a tie passes)." }),
  }),
});

const PolicyPayload = (name: string, policyDescription: string, nullable: boolean) =>
  builder.objectRef<PolicyOutcome>(name).implement({
    description: "The model and its policy for the target after the change.",
    fields: (t) => ({
      model: t.field({ type: ModelRef, description: "The model.", resolve: (p) => p.model as never }),
      promotionPolicy: t.field({ type: PromotionPolicyRef, nullable: nullable as true, description: policyDescription, resolve: (p) => p.promotionPolicy }),
    }),
  });

const SetPromotionPolicyInput = builder.inputType("SetPromotionPolicyInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model." }),
    stage: t.field({ type: StageEnum, description: "The target stage (give exactly one of stage and alias)." }),
    alias: t.string({ description: "The target alias (an alias name; not `latest`)." }),
    approvals: t.int({ description: "Distinct approvers needed, 0–10 (default 0; requireApprovalFor counts as 1)." }),
    metricGates: t.field({ type: [MetricGateInput], description: "Replaces the metric gates (≤ 32, one per metric)." }),
    mustBeatIncumbent: t.field({ type: [MustBeatIncumbentInput], description: "Replaces the must-beat-incumbent rules (≤ 32, one per metric)." }),
    requireResource: t.boolean({ description: "Whether the version must have an artifact." }),
  }),
});

builder.mutationField("setPromotionPolicy", (t) =>
  t.field({
    type: PolicyPayload("SetPromotionPolicyPayload", "The policy as it is now.", false),
    description:
      "Creates or changes a target's promotion policy (project ADMIN). Fields left out keep their value (a new policy: 0, [], false); a list given replaces that list. Applies to every move from now on, and to pending requests at their next approval.",
    args: { input: t.arg({ type: SetPromotionPolicyInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) =>
      setPromotionPolicy(ctx, {
        ...input,
        stage: input.stage as Stage | null | undefined,
        metricGates: input.metricGates,
        mustBeatIncumbent: input.mustBeatIncumbent as { metric: string; direction: Direction; margin?: number | null }[] | null | undefined,
      }),
  }),
);

const RemovePromotionPolicyInput = builder.inputType("RemovePromotionPolicyInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model." }),
    stage: t.field({ type: StageEnum, description: "The target stage (give exactly one of stage and alias)." }),
    alias: t.string({ description: "The target alias." }),
  }),
});

builder.mutationField("removePromotionPolicy", (t) =>
  t.field({
    type: PolicyPayload("RemovePromotionPolicyPayload", "The removed policy; null if the target had none.", true),
    description: "Removes a target's promotion policy (project ADMIN). The model's requireApprovalFor still applies.",
    args: { input: t.arg({ type: RemovePromotionPolicyInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => removePromotionPolicy(ctx, input),
  }),
);
