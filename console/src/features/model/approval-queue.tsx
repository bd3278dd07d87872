// Requests waiting for a decision, oldest first; approve, reject or cancel where `viewerCan…` allows it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ConsolePendingRequestFragment } from "../../graphql/graphql";
import { formatTime } from "../../components/ui/format";
import { StageBadge } from "../../components/ui/stage";
import { Empty } from "../../components/ui/states";
import { request } from "../../lib/client";
import { ApproveMutation, CancelMutation, failureOf, RejectMutation } from "./api";

type Decision = "approve" | "reject" | "cancel";

export function ApprovalQueue({ requests, onResult }: { requests: readonly ConsolePendingRequestFragment[]; onResult: (message: string, ok: boolean) => void }) {
  const queryClient = useQueryClient();
  const decide = useMutation({
    mutationFn: async ({ decision, requestId }: { decision: Decision; requestId: string }) => {
      const input = { input: { requestId } };
      const result =
        decision === "approve"
          ? (await request(ApproveMutation, input)).approveTransitionRequest
          : decision === "reject"
            ? (await request(RejectMutation, input)).rejectTransitionRequest
            : (await request(CancelMutation, input)).cancelTransitionRequest;
      return failureOf(result);
    },
    onSuccess: (failure, { decision }) => {
      onResult(failure ?? `Request ${decision === "approve" ? "approved" : decision === "reject" ? "rejected" : "cancelled"}.`, !failure);
      void queryClient.invalidateQueries();
    },
    onError: (error) => onResult((error as Error).message, false),
  });
  return (
    <section aria-labelledby="queue-title">
      <h2 id="queue-title">Approval queue</h2>
      {requests.length === 0 ? (
        <Empty>No request is waiting for a decision.</Empty>
      ) : (
        <ul className="queue">
          {requests.map((r) => (
            <li key={r.id} data-request={r.id}>
              <div>
                <strong>v{r.modelVersion.number}</strong> <StageBadge stage={r.modelVersion.stage} /> → {r.toStage ? <StageBadge stage={r.toStage} /> : <span className="chip">@{r.toAlias}</span>}
                <div className="meta">
                  by {r.requestedBy?.name ?? "a deleted user"}, {formatTime(r.createdAt)}
                  {r.comment ? ` — “${r.comment}”` : ""}
                </div>
              </div>
              <div className="buttons">
                {r.viewerCanApprove ? (
                  <>
                    <button type="button" onClick={() => decide.mutate({ decision: "approve", requestId: r.id })} disabled={decide.isPending}>
                      Approve
                    </button>
                    <button type="button" className="danger" onClick={() => decide.mutate({ decision: "reject", requestId: r.id })} disabled={decide.isPending}>
                      Reject
                    </button>
                  </>
                ) : null}
                {r.viewerCanCancel ? (
                  <button type="button" onClick={() => decide.mutate({ decision: "cancel", requestId: r.id })} disabled={decide.isPending}>
                    Cancel request
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
