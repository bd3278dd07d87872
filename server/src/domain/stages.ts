// The stage machine of model versions (DESIGN.md §1 "Stages"). No I/O.
import { InvalidStageTransitionError } from "./errors.ts";

export type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";

const ALLOWED: Record<Stage, readonly Stage[]> = {
  NONE: ["STAGING", "ARCHIVED"],
  STAGING: ["NONE", "PRODUCTION", "ARCHIVED"],
  PRODUCTION: ["STAGING", "ARCHIVED"],
  ARCHIVED: ["STAGING", "PRODUCTION"],
};

export function isAllowedTransition(from: Stage, to: Stage): boolean {
  return ALLOWED[from].includes(to);
}

/** What a version's recorded transitions say about its past, as far as the stage machine cares. */
export interface StagePast {
  /** Every stage the version has entered at least once (from its StageTransition rows). */
  entered: readonly Stage[];
}

/**
 * Throws InvalidStageTransitionError unless the table allows `from → to`. ARCHIVED → PRODUCTION is a rollback
 * only: allowed for a version that was in PRODUCTION before, so an archive can never be a way around STAGING
 * (and its review).
 */
export function assertAllowedTransition(from: Stage, to: Stage, past: StagePast): void {
  if (from === to) {
    throw new InvalidStageTransitionError(from, to, `The version is already in ${to}`);
  }
  if (!isAllowedTransition(from, to)) {
    const allowed = ALLOWED[from].join(", ");
    throw new InvalidStageTransitionError(from, to, `A version cannot move from ${from} to ${to} (allowed from ${from}: ${allowed})`);
  }
  if (from === "ARCHIVED" && to === "PRODUCTION" && !past.entered.includes("PRODUCTION")) {
    throw new InvalidStageTransitionError(
      from,
      to,
      "ARCHIVED → PRODUCTION is only a rollback of a version that was in PRODUCTION before; this version never was: move it to STAGING first",
    );
  }
}

/** Whether a version has ever left NONE: it is in another stage now, or its history records any move. */
export function hasLeftNone(stage: Stage, past: StagePast): boolean {
  return stage !== "NONE" || past.entered.length > 0;
}

/** Stage of a version at time `at`, from its transitions (oldest first); NONE before the first one. */
export function stageAt(transitions: readonly { toStage: Stage; at: Date }[], at: Date): Stage {
  let stage: Stage = "NONE";
  for (const t of transitions) {
    if (t.at.getTime() > at.getTime()) break;
    stage = t.toStage;
  }
  return stage;
}
