// Promotion policies (DESIGN.md §1 "Promotion policies"): per model and stage, approvals by N distinct approvers,
// metric gates, must-beat-incumbent and requireResource, enforced in the transaction that moves a version (direct
// moves, requests and every approval) and shown by `modelVersion.promotionCheck`, which must agree with the move.
// All through the real API on a real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createResource, createVersion, mutate, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { decodeGlobalId } from "../../server/src/domain/ids.ts";

type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";
interface Actor {
  id: string;
  client: GraphQLClient;
}
interface Violation {
  rule: string;
  metric: string | null;
  actual: number | null;
  required: number | null;
  comparison: string | null;
  message: string;
}

const VIOLATION = `rule metric actual required comparison message`;
const ERRORS = `
  __typename
  ... on Error { message ... on PolicyViolationError { target violations { ${VIOLATION} } } }
  ... on ValidationError { issues { path message } }
  ... on ForbiddenError { requiredRole }
`;
const REQUEST = `id status requiredApprovals approvals { approver { id } comment } modelVersion { id stage }`;

describe.runIf(databaseAvailable)("promotion policies", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let projectId: string;
  let editor: Actor, reviewer: Actor, lead: Actor;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    const member = async (role: "EDITOR" | "ADMIN"): Promise<Actor> => {
      const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName(role.toLowerCase()) }, "user { id }")).user;
      const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "tests", userId: user.id }, "token");
      await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: user.id, role }, "project { id }");
      return { id: user.id, client: admin.as(token) };
    };
    editor = await member("EDITOR");
    reviewer = await member("ADMIN");
    lead = await member("ADMIN");
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  // ---- helpers ----

  async function setPolicy(input: Record<string, unknown>, as: GraphQLClient = admin) {
    const data = await as.request(
      `mutation($input: SetPromotionPolicyInput!) { result: setPromotionPolicy(input: $input) {
        ... on SetPromotionPolicyPayload { model { id } promotionPolicy { stage approvals requiredApprovals metricGates { metric min max } mustBeatIncumbent { metric direction margin } requireResource } }
        ${ERRORS} } }`,
      { input },
    );
    return data.result;
  }

  async function setPolicyOk(input: Record<string, unknown>) {
    const result = await setPolicy(input);
    expect(result.__typename, result.message).toBe("SetPromotionPolicyPayload");
    return result.promotionPolicy;
  }

  async function move(versionId: string, stage: Stage, as: GraphQLClient = editor.client) {
    const data = await as.request(
      `mutation($input: TransitionModelVersionStageInput!) { result: transitionModelVersionStage(input: $input) {
        ... on TransitionModelVersionStagePayload { modelVersion { id stage } }
        ${ERRORS} ... on ApprovalRequiredError { stage } } }`,
      { input: { modelVersionId: versionId, stage } },
    );
    return data.result;
  }

  async function moveOk(versionId: string, ...stages: Stage[]) {
    for (const stage of stages) {
      const result = await move(versionId, stage);
      expect(result.__typename, result.message).toBe("TransitionModelVersionStagePayload");
    }
  }

  async function check(versionId: string, stage: Stage) {
    const data = await admin.request(
      `query($id: ID!, $stage: ModelVersionStage!) { node(id: $id) { ... on ModelVersion { promotionCheck(stage: $stage) {
        stage allowed needsApproval requiredApprovals transitionProblem incumbent { id }
        violations { ${VIOLATION} } rules { rule metric passed actual required comparison message } } } } }`,
      { id: versionId, stage },
    );
    return data.node.promotionCheck;
  }

  async function request(as: Actor, versionId: string, stage: Stage) {
    const data = await as.client.request(
      `mutation($input: RequestModelVersionTransitionInput!) { result: requestModelVersionTransition(input: $input) {
        ... on RequestModelVersionTransitionPayload { transitionRequest { ${REQUEST} } }
        ${ERRORS} } }`,
      { input: { modelVersionId: versionId, stage } },
    );
    return data.result;
  }

  async function approve(as: Actor | GraphQLClient, requestId: string, comment?: string) {
    const client = as instanceof GraphQLClient ? as : as.client;
    const data = await client.request(
      `mutation($input: ApproveTransitionRequestInput!) { result: approveTransitionRequest(input: $input) {
        ... on ApproveTransitionRequestPayload { moved transitionRequest { ${REQUEST} } modelVersion { id stage } archivedVersions { id } transition { cause } }
        ${ERRORS} } }`,
      { input: { requestId, ...(comment ? { comment } : {}) } },
    );
    return data.result;
  }

  async function stageOf(versionId: string): Promise<Stage> {
    return (await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { stage } } }`, { id: versionId })).node.stage;
  }

  /** A version with these metrics (and an artifact when `resource`), moved to STAGING. */
  async function staged(modelId: string, metrics: Record<string, number>, { resource = false } = {}) {
    const resourceId = resource ? (await createResource(admin, projectId)).id : undefined;
    const version = await createVersion(editor.client, modelId, { metrics: Object.entries(metrics).map(([name, value]) => ({ name, value })), ...(resourceId ? { resourceId } : {}) });
    await moveOk(version.id, "STAGING");
    return version.id;
  }

  /** A model whose PRODUCTION holds a version with `metrics` (null: PRODUCTION is empty). */
  async function modelWithIncumbent(metrics: Record<string, number> | null, extra: Record<string, unknown> = {}) {
    const modelId = (await createModel(admin, projectId, extra)).id;
    const incumbentId = metrics ? await staged(modelId, metrics) : null;
    if (incumbentId) await moveOk(incumbentId, "PRODUCTION");
    return { modelId, incumbentId };
  }

  const rawId = (globalId: string) => decodeGlobalId(globalId)!.id;

  // ---- refusal, with every broken rule ----

  it("a gate and must-beat-incumbent refuse a worse version, listing every broken rule with its actual and required values", async () => {
    const { modelId, incumbentId } = await modelWithIncumbent({ acc: 0.9, latency_ms: 100 });
    const policy = await setPolicyOk({
      modelId,
      stage: "PRODUCTION",
      metricGates: [
        { metric: "acc", min: 0.85 },
        { metric: "latency_ms", max: 120 },
      ],
      mustBeatIncumbent: [
        { metric: "acc", direction: "HIGHER_IS_BETTER", margin: 0.01 },
        { metric: "latency_ms", direction: "LOWER_IS_BETTER" },
      ],
      requireResource: true,
    });
    expect(policy).toEqual({
      stage: "PRODUCTION",
      approvals: 0,
      requiredApprovals: 0,
      metricGates: [
        { metric: "acc", min: 0.85, max: null },
        { metric: "latency_ms", min: null, max: 120 },
      ],
      mustBeatIncumbent: [
        { metric: "acc", direction: "HIGHER_IS_BETTER", margin: 0.01 },
        { metric: "latency_ms", direction: "LOWER_IS_BETTER", margin: 0 },
      ],
      requireResource: true,
    });

    const worse = await staged(modelId, { acc: 0.8, latency_ms: 130 });
    const refused = await move(worse, "PRODUCTION");
    expect(refused.__typename).toBe("PolicyViolationError");
    expect(refused.target).toBe("stage PRODUCTION");
    expect(refused.violations).toEqual([
      { rule: "METRIC_GATE", metric: "acc", actual: 0.8, required: 0.85, comparison: "AT_LEAST", message: expect.stringContaining("below the gate's minimum 0.85") },
      { rule: "METRIC_GATE", metric: "latency_ms", actual: 130, required: 120, comparison: "AT_MOST", message: expect.stringContaining("above the gate's maximum 120") },
      { rule: "MUST_BEAT_INCUMBENT", metric: "acc", actual: 0.8, required: expect.closeTo(0.91, 12), comparison: "AT_LEAST", message: expect.stringMatching(/incumbent version 1: 0\.9, margin 0\.01/) },
      { rule: "MUST_BEAT_INCUMBENT", metric: "latency_ms", actual: 130, required: 100, comparison: "AT_MOST", message: expect.stringContaining("at most 100") },
      { rule: "REQUIRE_RESOURCE", metric: null, actual: null, required: null, comparison: null, message: expect.stringContaining("no artifact") },
    ]);
    expect(await stageOf(worse)).toBe("STAGING");
    expect(await stageOf(incumbentId!)).toBe("PRODUCTION");

    // A better version with an artifact passes every rule and takes PRODUCTION.
    const better = await staged(modelId, { acc: 0.95, latency_ms: 90 }, { resource: true });
    expect((await move(better, "PRODUCTION")).modelVersion).toEqual({ id: better, stage: "PRODUCTION" });
    expect(await stageOf(incumbentId!)).toBe("ARCHIVED");

    // The change is read back, audited and in the event log.
    const read = await admin.request(`query($id: ID!) { node(id: $id) { ... on Model { promotionPolicies { stage requireResource updatedBy { id } } } } }`, { id: modelId });
    expect(read.node.promotionPolicies).toEqual([{ stage: "PRODUCTION", requireResource: true, updatedBy: { id: expect.any(String) } }]);
    const audit = await admin.request(`query($f: AuditLogFilter) { auditLog(filter: $f, first: 10) { nodes { action } } }`, { f: { projectId, targetId: modelId } });
    expect(audit.auditLog.nodes.map((n: { action: string }) => n.action)).toContain("setPromotionPolicy");
    const events = await server.app.db.prisma.event.findMany({ where: { modelId: rawId(modelId), type: "PROMOTION_POLICY_CHANGED" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ stage: "PRODUCTION", policy: { requireResource: true } });
  });

  // ---- promotionCheck agrees with the move ----

  interface Case {
    name: string;
    incumbent: Record<string, number> | null;
    policy: Record<string, unknown>;
    candidate: Record<string, number>;
    resource?: boolean;
    model?: Record<string, unknown>;
    allowed: boolean;
    needsApproval?: boolean;
    rules: string[];
  }

  const CASES: Case[] = [
    { name: "gate passes", incumbent: null, policy: { metricGates: [{ metric: "acc", min: 0.8, max: 1 }] }, candidate: { acc: 0.9 }, allowed: true, rules: [] },
    { name: "gate fails", incumbent: null, policy: { metricGates: [{ metric: "acc", min: 0.8 }] }, candidate: { acc: 0.7 }, allowed: false, rules: ["METRIC_GATE acc"] },
    { name: "gate bound reached exactly", incumbent: null, policy: { metricGates: [{ metric: "acc", min: 0.8 }] }, candidate: { acc: 0.8 }, allowed: true, rules: [] },
    { name: "missing metric", incumbent: { acc: 0.5 }, policy: { metricGates: [{ metric: "f1", min: 0.1 }], mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER" }] }, candidate: { loss: 1 }, allowed: false, rules: ["METRIC_GATE f1", "MUST_BEAT_INCUMBENT acc"] },
    { name: "margin edge equal (0.2 + 0.1)", incumbent: { acc: 0.2 }, policy: { mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER", margin: 0.1 }] }, candidate: { acc: 0.3 }, allowed: true, rules: [] },
    { name: "margin just missed", incumbent: { acc: 0.2 }, policy: { mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER", margin: 0.1 }] }, candidate: { acc: 0.2999 }, allowed: false, rules: ["MUST_BEAT_INCUMBENT acc"] },
    { name: "lower is better, tie passes", incumbent: { loss: 0.4 }, policy: { mustBeatIncumbent: [{ metric: "loss", direction: "LOWER_IS_BETTER" }] }, candidate: { loss: 0.4 }, allowed: true, rules: [] },
    { name: "lower is better, worse", incumbent: { loss: 0.4 }, policy: { mustBeatIncumbent: [{ metric: "loss", direction: "LOWER_IS_BETTER" }] }, candidate: { loss: 0.5 }, allowed: false, rules: ["MUST_BEAT_INCUMBENT loss"] },
    { name: "no incumbent: must-beat passes", incumbent: null, policy: { mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER", margin: 5 }] }, candidate: { acc: 0.1 }, allowed: true, rules: [] },
    { name: "requireResource without an artifact", incumbent: null, policy: { requireResource: true }, candidate: { acc: 1 }, allowed: false, rules: ["REQUIRE_RESOURCE"] },
    { name: "requireResource with an artifact", incumbent: null, policy: { requireResource: true }, candidate: { acc: 1 }, resource: true, allowed: true, rules: [] },
    { name: "approvals needed, rules pass", incumbent: null, policy: { approvals: 2, metricGates: [{ metric: "acc", min: 0.5 }] }, candidate: { acc: 0.9 }, allowed: false, needsApproval: true, rules: ["APPROVALS"] },
    { name: "approvals needed and a gate fails", incumbent: null, policy: { approvals: 2, metricGates: [{ metric: "acc", min: 0.5 }] }, candidate: { acc: 0.1 }, allowed: false, needsApproval: true, rules: ["APPROVALS", "METRIC_GATE acc"] },
    { name: "requireApprovalFor is one approval", incumbent: null, policy: { metricGates: [{ metric: "acc", min: 0.5 }] }, model: { requireApprovalFor: ["PRODUCTION"] }, candidate: { acc: 0.9 }, allowed: false, needsApproval: true, rules: ["APPROVALS"] },
  ];

  it("promotionCheck gives the verdict the move then gives, in every case", async () => {
    for (const c of CASES) {
      const { modelId } = await modelWithIncumbent(c.incumbent, c.model);
      await setPolicyOk({ modelId, stage: "PRODUCTION", ...c.policy });
      const candidate = await staged(modelId, c.candidate, { resource: c.resource });
      const verdict = await check(candidate, "PRODUCTION");
      expect({ name: c.name, allowed: verdict.allowed, needsApproval: verdict.needsApproval, transitionProblem: verdict.transitionProblem }).toEqual({
        name: c.name,
        allowed: c.allowed,
        needsApproval: c.needsApproval ?? false,
        transitionProblem: null,
      });
      expect(verdict.violations.map((v: Violation) => [v.rule, v.metric].filter(Boolean).join(" ")), c.name).toEqual(c.rules);
      // Each rule result agrees with the violations: exactly the failed ones are listed.
      expect(verdict.rules.filter((r: { passed: boolean }) => !r.passed).map(({ passed: _p, ...v }: { passed: boolean }) => v), c.name).toEqual(verdict.violations);

      const moved = await move(candidate, "PRODUCTION");
      if (verdict.allowed) {
        expect(moved.__typename, `${c.name}: ${moved.message}`).toBe("TransitionModelVersionStagePayload");
        expect(await stageOf(candidate)).toBe("PRODUCTION");
      } else if (verdict.violations.some((v: Violation) => v.rule !== "APPROVALS")) {
        expect(moved.__typename, c.name).toBe("PolicyViolationError");
        expect(moved.violations, c.name).toEqual(verdict.violations);
        expect(await stageOf(candidate)).toBe("STAGING");
      } else {
        expect(moved.__typename, c.name).toBe("ApprovalRequiredError");
        expect(await stageOf(candidate)).toBe("STAGING");
        // …and the request path moves it once the approvals are in.
        const asked = await request(editor, candidate, "PRODUCTION");
        expect(asked.__typename, asked.message).toBe("RequestModelVersionTransitionPayload");
        const requestId = asked.transitionRequest.id;
        let last;
        for (const approver of [reviewer, lead].slice(0, verdict.requiredApprovals)) last = await approve(approver, requestId);
        expect(last.moved, c.name).toBe(true);
        expect(await stageOf(candidate)).toBe("PRODUCTION");
      }
    }
  });

  // ---- N distinct approvers ----

  it("with approvals: 2, a request stays PENDING until two distinct ADMINs other than the requester approved; the second one moves it", async () => {
    const { modelId, incumbentId } = await modelWithIncumbent({ acc: 0.5 });
    await setPolicyOk({ modelId, stage: "PRODUCTION", approvals: 2 });
    const candidate = await staged(modelId, { acc: 0.6 });
    const asked = await request(editor, candidate, "PRODUCTION");
    expect(asked.transitionRequest).toMatchObject({ status: "PENDING", requiredApprovals: 2, approvals: [] });
    const requestId = asked.transitionRequest.id;

    const first = await approve(reviewer, requestId, "fine by me");
    expect(first).toMatchObject({
      __typename: "ApproveTransitionRequestPayload",
      moved: false,
      transition: null,
      archivedVersions: [],
      modelVersion: { id: candidate, stage: "STAGING" },
      transitionRequest: { status: "PENDING", requiredApprovals: 2, approvals: [{ approver: { id: reviewer.id }, comment: "fine by me" }] },
    });
    // The same approver twice does not count twice; the requester may not approve at all.
    const again = await approve(reviewer, requestId);
    expect(again.__typename).toBe("ValidationError");
    expect(again.message).toMatch(/already approved/);
    expect((await approve(editor, requestId)).__typename).toBe("ForbiddenError");
    expect(await stageOf(candidate)).toBe("STAGING");

    const second = await approve(lead, requestId);
    expect(second).toMatchObject({
      moved: true,
      transition: { cause: "APPROVAL" },
      archivedVersions: [{ id: incumbentId }],
      modelVersion: { id: candidate, stage: "PRODUCTION" },
      transitionRequest: { status: "APPROVED", approvals: [{ approver: { id: reviewer.id } }, { approver: { id: lead.id } }] },
    });
    const events = await server.app.db.prisma.event.findMany({ where: { modelVersionId: rawId(candidate) }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.type).slice(-4)).toEqual(["TRANSITION_REQUESTED", "TRANSITION_APPROVAL_RECORDED", "MODEL_VERSION_STAGE_CHANGED", "TRANSITION_DECIDED"]);
    expect(events.at(-3)!.payload).toMatchObject({ requestId, approvals: 1, required: 2 });
    const audit = await admin.request(`query($f: AuditLogFilter) { auditLog(filter: $f, first: 10) { nodes { action actor { id } } } }`, { f: { projectId, targetId: requestId } });
    expect(audit.auditLog.nodes.map((n: { action: string; actor: { id: string } }) => [n.action, n.actor.id])).toEqual([
      ["approveTransitionRequest", lead.id],
      ["approveTransitionRequest", reviewer.id],
      ["requestModelVersionTransition", editor.id],
    ]);
  });

  // ---- re-checked at approval ----

  it("approval re-checks the rules against the incumbent of now: refused with every broken rule, the request stays PENDING", async () => {
    const { modelId } = await modelWithIncumbent({ acc: 0.9 });
    await setPolicyOk({ modelId, stage: "PRODUCTION", approvals: 1, mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER" }] });

    // A version that breaks a rule cannot even be requested.
    const weak = await staged(modelId, { acc: 0.5 });
    const refusedRequest = await request(editor, weak, "PRODUCTION");
    expect(refusedRequest.__typename).toBe("PolicyViolationError");
    expect(refusedRequest.violations).toEqual([expect.objectContaining({ rule: "MUST_BEAT_INCUMBENT", metric: "acc", actual: 0.5, required: 0.9 })]);

    const good = await staged(modelId, { acc: 0.92 });
    const pending = await request(editor, good, "PRODUCTION");
    expect(pending.__typename).toBe("RequestModelVersionTransitionPayload");

    // Meanwhile an even better version takes PRODUCTION.
    const best = await staged(modelId, { acc: 0.95 });
    const bestRequest = (await request(editor, best, "PRODUCTION")).transitionRequest.id;
    expect((await approve(lead, bestRequest)).moved).toBe(true);
    expect((await check(good, "PRODUCTION")).violations).toEqual([
      expect.objectContaining({ rule: "APPROVALS" }),
      expect.objectContaining({ rule: "MUST_BEAT_INCUMBENT", actual: 0.92, required: 0.95 }),
    ]);

    const refused = await approve(reviewer, pending.transitionRequest.id);
    expect(refused.__typename).toBe("PolicyViolationError");
    expect(refused.violations).toEqual([
      { rule: "MUST_BEAT_INCUMBENT", metric: "acc", actual: 0.92, required: 0.95, comparison: "AT_LEAST", message: expect.stringContaining("incumbent version 4: 0.95") },
    ]);
    const after = await admin.request(`query($id: ID!) { node(id: $id) { ... on TransitionRequest { status approvals { approver { id } } } } }`, { id: pending.transitionRequest.id });
    expect(after.node).toEqual({ status: "PENDING", approvals: [] });
    expect(await stageOf(good)).toBe("STAGING");

    // Rollback is the emergency path: exempt from the policy (it returns to the worse version 1), and where PRODUCTION
    // has a policy (here without requireApprovalFor), for ADMINs only.
    const rollback = `mutation($input: RollbackModelInput!) { result: rollbackModel(input: $input) { __typename ... on RollbackModelPayload { modelVersion { number stage } } ${ERRORS} } }`;
    expect((await editor.client.request(rollback, { input: { modelId } })).result).toMatchObject({ __typename: "ForbiddenError", requiredRole: "ADMIN" });
    expect((await reviewer.client.request(rollback, { input: { modelId } })).result).toMatchObject({ __typename: "RollbackModelPayload", modelVersion: { number: 1, stage: "PRODUCTION" } });
  });

  // ---- the policy's own rules ----

  it("validates policies, needs the ADMIN role, and removing one frees the stage", async () => {
    const { modelId } = await modelWithIncumbent(null);
    const invalid = await setPolicy({
      modelId,
      approvals: 11,
      metricGates: [{ metric: "acc", min: 2, max: 1 }, { metric: "" }, { metric: "acc", min: 0 }],
      mustBeatIncumbent: [{ metric: "loss", direction: "LOWER_IS_BETTER", margin: -1 }],
    });
    expect(invalid.__typename).toBe("ValidationError");
    expect(invalid.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual([
      "input",
      "input.approvals",
      "input.metricGates.0",
      "input.metricGates.1.metric",
      "input.metricGates.1",
      "input.metricGates.2.metric",
      "input.mustBeatIncumbent.0.margin",
    ]);
    expect(await setPolicy({ modelId, stage: "PRODUCTION", approvals: 1 }, editor.client)).toMatchObject({ __typename: "ForbiddenError", requiredRole: "ADMIN" });

    await setPolicyOk({ modelId, stage: "STAGING", metricGates: [{ metric: "acc", min: 0.9 }] });
    // Fields left out keep their value.
    expect(await setPolicyOk({ modelId, stage: "STAGING", requireResource: false })).toMatchObject({ metricGates: [{ metric: "acc", min: 0.9, max: null }] });
    const version = await createVersion(editor.client, modelId, { metrics: [{ name: "acc", value: 0.5 }] });
    expect((await move(version.id, "STAGING")).__typename).toBe("PolicyViolationError");

    const removed = await admin.request(
      `mutation($input: RemovePromotionPolicyInput!) { result: removePromotionPolicy(input: $input) { ... on RemovePromotionPolicyPayload { promotionPolicy { stage } model { promotionPolicies { stage } } } ${ERRORS} } }`,
      { input: { modelId, stage: "STAGING" } },
    );
    expect(removed.result).toEqual({ __typename: "RemovePromotionPolicyPayload", promotionPolicy: { stage: "STAGING" }, model: { promotionPolicies: [] } });
    expect((await move(version.id, "STAGING")).__typename).toBe("TransitionModelVersionStagePayload");
  });
});
