// The approval workflow (DESIGN.md §1 "Stages", Approval; §3 roles): a policy gates PRODUCTION, an EDITOR
// requests, another ADMIN approves (the move happens, cause APPROVAL) or rejects (the version stays); requests
// can be cancelled; every decision is final, emits an event and leaves one audit entry. All through the real API,
// with users and roles created by the admin; the event log is only read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { decodeGlobalId } from "../../server/src/domain/ids.ts";

type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";
type Role = "VIEWER" | "EDITOR" | "ADMIN";

interface Actor {
  id: string;
  client: GraphQLClient;
}

const REQUEST_FIELDS = `
  id toStage status comment decidedAt decisionComment viewerCanApprove viewerCanCancel
  requestedBy { id } decidedBy { id } modelVersion { id stage }
`;

/** The errors every approval mutation can return. */
const ERROR_FIELDS = `
  __typename
  ... on Error { message }
  ... on ForbiddenError { requiredRole }
  ... on ValidationError { issues { path message } }
  ... on NotFoundError { kind ref }
`;

/** …and those of the mutations that check the stage machine (request and approve). */
const STAGE_ERROR_FIELDS = `${ERROR_FIELDS} ... on InvalidStageTransitionError { fromStage toStage }`;

describe.runIf(databaseAvailable)("approval workflow", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let projectId: string;
  /** Members of the project by role; `reviewer` and `lead` are two distinct project ADMINs. */
  let editor: Actor, otherEditor: Actor, viewer: Actor, reviewer: Actor, lead: Actor, outsider: Actor;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    const member = async (role: Role | null): Promise<Actor> => {
      const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName(role?.toLowerCase() ?? "outsider") }, "user { id }")).user;
      const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "tests", userId: user.id }, "token");
      if (role) await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: user.id, role }, "project { id }");
      return { id: user.id, client: admin.as(token) };
    };
    [editor, otherEditor, viewer, reviewer, lead, outsider] = await Promise.all([
      member("EDITOR"),
      member("EDITOR"),
      member("VIEWER"),
      member("ADMIN"),
      member("ADMIN"),
      member(null),
    ]);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  // ---- helpers: each returns the whole result union, so tests can assert on errors ----

  async function request(as: Actor | GraphQLClient, input: { modelVersionId: string; stage: Stage; comment?: string }) {
    const data = await clientOf(as).request(
      `mutation($input: RequestModelVersionTransitionInput!) {
        result: requestModelVersionTransition(input: $input) {
          ... on RequestModelVersionTransitionPayload { transitionRequest { ${REQUEST_FIELDS} } modelVersion { id stage } }
          ${STAGE_ERROR_FIELDS}
        }
      }`,
      { input },
    );
    return data.result;
  }

  async function requestOk(as: Actor, input: { modelVersionId: string; stage: Stage; comment?: string }) {
    const result = await request(as, input);
    expect(result.__typename, result.message).toBe("RequestModelVersionTransitionPayload");
    return result.transitionRequest as { id: string; status: string };
  }

  async function approve(as: Actor | GraphQLClient, input: { requestId: string; comment?: string }) {
    const data = await clientOf(as).request(
      `mutation($input: ApproveTransitionRequestInput!) {
        result: approveTransitionRequest(input: $input) {
          ... on ApproveTransitionRequestPayload {
            transitionRequest { ${REQUEST_FIELDS} }
            modelVersion { id number stage }
            archivedVersions { id number stage }
            transition { fromStage toStage cause comment actor { id } }
          }
          ${STAGE_ERROR_FIELDS}
        }
      }`,
      { input },
    );
    return data.result;
  }

  async function decide(field: "rejectTransitionRequest" | "cancelTransitionRequest", as: Actor | GraphQLClient, input: { requestId: string; comment?: string }) {
    const type = field.charAt(0).toUpperCase() + field.slice(1);
    const data = await clientOf(as).request(
      `mutation($input: ${type}Input!) {
        result: ${field}(input: $input) {
          ... on ${type}Payload { transitionRequest { ${REQUEST_FIELDS} } modelVersion { id stage } }
          ${ERROR_FIELDS}
        }
      }`,
      { input },
    );
    return data.result;
  }
  const reject = (as: Actor | GraphQLClient, input: { requestId: string; comment?: string }) => decide("rejectTransitionRequest", as, input);
  const cancel = (as: Actor | GraphQLClient, input: { requestId: string; comment?: string }) => decide("cancelTransitionRequest", as, input);

  function clientOf(as: Actor | GraphQLClient): GraphQLClient {
    return as instanceof GraphQLClient ? as : as.client;
  }

  async function readRequest(id: string, as: Actor | GraphQLClient = admin) {
    const data = await clientOf(as).request(`query($id: ID!) { node(id: $id) { ... on TransitionRequest { ${REQUEST_FIELDS} } } }`, { id });
    return data.node;
  }

  async function stageOf(versionId: string): Promise<Stage> {
    const data = await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { stage } } }`, { id: versionId });
    return data.node.stage;
  }

  /** A gated model (requireApprovalFor: [PRODUCTION]) with one version in STAGING. */
  async function stagedVersion(modelId?: string) {
    const model = modelId ?? (await createModel(admin, projectId, { requireApprovalFor: ["PRODUCTION"] })).id;
    const version = await createVersion(editor.client, model);
    const moved = await transition(editor.client, { modelVersionId: version.id, stage: "STAGING" });
    expect(moved.__typename).toBe("TransitionModelVersionStagePayload");
    return { modelId: model, versionId: version.id, number: version.number };
  }

  /** Events of the log about one version, read-only, oldest first. */
  async function eventsOf(modelVersionId: string) {
    const rows = await server.app.db.prisma.event.findMany({ where: { modelVersionId: rawId(modelVersionId) }, orderBy: { seq: "asc" } });
    return rows.map((e) => ({ type: e.type, actorId: e.actorId, payload: e.payload as Record<string, unknown> }));
  }

  async function auditOf(targetId: string): Promise<{ action: string; actor: { id: string } | null; after: string | null }[]> {
    const data = await admin.request(
      `query($filter: AuditLogFilter) { auditLog(filter: $filter, first: 100) { nodes { action actor { id } after } } }`,
      { filter: { projectId, targetId } },
    );
    return data.auditLog.nodes;
  }

  const rawId = (globalId: string) => decodeGlobalId(globalId)?.id;

  // ---- the policy ----

  it("a policy on PRODUCTION blocks direct promotion, for editors and admins alike", async () => {
    const { versionId } = await stagedVersion();
    for (const as of [editor.client, reviewer.client, admin]) {
      const result = await transition(as, { modelVersionId: versionId, stage: "PRODUCTION" });
      expect(result.__typename).toBe("ApprovalRequiredError");
      expect(result.message).toMatch(/requestModelVersionTransition/);
    }
    expect(await stageOf(versionId)).toBe("STAGING");
    // Stages outside the policy still move freely.
    expect((await transition(editor.client, { modelVersionId: versionId, stage: "NONE" })).__typename).toBe("TransitionModelVersionStagePayload");
  });

  // ---- approve ----

  it("an EDITOR's request approved by another ADMIN moves the version (cause APPROVAL) and archives the incumbent", async () => {
    const first = await stagedVersion();
    const incumbentRequest = await requestOk(editor, { modelVersionId: first.versionId, stage: "PRODUCTION" });
    expect((await approve(lead, { requestId: incumbentRequest.id })).__typename).toBe("ApproveTransitionRequestPayload");
    expect(await stageOf(first.versionId)).toBe("PRODUCTION");

    const second = await stagedVersion(first.modelId);
    const requested = await request(editor, { modelVersionId: second.versionId, stage: "PRODUCTION", comment: "recall +3%" });
    expect(requested.__typename).toBe("RequestModelVersionTransitionPayload");
    expect(requested.transitionRequest).toMatchObject({
      toStage: "PRODUCTION",
      status: "PENDING",
      comment: "recall +3%",
      requestedBy: { id: editor.id },
      decidedBy: null,
      decidedAt: null,
      viewerCanApprove: false, // the requester may not approve
      viewerCanCancel: true,
      modelVersion: { id: second.versionId, stage: "STAGING" },
    });
    const requestId: string = requested.transitionRequest.id;
    expect(await readRequest(requestId, reviewer)).toMatchObject({ viewerCanApprove: true, viewerCanCancel: true });
    expect(await readRequest(requestId, otherEditor)).toMatchObject({ viewerCanApprove: false, viewerCanCancel: false });

    const approved = await approve(reviewer, { requestId, comment: "looks good" });
    expect(approved.__typename).toBe("ApproveTransitionRequestPayload");
    expect(approved.modelVersion).toEqual({ id: second.versionId, number: second.number, stage: "PRODUCTION" });
    expect(approved.archivedVersions).toEqual([{ id: first.versionId, number: first.number, stage: "ARCHIVED" }]);
    expect(approved.transition).toEqual({ fromStage: "STAGING", toStage: "PRODUCTION", cause: "APPROVAL", comment: "looks good", actor: { id: reviewer.id } });
    expect(approved.transitionRequest).toMatchObject({
      status: "APPROVED",
      decidedBy: { id: reviewer.id },
      decisionComment: "looks good",
      viewerCanApprove: false,
      viewerCanCancel: false,
    });
    expect(approved.transitionRequest.decidedAt).not.toBeNull();

    // The histories: APPROVAL for the new version, AUTO_ARCHIVE for the incumbent; one PRODUCTION version.
    const data = await admin.request(
      `query($a: ID!, $b: ID!, $m: ID!) {
        a: node(id: $a) { ... on ModelVersion { stage stageHistory { nodes { toStage cause actor { id } } } } }
        b: node(id: $b) { ... on ModelVersion { stage stageHistory { nodes { toStage cause } } transitionRequests { totalCount nodes { id status } } } }
        m: node(id: $m) { ... on Model { productionVersion { id } pendingTransitionRequests { totalCount } } }
      }`,
      { a: first.versionId, b: second.versionId, m: first.modelId },
    );
    expect(data.a.stage).toBe("ARCHIVED");
    expect(data.a.stageHistory.nodes.map((t: { toStage: string; cause: string }) => [t.toStage, t.cause])).toEqual([
      ["STAGING", "MANUAL"],
      ["PRODUCTION", "APPROVAL"],
      ["ARCHIVED", "AUTO_ARCHIVE"],
    ]);
    expect(data.a.stageHistory.nodes[1].actor).toEqual({ id: lead.id });
    expect(data.b.stageHistory.nodes.map((t: { toStage: string; cause: string }) => [t.toStage, t.cause])).toEqual([
      ["STAGING", "MANUAL"],
      ["PRODUCTION", "APPROVAL"],
    ]);
    expect(data.b.transitionRequests).toEqual({ totalCount: 1, nodes: [{ id: requestId, status: "APPROVED" }] });
    expect(data.m).toEqual({ productionVersion: { id: second.versionId }, pendingTransitionRequests: { totalCount: 0 } });

    // The event log: requested, then the archive, the move and the decision, all from the approval's transaction.
    const events = await eventsOf(second.versionId);
    expect(events.map((e) => e.type)).toEqual(["MODEL_VERSION_CREATED", "MODEL_VERSION_STAGE_CHANGED", "TRANSITION_REQUESTED", "MODEL_VERSION_STAGE_CHANGED", "TRANSITION_DECIDED"]);
    expect(events[2]).toEqual({
      type: "TRANSITION_REQUESTED",
      actorId: rawId(editor.id),
      payload: { requestId, number: second.number, fromStage: "STAGING", toStage: "PRODUCTION" },
    });
    expect(events[3]!.payload).toMatchObject({ fromStage: "STAGING", toStage: "PRODUCTION", cause: "APPROVAL" });
    expect(events[4]).toMatchObject({
      type: "TRANSITION_DECIDED",
      actorId: rawId(reviewer.id),
      payload: { requestId, status: "APPROVED", toStage: "PRODUCTION" },
    });
    const incumbentEvents = await eventsOf(first.versionId);
    expect(incumbentEvents.at(-1)).toMatchObject({ type: "MODEL_VERSION_STAGE_CHANGED", payload: { toStage: "ARCHIVED", cause: "AUTO_ARCHIVE" } });

    // One audit entry per mutation, on the request; the approval's move is not audited a second time.
    const entries = await auditOf(requestId);
    expect(entries.map((e) => [e.action, e.actor?.id])).toEqual([
      ["approveTransitionRequest", reviewer.id],
      ["requestModelVersionTransition", editor.id],
    ]);
    expect(JSON.parse(entries[0]!.after!)).toMatchObject({ status: "APPROVED", modelVersion: { stage: "PRODUCTION" }, archivedVersionIds: [rawId(first.versionId)] });
    expect(await auditOf(second.versionId)).toEqual([expect.objectContaining({ action: "transitionModelVersionStage" }), expect.objectContaining({ action: "createModelVersion" })]);
  });

  it("approving into a stage outside the policy works too, and the instance admin counts as an ADMIN", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(editor, { modelVersionId: versionId, stage: "ARCHIVED" });
    const approved = await approve(admin, { requestId: req.id });
    expect(approved.__typename).toBe("ApproveTransitionRequestPayload");
    expect(approved.transition).toMatchObject({ fromStage: "STAGING", toStage: "ARCHIVED", cause: "APPROVAL" });
  });

  // ---- who may decide ----

  it("refuses self-approval and self-rejection, whatever the role; the request stays PENDING", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(reviewer, { modelVersionId: versionId, stage: "PRODUCTION" });

    const selfApproval = await approve(reviewer, { requestId: req.id });
    expect(selfApproval.__typename).toBe("ForbiddenError");
    expect(selfApproval.message).toMatch(/your own transition request/);
    expect(selfApproval.message).toMatch(/another member with the ADMIN role/);

    const selfRejection = await reject(reviewer, { requestId: req.id });
    expect(selfRejection.__typename).toBe("ForbiddenError");
    expect(selfRejection.message).toMatch(/cancelTransitionRequest/);

    expect(await readRequest(req.id)).toMatchObject({ status: "PENDING", decidedBy: null });
    expect(await stageOf(versionId)).toBe("STAGING");
    expect((await eventsOf(versionId)).filter((e) => e.type === "TRANSITION_DECIDED")).toEqual([]);
    expect((await auditOf(req.id)).map((e) => e.action)).toEqual(["requestModelVersionTransition"]);
  });

  it("EDITORs and VIEWERs cannot approve or reject; non-members do not see the request; VIEWERs cannot request", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    for (const as of [otherEditor, viewer]) {
      for (const result of [await approve(as, { requestId: req.id }), await reject(as, { requestId: req.id })]) {
        expect(result).toMatchObject({ __typename: "ForbiddenError", requiredRole: "ADMIN" });
      }
    }
    for (const result of [await approve(outsider, { requestId: req.id }), await reject(outsider, { requestId: req.id }), await cancel(outsider, { requestId: req.id })]) {
      expect(result).toMatchObject({ __typename: "NotFoundError", kind: "TransitionRequest", ref: req.id });
    }
    expect(await readRequest(req.id, outsider)).toBeNull();
    // VIEWERs read the request, but may not ask for one.
    expect(await readRequest(req.id, viewer)).toMatchObject({ status: "PENDING", viewerCanApprove: false, viewerCanCancel: false });
    expect(await request(viewer, { modelVersionId: versionId, stage: "ARCHIVED" })).toMatchObject({ __typename: "ForbiddenError", requiredRole: "EDITOR" });
    expect(await readRequest(req.id)).toMatchObject({ status: "PENDING" });
    expect(await stageOf(versionId)).toBe("STAGING");
  });

  // ---- reject ----

  it("a rejection leaves the version in STAGING and records who decided and why", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION", comment: "ship it" });
    const rejected = await reject(reviewer, { requestId: req.id, comment: "latency regression on p99" });
    expect(rejected.__typename).toBe("RejectTransitionRequestPayload");
    expect(rejected.transitionRequest).toMatchObject({
      status: "REJECTED",
      comment: "ship it",
      decidedBy: { id: reviewer.id },
      decisionComment: "latency regression on p99",
      modelVersion: { id: versionId, stage: "STAGING" },
    });
    expect(rejected.modelVersion).toEqual({ id: versionId, stage: "STAGING" });
    expect(await stageOf(versionId)).toBe("STAGING");

    const data = await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { stageHistory { totalCount } } } }`, { id: versionId });
    expect(data.node.stageHistory.totalCount).toBe(1); // only NONE → STAGING
    const events = await eventsOf(versionId);
    expect(events.at(-1)).toEqual({
      type: "TRANSITION_DECIDED",
      actorId: rawId(reviewer.id),
      payload: { requestId: req.id, status: "REJECTED", toStage: "PRODUCTION", number: expect.any(Number), comment: "latency regression on p99" },
    });
    expect((await auditOf(req.id)).map((e) => [e.action, e.actor?.id])).toEqual([
      ["rejectTransitionRequest", reviewer.id],
      ["requestModelVersionTransition", editor.id],
    ]);
    // A rejected request does not block a new one.
    expect((await request(editor, { modelVersionId: versionId, stage: "PRODUCTION" })).__typename).toBe("RequestModelVersionTransitionPayload");
  });

  // ---- cancel ----

  it("the requester or an ADMIN may cancel; another EDITOR may not", async () => {
    const { versionId } = await stagedVersion();
    const mine = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    expect(await cancel(otherEditor, { requestId: mine.id })).toMatchObject({ __typename: "ForbiddenError", requiredRole: "ADMIN" });
    expect(await cancel(viewer, { requestId: mine.id })).toMatchObject({ __typename: "ForbiddenError" });

    const cancelled = await cancel(editor, { requestId: mine.id, comment: "wrong version" });
    expect(cancelled.__typename).toBe("CancelTransitionRequestPayload");
    expect(cancelled.transitionRequest).toMatchObject({ status: "CANCELLED", decidedBy: { id: editor.id }, decisionComment: "wrong version" });
    expect(await stageOf(versionId)).toBe("STAGING");

    // An ADMIN withdraws somebody else's request.
    const theirs = await requestOk(otherEditor, { modelVersionId: versionId, stage: "PRODUCTION" });
    const byAdmin = await cancel(lead, { requestId: theirs.id });
    expect(byAdmin.transitionRequest).toMatchObject({ status: "CANCELLED", decidedBy: { id: lead.id } });

    const decided = (await eventsOf(versionId)).filter((e) => e.type === "TRANSITION_DECIDED");
    expect(decided.map((e) => [e.payload.requestId, e.payload.status, e.actorId])).toEqual([
      [mine.id, "CANCELLED", rawId(editor.id)],
      [theirs.id, "CANCELLED", rawId(lead.id)],
    ]);
    expect((await auditOf(mine.id)).map((e) => e.action)).toEqual(["cancelTransitionRequest", "requestModelVersionTransition"]);
    expect((await auditOf(theirs.id)).map((e) => e.action)).toEqual(["cancelTransitionRequest", "requestModelVersionTransition"]);
  });

  // ---- decisions are final ----

  it("a decided or cancelled request cannot be decided again", async () => {
    const { versionId } = await stagedVersion();
    const rejected = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    await reject(reviewer, { requestId: rejected.id });
    const cancelled = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    await cancel(editor, { requestId: cancelled.id });
    const approved = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    expect((await approve(reviewer, { requestId: approved.id })).__typename).toBe("ApproveTransitionRequestPayload");

    const attempts = [
      [rejected.id, "REJECTED", await approve(lead, { requestId: rejected.id })],
      [rejected.id, "REJECTED", await reject(lead, { requestId: rejected.id })],
      [cancelled.id, "CANCELLED", await approve(lead, { requestId: cancelled.id })],
      [cancelled.id, "CANCELLED", await cancel(editor, { requestId: cancelled.id })],
      [approved.id, "APPROVED", await approve(lead, { requestId: approved.id })],
      [approved.id, "APPROVED", await reject(lead, { requestId: approved.id })],
      [approved.id, "APPROVED", await cancel(editor, { requestId: approved.id })],
    ] as const;
    for (const [, status, result] of attempts) {
      expect(result.__typename).toBe("ValidationError");
      expect(result.issues).toEqual([{ path: ["input", "requestId"], message: expect.stringContaining(`already ${status}`) }]);
    }
    for (const [id, status] of attempts) expect((await readRequest(id)).status).toBe(status);
    expect(await stageOf(versionId)).toBe("PRODUCTION");
    // Three decisions, three events: the refused attempts left nothing behind.
    expect((await eventsOf(versionId)).filter((e) => e.type === "TRANSITION_DECIDED")).toHaveLength(3);
  });

  it("two ADMINs approving at once: exactly one wins", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    const results = await Promise.all([approve(reviewer, { requestId: req.id }), approve(lead, { requestId: req.id })]);
    expect(results.map((r) => r.__typename).sort()).toEqual(["ApproveTransitionRequestPayload", "ValidationError"]);
    const data = await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { stage stageHistory { totalCount } } } }`, { id: versionId });
    expect(data.node).toEqual({ stage: "PRODUCTION", stageHistory: { totalCount: 2 } });
    expect((await eventsOf(versionId)).filter((e) => e.type === "TRANSITION_DECIDED")).toHaveLength(1);
  });

  // ---- requests and the stage machine ----

  it("refuses a duplicate PENDING request and a move the stage table does not allow", async () => {
    const { modelId, versionId } = await stagedVersion();
    const first = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    const duplicate = await request(otherEditor, { modelVersionId: versionId, stage: "PRODUCTION" });
    expect(duplicate.__typename).toBe("ValidationError");
    expect(duplicate.issues).toEqual([{ path: ["input", "stage"], message: expect.stringMatching(/PENDING request .* already exists/) }]);
    expect(duplicate.message).toContain(first.id);
    // Another stage for the same version is a different request.
    expect((await request(otherEditor, { modelVersionId: versionId, stage: "ARCHIVED" })).__typename).toBe("RequestModelVersionTransitionPayload");

    const fresh = await createVersion(editor.client, modelId);
    expect(await request(editor, { modelVersionId: fresh.id, stage: "PRODUCTION" })).toMatchObject({
      __typename: "InvalidStageTransitionError",
      fromStage: "NONE",
      toStage: "PRODUCTION",
    });
    expect(await request(editor, { modelVersionId: versionId, stage: "STAGING" })).toMatchObject({ __typename: "InvalidStageTransitionError" });
    expect(await request(editor, { modelVersionId: versionId, stage: "PRODUCTION", comment: "x".repeat(4097) })).toMatchObject({ __typename: "ValidationError" });
    expect((await readRequest(first.id)).status).toBe("PENDING");
  });

  it("concurrent requests for the same move: exactly one is created", async () => {
    const { versionId } = await stagedVersion();
    const results = await Promise.all([editor, otherEditor, reviewer].map((as) => request(as, { modelVersionId: versionId, stage: "PRODUCTION" })));
    expect(results.map((r) => r.__typename).sort()).toEqual(["RequestModelVersionTransitionPayload", "ValidationError", "ValidationError"]);
    expect((await eventsOf(versionId)).filter((e) => e.type === "TRANSITION_REQUESTED")).toHaveLength(1);
  });

  it("a deleted version's request cannot be approved, but can still be rejected", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    await mutate(admin, "deleteModelVersion", "DeleteModelVersionInput", { id: versionId }, "modelVersion { id }");
    const approved = await approve(reviewer, { requestId: req.id });
    expect(approved.__typename).toBe("ValidationError");
    expect(approved.message).toMatch(/deleted/);
    expect((await reject(reviewer, { requestId: req.id })).transitionRequest).toMatchObject({ status: "REJECTED" });
  });

  it("approval re-checks the stage machine: if the version moved meanwhile, it fails and the request stays PENDING", async () => {
    const { versionId } = await stagedVersion();
    const req = await requestOk(editor, { modelVersionId: versionId, stage: "PRODUCTION" });
    // STAGING → NONE needs no approval; NONE → PRODUCTION is not allowed.
    expect((await transition(otherEditor.client, { modelVersionId: versionId, stage: "NONE" })).__typename).toBe("TransitionModelVersionStagePayload");

    const stale = await approve(reviewer, { requestId: req.id });
    expect(stale).toMatchObject({ __typename: "InvalidStageTransitionError", fromStage: "NONE", toStage: "PRODUCTION" });
    expect(await readRequest(req.id)).toMatchObject({ status: "PENDING", decidedBy: null, modelVersion: { stage: "NONE" } });
    expect(await stageOf(versionId)).toBe("NONE");
    expect((await eventsOf(versionId)).filter((e) => e.type === "TRANSITION_DECIDED")).toEqual([]);
    expect((await auditOf(req.id)).map((e) => e.action)).toEqual(["requestModelVersionTransition"]);

    // Back in STAGING, the same request can be approved.
    expect((await transition(otherEditor.client, { modelVersionId: versionId, stage: "STAGING" })).__typename).toBe("TransitionModelVersionStagePayload");
    expect((await approve(reviewer, { requestId: req.id })).modelVersion).toMatchObject({ stage: "PRODUCTION" });
  });

  // ---- the reviewers' queue ----

  it("lists requests per project with filters, and pending ones per model", async () => {
    const queueProject = (await createProject(admin)).id;
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: queueProject, userId: editor.id, role: "EDITOR" }, "project { id }");
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: queueProject, userId: viewer.id, role: "VIEWER" }, "project { id }");
    const modelA = (await createModel(admin, queueProject, { requireApprovalFor: ["PRODUCTION"] })).id;
    const modelB = (await createModel(admin, queueProject)).id;
    const a1 = await stagedVersion(modelA);
    const a2 = await stagedVersion(modelA);
    const b1 = await stagedVersion(modelB);
    const r1 = await requestOk(editor, { modelVersionId: a1.versionId, stage: "PRODUCTION" });
    const r2 = await requestOk(editor, { modelVersionId: a2.versionId, stage: "ARCHIVED" });
    const r3 = await requestOk(editor, { modelVersionId: b1.versionId, stage: "PRODUCTION" });
    await reject(admin, { requestId: r2.id });

    const queue = async (filter: Record<string, unknown> | null, as: GraphQLClient = viewer.client) => {
      const data = await as.request(
        `query($id: ID!, $filter: TransitionRequestFilter) { node(id: $id) { ... on Project { transitionRequests(filter: $filter) { totalCount nodes { id } } } } }`,
        { id: queueProject, filter },
      );
      return data.node.transitionRequests as { totalCount: number; nodes: { id: string }[] };
    };
    expect(await queue(null)).toEqual({ totalCount: 3, nodes: [{ id: r3.id }, { id: r2.id }, { id: r1.id }] });
    expect(await queue({ statuses: ["PENDING"] })).toEqual({ totalCount: 2, nodes: [{ id: r3.id }, { id: r1.id }] });
    expect(await queue({ statuses: ["PENDING"], modelId: modelA })).toEqual({ totalCount: 1, nodes: [{ id: r1.id }] });
    expect(await queue({ stages: ["ARCHIVED"] })).toEqual({ totalCount: 1, nodes: [{ id: r2.id }] });
    expect(await queue({ modelId: "not-an-id" })).toEqual({ totalCount: 0, nodes: [] });

    const data = await viewer.client.request(`query($id: ID!) { node(id: $id) { ... on Model { pendingTransitionRequests { totalCount nodes { id toStage requestedBy { id } } } } } }`, {
      id: modelA,
    });
    expect(data.node.pendingTransitionRequests).toEqual({ totalCount: 1, nodes: [{ id: r1.id, toStage: "PRODUCTION", requestedBy: { id: editor.id } }] });

    // A non-member sees no project, hence no queue.
    const hidden = await outsider.client.request(`query($id: ID!) { node(id: $id) { id } }`, { id: queueProject });
    expect(hidden.node).toBeNull();
  });
});
