// Expected failures of the domain. Each becomes a GraphQL error type (graphql/errors.ts) that
// implements `interface Error { message }`; services throw them and mutations return them as data.
// Messages never name objects the caller did not name itself (no leaks across projects).

/** One broken rule of an input. `path` locates the offending input field, e.g. ["input", "tags", "3", "key"]. */
export interface ValidationIssue {
  path: string[];
  message: string;
}

/** Base of every expected failure. */
export abstract class DomainError extends Error {
  override name = "DomainError";
}

/** The input breaks one or more rules; nothing was changed. */
export class ValidationError extends DomainError {
  override name = "ValidationError";
  constructor(public readonly issues: ValidationIssue[]) {
    super(issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
  }

  static single(path: string[], message: string): ValidationError {
    return new ValidationError([{ path, message }]);
  }
}

/** Nothing with this id (or name) exists that the viewer may see. */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  constructor(
    public readonly kind: string,
    public readonly ref: string,
  ) {
    super(`${kind} ${JSON.stringify(ref)} was not found`);
  }
}

/** The object is archived: read-only, and cannot receive new children. */
export class ArchivedObjectError extends DomainError {
  override name = "ArchivedObjectError";
  constructor(
    public readonly kind: string,
    public readonly ref: string,
  ) {
    super(`${kind} ${JSON.stringify(ref)} is archived and read-only`);
  }
}

/** Another non-archived object of the same scope already has this name (compared case-insensitively). */
export class NameConflictError extends DomainError {
  override name = "NameConflictError";
  constructor(
    public readonly kind: string,
    public readonly conflictingName: string,
  ) {
    super(`A ${kind.toLowerCase()} named ${JSON.stringify(conflictingName)} already exists (names are case-insensitive)`);
  }
}

/** A lineage reference (iteration, resource, parent version) belongs to another project than the model. */
export class CrossProjectLineageError extends DomainError {
  override name = "CrossProjectLineageError";
  constructor(public readonly field: string) {
    super(`${field} must belong to the same project as the model`);
  }
}

/** The stage machine does not allow this move. */
export class InvalidStageTransitionError extends DomainError {
  override name = "InvalidStageTransitionError";
  constructor(
    public readonly fromStage: string,
    public readonly toStage: string,
    reason?: string,
  ) {
    super(reason ?? `A version cannot move from ${fromStage} to ${toStage}`);
  }
}

/** Compare-and-set failed: the version is no longer in the expected stage. */
export class StaleStageError extends DomainError {
  override name = "StaleStageError";
  constructor(
    public readonly expectedStage: string,
    public readonly actualStage: string,
  ) {
    super(`Expected the version to be in ${expectedStage}, but it is in ${actualStage}`);
  }
}

/** The model's policy requires an approved transition request to enter this stage, or to move this protected alias. */
export class ApprovalRequiredError extends DomainError {
  override name = "ApprovalRequiredError";
  public readonly stage: string | null;
  public readonly alias: string | null;
  constructor(target: string | { alias: string }, message?: string) {
    const alias = typeof target === "string" ? null : target.alias;
    super(
      message ??
        (alias === null
          ? `Moving into ${target as string} requires an approved transition request (requestModelVersionTransition)`
          : `The alias ${JSON.stringify(alias)} is protected: it only moves through an approved transition request (requestModelVersionTransition with alias)`),
    );
    this.stage = alias === null ? (target as string) : null;
    this.alias = alias;
  }
}

/** Compare-and-set failed: the alias no longer points where the caller expected (ids are global ids; null = unset). */
export class StaleAliasError extends DomainError {
  override name = "StaleAliasError";
  constructor(
    public readonly alias: string,
    public readonly expectedVersionId: string | null,
    public readonly actualVersionId: string | null,
  ) {
    super(
      `Expected the alias ${JSON.stringify(alias)} to ${expectedVersionId === null ? "be unset" : `point at ${expectedVersionId}`}, ` +
        `but it ${actualVersionId === null ? "is unset" : `points at ${actualVersionId}`}`,
    );
  }
}

