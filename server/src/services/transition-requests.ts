// How a transition request leaves PENDING: shared by the decisions of approvals.ts and by the automatic
// cancellation when a version's reviewed content changes after it was requested (versions.ts).
import { ValidationError } from "../domain/errors.ts";
import { encodeGlobalId } from "../domain/ids.ts";
import type { ReviewedField } from "../domain/versions.ts";
import type { Tx } from "../db/transaction.ts";
import { appendEvent } from "../events/log.ts";
import type { ModelVersion, TransitionRequest } from "../generated/prisma/client.ts";
import type { TransitionRequestStatus } from "../generated/prisma/enums.ts";
import type { ServiceContext } from "./context.ts";

/**
 * Records a decision on a PENDING request and its TRANSITION_DECIDED event. Conditional on PENDING (callers also
 * hold the model lock), so a decision can never overwrite another. Auditing is the calling mutation's job.
 */
export async function recordDecision(
  ctx: ServiceContext,
  tx: Tx,
  request: TransitionRequest,
  version: Pick<ModelVersion, "id" | "modelId" | "number">,
  status: Exclude<TransitionRequestStatus, "PENDING">,
  comment: string | null,
  at: Date,
  reason?: string,
): Promise<TransitionRequest> {
  const { count } = await tx.transitionRequest.updateMany({
    where: { id: request.id, status: "PENDING" },
    data: { status, decidedById: ctx.viewer.userId, decidedAt: at, decisionComment: comment },
  });
  if (count !== 1) throw ValidationError.single(["input", "requestId"], "the request was decided meanwhile");
  const decided = await tx.transitionRequest.findUniqueOrThrow({ where: { id: request.id } });
  appendEvent(tx, {
    projectId: request.projectId,
    type: "TRANSITION_DECIDED",
    actorId: ctx.viewer.userId,
    modelId: version.modelId,
    modelVersionId: version.id,
    payload: {
      requestId: encodeGlobalId("TransitionRequest", request.id),
      status,
      ...(request.toAlias != null ? { toAlias: request.toAlias } : { toStage: request.toStage }),
      number: version.number,
      ...(comment ? { comment } : {}),
      ...(reason ? { reason } : {}),
    },
  });
  return decided;
}

/**
 * Cancels every PENDING request of a version whose reviewed content just changed: a request asks to move what the
 * requester saw, so an approval must never move something else. Runs in the changing transaction, under the
 * model lock. Returns the cancelled requests.
 */
export async function cancelRequestsOfChangedVersion(
  ctx: ServiceContext,
  tx: Tx,
  version: Pick<ModelVersion, "id" | "modelId" | "number">,
  changed: readonly ReviewedField[],
): Promise<TransitionRequest[]> {
  const pending = await tx.transitionRequest.findMany({ where: { modelVersionId: version.id, status: "PENDING" }, orderBy: { createdAt: "asc" } });
  const comment = `cancelled automatically: the version's ${changed.join(", ")} changed after the request (what is reviewed must be what moves); request again`;
  const at = new Date();
  const cancelled: TransitionRequest[] = [];
  for (const request of pending) {
    cancelled.push(await recordDecision(ctx, tx, request, version, "CANCELLED", comment, at, "VERSION_CHANGED"));
  }
  return cancelled;
}
