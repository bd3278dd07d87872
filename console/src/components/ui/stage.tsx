import type { ModelVersionStage } from "../../graphql/graphql";

export const STAGES: readonly ModelVersionStage[] = ["NONE", "STAGING", "PRODUCTION", "ARCHIVED"];

export function StageBadge({ stage }: { stage: ModelVersionStage }) {
  return <span className={`stage stage-${stage.toLowerCase()}`}>{stage}</span>;
}
