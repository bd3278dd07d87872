// The approval workflow (DESIGN.md §1 "Stages", Approval; "Aliases", protected aliases): an EDITOR asks for a stage
// move or for an alias to point at a version, another member with the ADMIN role approves it (the move happens then:
// stage cause APPROVAL, or an AliasChange naming the request) or rejects it (nothing moves); the requester, or an
// ADMIN, may withdraw it. Every decision is final, emits an event and is audited once.
import { authorize, roleIn } from "../access/permissions.ts";
import { ForbiddenError, NotFoundError, ValidationError } from "../domain/errors.ts";
import { encodeGlobalId, idOf } from "../domain/ids.ts";
import { assertSettableAlias } from "../domain/aliases.ts";
import { check, MAX_COMMENT_LENGTH } from "../domain/rules.ts";
import { assertAllowedTransition, type Stage } from "../domain/stages.ts";
import { isUniqueViolation, transaction, type Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import type { AliasChange, ModelVersion, TransitionRequest } from "../generated/prisma/client.ts";
import type { TransitionRequestStatus } from "../generated/prisma/enums.ts";
import { applyAliasMove } from "./aliases.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite, lockModel } from "./models.ts";
import { stagePastOf } from "./history.ts";
import { assertRulesPassExceptApprovals, evaluateMove, targetPolicy } from "./policies.ts";
import { applyTransition, type TransitionOutcome } from "./stages.ts";
import { recordDecision } from "./transition-requests.ts";
import { loadVersionForWrite } from "./versions.ts";

export interface RequestTransitionInput {
  modelVersionId: string;
  /** Exactly one of stage and alias. */
  stage?: Stage | null;
  alias?: string | null;
  comment?: string | null;
}

export interface DecideInput {
  requestId: string;
  comment?: string | null;
}

/** A request after a change, with its version as it is now. */
export interface RequestOutcome {
  transitionRequest: TransitionRequest;
  modelVersion: ModelVersion;
}

/**
 * An approval: the request and everything its move changed (a stage move, or an alias move). While a stage request
 * still needs approvals from others it stays PENDING and nothing moved: `transitionId` is null and
 * `archivedVersions` empty.
 */
export type ApprovalOutcome = RequestOutcome & {
  archivedVersions: ModelVersion[];
  transitionId: string | null;
  aliasChange: AliasChange | null;
};

/**
 * Asks for a version to be moved into a stage, or for an alias to point at it (EDITOR). A stage move must be allowed
 * from the version's current stage; at most one request per (version, stage) and per (version, alias) may be PENDING.
 * Any stage or alias may be requested, not only the ones the model's policy gates or protects: a team may want a
 * review anyway. The target's promotion policy (stage or alias) is checked here too, all but its APPROVALS rule (which the request
 * collects): a version that breaks a rule now is refused with a PolicyViolationError rather than queued for a review
 * that could not move it.
 */
export async function requestModelVersionTransition(ctx: ServiceContext, input: RequestTransitionInput): Promise<RequestOutcome> {
  check()
    .maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH)
    .require((input.stage == null) !== (input.alias == null), ["input"], "give exactly one of stage and alias")
    .done();
  if (input.alias != null) assertSettableAlias(["input", "alias"], input.alias);
  const target = input.alias != null ? `point the alias ${JSON.stringify(input.alias)} at this version` : `move this version into ${input.stage}`;
  const duplicate = (existingId?: string) =>
    ValidationError.single(
      ["input", input.alias != null ? "alias" : "stage"],
      `a PENDING request to ${target} already exists${existingId ? ` (${encodeGlobalId("TransitionRequest", existingId)})` : ""}; wait for its decision or cancel it (cancelTransitionRequest)`,
    );
  try {
    return await transaction(ctx.prisma, async (tx) => {
      const found = await loadVersionForWrite(ctx, tx, input.modelVersionId, "transition");
      // Under the model lock the stage cannot change, and concurrent requests for the version queue here.
      await lockModel(tx, found.modelId);
      const version = await tx.modelVersion.findUniqueOrThrow({ where: { id: found.id } });
      if (version.deletedAt) throw new NotFoundError("ModelVersion", input.modelVersionId);
      if (input.stage != null) assertAllowedTransition(version.stage, input.stage, await stagePastOf(tx, version.id));
      const requested = input.alias != null ? { alias: input.alias } : { stage: input.stage! };
      assertRulesPassExceptApprovals(await evaluateMove(tx, found.model, version, requested, 0));
      const targetWhere = input.alias != null ? { toAlias: input.alias } : { toStage: input.stage! };
      const pending = await tx.transitionRequest.findFirst({
        where: { modelVersionId: version.id, ...targetWhere, status: "PENDING" },
        select: { id: true },
      });
      if (pending) throw duplicate(pending.id);
      const request = await tx.transitionRequest.create({
        data: {
          projectId: version.projectId,
          modelVersionId: version.id,
          toStage: input.stage ?? null,
          toAlias: input.alias ?? null,
          requestedById: ctx.viewer.userId,
          comment: input.comment ?? null,
        },
      });
      appendEvent(tx, {
        projectId: version.projectId,
        type: "TRANSITION_REQUESTED",
        actorId: ctx.viewer.userId,
        modelId: version.modelId,
        modelVersionId: version.id,
        payload: {
          requestId: encodeGlobalId("TransitionRequest", request.id),
          number: version.number,
          fromStage: version.stage,
          ...(input.alias != null ? { toAlias: input.alias } : { toStage: input.stage }),
        },
      });
      audit(tx, ctx, {
        action: "requestModelVersionTransition",
        targetType: "TransitionRequest",
        targetId: request.id,
        projectId: version.projectId,
        after: request,
      });
      return { transitionRequest: request, modelVersion: version };
    });
  } catch (error) {
    // The partial unique indexes are the last word (one PENDING request per version and stage, or alias).
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
}

/**
 * Approves a request (ADMIN, not the requester) and applies its move in the same transaction.
 *
 * A stage request needs as many distinct approvers as the stage's policy asks (at least one): until then each
 * approval is recorded (a TransitionApproval row, event TRANSITION_APPROVAL_RECORDED) and the request stays PENDING;
 * the last one moves the version, cause APPROVAL (into PRODUCTION, the incumbent is archived as with a manual
 * promotion). Every approval re-checks, under the model lock, the stage machine and every rule of the policy as it is
 * now: InvalidStageTransitionError or PolicyViolationError leave the request PENDING with nothing recorded.
 *
 * An alias request is counted and re-checked the same way against the alias's policy (a protected alias asks one
 * approval; must-beat compares with the version the alias points at now); the last approval points the alias at the
 * version, from wherever it points now. A request whose version's reviewed content changed is never approved: that change
 * cancelled it in its own transaction (versions.ts, under the same lock).
 */
export async function approveTransitionRequest(ctx: ServiceContext, input: DecideInput): Promise<ApprovalOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  return transaction(ctx.prisma, async (tx) => {
    const { request, version, model } = await loadPendingForDecision(ctx, tx, input.requestId, "approve");
    if (version.deletedAt) {
      throw ValidationError.single(["input", "requestId"], "the version was deleted; reject or cancel the request instead");
    }
    const comment = input.comment ?? request.comment;
    const target = request.toAlias != null ? { alias: request.toAlias } : { stage: request.toStage! };
    const targetPayload = request.toAlias != null ? { toAlias: request.toAlias } : { toStage: request.toStage! };
    if (target.stage != null) assertAllowedTransition(version.stage, target.stage, await stagePastOf(tx, version.id));
    const given = await tx.transitionApproval.findMany({ where: { requestId: request.id }, orderBy: { at: "asc" } });
    if (given.some((a) => a.approverId === ctx.viewer.userId)) {
      throw ValidationError.single(["input", "requestId"], "you have already approved this request; it needs another approver");
    }
    const counted = (await countingApprovers(tx, request.projectId, given.map((a) => a.approverId))) + 1;
    const policy = await targetPolicy(tx, model, target);
    // A request moves on an approval even where the target needs none (a review the team asked for).
    const evaluation = await evaluateMove(tx, model, version, target, counted, { ...policy, approvals: Math.max(1, policy.approvals) });
    assertRulesPassExceptApprovals(evaluation);
    const approval = await tx.transitionApproval.create({
      data: { requestId: request.id, approverId: ctx.viewer.userId, comment: input.comment ?? null },
    });
    const required = evaluation.policy.approvals;
    if (counted < required) {
      appendEvent(tx, {
        projectId: request.projectId,
        type: "TRANSITION_APPROVAL_RECORDED",
        actorId: ctx.viewer.userId,
        modelId: version.modelId,
        modelVersionId: version.id,
        payload: { requestId: encodeGlobalId("TransitionRequest", request.id), ...targetPayload, number: version.number, approvals: counted, required },
      });
      audit(tx, ctx, {
        action: "approveTransitionRequest",
        targetType: "TransitionRequest",
        targetId: request.id,
        projectId: request.projectId,
        before: request,
        after: { ...request, approval, approvals: counted, required },
      });
      return { transitionRequest: request, modelVersion: version, archivedVersions: [], transitionId: null, aliasChange: null };
    }
    if (target.alias != null) {
      const current = await tx.modelAlias.findUnique({ where: { modelId_name: { modelId: version.modelId, name: target.alias } } });
      const moved =
        current?.modelVersionId === version.id
          ? null
          : await applyAliasMove(ctx, tx, { model, alias: target.alias, current, to: version, comment, transitionRequestId: request.id });
      const at = moved?.change?.at ?? new Date();
      const decided = await decide(ctx, tx, request, version, "APPROVED", input.comment ?? null, at, {
        alias: target.alias,
        aliasChangeId: moved?.change?.id ?? null,
        previousVersionId: current?.modelVersionId ?? null,
        approvals: counted,
      });
      return { transitionRequest: decided, modelVersion: version, archivedVersions: [], transitionId: null, aliasChange: moved?.change ?? null };
    }
    const toStage = target.stage!;
    const outcome: TransitionOutcome = await applyTransition(ctx, tx, {
      version,
      to: toStage,
      cause: "APPROVAL",
      comment,
      archiveExisting: false,
    });
    const { at } = outcome;
    const decided = await decide(ctx, tx, request, version, "APPROVED", input.comment ?? null, at, {
      modelVersion: outcome.modelVersion,
      archivedVersionIds: outcome.archivedVersions.map((v) => v.id),
      transitionId: outcome.transitionId,
      approvals: counted,
    });
    return { ...outcome, transitionRequest: decided, aliasChange: null };
  });
}

