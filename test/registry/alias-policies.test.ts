// Promotion policies with an alias target (DESIGN.md §1 "Promotion policies", "Aliases"): the same rules as for a
// stage (metric gates, must-beat the version the alias points at now, requireResource, N distinct approvers),
// enforced in the transaction that moves the alias (setModelAlias), at the request and at every approval of an
// alias request, and shown by `modelVersion.promotionCheck(alias:)`, which must agree with setModelAlias.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createResource, createVersion, mutate, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

interface Actor {
  id: string;
  client: GraphQLClient;
}
interface Violation {
  rule: string;
  metric: string | null;
}

const VIOLATION = `rule metric actual required comparison message`;
const ERRORS = `
  __typename
  ... on Error { message ... on PolicyViolationError { target violations { ${VIOLATION} } } }
  ... on ValidationError { issues { path message } }
`;
const REQUEST = `id status requiredApprovals approvals { approver { id } } toAlias`;
const ALIAS = "champion";

describe.runIf(databaseAvailable)("promotion policies on aliases", () => {
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

  async function setPolicy(input: Record<string, unknown>) {
    const data = await admin.request(
      `mutation($input: SetPromotionPolicyInput!) { result: setPromotionPolicy(input: $input) {
        ... on SetPromotionPolicyPayload { promotionPolicy { stage alias approvals requiredApprovals metricGates { metric min } } }
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

  async function setAlias(modelId: string, modelVersionId: string, as: GraphQLClient = editor.client, alias = ALIAS) {
    const data = await as.request(
      `mutation($input: SetModelAliasInput!) { result: setModelAlias(input: $input) {
        ... on SetModelAliasPayload { modelAlias { name version { id } } }
        ${ERRORS} ... on ApprovalRequiredError { protectedAlias } } }`,
      { input: { modelId, alias, modelVersionId } },
    );
    return data.result;
  }

  async function aliasTarget(modelId: string, alias = ALIAS): Promise<string | null> {
    const data = await admin.request(`query($id: ID!, $alias: String!) { node(id: $id) { ... on Model { version(alias: $alias) { id } } } }`, { id: modelId, alias });
    return data.node.version?.id ?? null;
  }

  async function check(versionId: string, alias = ALIAS) {
    const data = await admin.request(
      `query($id: ID!, $alias: String) { node(id: $id) { ... on ModelVersion { promotionCheck(alias: $alias) {
        stage alias allowed needsApproval requiredApprovals transitionProblem incumbent { id }
        violations { ${VIOLATION} } rules { rule metric passed actual required comparison message } } } } }`,
      { id: versionId, alias },
    );
    return data.node.promotionCheck;
  }

  async function request(as: Actor, versionId: string, alias = ALIAS) {
    const data = await as.client.request(
      `mutation($input: RequestModelVersionTransitionInput!) { result: requestModelVersionTransition(input: $input) {
        ... on RequestModelVersionTransitionPayload { transitionRequest { ${REQUEST} } }
        ${ERRORS} } }`,
      { input: { modelVersionId: versionId, alias } },
    );
    return data.result;
  }

  async function approve(as: Actor, requestId: string) {
    const data = await as.client.request(
      `mutation($input: ApproveTransitionRequestInput!) { result: approveTransitionRequest(input: $input) {
        ... on ApproveTransitionRequestPayload { moved transitionRequest { ${REQUEST} } aliasChange { alias } }
        ${ERRORS} } }`,
      { input: { requestId } },
    );
    return data.result;
  }

  async function version(modelId: string, metrics: Record<string, number>, { resource = false } = {}) {
    const resourceId = resource ? (await createResource(admin, projectId)).id : undefined;
    const v = await createVersion(editor.client, modelId, { metrics: Object.entries(metrics).map(([name, value]) => ({ name, value })), ...(resourceId ? { resourceId } : {}) });
    return v.id;
  }

  /** A model whose @champion points at a version with `metrics` (null: the alias is unset). */
  async function modelWithIncumbent(metrics: Record<string, number> | null, extra: Record<string, unknown> = {}) {
    const modelId = (await createModel(admin, projectId, extra)).id;
    const incumbentId = metrics ? await version(modelId, metrics) : null;
    if (incumbentId) expect((await setAlias(modelId, incumbentId, admin)).__typename).toBe("SetModelAliasPayload");
    return { modelId, incumbentId };
  }

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
    { name: "missing metric", incumbent: { acc: 0.5 }, policy: { metricGates: [{ metric: "f1", min: 0.1 }], mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER" }] }, candidate: { loss: 1 }, allowed: false, rules: ["METRIC_GATE f1", "MUST_BEAT_INCUMBENT acc"] },
    { name: "must beat @champion: margin edge equal (0.2 + 0.1)", incumbent: { acc: 0.2 }, policy: { mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER", margin: 0.1 }] }, candidate: { acc: 0.3 }, allowed: true, rules: [] },
    { name: "must beat @champion: margin just missed", incumbent: { acc: 0.2 }, policy: { mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER", margin: 0.1 }] }, candidate: { acc: 0.2999 }, allowed: false, rules: ["MUST_BEAT_INCUMBENT acc"] },
    { name: "lower is better, worse", incumbent: { loss: 0.4 }, policy: { mustBeatIncumbent: [{ metric: "loss", direction: "LOWER_IS_BETTER" }] }, candidate: { loss: 0.5 }, allowed: false, rules: ["MUST_BEAT_INCUMBENT loss"] },
    { name: "alias unset (no incumbent): must-beat passes", incumbent: null, policy: { mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER", margin: 5 }] }, candidate: { acc: 0.1 }, allowed: true, rules: [] },
    { name: "requireResource without an artifact", incumbent: null, policy: { requireResource: true }, candidate: { acc: 1 }, allowed: false, rules: ["REQUIRE_RESOURCE"] },
    { name: "requireResource with an artifact", incumbent: null, policy: { requireResource: true }, candidate: { acc: 1 }, resource: true, allowed: true, rules: [] },
    { name: "approvals needed, rules pass", incumbent: { acc: 0.5 }, policy: { approvals: 2, metricGates: [{ metric: "acc", min: 0.5 }] }, candidate: { acc: 0.9 }, allowed: false, needsApproval: true, rules: ["APPROVALS"] },
    { name: "approvals needed and a gate fails", incumbent: null, policy: { approvals: 1, metricGates: [{ metric: "acc", min: 0.5 }] }, candidate: { acc: 0.1 }, allowed: false, needsApproval: true, rules: ["APPROVALS", "METRIC_GATE acc"] },
    { name: "a protected alias is one approval", incumbent: null, policy: { metricGates: [{ metric: "acc", min: 0.5 }] }, model: { protectedAliases: [ALIAS] }, candidate: { acc: 0.9 }, allowed: false, needsApproval: true, rules: ["APPROVALS"] },
  ];

  it("promotionCheck(alias:) gives the verdict setModelAlias then gives, in every case", async () => {
    for (const c of CASES) {
      const { modelId, incumbentId } = await modelWithIncumbent(c.incumbent, c.model);
      await setPolicyOk({ modelId, alias: ALIAS, ...c.policy });
      const candidate = await version(modelId, c.candidate, { resource: c.resource });
      const verdict = await check(candidate);
      expect({ name: c.name, stage: verdict.stage, alias: verdict.alias, allowed: verdict.allowed, needsApproval: verdict.needsApproval, transitionProblem: verdict.transitionProblem }).toEqual({
        name: c.name,
        stage: null,
        alias: ALIAS,
        allowed: c.allowed,
        needsApproval: c.needsApproval ?? false,
        transitionProblem: null,
      });
      expect(verdict.incumbent?.id ?? null, c.name).toBe(incumbentId);
      expect(verdict.violations.map((v: Violation) => [v.rule, v.metric].filter(Boolean).join(" ")), c.name).toEqual(c.rules);
      expect(verdict.rules.filter((r: { passed: boolean }) => !r.passed).map(({ passed: _p, ...v }: { passed: boolean }) => v), c.name).toEqual(verdict.violations);

      const moved = await setAlias(modelId, candidate);
      if (verdict.allowed) {
        expect(moved.__typename, `${c.name}: ${moved.message}`).toBe("SetModelAliasPayload");
        expect(await aliasTarget(modelId)).toBe(candidate);
      } else if (verdict.violations.some((v: Violation) => v.rule !== "APPROVALS")) {
        expect(moved.__typename, c.name).toBe("PolicyViolationError");
        expect(moved.target, c.name).toBe(`alias "${ALIAS}"`);
        expect(moved.violations, c.name).toEqual(verdict.violations);
        expect(await aliasTarget(modelId)).toBe(incumbentId);
      } else {
        expect(moved.__typename, c.name).toBe("ApprovalRequiredError");
        expect(moved.protectedAlias, c.name).toBe(ALIAS);
        expect(await aliasTarget(modelId)).toBe(incumbentId);
        // …and not even an ADMIN moves it directly.
        expect((await setAlias(modelId, candidate, admin)).__typename, c.name).toBe("ApprovalRequiredError");
        // The request path moves it once the approvals are in.
        const asked = await request(editor, candidate);
        expect(asked.__typename, asked.message).toBe("RequestModelVersionTransitionPayload");
        expect(asked.transitionRequest.requiredApprovals, c.name).toBe(verdict.requiredApprovals);
        let last;
        for (const approver of [reviewer, lead].slice(0, verdict.requiredApprovals)) last = await approve(approver, asked.transitionRequest.id);
        expect(last.moved, c.name).toBe(true);
        expect(await aliasTarget(modelId)).toBe(candidate);
      }
    }
  });

  it("with approvals: 2 an alias request needs two distinct ADMINs; the second approval moves the alias", async () => {
    const { modelId, incumbentId } = await modelWithIncumbent({ acc: 0.5 });
    await setPolicyOk({ modelId, alias: ALIAS, approvals: 2 });
    const candidate = await version(modelId, { acc: 0.6 });
    const asked = await request(editor, candidate);
    expect(asked.transitionRequest).toMatchObject({ status: "PENDING", requiredApprovals: 2, approvals: [], toAlias: ALIAS });
    const requestId = asked.transitionRequest.id;

    const first = await approve(reviewer, requestId);
    expect(first).toMatchObject({ __typename: "ApproveTransitionRequestPayload", moved: false, aliasChange: null, transitionRequest: { status: "PENDING", approvals: [{ approver: { id: reviewer.id } }] } });
    expect(await aliasTarget(modelId)).toBe(incumbentId);
    const again = await approve(reviewer, requestId);
    expect(again.__typename).toBe("ValidationError");
    expect(again.message).toMatch(/already approved/);
    expect(await aliasTarget(modelId)).toBe(incumbentId);

    const second = await approve(lead, requestId);
    expect(second).toMatchObject({ moved: true, aliasChange: { alias: ALIAS }, transitionRequest: { status: "APPROVED" } });
    expect(second.transitionRequest.approvals).toHaveLength(2);
    expect(await aliasTarget(modelId)).toBe(candidate);
  });

  it("the policy is checked at the request and re-checked at each approval, against the alias's version then", async () => {
    const { modelId } = await modelWithIncumbent({ acc: 0.5 });
    await setPolicyOk({ modelId, alias: ALIAS, approvals: 1, mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER" }] });
    // A version that breaks a rule now is refused at the request.
    const worse = await version(modelId, { acc: 0.4 });
    const refused = await request(editor, worse);
    expect(refused.__typename).toBe("PolicyViolationError");
    expect(refused.violations.map((v: Violation) => v.rule)).toEqual(["MUST_BEAT_INCUMBENT"]);

    const candidate = await version(modelId, { acc: 0.7 });
    const asked = await request(editor, candidate);
    expect(asked.__typename, asked.message).toBe("RequestModelVersionTransitionPayload");
    // Meanwhile a better version takes @champion through its own approved request: the pending one no longer beats it.
    const better = await version(modelId, { acc: 0.9 });
    const other = await request(editor, better);
    expect((await approve(lead, other.transitionRequest.id)).moved).toBe(true);
    const late = await approve(reviewer, asked.transitionRequest.id);
    expect(late.__typename).toBe("PolicyViolationError");
    expect(late.violations).toEqual([expect.objectContaining({ rule: "MUST_BEAT_INCUMBENT", metric: "acc", actual: 0.7, required: 0.9 })]);
    const state = await admin.request(`query($id: ID!) { node(id: $id) { ... on TransitionRequest { status approvals { at } } } }`, { id: asked.transitionRequest.id });
    expect(state.node).toEqual({ status: "PENDING", approvals: [] });
    expect(await aliasTarget(modelId)).toBe(better);
  });

  it("alias targets follow the alias name rule, `latest` is refused, and removePromotionPolicy takes an alias", async () => {
    const modelId = (await createModel(admin, projectId)).id;
    for (const alias of ["latest", "Champion", "1st"]) {
      const refused = await setPolicy({ modelId, alias, approvals: 1 });
      expect(refused.__typename, alias).toBe("ValidationError");
      expect(refused.issues[0].path, alias).toEqual(["input", "alias"]);
    }
    expect((await setPolicy({ modelId, alias: ALIAS, stage: "PRODUCTION" })).__typename).toBe("ValidationError");
    expect(await setPolicyOk({ modelId, alias: ALIAS, approvals: 2, metricGates: [{ metric: "acc", min: 0.5 }] })).toEqual({
      stage: null,
      alias: ALIAS,
      approvals: 2,
      requiredApprovals: 2,
      metricGates: [{ metric: "acc", min: 0.5 }],
    });
    const candidate = await version(modelId, { acc: 0.9 });
    expect((await setAlias(modelId, candidate)).__typename).toBe("ApprovalRequiredError");
    const removed = await admin.request(
      `mutation($input: RemovePromotionPolicyInput!) { result: removePromotionPolicy(input: $input) { __typename ... on RemovePromotionPolicyPayload { promotionPolicy { alias } } } }`,
      { input: { modelId, alias: ALIAS } },
    );
    expect(removed.result).toEqual({ __typename: "RemovePromotionPolicyPayload", promotionPolicy: { alias: ALIAS } });
    expect((await setAlias(modelId, candidate)).__typename).toBe("SetModelAliasPayload");
    // promotionCheck names exactly one target.
    const both = await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { promotionCheck(stage: PRODUCTION, alias: "x") { allowed } } } }`, { id: candidate }).catch((e: Error) => e);
    expect(String(both)).toMatch(/exactly one target/);
  });
});
