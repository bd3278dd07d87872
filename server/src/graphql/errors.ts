// The GraphQL face of the domain errors (domain/errors.ts): `interface Error { message }` and one object type
// per error. Services throw; the errors plugin turns listed errors into members of each mutation's result union.
import { GraphQLError } from "graphql";
import { maskError } from "graphql-yoga";
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "../db/unavailable.ts";
import { InvalidCursorError } from "../domain/cursors.ts";
import { BAD_USER_INPUT } from "./text-inputs.ts";
import {
  AliasInUseError,
  ApprovalRequiredError,
  ArchivedObjectError,
  ChecksumMismatchError,
  CrossProjectLineageError,
  DomainError,
  ForbiddenError,
  FrozenVersionError,
  IdempotencyKeyReuseError,
  InvalidDeploymentTransitionError,
  InvalidStageTransitionError,
  NameConflictError,
  NotFoundError,
  PolicyViolationError,
  ResourceInUseError,
  StaleAliasError,
  StaleStageError,
  ValidationError,
  type PolicyViolation,
  type ValidationIssue,
} from "../domain/errors.ts";
import { builder } from "./builder.ts";
import { DeploymentStatusEnum, StageEnum } from "./common.ts";

export const ErrorInterface = builder.interfaceRef<DomainError>("Error").implement({
  description: "Every expected failure implements Error; `message` says which rule was broken.",
  fields: (t) => ({ message: t.exposeString("message", { description: "What went wrong, for humans." }) }),
});

const IssueRef = builder.objectRef<ValidationIssue>("ValidationIssue").implement({
  description: "One broken rule of an input.",
  fields: (t) => ({
    path: t.exposeStringList("path", { description: "Where in the input, e.g. [\"input\", \"tags\", \"3\", \"key\"]." }),
    message: t.exposeString("message", { description: "The rule that was broken." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input breaks one or more rules; nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ issues: t.field({ type: [IssueRef], description: "Every broken rule.", resolve: (e) => e.issues }) }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "No object with this id or name exists that you can see.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "The type that was looked up." }),
    ref: t.exposeString("ref", { description: "The id or name that was given." }),
  }),
});

builder.objectType(ArchivedObjectError, {
  name: "ArchivedObjectError",
  description: "The object (or its project or model) is archived, hence read-only.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "Type of the archived object." }),
    ref: t.exposeString("ref", { description: "Global id of the archived object." }),
  }),
});

builder.objectType(NameConflictError, {
  name: "NameConflictError",
  description: "Another non-archived object of the same scope has this name (case-insensitively).",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "Type of the object." }),
    name: t.exposeString("conflictingName", { description: "The name that is taken." }),
  }),
});

builder.objectType(CrossProjectLineageError, {
  name: "CrossProjectLineageError",
  description: "A lineage reference belongs to another project than the model.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString("field", { description: "The input field holding the reference." }) }),
});

builder.objectType(InvalidStageTransitionError, {
  name: "InvalidStageTransitionError",
  description: "The stage machine does not allow this move.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fromStage: t.exposeString("fromStage", { description: "The version's current stage." }),
    toStage: t.exposeString("toStage", { description: "The stage asked for." }),
  }),
});

builder.objectType(StaleStageError, {
  name: "StaleStageError",
  description: "The version moved meanwhile: it is no longer in `expectedStage`.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    expectedStage: t.field({ type: StageEnum, description: "The stage you expected.", resolve: (e) => e.expectedStage as never }),
    actualStage: t.field({ type: StageEnum, description: "The stage it is in.", resolve: (e) => e.actualStage as never }),
  }),
});

builder.objectType(ApprovalRequiredError, {
  name: "ApprovalRequiredError",
  description: "The model's policy requires an approved transition request for this stage, or the alias is protected.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    stage: t.field({ type: StageEnum, nullable: true, description: "The gated stage (null when an alias is protected).", resolve: (e) => e.stage as never }),
    // Not `alias`: StaleAliasError.alias is non-null, and both errors are members of the alias mutations' unions.
    protectedAlias: t.string({ nullable: true, description: "The protected alias (null when a stage is gated).", resolve: (e) => e.alias }),
  }),
});

