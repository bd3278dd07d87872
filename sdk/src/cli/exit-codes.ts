// Exit codes and one-line error messages of the CLI: what a pipeline branches on. Stable: scripts depend on them.
import { ArtifactIntegrityError, ArtifactNotReadyError, AuthenticationError, GraphQLRequestError, ModelgraphError, NetworkError, ServerError, type ErrorTypename } from "../errors.ts";

/**
 * Exit codes of `modelgraph`. 0 is success; each failure a pipeline may want to act on has its own code.
 *
 * | code | name | when |
 * |---|---|---|
 * | 0 | OK | success |
 * | 1 | ERROR | unexpected failure (server error, bug) |
 * | 2 | USAGE | bad command line (unknown flag, missing argument) |
 * | 3 | AUTH | missing, invalid, revoked or expired token |
 * | 4 | UNREACHABLE | the server cannot be reached |
 * | 5 | NOT_FOUND | project, model, version or artifact not found (or not visible) |
 * | 6 | VALIDATION | invalid input or state: ValidationError, NameConflictError, CrossProjectLineageError, ArchivedObjectError, ResourceInUseError, FrozenVersionError, IdempotencyKeyReuseError, AliasInUseError |
 * | 7 | STAGE_CONFLICT | StaleStageError or StaleAliasError (moved meanwhile) or InvalidStageTransitionError |
 * | 8 | FORBIDDEN | the token's role does not allow it |
 * | 9 | APPROVAL_REQUIRED | the target stage, or the protected alias, needs an approved transition request |
 * | 10 | INTEGRITY | sha256/size mismatch (upload rejected, or download did not verify) |
 * | 11 | RATE_LIMITED | refused (HTTP 429) after too many failed authentications from this address or with this token; retry after `details.retryAfterSeconds` |
 * | 130 | INTERRUPTED | stopped by SIGINT/SIGTERM before finishing (`watch` exits 0 when stopped) |
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  AUTH: 3,
  UNREACHABLE: 4,
  NOT_FOUND: 5,
  VALIDATION: 6,
  STAGE_CONFLICT: 7,
  FORBIDDEN: 8,
  APPROVAL_REQUIRED: 9,
  INTEGRITY: 10,
  RATE_LIMITED: 11,
  INTERRUPTED: 130,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A bad command line: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A missing token or token file: exit code 3 (like a refused token). */
export class MissingTokenError extends Error {
  override name = "MissingTokenError";
}

const BY_TYPENAME: Record<ErrorTypename, ExitCodeValue> = {
  NotFoundError: ExitCode.NOT_FOUND,
  ValidationError: ExitCode.VALIDATION,
  NameConflictError: ExitCode.VALIDATION,
  CrossProjectLineageError: ExitCode.VALIDATION,
  ArchivedObjectError: ExitCode.VALIDATION,
  ResourceInUseError: ExitCode.VALIDATION,
  FrozenVersionError: ExitCode.VALIDATION,
  IdempotencyKeyReuseError: ExitCode.VALIDATION,
  AliasInUseError: ExitCode.VALIDATION,
  StaleStageError: ExitCode.STAGE_CONFLICT,
  StaleAliasError: ExitCode.STAGE_CONFLICT,
  InvalidStageTransitionError: ExitCode.STAGE_CONFLICT,
  InvalidDeploymentTransitionError: ExitCode.STAGE_CONFLICT,
  ForbiddenError: ExitCode.FORBIDDEN,
  ApprovalRequiredError: ExitCode.APPROVAL_REQUIRED,
  // The promotion policy's gate, like the approval gate: the move needs something the version does not have yet.
  PolicyViolationError: ExitCode.APPROVAL_REQUIRED,
  ChecksumMismatchError: ExitCode.INTEGRITY,
};

const LABELS: Record<ExitCodeValue, string> = {
  0: "ok",
  1: "error",
  2: "usage",
  3: "authentication failed",
  4: "server unreachable",
  5: "not found",
  6: "invalid",
  7: "stage conflict",
  8: "forbidden",
  9: "approval required",
  10: "integrity",
  11: "rate limited",
  130: "interrupted",
};

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof AuthenticationError && error.reason === "rate_limited") return ExitCode.RATE_LIMITED;
  if (error instanceof AuthenticationError || error instanceof MissingTokenError) return ExitCode.AUTH;
  if (error instanceof NetworkError) return ExitCode.UNREACHABLE;
  if (error instanceof ModelgraphError) return BY_TYPENAME[error.typename as ErrorTypename] ?? ExitCode.ERROR;
  if (error instanceof ArtifactIntegrityError) return ExitCode.INTEGRITY;
  if (error instanceof ArtifactNotReadyError) return ExitCode.NOT_FOUND;
  return ExitCode.ERROR;
}

/** A machine-readable description of a failure (the `--json` error line). */
export interface ErrorReport {
  /** The error class or GraphQL typename, e.g. `StaleStageError`, `AuthenticationError`, `NetworkError`. */
  readonly type: string;
  /** The exit code's label, e.g. `stage conflict`. */
  readonly kind: string;
  /** The message, on one line. */
  readonly message: string;
  /** The process exit code. */
  readonly exitCode: ExitCodeValue;
  /** The error's fields, for a GraphQL error type (e.g. `actualStage`). */
  readonly details?: Record<string, unknown>;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();

/** Describes an error for the one-line message (and the `--json` error object). */
export function describeError(error: unknown): ErrorReport {
  const exitCode = exitCodeFor(error);
  const kind = LABELS[exitCode];
  if (error instanceof ModelgraphError) {
    const { __typename, message, ...details } = error.error as unknown as { __typename: string; message: string } & Record<string, unknown>;
    return { type: __typename, kind, message: oneLine(message), exitCode, details };
  }
  if (error instanceof AuthenticationError && error.reason === "rate_limited") {
    const wait = error.retryAfterSeconds === undefined ? "" : ` (retry after ${error.retryAfterSeconds} s)`;
    return { type: error.name, kind, message: oneLine(`${error.message}${wait}`), exitCode, details: { status: error.status, retryAfterSeconds: error.retryAfterSeconds } };
  }
  if (error instanceof GraphQLRequestError || error instanceof ServerError) {
    return { type: error.name, kind, message: oneLine(error.message), exitCode, details: { status: error.status } };
  }
  if (error instanceof Error) return { type: error.name, kind, message: oneLine(error.message), exitCode };
  return { type: "Error", kind, message: oneLine(String(error)), exitCode };
}

/** The one line printed on stderr for a failure: `modelgraph: <kind>: <Type>: <message>`. */
export function errorLine(report: ErrorReport): string {
  return `modelgraph: ${report.kind}: ${report.type}: ${report.message}`;
}
