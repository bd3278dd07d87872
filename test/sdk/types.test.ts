// Type-level tests of the SDK, checked by `tsc --noEmit -p .` (every `@ts-expect-error` must meet an error, or the
// type check fails): a wrong field name, an unknown input field or enum value, and an unhandled error branch are
// compile errors. At run time vitest only executes the assertions that need no server.
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  assertNever,
  isPayload,
  match,
  ModelgraphError,
  unwrap,
  type CreateProjectResult,
  type ErrorsOf,
  type ModelVersion,
  type NodeClient,
  type Paginator,
  type PayloadOf,
  type AddModelLogResult,
  type Deployment,
  type Environment,
  type ReportDeploymentResult,
  type StageChangeEvent,
  type TransitionModelVersionStageResult,
  type ApproveTransitionRequestResult,
  type PromotionCheck,
  type SetPromotionPolicyResult,
  type SetModelAliasResult,
  type RemoveModelAliasResult,
  type DeleteModelVersionResult,
} from "@modelgraph/sdk";

/** Never called: type-checks calls without a server. */
const client = null as unknown as NodeClient;

describe("SDK types", () => {
  it("alias mutations return StaleAliasError, ApprovalRequiredError and PolicyViolationError; deleting a version AliasInUseError", () => {
    expectTypeOf<ErrorsOf<SetModelAliasResult>["__typename"]>().toEqualTypeOf<
      "ApprovalRequiredError" | "ArchivedObjectError" | "ForbiddenError" | "NotFoundError" | "PolicyViolationError" | "StaleAliasError" | "ValidationError"
    >();
    expectTypeOf<Extract<SetModelAliasResult, { __typename: "PolicyViolationError" }>["violations"][number]["rule"]>().toEqualTypeOf<
      "APPROVALS" | "METRIC_GATE" | "MUST_BEAT_INCUMBENT" | "REQUIRE_RESOURCE"
    >();
    // promotionCheck takes a stage or an alias, not both.
    expectTypeOf<NodeClient["promotionCheck"]>().toBeCallableWith({ modelVersionId: "mv_1", alias: "champion" });
    expectTypeOf<NodeClient["promotionCheck"]>().toBeCallableWith({ modelVersionId: "mv_1", stage: "PRODUCTION" });
    expectTypeOf<ErrorsOf<RemoveModelAliasResult>["__typename"]>().toEqualTypeOf<ErrorsOf<SetModelAliasResult>["__typename"]>();
    expectTypeOf<Extract<SetModelAliasResult, { __typename: "StaleAliasError" }>["actualVersionId"]>().toEqualTypeOf<string | null>();
    expectTypeOf<Extract<DeleteModelVersionResult, { __typename: "AliasInUseError" }>["aliases"]>().toEqualTypeOf<string[]>();
    expectTypeOf<Extract<SetModelAliasResult, { __typename: "ApprovalRequiredError" }>["protectedAlias"]>().toEqualTypeOf<string | null>();
  });

  it("mutation results are unions of the payload and the mutation's own error types", () => {
    expectTypeOf<CreateProjectResult["__typename"]>().toEqualTypeOf<
      "CreateProjectPayload" | "ArchivedObjectError" | "ForbiddenError" | "NameConflictError" | "NotFoundError" | "ValidationError"
    >();
    expectTypeOf<ErrorsOf<TransitionModelVersionStageResult>["__typename"]>().toEqualTypeOf<
      "ApprovalRequiredError" | "ArchivedObjectError" | "ForbiddenError" | "InvalidStageTransitionError" | "NotFoundError" | "PolicyViolationError" | "StaleStageError" | "ValidationError"
    >();
    // A promotion policy's refusal lists every broken rule, typed.
    expectTypeOf<Extract<TransitionModelVersionStageResult, { __typename: "PolicyViolationError" }>["violations"][number]["rule"]>().toEqualTypeOf<
      "APPROVALS" | "METRIC_GATE" | "MUST_BEAT_INCUMBENT" | "REQUIRE_RESOURCE"
    >();
    expectTypeOf<ErrorsOf<ApproveTransitionRequestResult>["__typename"]>().toEqualTypeOf<
      "ArchivedObjectError" | "ForbiddenError" | "InvalidStageTransitionError" | "NotFoundError" | "PolicyViolationError" | "ValidationError"
    >();
    expectTypeOf<ErrorsOf<SetPromotionPolicyResult>["__typename"]>().toEqualTypeOf<"ArchivedObjectError" | "ForbiddenError" | "NotFoundError" | "ValidationError">();
    expectTypeOf<NodeClient["promotionCheck"]>().returns.resolves.toEqualTypeOf<PromotionCheck>();
    expectTypeOf<Extract<TransitionModelVersionStageResult, { __typename: "StaleStageError" }>>().toHaveProperty("actualStage");
    expectTypeOf<NodeClient["createProject"]>().returns.resolves.toEqualTypeOf<CreateProjectResult>();
  });

  it("the payload is reachable only after ruling out the errors", () => {
    function read(result: CreateProjectResult) {
      // @ts-expect-error `project` exists only on CreateProjectPayload
      void result.project;
      if (result.__typename === "CreateProjectPayload") expectTypeOf(result.project.name).toBeString();
      if (isPayload(result)) expectTypeOf(result).toEqualTypeOf<PayloadOf<CreateProjectResult>>();
      expectTypeOf(unwrap(result)).toEqualTypeOf<PayloadOf<CreateProjectResult>>();
    }
    expect(read).toBeTypeOf("function");
  });

  it("an unhandled error branch is a compile error (match, and a switch ending in assertNever)", () => {
    function withMatch(result: TransitionModelVersionStageResult) {
      // @ts-expect-error StaleStageError, ApprovalRequiredError, PolicyViolationError … have no handler
      return match(result, { TransitionModelVersionStagePayload: () => "moved", ValidationError: () => "invalid" });
    }
    function withAllHandlers(result: TransitionModelVersionStageResult): string {
      return match(result, {
        TransitionModelVersionStagePayload: (p) => p.modelVersion.stage,
        StaleStageError: (e) => e.actualStage,
        InvalidStageTransitionError: (e) => e.toStage,
        ApprovalRequiredError: (e) => e.stage ?? e.protectedAlias ?? "",
        PolicyViolationError: (e) => e.violations.map((v) => `${v.rule} ${v.metric ?? ""} ${v.actual ?? "missing"} vs ${v.required ?? "-"}`).join(),
        ArchivedObjectError: (e) => e.ref,
        ForbiddenError: (e) => e.requiredRole ?? "",
        NotFoundError: (e) => e.ref,
        ValidationError: (e) => e.issues.map((i) => i.message).join(),
        // @ts-expect-error a handler for a type this mutation cannot return
        ChecksumMismatchError: () => "impossible",
      });
    }
    function withSwitch(result: CreateProjectResult): string {
      switch (result.__typename) {
        case "CreateProjectPayload":
          return result.project.id;
        case "ValidationError":
          return result.issues[0]?.message ?? "";
        case "NameConflictError":
          return result.name;
        case "ForbiddenError":
        case "NotFoundError":
          return result.message;
        // ArchivedObjectError is not handled, so `result` is not `never` here:
        // @ts-expect-error Argument of type 'ArchivedObjectError…' is not assignable to parameter of type 'never'
        default: return assertNever(result);
      }
    }
    function exhaustiveSwitch(result: CreateProjectResult): string {
      switch (result.__typename) {
        case "CreateProjectPayload":
          return result.project.id;
        case "ValidationError":
        case "NameConflictError":
        case "ForbiddenError":
        case "NotFoundError":
        case "ArchivedObjectError":
          return result.message;
        default:
          return assertNever(result);
      }
    }
    expect([withMatch, withAllHandlers, withSwitch, exhaustiveSwitch]).toHaveLength(4);
  });

  it("a wrong field name is a compile error, in results and in inputs", () => {
    async function misuse(version: ModelVersion) {
      // @ts-expect-error no field `nmae` (did you mean `number`?)
      void version.nmae;
      // @ts-expect-error fields not selected by the SDK's fragments do not exist either
      void version.model.versions;
      // @ts-expect-error unknown input field
      await client.createProject({ nmae: "vision" });
      // @ts-expect-error not a stage
      await client.transitionModelVersionStage({ modelVersionId: version.id, stage: "PROD" });
      // @ts-expect-error a required input field is missing
      await client.createModelVersion({ description: "no model" });
      // @ts-expect-error variables are checked too
      await client.modelVersions({ modelID: version.model.id });
    }
    expectTypeOf<ModelVersion>().not.toHaveProperty("nmae");
    expectTypeOf<ModelVersion["stage"]>().toEqualTypeOf<"NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED">();
    expectTypeOf<ModelVersion["resource"]>().toMatchTypeOf<{ sha256: string; sizeBytes: string } | null>();
    expect(misuse).toBeTypeOf("function");
  });

  it("reportDeployment and addModelLog: their own error branches, typed statuses", () => {
    expectTypeOf<ErrorsOf<ReportDeploymentResult>["__typename"]>().toEqualTypeOf<
      "ArchivedObjectError" | "ForbiddenError" | "InvalidDeploymentTransitionError" | "NotFoundError" | "ValidationError"
    >();
    expectTypeOf<ErrorsOf<AddModelLogResult>["__typename"]>().toEqualTypeOf<"ArchivedObjectError" | "ForbiddenError" | "NotFoundError" | "ValidationError">();
    expectTypeOf<Deployment["status"]>().toEqualTypeOf<"PENDING" | "DEPLOYING" | "DEPLOYED" | "FAILED" | "RETIRED">();
    expectTypeOf<Environment["liveVersion"]>().toEqualTypeOf<ModelVersion | null>();
    function handle(result: ReportDeploymentResult): string {
      return match(result, {
        ReportDeploymentPayload: (p) => `${p.deployment.status} retired ${p.retired.map((d) => d.id).join()}`,
        InvalidDeploymentTransitionError: (e) => `${e.fromStatus ?? "none"} → ${e.toStatus}`,
        ArchivedObjectError: (e) => e.ref,
        ForbiddenError: (e) => e.requiredRole ?? "",
        NotFoundError: (e) => e.ref,
        ValidationError: (e) => e.issues.map((i) => i.message).join(),
      });
    }
    function unhandled(result: ReportDeploymentResult) {
      // @ts-expect-error InvalidDeploymentTransitionError (and others) have no handler
      return match(result, { ReportDeploymentPayload: () => "ok", ValidationError: () => "invalid" });
    }
    async function misuse(version: ModelVersion) {
      // @ts-expect-error RETIRED is a status, but "LIVE" is not
      await client.reportDeployment({ modelVersionId: version.id, environment: "prod", status: "LIVE" });
      // @ts-expect-error `environment` is required
      await client.reportDeployment({ modelVersionId: version.id, status: "DEPLOYED" });
      // @ts-expect-error `success` is required
      await client.addModelLog({ modelId: version.model.id, message: "done" });
    }
    expectTypeOf<NodeClient["paginate"]["deployments"]>().returns.toEqualTypeOf<Paginator<Deployment>>();
    expect([handle, unhandled, misuse]).toHaveLength(3);
  });

  it("pagination and subscriptions yield the node types", () => {
    expectTypeOf<NodeClient["paginate"]["modelVersions"]>().returns.toEqualTypeOf<Paginator<ModelVersion>>();
    expectTypeOf<NodeClient["paginate"]["modelVersions"]>().parameter(0).toEqualTypeOf<Omit<Parameters<NodeClient["modelVersions"]>[0], "first" | "after">>();
    expectTypeOf<NodeClient["paginate"]["projects"]>().parameter(0).toBeNullable();
    expectTypeOf<NodeClient["stageChanges"]>().returns.toMatchTypeOf<AsyncIterable<StageChangeEvent>>();
    expectTypeOf<NodeClient["watchStageChanges"]>().parameter(0).toHaveProperty("onEvent");
  });

  it("ModelgraphError narrows to the fields of its typename", () => {
    const error: ModelgraphError = new ModelgraphError({ __typename: "StaleStageError", message: "moved", expectedStage: "STAGING", actualStage: "ARCHIVED" });
    // @ts-expect-error the fields of one error type are not on the union
    void error.error.actualStage;
    if (error.is("StaleStageError")) expectTypeOf(error.error.actualStage).toEqualTypeOf<"NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED">();
    // @ts-expect-error not an error typename
    error.is("StaleStage");
    expect(error.is("StaleStageError") && error.error.actualStage).toBe("ARCHIVED");
    expect(error.message).toBe("StaleStageError: moved");
  });
});
