// The deployment status machine and environment names (DESIGN.md §1 "Deployments and model logs"). No I/O.
//
// One Deployment row is one attempt to deploy a version to an environment. Reports for the same version and
// environment move the open attempt forward: PENDING → DEPLOYING → DEPLOYED | FAILED, a status may be skipped
// (straight to DEPLOYED), and repeating the current open status updates its message. DEPLOYED and FAILED end an
// attempt: the next report for that version and environment starts a new one (a redeploy, a retry). RETIRED is set
// by the registry, never reported: a DEPLOYED deployment is retired when another one becomes DEPLOYED in its
// environment. Moving an open attempt backwards (DEPLOYING → PENDING) or reporting RETIRED is an
// InvalidDeploymentTransitionError.
import { InvalidDeploymentTransitionError } from "./errors.ts";
import { lowercaseNameProblem } from "./aliases.ts";

export const DEPLOYMENT_STATUSES = ["PENDING", "DEPLOYING", "DEPLOYED", "FAILED", "RETIRED"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses of an attempt still in progress: a new report for its version and environment updates it. */
export const OPEN_STATUSES: readonly DeploymentStatus[] = ["PENDING", "DEPLOYING"];
/** Statuses that end an attempt: finishedAt is set. */
export const FINISHING_STATUSES: readonly DeploymentStatus[] = ["DEPLOYED", "FAILED"];

const RANK: Record<DeploymentStatus, number> = { PENDING: 0, DEPLOYING: 1, DEPLOYED: 2, FAILED: 2, RETIRED: 3 };

/** Why an environment name is refused, or null when it is valid (the same rule as alias names). */
export const environmentNameProblem = lowercaseNameProblem;

export function isOpen(status: DeploymentStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/**
 * What a report does, given the status of the version's open attempt in the environment (null when there is none):
 * "update" that attempt, or start a "new" one. Throws InvalidDeploymentTransitionError for a move the machine refuses.
 */
export function reportEffect(open: DeploymentStatus | null, reported: DeploymentStatus): "update" | "new" {
  if (reported === "RETIRED") {
    throw new InvalidDeploymentTransitionError(open, reported, "RETIRED is not reported: a DEPLOYED deployment is retired when another deployment to its environment becomes DEPLOYED");
  }
  if (open === null) return "new";
  if (RANK[reported] < RANK[open]) {
    throw new InvalidDeploymentTransitionError(open, reported, `The open deployment is ${open}; it can only move forward (PENDING → DEPLOYING → DEPLOYED | FAILED)`);
  }
  return "update";
}