builder.objectType(StaleAliasError, {
  name: "StaleAliasError",
  description: "Compare-and-set failed: the alias no longer points at `expectedVersionId`. Nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    alias: t.exposeString("alias", { description: "The alias." }),
    expectedVersionId: t.id({ nullable: true, description: "The version you expected (null: you expected the alias to be unset).", resolve: (e) => e.expectedVersionId }),
    actualVersionId: t.id({ nullable: true, description: "The version it points at now (null: it is unset).", resolve: (e) => e.actualVersionId }),
  }),
});

builder.objectType(AliasInUseError, {
  name: "AliasInUseError",
  description: "Aliases point at the version: move or remove them before deleting it. Nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ aliases: t.stringList({ description: "The aliases pointing at it.", resolve: (e) => [...e.aliases] }) }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "You can see the object but your role does not allow this action.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    requiredRole: t.exposeString("requiredRole", { nullable: true, description: "The least role that may do it." }),
  }),
});

builder.objectType(ChecksumMismatchError, {
  name: "ChecksumMismatchError",
  description: "Uploaded bytes do not match the declared size or sha256.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    expected: t.exposeString("expected", { description: "What was declared." }),
    actual: t.exposeString("actual", { description: "What arrived." }),
  }),
});

builder.objectType(ResourceInUseError, {
  name: "ResourceInUseError",
  description: "A model version still references the resource.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ versionCount: t.exposeInt("versionCount", { description: "How many versions reference it." }) }),
});

builder.objectType(FrozenVersionError, {
  name: "FrozenVersionError",
  description:
    "What was reviewed is frozen: once a version has left NONE, its resource, iteration, parent version and metrics cannot change (description and tags can). Nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fields: t.stringList({ description: "The input fields refused, e.g. [\"resourceId\", \"metrics\"].", resolve: (e) => [...e.fields] }),
    stage: t.field({ type: StageEnum, description: "The version's stage now.", resolve: (e) => e.stage as never }),
  }),
});

builder.objectType(IdempotencyKeyReuseError, {
  name: "IdempotencyKeyReuseError",
  description: "The idempotency key was used before with a different input; a retry must repeat its request exactly. Nothing was created.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ idempotencyKey: t.exposeString("idempotencyKey", { description: "The key that was reused." }) }),
});

builder.objectType(InvalidDeploymentTransitionError, {
  name: "InvalidDeploymentTransitionError",
  description:
    "The deployment status machine does not allow this report: an open attempt only moves forward (PENDING → DEPLOYING → DEPLOYED | FAILED) and RETIRED is never reported. Nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fromStatus: t.field({
      type: DeploymentStatusEnum,
      nullable: true,
      description: "Status of the version's open attempt in the environment (null when there is none).",
      resolve: (e) => e.fromStatus as never,
    }),
    toStatus: t.field({ type: DeploymentStatusEnum, description: "The status reported.", resolve: (e) => e.toStatus as never }),
  }),
});

export const PolicyRuleEnum = builder.enumType("PolicyRule", {
  description: "A kind of promotion policy rule.",
  values: {
    APPROVALS: { description: "Distinct approvers with the approving role (ADMIN) the move needs." },
    METRIC_GATE: { description: "A metric of the version must lie within a bound (min or max, inclusive)." },
    MUST_BEAT_INCUMBENT: { description: "A metric of the version must beat the version the target holds now, by at least a margin." },
    REQUIRE_RESOURCE: { description: "The version must have an artifact (resource)." },
  } as const,
});

export const PolicyComparisonEnum = builder.enumType("PolicyComparison", {
  description: "How a rule compares `actual` with `required`.",
  values: {
    AT_LEAST: { description: "actual ≥ required." },
    AT_MOST: { description: "actual ≤ required." },
  } as const,
});