/** The version carries aliases: move or remove them before deleting it. */
export class AliasInUseError extends DomainError {
  override name = "AliasInUseError";
  constructor(public readonly aliases: readonly string[]) {
    super(`The version is what the alias(es) ${aliases.map((a) => JSON.stringify(a)).join(", ")} point at; move or remove them first (setModelAlias / removeModelAlias)`);
  }
}

/** One broken rule of a promotion policy (domain/policies.ts). */
export interface PolicyViolation {
  rule: "APPROVALS" | "METRIC_GATE" | "MUST_BEAT_INCUMBENT" | "REQUIRE_RESOURCE";
  message: string;
  /** The metric the rule is about (METRIC_GATE, MUST_BEAT_INCUMBENT); null otherwise. */
  metric: string | null;
  /** The candidate's value (null when the metric is missing); approvals so far for APPROVALS. */
  actual: number | null;
  /** The bound the value had to reach (see `comparison`); approvals needed for APPROVALS. */
  required: number | null;
  /** How `actual` is compared with `required`: AT_LEAST (≥) or AT_MOST (≤); null for REQUIRE_RESOURCE. */
  comparison: "AT_LEAST" | "AT_MOST" | null;
}

/** The target's promotion policy refuses the move; `violations` lists every rule the version breaks. */
export class PolicyViolationError extends DomainError {
  override name = "PolicyViolationError";
  constructor(
    public readonly target: string,
    public readonly violations: readonly PolicyViolation[],
  ) {
    super(`The promotion policy of ${target} refuses the move: ${violations.map((v) => v.message).join("; ")}`);
  }
}

/** The viewer may see the object but lacks the role for this action. */
export class ForbiddenError extends DomainError {
  override name = "ForbiddenError";
  constructor(
    public readonly action: string,
    public readonly requiredRole?: string,
  ) {
    super(requiredRole ? `${action} requires the ${requiredRole} role` : `You may not ${action}`);
  }
}

/** Uploaded bytes do not match the declared size or sha256. */
export class ChecksumMismatchError extends DomainError {
  override name = "ChecksumMismatchError";
  constructor(
    public readonly expected: string,
    public readonly actual: string,
    what = "sha256",
  ) {
    super(`The uploaded ${what} ${actual} does not match the declared ${expected}`);
  }
}

/** The resource is still referenced by a model version. */
export class ResourceInUseError extends DomainError {
  override name = "ResourceInUseError";
  constructor(public readonly versionCount: number) {
    super(`The resource is referenced by ${versionCount} model version(s); delete or re-point them first`);
  }
}

/**
 * What was reviewed is frozen: once a version has left NONE, its resource, iteration, parent version and metrics
 * cannot change. `fields` are the input fields that would have changed them.
 */
export class FrozenVersionError extends DomainError {
  override name = "FrozenVersionError";
  constructor(
    public readonly fields: readonly string[],
    public readonly stage: string,
  ) {
    super(
      `What was reviewed is frozen: a version that has left NONE (this one is in ${stage}) cannot change its resource, iteration, parent version or metrics ` +
        `(refused: ${fields.join(", ")}); description and tags stay editable. Register a new version instead`,
    );
  }
}

/** An idempotency key was used again with a different input: a retry must repeat the request it retries. */
export class IdempotencyKeyReuseError extends DomainError {
  override name = "IdempotencyKeyReuseError";
  constructor(public readonly idempotencyKey: string) {
    super(
      `The idempotency key ${JSON.stringify(idempotencyKey)} was already used for this model with a different input; ` +
        "a retry must send the same input, and a new request needs a new key",
    );
  }
}

/**
 * A deployment report the status machine does not allow (DESIGN.md §1 "Deployments"): an open attempt only moves
 * forward (PENDING → DEPLOYING → DEPLOYED | FAILED), and RETIRED is never reported (the registry sets it when
 * another deployment replaces a live one). `fromStatus` is the open attempt's status, null when there is none.
 */
export class InvalidDeploymentTransitionError extends DomainError {
  override name = "InvalidDeploymentTransitionError";
  constructor(
    public readonly fromStatus: string | null,
    public readonly toStatus: string,
    reason?: string,
  ) {
    super(reason ?? `A deployment cannot go from ${fromStatus ?? "(no open attempt)"} to ${toStatus}`);
  }
}