/**
 * How many of `approverIds` still count: those who hold the approving role in the project now (a member demoted
 * since their approval no longer counts). The instance admin always does.
 */
async function countingApprovers(tx: Tx, projectId: string, approverIds: readonly string[]): Promise<number> {
  if (approverIds.length === 0) return 0;
  const admins = await tx.user.findMany({ where: { id: { in: [...approverIds] }, isAdmin: true }, select: { id: true } });
  const members = await tx.membership.findMany({ where: { projectId, userId: { in: [...approverIds] }, role: "ADMIN" }, select: { userId: true } });
  return new Set([...admins.map((u) => u.id), ...members.map((m) => m.userId)]).size;
}

/** Rejects a request (ADMIN, not the requester): the version stays where it is. */
export async function rejectTransitionRequest(ctx: ServiceContext, input: DecideInput): Promise<RequestOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  return transaction(ctx.prisma, async (tx) => {
    const { request, version } = await loadPendingForDecision(ctx, tx, input.requestId, "reject");
    const decided = await decide(ctx, tx, request, version, "REJECTED", input.comment ?? null, new Date());
    return { transitionRequest: decided, modelVersion: version };
  });
}

/** Withdraws a request: its requester may, and so may any ADMIN of the project. */
export async function cancelTransitionRequest(ctx: ServiceContext, input: DecideInput): Promise<RequestOutcome> {
  check().maxLength(["input", "comment"], input.comment, MAX_COMMENT_LENGTH).done();
  return transaction(ctx.prisma, async (tx) => {
    const { request, version } = await loadPendingForDecision(ctx, tx, input.requestId, "cancel");
    const decided = await decide(ctx, tx, request, version, "CANCELLED", input.comment ?? null, new Date());
    return { transitionRequest: decided, modelVersion: version };
  });
}

