// Moving a version's stage: directly (with expectedStage, so a concurrent move is reported instead of overwritten),
// or, for a stage the model gates behind approval, by requesting it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { ConsoleModelPolicyFragment, ConsoleVersionRowFragment, ModelVersionStage } from "../../graphql/graphql";
import { STAGES } from "../../components/ui/stage";
import { request } from "../../lib/client";
import { failureOf, RequestTransitionMutation, TransitionMutation } from "./api";

/** What the model says about moving its versions (from the model page's query). */
export type ModelPolicy = Pick<ConsoleModelPolicyFragment, "requireApprovalFor" | "viewerCanTransition">;

export function StageActions({
  version,
  policy,
  onResult,
}: {
  version: Pick<ConsoleVersionRowFragment, "id" | "number" | "stage">;
  policy: ModelPolicy;
  onResult: (message: string, ok: boolean) => void;
}) {
  const id = useId();
  const targets = STAGES.filter((s) => s !== version.stage);
  const [target, setTarget] = useState<ModelVersionStage>(targets[0]!);
  const stage = targets.includes(target) ? target : targets[0]!;
  const gated = policy.requireApprovalFor.includes(stage);
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: async () => {
      if (gated) {
        const data = await request(RequestTransitionMutation, { input: { modelVersionId: version.id, stage } });
        const failure = failureOf(data.requestModelVersionTransition);
        return failure ? { ok: false, message: failure } : { ok: true, message: `Requested ${stage} for v${version.number}: an admin must approve it.` };
      }
      const data = await request(TransitionMutation, { input: { modelVersionId: version.id, stage, expectedStage: version.stage } });
      const result = data.transitionModelVersionStage;
      if (result.__typename === "StaleStageError") return { ok: false, message: `v${version.number} moved meanwhile to ${result.actualStage}: nothing changed.` };
      const failure = failureOf(result);
      return failure ? { ok: false, message: failure } : { ok: true, message: `v${version.number} is now ${stage}.` };
    },
    onSuccess: (outcome) => {
      onResult(outcome.message, outcome.ok);
      void queryClient.invalidateQueries();
    },
    onError: (error) => onResult((error as Error).message, false),
  });
  return (
    <form
      className="inline"
      onSubmit={(e) => {
        e.preventDefault();
        mutation.mutate();
      }}
    >
      <label htmlFor={`${id}-stage`} className="visually-hidden">
        Target stage of v{version.number}
      </label>
      <select id={`${id}-stage`} value={stage} onChange={(e) => setTarget(e.target.value as ModelVersionStage)}>
        {targets.map((s) => (
          <option key={s} value={s}>
            {s}
            {policy.requireApprovalFor.includes(s) ? " (approval)" : ""}
          </option>
        ))}
      </select>
      <button type="submit" disabled={mutation.isPending} aria-label={`${gated ? "Request" : "Move"} v${version.number} to ${stage}`}>
        {gated ? "Request" : "Move"}
      </button>
    </form>
  );
}
