// What was reviewed is frozen (DESIGN.md §1 "Model versions"): once a version has left NONE, its resource,
// iteration, parent and metrics cannot change (FrozenVersionError, nothing changed: no row, no event, no audit
// entry); description and tags stay editable and are audited with before/after. While a version is still in NONE,
// changing that content cancels its PENDING transition requests in the same transaction, so an approval never
// moves something other than what was requested. All through the real API, as an EDITOR.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { snapshotDatabase } from "../support/snapshot.ts";
import { decodeGlobalId } from "../../server/src/domain/ids.ts";

const VERSION_FIELDS = "id stage description tags { key value } metrics { name value } resource { id } iteration { id } parentVersion { id }";

describe.runIf(databaseAvailable)("frozen reviewed versions", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let editor: GraphQLClient;
  let projectId: string;
  let iterations: string[];
  let resources: string[];

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("editor") }, "user { id }")).user;
    const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "tests", userId: user.id }, "token");
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: user.id, role: "EDITOR" }, "project { id }");
    editor = admin.as(token);
    const experiment = await createExperiment(admin, projectId);
    iterations = [(await createIteration(admin, experiment.id)).id, (await createIteration(admin, experiment.id)).id];
    resources = [(await createResource(admin, projectId)).id, (await createResource(admin, projectId)).id];
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  async function update(as: GraphQLClient, input: Record<string, unknown>) {
    const data = await as.request(
      `mutation($input: UpdateModelVersionInput!) {
        result: updateModelVersion(input: $input) {
          __typename
          ... on UpdateModelVersionPayload { modelVersion { ${VERSION_FIELDS} } }
          ... on Error { message }
          ... on FrozenVersionError { fields stage }
        }
      }`,
      { input },
    );
    return data.result;
  }

  async function read(id: string) {
    return (await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { ${VERSION_FIELDS} } } }`, { id })).node;
  }

  async function auditOf(targetId: string, action: string): Promise<{ before: any; after: any }[]> {
    const data = await admin.request(
      `query($filter: AuditLogFilter) { auditLog(filter: $filter, first: 100) { nodes { before after } } }`,
      { filter: { projectId, targetId, action } },
    );
    return data.auditLog.nodes.map((n: { before: string | null; after: string | null }) => ({ before: n.before && JSON.parse(n.before), after: n.after && JSON.parse(n.after) }));
  }

  async function move(id: string, stages: string[]) {
    for (const stage of stages) expect((await transition(admin, { modelVersionId: id, stage })).__typename).toBe("TransitionModelVersionStagePayload");
  }

  /** A fully built version (resource, iteration, parent, metrics) of a fresh model, moved through `stages`. */
  async function versionIn(stages: string[]) {
    const model = await createModel(admin, projectId);
    const parent = await createVersion(admin, model.id);
    const version = await createVersion(editor, model.id, {
      resourceId: resources[0],
      iterationId: iterations[0],
      parentVersionId: parent.id,
      metrics: [{ name: "acc", value: 0.9 }],
      description: "reviewed",
      tags: [{ key: "team", value: "vision" }],
    });
    await move(version.id, stages);
    return { modelId: model.id, id: version.id, parentId: parent.id };
  }

  const PATHS: [string, string[], string][] = [
    ["STAGING", ["STAGING"], "STAGING"],
    ["PRODUCTION", ["STAGING", "PRODUCTION"], "PRODUCTION"],
    ["ARCHIVED", ["ARCHIVED"], "ARCHIVED"],
    // Back in NONE, it has left NONE before: what was reviewed then stays frozen.
    ["moved back to NONE", ["STAGING", "NONE"], "NONE"],
  ];

  for (const [title, stages, stage] of PATHS) {
    it(`refuses every change of resource, iteration, parent and metrics of a version ${title}, and changes nothing`, async () => {
      const v = await versionIn(stages);
      const other = await createVersion(admin, v.modelId);
      const before = await read(v.id);
      const snapshot = await snapshotDatabase(server.app);
      const attempts: [Record<string, unknown>, string[]][] = [
        [{ resourceId: resources[1], metrics: [{ name: "acc", value: 0.99 }] }, ["resourceId", "metrics"]],
        [{ resourceId: null }, ["resourceId"]],
        [{ iterationId: iterations[1] }, ["iterationId"]],
        [{ iterationId: null }, ["iterationId"]],
        [{ parentVersionId: other.id }, ["parentVersionId"]],
        [{ parentVersionId: null }, ["parentVersionId"]],
        [{ metrics: [] }, ["metrics"]],
        // Editable fields alongside a frozen one: the whole update is refused.
        [{ description: "sneaky", tags: [], resourceId: resources[1] }, ["resourceId"]],
      ];
      for (const [change, fields] of attempts) {
        const result = await update(editor, { id: v.id, ...change });
        expect(result, JSON.stringify(change)).toMatchObject({ __typename: "FrozenVersionError", fields, stage });
        expect(result.message).toMatch(/What was reviewed is frozen/);
        for (const field of fields) expect(result.message).toContain(field);
      }
      // Nothing changed anywhere: not the version, not the event log, not the audit log.
      expect(await read(v.id)).toEqual(before);
      expect(await snapshotDatabase(server.app)).toBe(snapshot);
      expect(await auditOf(v.id, "updateModelVersion")).toEqual([]);
    });
  }

  it("keeps description and tags of a PRODUCTION version editable, audited with before and after", async () => {
    const v = await versionIn(["STAGING", "PRODUCTION"]);
    // Re-sending the reviewed content as it is changes nothing, so it is not refused.
    const result = await update(editor, {
      id: v.id,
      description: "serves 80% of traffic",
      tags: [{ key: "owner", value: "ml-platform" }],
      resourceId: resources[0],
      iterationId: iterations[0],
      parentVersionId: v.parentId,
      metrics: [{ name: "acc", value: 0.9 }],
    });
    expect(result.__typename, result.message).toBe("UpdateModelVersionPayload");
    expect(result.modelVersion).toMatchObject({
      stage: "PRODUCTION",
      description: "serves 80% of traffic",
      tags: [{ key: "owner", value: "ml-platform" }],
      resource: { id: resources[0] },
      iteration: { id: iterations[0] },
      parentVersion: { id: v.parentId },
      metrics: [{ name: "acc", value: 0.9 }],
    });
    const entries = await auditOf(v.id, "updateModelVersion");
    expect(entries).toHaveLength(1);
    expect(entries[0]!.before).toMatchObject({ description: "reviewed", tags: { team: "vision" }, stage: "PRODUCTION" });
    expect(entries[0]!.after).toMatchObject({ description: "serves 80% of traffic", tags: { owner: "ml-platform" }, stage: "PRODUCTION" });
  });

  it("lets a version that never left NONE change its content", async () => {
    const v = await versionIn([]);
    const result = await update(editor, { id: v.id, resourceId: resources[1], iterationId: null, metrics: [{ name: "acc", value: 0.95 }] });
    expect(result.__typename, result.message).toBe("UpdateModelVersionPayload");
    expect(result.modelVersion).toMatchObject({ stage: "NONE", resource: { id: resources[1] }, iteration: null, metrics: [{ name: "acc", value: 0.95 }] });
  });

  describe("pending transition requests of a changed version", () => {
    async function request(modelVersionId: string, stage: string) {
      return (await mutate(editor, "requestModelVersionTransition", "RequestModelVersionTransitionInput", { modelVersionId, stage }, "transitionRequest { id status }"))
        .transitionRequest as { id: string; status: string };
    }
    async function requestState(id: string) {
      return (await admin.request(`query($id: ID!) { node(id: $id) { ... on TransitionRequest { status decidedAt decisionComment } } }`, { id })).node;
    }
    async function approve(requestId: string) {
      const data = await admin.request(
        `mutation($input: ApproveTransitionRequestInput!) {
          result: approveTransitionRequest(input: $input) { __typename ... on Error { message } ... on ApproveTransitionRequestPayload { modelVersion { stage } } }
        }`,
        { input: { requestId } },
      );
      return data.result;
    }
    const rawId = (globalId: string) => decodeGlobalId(globalId)?.id;
    async function eventsOf(modelVersionId: string) {
      const rows = await server.app.db.prisma.event.findMany({ where: { modelVersionId: rawId(modelVersionId) }, orderBy: { seq: "asc" } });
      return rows.map((e) => ({ type: e.type, payload: e.payload as Record<string, unknown> }));
    }

    it("a change of reviewed content cancels them in the same transaction (with an event), and the approval is then refused", async () => {
      const model = await createModel(admin, projectId, { requireApprovalFor: ["STAGING"] });
      const version = await createVersion(editor, model.id, { resourceId: resources[0], metrics: [{ name: "acc", value: 0.9 }] });
      const toStaging = await request(version.id, "STAGING");
      const toArchive = await request(version.id, "ARCHIVED");

      // Description and tags are not what is reviewed: the requests stay PENDING.
      expect((await update(editor, { id: version.id, description: "notes", tags: [{ key: "k", value: "v" }] })).__typename).toBe("UpdateModelVersionPayload");
      expect((await requestState(toStaging.id)).status).toBe("PENDING");

      const changed = await update(editor, { id: version.id, resourceId: resources[1] });
      expect(changed.__typename, changed.message).toBe("UpdateModelVersionPayload");
      for (const r of [toStaging, toArchive]) {
        const state = await requestState(r.id);
        expect(state.status).toBe("CANCELLED");
        expect(state.decidedAt).not.toBeNull();
        expect(state.decisionComment).toMatch(/resourceId changed after the request/);
      }
      // Cancellations emit what other cancellations emit, right after the update's own event.
      const events = await eventsOf(version.id);
      expect(events.at(-3)).toEqual({ type: "MODEL_VERSION_UPDATED", payload: { number: version.number, changed: ["resourceId"] } });
      const decided = events.slice(-2).sort((a, b) => String(a.payload.toStage).localeCompare(String(b.payload.toStage)));
      expect(decided).toEqual([
        { type: "TRANSITION_DECIDED", payload: expect.objectContaining({ requestId: toArchive.id, status: "CANCELLED", toStage: "ARCHIVED", reason: "VERSION_CHANGED" }) },
        { type: "TRANSITION_DECIDED", payload: expect.objectContaining({ requestId: toStaging.id, status: "CANCELLED", toStage: "STAGING", reason: "VERSION_CHANGED" }) },
      ]);
      // One audit entry for the one mutation (the description edit before it cancelled nothing), naming what it cancelled.
      const cancelling = (await auditOf(version.id, "updateModelVersion")).filter((e) => e.after.cancelledTransitionRequestIds);
      expect(cancelling).toHaveLength(1);
      expect([...cancelling[0]!.after.cancelledTransitionRequestIds].sort()).toEqual([toStaging.id, toArchive.id].sort());

      // The reviewer cannot approve the old request: the version stays in NONE.
      const approval = await approve(toStaging.id);
      expect(approval.__typename).toBe("ValidationError");
      expect(approval.message).toMatch(/already CANCELLED/);
      expect((await read(version.id)).stage).toBe("NONE");

      // A new request for what the version is now can be approved.
      const fresh = await request(version.id, "STAGING");
      expect(await approve(fresh.id)).toEqual({ __typename: "ApproveTransitionRequestPayload", modelVersion: { stage: "STAGING" } });
      // …and from then on its content is frozen.
      expect((await update(editor, { id: version.id, metrics: [] })).__typename).toBe("FrozenVersionError");
    });

    it("a metrics or lineage change cancels; re-sending the same content does not", async () => {
      const model = await createModel(admin, projectId, { requireApprovalFor: ["STAGING"] });
      const version = await createVersion(editor, model.id, { metrics: [{ name: "acc", value: 0.9 }, { name: "f1", value: 0.8 }] });
      const first = await request(version.id, "STAGING");
      // Same metrics in another order: no change.
      expect((await update(editor, { id: version.id, metrics: [{ name: "f1", value: 0.8 }, { name: "acc", value: 0.9 }] })).__typename).toBe("UpdateModelVersionPayload");
      expect((await requestState(first.id)).status).toBe("PENDING");
      expect((await update(editor, { id: version.id, metrics: [{ name: "acc", value: 0.95 }, { name: "f1", value: 0.8 }] })).__typename).toBe("UpdateModelVersionPayload");
      expect(await requestState(first.id)).toMatchObject({ status: "CANCELLED", decisionComment: expect.stringMatching(/metrics changed/) });

      const second = await request(version.id, "STAGING");
      expect((await update(editor, { id: version.id, iterationId: iterations[1] })).__typename).toBe("UpdateModelVersionPayload");
      expect(await requestState(second.id)).toMatchObject({ status: "CANCELLED", decisionComment: expect.stringMatching(/iterationId changed/) });
    });
  });
});