type Decision = "approve" | "reject" | "cancel";

/**
 * Loads a request the viewer may decide, checks who may decide it, then takes the model lock and re-reads the
 * request and its version: every decision on a model's requests (and every stage move) is serialised by that
 * lock, so two concurrent decisions cannot both find the request PENDING.
 */
async function loadPendingForDecision(ctx: ServiceContext, tx: Tx, ref: string, decision: Decision) {
  const notFound = () => new NotFoundError("TransitionRequest", ref);
  const found = await tx.transitionRequest.findUnique({ where: { id: idOf("TransitionRequest", ref) } });
  if (!found) throw notFound();
  const ownRequest = found.requestedById === ctx.viewer.userId;
  if (decision === "cancel") {
    const role = await roleIn(tx, ctx.viewer, found.projectId);
    if (role === null) throw notFound();
    if (!ownRequest && role !== "ADMIN") throw new ForbiddenError("cancel another member's transition request", "ADMIN");
  } else {
    await authorize(tx, ctx.viewer, found.projectId, "approve", notFound);
    if (ownRequest) {
      throw new ForbiddenError(
        decision === "approve"
          ? "approve your own transition request: another member with the ADMIN role must approve it"
          : "reject your own transition request: withdraw it with cancelTransitionRequest",
      );
    }
  }
  const versionRow = await tx.modelVersion.findUniqueOrThrow({ where: { id: found.modelVersionId }, select: { modelId: true } });
  // Archived models and projects are read-only, their requests included.
  const model = await loadModelForWrite(ctx, tx, encodeGlobalId("Model", versionRow.modelId), "read");
  await lockModel(tx, versionRow.modelId);
  const request = await tx.transitionRequest.findUniqueOrThrow({ where: { id: found.id } });
  if (request.status !== "PENDING") {
    throw ValidationError.single(
      ["input", "requestId"],
      `the request is already ${request.status}${request.decidedAt ? ` (since ${request.decidedAt.toISOString()})` : ""}; only PENDING requests can be approved, rejected or cancelled`,
    );
  }
  const version = await tx.modelVersion.findUniqueOrThrow({ where: { id: request.modelVersionId } });
  return { request, version, model };
}

/** Records the decision on the request, its TRANSITION_DECIDED event and the one audit entry of the mutation. */
async function decide(
  ctx: ServiceContext,
  tx: Tx,
  request: TransitionRequest,
  version: ModelVersion,
  status: Exclude<TransitionRequestStatus, "PENDING">,
  comment: string | null,
  at: Date,
  effects?: Record<string, unknown>,
): Promise<TransitionRequest> {
  const decided = await recordDecision(ctx, tx, request, version, status, comment, at);
  const action = { APPROVED: "approveTransitionRequest", REJECTED: "rejectTransitionRequest", CANCELLED: "cancelTransitionRequest" }[status];
  audit(tx, ctx, {
    action,
    targetType: "TransitionRequest",
    targetId: request.id,
    projectId: request.projectId,
    before: request,
    after: effects ? { ...decided, ...effects } : decided,
  });
  return decided;
}
