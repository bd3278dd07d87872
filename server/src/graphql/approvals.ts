// The approval workflow: request, approve, reject and cancel stage and alias moves, and the reviewers' queues
// (project.transitionRequests, model.pendingTransitionRequests). The TransitionRequest node is in versions.ts.
import { VIEWER_DEPENDENT } from "../events/multicast.ts";
import { can } from "../access/permissions.ts";
import { decodeGlobalId } from "../domain/ids.ts";
import {
  approveTransitionRequest,
  cancelTransitionRequest,
  rejectTransitionRequest,
  requestModelVersionTransition,
  type ApprovalOutcome,
  type RequestOutcome,
} from "../services/approvals.ts";
import { builder } from "./builder.ts";
import { OrderDirectionEnum, StageEnum } from "./common.ts";
import { COMMON_ERRORS, InvalidStageTransitionError, PolicyViolationError } from "./errors.ts";
import { ModelVersionRef, TransitionRequestStatusEnum } from "./versions.ts";

type Status = "PENDING" | "APPROVED" | "REJECTED" | "CANCELLED";
type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";

// ---- what the viewer may do with a request ----

builder.prismaObjectField("TransitionRequest", "viewerCanApprove", (t) =>
  t.boolean({
    extensions: VIEWER_DEPENDENT,
    description: "Whether you may approve or reject it: it is PENDING, you are an ADMIN here and not its requester.",
    resolve: async (r, _args, ctx) => r.status === "PENDING" && r.requestedById !== ctx.viewer.userId && (await can(ctx, r.projectId, "approve")),
  }),
);

builder.prismaObjectField("TransitionRequest", "viewerCanCancel", (t) =>
  t.boolean({
    extensions: VIEWER_DEPENDENT,
    description: "Whether you may cancel it: it is PENDING and you requested it or are an ADMIN here.",
    resolve: async (r, _args, ctx) => r.status === "PENDING" && (r.requestedById === ctx.viewer.userId || (await can(ctx, r.projectId, "approve"))),
  }),
);

// ---- reviewers' queues ----

const TransitionRequestFilter = builder.inputType("TransitionRequestFilter", {
  description: "Filters transition requests. Requests of deleted versions are left out.",
  fields: (t) => ({
    statuses: t.field({ type: [TransitionRequestStatusEnum], description: "Only these states (e.g. [PENDING] for the review queue)." }),
    stages: t.field({ type: [StageEnum], description: "Only requests into these stages." }),
    aliases: t.stringList({ description: "Only requests for these aliases." }),
    modelId: t.id({ description: "Only requests for versions of this model." }),
  }),
});

function requestWhere(
  projectId: string,
  filter: { statuses?: readonly Status[] | null; stages?: readonly Stage[] | null; aliases?: readonly string[] | null; modelId?: string | null } | null | undefined,
) {
  // A malformed or foreign model id matches nothing (rather than being ignored).
  const decoded = filter?.modelId != null ? decodeGlobalId(filter.modelId) : undefined;
  const modelId = decoded === undefined ? null : decoded?.typename === "Model" ? decoded.id : "";
  return {
    projectId,
    modelVersion: { deletedAt: null, ...(modelId !== null ? { modelId } : {}) },
    ...(filter?.statuses ? { status: { in: [...filter.statuses] } } : {}),
    // Both given: requests for either (a request has one target).
    ...(filter?.stages && filter.aliases
      ? { OR: [{ toStage: { in: [...filter.stages] } }, { toAlias: { in: [...filter.aliases] } }] }
      : filter?.stages
        ? { toStage: { in: [...filter.stages] } }
        : filter?.aliases
          ? { toAlias: { in: [...filter.aliases] } }
          : {}),
  };
}

const requestOrder = (direction: "ASC" | "DESC" | null | undefined) => {
  const d = direction === "ASC" ? ("asc" as const) : ("desc" as const);
  return [{ createdAt: d }, { id: d }];
};

builder.prismaObjectField("Project", "transitionRequests", (t) =>
  t.prismaConnection({
    type: "TransitionRequest",
    description: "Approval requests for versions of the project's models, newest first: `filter: {statuses: [PENDING]}` is the review queue.",
    cursor: "id",
    args: {
      filter: t.arg({ type: TransitionRequestFilter }),
      direction: t.arg({ type: OrderDirectionEnum, defaultValue: "DESC", description: "By request time." }),
    },
    resolve: (query, p, args, ctx) =>
      ctx.prisma.transitionRequest.findMany({ ...query, where: requestWhere(p.id, args.filter), orderBy: requestOrder(args.direction) }),
    totalCount: (p, args, ctx) => ctx.prisma.transitionRequest.count({ where: requestWhere(p.id, args.filter) }),
  }),
);

builder.prismaObjectField("Model", "pendingTransitionRequests", (t) =>
  t.prismaConnection({
    type: "TransitionRequest",
    description: "Requests awaiting a decision for versions of this model, oldest first (the order to review them in).",
    cursor: "id",
    resolve: (query, m, _args, ctx) =>
      ctx.prisma.transitionRequest.findMany({
        ...query,
        where: { status: "PENDING", modelVersion: { modelId: m.id, deletedAt: null } },
        orderBy: requestOrder("ASC"),
      }),
    totalCount: (m, _args, ctx) => ctx.prisma.transitionRequest.count({ where: { status: "PENDING", modelVersion: { modelId: m.id, deletedAt: null } } }),
  }),
);

// ---- mutations ----

