// ARCHIVED → PRODUCTION is a rollback only (DESIGN.md §1 "Stages"): allowed for a version that was in PRODUCTION
// before, refused (InvalidStageTransitionError saying why, nothing changed) for one that never was, on every path
// that moves a version: transitionModelVersionStage, requestModelVersionTransition, approveTransitionRequest and
// rollbackModel. Archiving is then no way around STAGING and its review. All through the real API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { snapshotDatabase } from "../support/snapshot.ts";

const STAGE_ERROR = "__typename ... on Error { message } ... on InvalidStageTransitionError { fromStage toStage }";

describe.runIf(databaseAvailable)("ARCHIVED → PRODUCTION only as a rollback", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let editor: GraphQLClient;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("editor") }, "user { id }")).user;
    const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "tests", userId: user.id }, "token");
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: user.id, role: "EDITOR" }, "project { id }");
    editor = admin.as(token);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  async function moveOk(modelVersionId: string, stage: string) {
    const result = await transition(editor, { modelVersionId, stage });
    expect(result.__typename, result.message).toBe("TransitionModelVersionStagePayload");
    return result;
  }

  /** transitionModelVersionStage with the stage error's fields selected. */
  async function promote(as: GraphQLClient, modelVersionId: string) {
    const data = await as.request(
      `mutation($input: TransitionModelVersionStageInput!) { result: transitionModelVersionStage(input: $input) { ${STAGE_ERROR} } }`,
      { input: { modelVersionId, stage: "PRODUCTION" } },
    );
    return data.result;
  }

  async function requestTo(modelVersionId: string, stage: string) {
    const data = await editor.request(
      `mutation($input: RequestModelVersionTransitionInput!) {
        result: requestModelVersionTransition(input: $input) { ${STAGE_ERROR} ... on RequestModelVersionTransitionPayload { transitionRequest { id } } }
      }`,
      { input: { modelVersionId, stage } },
    );
    return data.result;
  }

  async function stageOf(id: string) {
    return (await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { stage } } }`, { id })).node.stage;
  }

  function expectRollbackOnly(result: { __typename: string; message: string; fromStage?: string; toStage?: string }) {
    expect(result).toMatchObject({ __typename: "InvalidStageTransitionError", fromStage: "ARCHIVED", toStage: "PRODUCTION" });
    expect(result.message).toMatch(/only a rollback of a version that was in PRODUCTION before/);
  }

  it("refuses to promote an archived version that was never in PRODUCTION, from NONE or from STAGING, and changes nothing", async () => {
    const model = await createModel(admin, projectId);
    const fromNone = await createVersion(editor, model.id);
    await moveOk(fromNone.id, "ARCHIVED");
    const fromStaging = await createVersion(editor, model.id);
    await moveOk(fromStaging.id, "STAGING");
    await moveOk(fromStaging.id, "ARCHIVED");

    const snapshot = await snapshotDatabase(server.app);
    for (const version of [fromNone, fromStaging]) {
      for (const as of [editor, admin]) expectRollbackOnly(await promote(as, version.id));
      // Asking for it is refused as well: no request can be made for a move that may never happen.
      expectRollbackOnly(await requestTo(version.id, "PRODUCTION"));
    }
    expect(await snapshotDatabase(server.app)).toBe(snapshot);

    // The way to PRODUCTION is through STAGING.
    await moveOk(fromNone.id, "STAGING");
    expect((await moveOk(fromNone.id, "PRODUCTION")).modelVersion.stage).toBe("PRODUCTION");
  });

  it("an approval re-checks it: a request into PRODUCTION whose version was archived meanwhile is refused and stays PENDING", async () => {
    const model = await createModel(admin, projectId, { requireApprovalFor: ["PRODUCTION"] });
    const version = await createVersion(editor, model.id);
    await moveOk(version.id, "STAGING");
    const request = await requestTo(version.id, "PRODUCTION");
    expect(request.__typename, request.message).toBe("RequestModelVersionTransitionPayload");
    await moveOk(version.id, "ARCHIVED");

    const snapshot = await snapshotDatabase(server.app);
    const data = await admin.request(
      `mutation($input: ApproveTransitionRequestInput!) { result: approveTransitionRequest(input: $input) { ${STAGE_ERROR} } }`,
      { input: { requestId: request.transitionRequest.id } },
    );
    expectRollbackOnly(data.result);
    expect(await snapshotDatabase(server.app)).toBe(snapshot);
    expect(await stageOf(version.id)).toBe("ARCHIVED");
    const state = await admin.request(`query($id: ID!) { node(id: $id) { ... on TransitionRequest { status } } }`, { id: request.transitionRequest.id });
    expect(state.node.status).toBe("PENDING");
  });

  it("allows a version that was in PRODUCTION back, by a transition or by rollbackModel, but rollbackModel refuses one that never was", async () => {
    const model = await createModel(admin, projectId);
    const v1 = await createVersion(editor, model.id);
    const v2 = await createVersion(editor, model.id);
    const neverProduced = await createVersion(editor, model.id);
    for (const v of [v1, v2]) {
      await moveOk(v.id, "STAGING");
      await moveOk(v.id, "PRODUCTION");
    }
    await moveOk(neverProduced.id, "ARCHIVED");
    expect(await stageOf(v1.id)).toBe("ARCHIVED"); // archived when v2 entered PRODUCTION

    const back = await moveOk(v1.id, "PRODUCTION");
    expect(back.transition).toMatchObject({ fromStage: "ARCHIVED", toStage: "PRODUCTION", cause: "MANUAL" });
    expect(back.archivedVersions).toEqual([{ id: v2.id, number: v2.number, stage: "ARCHIVED" }]);

    const rollback = async (toVersionId: string) =>
      (
        await editor.request(
          `mutation($input: RollbackModelInput!) { result: rollbackModel(input: $input) { ${STAGE_ERROR} ... on RollbackModelPayload { modelVersion { id stage } } } }`,
          { input: { modelId: model.id, toVersionId } },
        )
      ).result;
    const refused = await rollback(neverProduced.id);
    expect(refused).toMatchObject({ __typename: "InvalidStageTransitionError", toStage: "PRODUCTION" });
    expect(refused.message).toMatch(/was in PRODUCTION before/);
    expect(await rollback(v2.id)).toEqual({ __typename: "RollbackModelPayload", modelVersion: { id: v2.id, stage: "PRODUCTION" } });
  });
});