export const PolicyViolationRef = builder.objectRef<PolicyViolation>("PolicyViolation").implement({
  description: "A promotion policy rule the version breaks.",
  fields: (t) => ({
    rule: t.field({ type: PolicyRuleEnum, description: "Which kind of rule.", resolve: (v) => v.rule }),
    message: t.exposeString("message", { description: "What the rule asks and what the version has, for humans." }),
    metric: t.exposeString("metric", { nullable: true, description: "The metric (METRIC_GATE, MUST_BEAT_INCUMBENT); null otherwise." }),
    actual: t.exposeFloat("actual", {
      nullable: true,
      description: "The version's value: the metric (null when the version lacks it), or the approvals given (APPROVALS); null for REQUIRE_RESOURCE.",
    }),
    required: t.exposeFloat("required", {
      nullable: true,
      description: "The bound `actual` must reach (see `comparison`): the gate's min or max, the incumbent's value ± margin, or the approvals needed.",
    }),
    comparison: t.field({ type: PolicyComparisonEnum, nullable: true, description: "AT_LEAST (≥) or AT_MOST (≤); null for REQUIRE_RESOURCE.", resolve: (v) => v.comparison }),
  }),
});

builder.objectType(PolicyViolationError, {
  name: "PolicyViolationError",
  description: "The target's promotion policy refuses the move; every broken rule is listed. Nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    target: t.exposeString("target", { description: "The target, e.g. \"stage PRODUCTION\"." }),
    violations: t.field({ type: [PolicyViolationRef], description: "Every rule the version breaks.", resolve: (e) => [...e.violations] }),
  }),
});

/** Errors any mutation can return. */
export const COMMON_ERRORS = [ValidationError, NotFoundError, ForbiddenError, ArchivedObjectError] as const;
export const STAGE_ERRORS = [...COMMON_ERRORS, InvalidStageTransitionError, StaleStageError, ApprovalRequiredError, PolicyViolationError] as const;
export const ALIAS_ERRORS = [...COMMON_ERRORS, StaleAliasError, ApprovalRequiredError, PolicyViolationError] as const;
export {
  AliasInUseError,
  ApprovalRequiredError,
  ChecksumMismatchError,
  CrossProjectLineageError,
  FrozenVersionError,
  IdempotencyKeyReuseError,
  InvalidDeploymentTransitionError,
  InvalidStageTransitionError,
  NameConflictError,
  PolicyViolationError,
  ResourceInUseError,
  StaleAliasError,
  StaleStageError,
};

/**
 * The one mapping of unexpected errors to what clients see (Yoga's `maskedErrors.maskError`). A lost database is
 * not a bug: it becomes SERVICE_UNAVAILABLE with HTTP 503 and Retry-After, so clients (and the SDK) retry. Anything
 * else unexpected is masked as "Unexpected error." (and logged with the request id).
 */
export function maskUnexpectedError(error: unknown, message: string, isDev?: boolean): Error {
  if (isDatabaseUnavailable(error)) return serviceUnavailableError(error instanceof GraphQLError ? error : undefined);
  // A cursor of another list reaching a resolver that pages itself is the client's mistake, as a malformed one is.
  const original = error instanceof GraphQLError ? error.originalError : error;
  // So is a search filter over its limits (a query has no result union to carry a ValidationError).
  if (original instanceof InvalidCursorError || original instanceof ValidationError) {
    const issues = original instanceof ValidationError ? { issues: original.issues } : {};
    return new GraphQLError(original.message, { nodes: (error as GraphQLError).nodes, path: (error as GraphQLError).path, extensions: { code: BAD_USER_INPUT, ...issues } });
  }
  return maskError(error, message, isDev);
}

/** The top-level error of a request refused because the database cannot be reached right now. */
export function serviceUnavailableError(at?: GraphQLError): GraphQLError {
  return new GraphQLError("The service is temporarily unavailable (database unreachable); retry shortly.", {
    nodes: at?.nodes,
    path: at?.path,
    extensions: {
      code: "SERVICE_UNAVAILABLE",
      http: { status: 503, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } },
    },
  });
}