const RequestPayload = (name: string, description: string) =>
  builder.objectRef<RequestOutcome>(name).implement({
    description,
    fields: (t) => ({
      transitionRequest: t.prismaField({
        type: "TransitionRequest",
        description: "The request.",
        resolve: (query, p, _args, ctx) => ctx.prisma.transitionRequest.findUniqueOrThrow({ ...query, where: { id: p.transitionRequest.id } }),
      }),
      modelVersion: t.field({ type: ModelVersionRef, description: "The version, as it is now.", resolve: (p) => p.modelVersion }),
    }),
  });

const RequestModelVersionTransitionInput = builder.inputType("RequestModelVersionTransitionInput", {
  fields: (t) => ({
    modelVersionId: t.id({ required: true, description: "The version." }),
    stage: t.field({ type: StageEnum, description: "The stage to move it into (allowed from its current stage). Exactly one of stage and alias." }),
    alias: t.string({ description: "The alias to point at it (e.g. a protected `champion`). Exactly one of stage and alias." }),
    comment: t.string({ description: "Why (≤ 4,096 characters); shown to reviewers." }),
  }),
});

builder.mutationField("requestModelVersionTransition", (t) =>
  t.field({
    type: RequestPayload("RequestModelVersionTransitionPayload", "The new PENDING request."),
    description:
      "Asks for a version to be moved into a stage, or for an alias of its model to point at it; other project ADMINs approve (as many as the target's promotion policy asks, at least one) or reject it. One PENDING request per version and stage, and per version and alias. A request is refused with PolicyViolationError when the version breaks a rule of the target's policy (stage or alias) other than APPROVALS.",
    args: { input: t.arg({ type: RequestModelVersionTransitionInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, InvalidStageTransitionError, PolicyViolationError] },
    resolve: (_root, { input }, ctx) => requestModelVersionTransition(ctx, input),
  }),
);

const DecisionInput = (name: string, comment: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      requestId: t.id({ required: true, description: "The PENDING request." }),
      comment: t.string({ description: comment }),
    }),
  });

builder.mutationField("approveTransitionRequest", (t) =>
  t.field({
    type: builder.objectRef<ApprovalOutcome>("ApproveTransitionRequestPayload").implement({
      description: "The request after the approval and every version its move changed (nothing moved while it still needs other approvers).",
      fields: (f) => ({
        transitionRequest: f.prismaField({
          type: "TransitionRequest",
          description: "The request: APPROVED, or still PENDING when the target's policy needs more distinct approvers.",
          resolve: (query, p, _args, ctx) => ctx.prisma.transitionRequest.findUniqueOrThrow({ ...query, where: { id: p.transitionRequest.id } }),
        }),
        modelVersion: f.field({ type: ModelVersionRef, description: "The version (moved, unless the request is still PENDING).", resolve: (p) => p.modelVersion }),
        archivedVersions: f.field({ type: [ModelVersionRef], description: "Versions archived by the move (the PRODUCTION incumbent).", resolve: (p) => p.archivedVersions }),
        moved: f.boolean({
          description: "Whether this approval was the last one the policy needs: the version moved into the stage, or the alias points at it now.",
          resolve: (p) => p.transitionId !== null || p.transitionRequest.status === "APPROVED",
        }),
        transition: f.prismaField({
          type: "StageTransition",
          nullable: true,
          description: "The recorded stage move (cause APPROVAL); null for an alias request, or while the request still needs other approvers.",
          resolve: (query, p, _args, ctx) => (p.transitionId ? ctx.prisma.stageTransition.findUnique({ ...query, where: { id: p.transitionId } }) : null),
        }),
        aliasChange: f.prismaField({
          type: "AliasChange",
          nullable: true,
          description: "The recorded alias move, for an alias request (null if the alias already pointed at the version, or for a stage request).",
          resolve: (query, p, _args, ctx) => (p.aliasChange ? ctx.prisma.aliasChange.findUnique({ ...query, where: { id: p.aliasChange.id } }) : null),
        }),
      }),
    }),
    description:
      "Approves a request (project ADMIN other than the requester) and, in the same transaction, points the alias at the version or, for a stage request, records the approval: when the stage's promotion policy needs N distinct approvers, the request stays PENDING until the N-th approval, which moves the version. Every approval of a stage request re-checks the stage machine and the policy: InvalidStageTransitionError or PolicyViolationError (every broken rule) leave the request PENDING with nothing recorded.",
    args: { input: t.arg({ type: DecisionInput("ApproveTransitionRequestInput", "Recorded on the request and with the move (≤ 4,096 characters)."), required: true }) },
    errors: { types: [...COMMON_ERRORS, InvalidStageTransitionError, PolicyViolationError] },
    resolve: (_root, { input }, ctx) => approveTransitionRequest(ctx, input),
  }),
);

builder.mutationField("rejectTransitionRequest", (t) =>
  t.field({
    type: RequestPayload("RejectTransitionRequestPayload", "The rejected request; the version has not moved."),
    description: "Rejects a request (project ADMIN other than the requester); the version stays where it is.",
    args: { input: t.arg({ type: DecisionInput("RejectTransitionRequestInput", "Why (≤ 4,096 characters); shown to the requester."), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => rejectTransitionRequest(ctx, input),
  }),
);

builder.mutationField("cancelTransitionRequest", (t) =>
  t.field({
    type: RequestPayload("CancelTransitionRequestPayload", "The cancelled request."),
    description: "Withdraws a PENDING request (its requester, or a project ADMIN).",
    args: { input: t.arg({ type: DecisionInput("CancelTransitionRequestInput", "Why (≤ 4,096 characters)."), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => cancelTransitionRequest(ctx, input),
  }),
);
