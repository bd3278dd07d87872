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

/** Throws InvalidStageTransitionError unless the table allows `from → to`. */
export function assertAllowedTransition(from: Stage, to: Stage): void {
  if (from === to) {
    throw new InvalidStageTransitionError(from, to, `The version is already in ${to}`);
  }
  if (!isAllowedTransition(from, to)) {
    const allowed = ALLOWED[from].join(", ");
    throw new InvalidStageTransitionError(from, to, `A version cannot move from ${from} to ${to} (allowed from ${from}: ${allowed})`);
  }
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
