// Model aliases (DESIGN.md §1 "Aliases"): set, move, remove, compare-and-set, the reserved `latest`, name rules,
// versions of other models, deleted and archived versions, the reads (model.aliases, model.version(alias:),
// modelVersion.aliases, aliasHistory, versionAt(alias:)), events and audit entries, protected aliases and their
// approval. All through the real API; the event log is read through a projectEvents replay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { PROJECT_EVENTS, START_CURSOR, subscribe, type EventData } from "../support/subscriptions.ts";

type Role = "VIEWER" | "EDITOR" | "ADMIN";

const SET = `mutation($input: SetModelAliasInput!) {
  result: setModelAlias(input: $input) {
    __typename
    ... on SetModelAliasPayload {
      modelAlias { name protected setAt setBy { id } version { id number } }
      modelVersion { id number aliases }
      previousVersion { id number }
      change { id alias at comment from { id } to { id } actor { id } }
    }
    ... on StaleAliasError { alias expectedVersionId actualVersionId }
    ... on ApprovalRequiredError { stage protectedAlias }
    ... on ValidationError { issues { path message } }
    ... on NotFoundError { kind ref }
    ... on ForbiddenError { requiredRole }
    ... on Error { message }
  }
}`;

const REMOVE = `mutation($input: RemoveModelAliasInput!) {
  result: removeModelAlias(input: $input) {
    __typename
    ... on RemoveModelAliasPayload { alias previousVersion { id number aliases } change { id from { id } to { id } } }
    ... on StaleAliasError { alias expectedVersionId actualVersionId }
    ... on ApprovalRequiredError { stage protectedAlias }
    ... on ValidationError { issues { path message } }
    ... on NotFoundError { kind ref }
    ... on Error { message }
  }
}`;

const MODEL_ALIASES = `query($id: ID!) {
  node(id: $id) {
    ... on Model {
      protectedAliases
      aliases { name protected version { id number } }
      latest: version(alias: "latest") { id number }
    }
  }
}`;

const DELETE = `mutation($id: ID!) {
  result: deleteModelVersion(input: { id: $id }) {
    __typename
    ... on DeleteModelVersionPayload { modelVersion { id deletedAt } }
    ... on AliasInUseError { aliases }
    ... on Error { message }
  }
}`;

describe.runIf(databaseAvailable)("model aliases", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let projectId: string;
  const members: Record<Role, { id: string; client: GraphQLClient }> = {} as never;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    for (const role of ["VIEWER", "EDITOR", "ADMIN"] as const) {
      const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName(role.toLowerCase()) }, "user { id }")).user;
      const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "tests", userId: user.id }, "token");
      await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: user.id, role }, "project { id }");
      members[role] = { id: user.id, client: admin.as(token) };
    }
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  const set = async (input: Record<string, unknown>, as: GraphQLClient = members.EDITOR.client) => (await as.request(SET, { input })).result;
  const remove = async (input: Record<string, unknown>, as: GraphQLClient = members.EDITOR.client) => (await as.request(REMOVE, { input })).result;
  const aliasesOf = async (modelId: string) => (await admin.request(MODEL_ALIASES, { id: modelId })).node;

  async function modelWithVersions(count: number, extra: Record<string, unknown> = {}) {
    const model = await createModel(admin, projectId, extra);
    const versions = [];
    for (let i = 0; i < count; i++) versions.push(await createVersion(admin, model.id));
    return { model, versions };
  }

  /** The project's events of the model, from the durable log. */
  async function eventsOf(modelId: string, marker: () => Promise<void>): Promise<EventData[]> {
    const markerModel = await createModel(admin, projectId);
    await marker();
    const sub = subscribe<EventData>("ws", server.url, PROJECT_EVENTS, { projectId, after: START_CURSOR });
    try {
      await sub.waitFor((e) => e.type === "MODEL_CREATED" && e.modelId === markerModel.id, 30_000);
    } finally {
      await sub.close();
    }
    return sub.events.map((e) => e.data).filter((e) => e.modelId === modelId);
  }

  it("creates, moves and removes an alias, recording each move once with its event and audit entry", async () => {
    const { model, versions } = await modelWithVersions(3);
    const [v1, v2] = versions as [{ id: string; number: number }, { id: string; number: number }, unknown];

    const created = await set({ modelId: model.id, alias: "champion", modelVersionId: v1.id, comment: "first" });
    expect(created.__typename).toBe("SetModelAliasPayload");
    expect(created.modelAlias).toMatchObject({ name: "champion", protected: false, setBy: { id: members.EDITOR.id }, version: { id: v1.id, number: 1 } });
    expect(created.previousVersion).toBeNull();
    expect(created.modelVersion.aliases).toEqual(["champion"]);
    expect(created.change).toMatchObject({ alias: "champion", comment: "first", from: null, to: { id: v1.id }, actor: { id: members.EDITOR.id } });
    expect(created.modelAlias.setAt).toBe(created.change.at);

    // A version may carry several aliases; listed by name.
    expect((await set({ modelId: model.id, alias: "canary", modelVersionId: v1.id })).modelVersion.aliases).toEqual(["canary", "champion"]);

    const moved = await set({ modelId: model.id, alias: "champion", modelVersionId: v2.id });
    expect(moved.__typename).toBe("SetModelAliasPayload");
    expect(moved.previousVersion).toEqual({ id: v1.id, number: 1 });
    expect(moved.change).toMatchObject({ from: { id: v1.id }, to: { id: v2.id } });

    // Setting it where it already points: success, nothing recorded.
    const again = await set({ modelId: model.id, alias: "champion", modelVersionId: v2.id });
    expect(again.__typename).toBe("SetModelAliasPayload");
    expect(again.change).toBeNull();
    expect(again.previousVersion).toEqual({ id: v2.id, number: 2 });

    const read = await aliasesOf(model.id);
    expect(read.aliases).toEqual([
      { name: "canary", protected: false, version: { id: v1.id, number: 1 } },
      { name: "champion", protected: false, version: { id: v2.id, number: 2 } },
    ]);
    const byAlias = await admin.request(`query($id: ID!) { node(id: $id) { ... on Model { champion: version(alias: "champion") { id } missing: version(alias: "nope") { id } byNumber: version(number: 1) { id aliases } } } }`, { id: model.id });
    expect(byAlias.node).toEqual({ champion: { id: v2.id }, missing: null, byNumber: { id: v1.id, aliases: ["canary"] } });

    const removed = await remove({ modelId: model.id, alias: "canary", comment: "done" });
    expect(removed).toMatchObject({ __typename: "RemoveModelAliasPayload", alias: "canary", previousVersion: { id: v1.id, aliases: [] }, change: { from: { id: v1.id }, to: null } });
    expect((await remove({ modelId: model.id, alias: "canary" })).__typename).toBe("NotFoundError");

    const history = await admin.request(
      `query($id: ID!) { node(id: $id) { ... on Model {
        all: aliasHistory { totalCount nodes { alias from { number } to { number } comment } }
        champion: aliasHistory(alias: "champion", direction: DESC) { nodes { to { number } } }
      } } }`,
      { id: model.id },
    );
    expect(history.node.all.totalCount).toBe(4);
    expect(history.node.all.nodes).toEqual([
      { alias: "champion", from: null, to: { number: 1 }, comment: "first" },
      { alias: "canary", from: null, to: { number: 1 }, comment: null },
      { alias: "champion", from: { number: 1 }, to: { number: 2 }, comment: null },
      { alias: "canary", from: { number: 1 }, to: null, comment: "done" },
    ]);
    expect(history.node.champion.nodes).toEqual([{ to: { number: 2 } }, { to: { number: 1 } }]);

    const events = await eventsOf(model.id, async () => {});
    const aliasEvents = events.filter((e) => e.type.startsWith("MODEL_ALIAS_"));
    expect(aliasEvents.map((e) => [e.type, JSON.parse(e.payload)])).toEqual([
      ["MODEL_ALIAS_SET", { alias: "champion", fromVersionId: null, fromNumber: null, toVersionId: v1.id, toNumber: 1 }],
      ["MODEL_ALIAS_SET", { alias: "canary", fromVersionId: null, fromNumber: null, toVersionId: v1.id, toNumber: 1 }],
      ["MODEL_ALIAS_SET", { alias: "champion", fromVersionId: v1.id, fromNumber: 1, toVersionId: v2.id, toNumber: 2 }],
      ["MODEL_ALIAS_REMOVED", { alias: "canary", fromVersionId: v1.id, fromNumber: 1, toVersionId: null, toNumber: null }],
    ]);
    expect(aliasEvents.map((e) => e.modelVersion?.id)).toEqual([v1.id, v1.id, v2.id, v1.id]);

    const audit = await admin.request(
      `query($projectId: ID!) { auditLog(first: 500, filter: { projectId: $projectId }) { nodes { action targetId } } }`,
      { projectId },
    );
    const actions = audit.auditLog.nodes.filter((n: { targetId: string }) => n.targetId === model.id).map((n: { action: string }) => n.action);
    expect(actions.filter((a: string) => a === "setModelAlias")).toHaveLength(4); // the no-op is audited too
    expect(actions.filter((a: string) => a === "removeModelAlias")).toHaveLength(1);
  });

  it("is compare-and-set with expectedVersionId (null: must not exist yet)", async () => {
    const { model, versions } = await modelWithVersions(3);
    const [v1, v2, v3] = versions.map((v) => v.id) as [string, string, string];
    expect((await set({ modelId: model.id, alias: "prod", modelVersionId: v1, expectedVersionId: null })).__typename).toBe("SetModelAliasPayload");
    expect(await set({ modelId: model.id, alias: "prod", modelVersionId: v2, expectedVersionId: null })).toMatchObject({
      __typename: "StaleAliasError",
      alias: "prod",
      expectedVersionId: null,
      actualVersionId: v1,
    });
    expect(await set({ modelId: model.id, alias: "prod", modelVersionId: v3, expectedVersionId: v2 })).toMatchObject({
      __typename: "StaleAliasError",
      expectedVersionId: v2,
      actualVersionId: v1,
    });
    expect((await set({ modelId: model.id, alias: "prod", modelVersionId: v2, expectedVersionId: v1 })).__typename).toBe("SetModelAliasPayload");
    expect(await set({ modelId: model.id, alias: "other", modelVersionId: v2, expectedVersionId: v1 })).toMatchObject({ __typename: "StaleAliasError", actualVersionId: null });
    expect(await remove({ modelId: model.id, alias: "prod", expectedVersionId: v1 })).toMatchObject({ __typename: "StaleAliasError", actualVersionId: v2 });
    expect(await remove({ modelId: model.id, alias: "prod", expectedVersionId: null })).toMatchObject({ __typename: "StaleAliasError", expectedVersionId: null, actualVersionId: v2 });
    expect((await remove({ modelId: model.id, alias: "prod", expectedVersionId: v2 })).__typename).toBe("RemoveModelAliasPayload");
    // Nothing else moved: the refused calls recorded nothing.
    expect((await aliasesOf(model.id)).aliases).toEqual([]);
    const history = await admin.request(`query($id: ID!) { node(id: $id) { ... on Model { aliasHistory { totalCount } } } }`, { id: model.id });
    expect(history.node.aliasHistory.totalCount).toBe(3);
  });

  it("refuses invalid and reserved names, naming the field", async () => {
    const { model, versions } = await modelWithVersions(1);
    for (const alias of ["Champion", "1st", "-x", "a b", "é", "", "a".repeat(65), "latest"]) {
      const result = await set({ modelId: model.id, alias, modelVersionId: versions[0]!.id });
      expect(result.__typename, alias).toBe("ValidationError");
      expect(result.issues[0].path).toEqual(["input", "alias"]);
    }
    expect((await set({ modelId: model.id, alias: "a".repeat(64), modelVersionId: versions[0]!.id })).__typename).toBe("SetModelAliasPayload");
    expect((await set({ modelId: model.id, alias: "eu-prod_2", modelVersionId: versions[0]!.id })).__typename).toBe("SetModelAliasPayload");
    const removed = await remove({ modelId: model.id, alias: "latest" });
    expect(removed.__typename).toBe("ValidationError");
    expect(removed.message).toMatch(/reserved/);
    const protectLatest = await admin.request(
      `mutation($input: UpdateModelInput!) { result: updateModel(input: $input) { __typename ... on ValidationError { issues { path } } } }`,
      { input: { id: model.id, protectedAliases: ["ok", "latest", "Bad"] } },
    );
    expect(protectLatest.result).toEqual({ __typename: "ValidationError", issues: [{ path: ["input", "protectedAliases", "1"] }, { path: ["input", "protectedAliases", "2"] }] });
  });

  it("resolves `latest` to the highest-numbered live version", async () => {
    const { model, versions } = await modelWithVersions(3);
    expect((await aliasesOf(model.id)).latest).toEqual({ id: versions[2]!.id, number: 3 });
    expect((await admin.request(DELETE, { id: versions[2]!.id })).result.__typename).toBe("DeleteModelVersionPayload");
    expect((await aliasesOf(model.id)).latest).toEqual({ id: versions[1]!.id, number: 2 });
    const empty = await createModel(admin, projectId);
    expect((await aliasesOf(empty.id)).latest).toBeNull();
  });

  it("only points at live versions of the same model; an ARCHIVED version may carry an alias", async () => {
    const { model, versions } = await modelWithVersions(2);
    const other = await modelWithVersions(1);
    const cross = await set({ modelId: model.id, alias: "champion", modelVersionId: other.versions[0]!.id });
    expect(cross.__typename).toBe("ValidationError");
    expect(cross.issues[0].path).toEqual(["input", "modelVersionId"]);

    // A version of another project the caller cannot see is just not found.
    const hiddenProject = await createProject(admin);
    const hiddenModel = await createModel(admin, hiddenProject.id);
    const hidden = await createVersion(admin, hiddenModel.id);
    expect(await set({ modelId: model.id, alias: "champion", modelVersionId: hidden.id })).toMatchObject({ __typename: "NotFoundError", ref: hidden.id });

    expect((await transition(admin, { modelVersionId: versions[0]!.id, stage: "ARCHIVED" })).__typename).toBe("TransitionModelVersionStagePayload");
    expect((await set({ modelId: model.id, alias: "old", modelVersionId: versions[0]!.id })).__typename).toBe("SetModelAliasPayload");

    expect((await admin.request(DELETE, { id: versions[1]!.id })).result.__typename).toBe("DeleteModelVersionPayload");
    expect(await set({ modelId: model.id, alias: "champion", modelVersionId: versions[1]!.id })).toMatchObject({ __typename: "NotFoundError", ref: versions[1]!.id });
  });

  it("refuses to delete a version aliases point at (AliasInUseError); archiving it is fine", async () => {
    const { model, versions } = await modelWithVersions(2);
    const v1 = versions[0]!.id;
    await set({ modelId: model.id, alias: "b-alias", modelVersionId: v1 });
    await set({ modelId: model.id, alias: "a-alias", modelVersionId: v1 });
    expect((await admin.request(DELETE, { id: v1 })).result).toMatchObject({ __typename: "AliasInUseError", aliases: ["a-alias", "b-alias"] });
    expect((await transition(admin, { modelVersionId: v1, stage: "ARCHIVED" })).__typename).toBe("TransitionModelVersionStagePayload");
    await set({ modelId: model.id, alias: "a-alias", modelVersionId: versions[1]!.id });
    expect((await admin.request(DELETE, { id: v1 })).result).toMatchObject({ __typename: "AliasInUseError", aliases: ["b-alias"] });
    await remove({ modelId: model.id, alias: "b-alias" });
    expect((await admin.request(DELETE, { id: v1 })).result.__typename).toBe("DeleteModelVersionPayload");
  });

  it("answers versionAt(alias:, at:) from the history, the new target at the instant of a move", async () => {
    const { model, versions } = await modelWithVersions(2);
    const [v1, v2] = versions.map((v) => v.id) as [string, string];
    const at = async (alias: string, when: string) =>
      (await admin.request(`query($id: ID!, $alias: String!, $at: DateTime!) { node(id: $id) { ... on Model { versionAt(alias: $alias, at: $at) { id } } } }`, { id: model.id, alias, at: when })).node
        .versionAt?.id ?? null;
    const first = (await set({ modelId: model.id, alias: "champion", modelVersionId: v1 })).change.at as string;
    await new Promise((r) => setTimeout(r, 5));
    const second = (await set({ modelId: model.id, alias: "champion", modelVersionId: v2 })).change.at as string;
    await new Promise((r) => setTimeout(r, 5));
    const third = (await remove({ modelId: model.id, alias: "champion" })).change;
    const gone = (await admin.request(`query($id: ID!) { node(id: $id) { ... on Model { aliasHistory(direction: DESC, first: 1) { nodes { at } } } } }`, { id: model.id })).node.aliasHistory.nodes[0].at;
    expect(third.to).toBeNull();
    const before = (iso: string) => new Date(Date.parse(iso) - 1).toISOString();
    expect(await at("champion", before(first))).toBeNull();
    expect(await at("champion", first)).toBe(v1);
    expect(await at("champion", before(second))).toBe(v1);
    expect(await at("champion", second)).toBe(v2);
    expect(await at("champion", before(gone))).toBe(v2);
    expect(await at("champion", gone)).toBeNull();
    expect(await at("latest", new Date().toISOString())).toBe(v2);
    expect(await at("latest", before(first))).toBe(v2);
  });

  describe("protected aliases", () => {
    it("cannot be moved or removed without an approved request, by any role", async () => {
      const { model, versions } = await modelWithVersions(2, { protectedAliases: ["champion"] });
      expect((await aliasesOf(model.id)).protectedAliases).toEqual(["champion"]);
      for (const role of ["EDITOR", "ADMIN"] as const) {
        expect(await set({ modelId: model.id, alias: "champion", modelVersionId: versions[0]!.id }, members[role].client)).toMatchObject({
          __typename: "ApprovalRequiredError",
          stage: null,
          protectedAlias: "champion",
        });
      }
      expect((await set({ modelId: model.id, alias: "champion", modelVersionId: versions[0]!.id }, admin)).__typename).toBe("ApprovalRequiredError");
      // A VIEWER is refused before that: the role comes first.
      expect((await set({ modelId: model.id, alias: "champion", modelVersionId: versions[0]!.id }, members.VIEWER.client)).__typename).toBe("ForbiddenError");
      // Other aliases of the model move freely.
      expect((await set({ modelId: model.id, alias: "canary", modelVersionId: versions[0]!.id })).__typename).toBe("SetModelAliasPayload");
      expect((await aliasesOf(model.id)).aliases).toEqual([{ name: "canary", protected: false, version: { id: versions[0]!.id, number: 1 } }]);
    });

    it("moves when another ADMIN approves an EDITOR's request, in the same transaction as the approval", async () => {
      const { model, versions } = await modelWithVersions(2, { protectedAliases: ["champion"] });
      const request = async (modelVersionId: string, as = members.EDITOR.client) =>
        (
          await as.request(
            `mutation($input: RequestModelVersionTransitionInput!) { result: requestModelVersionTransition(input: $input) {
              __typename ... on RequestModelVersionTransitionPayload { transitionRequest { id toStage toAlias status } } ... on Error { message } } }`,
            { input: { modelVersionId, alias: "champion", comment: "best so far" } },
          )
        ).result;
      const approve = async (requestId: string, as = members.ADMIN.client) =>
        (
          await as.request(
            `mutation($input: ApproveTransitionRequestInput!) { result: approveTransitionRequest(input: $input) {
              __typename
              ... on ApproveTransitionRequestPayload { transitionRequest { status toAlias } modelVersion { id aliases } transition { id } aliasChange { alias from { id } to { id } actor { id } transitionRequest { id } } }
              ... on Error { message } } }`,
            { input: { requestId } },
          )
        ).result;

      const asked = await request(versions[0]!.id);
      expect(asked.transitionRequest).toMatchObject({ toStage: null, toAlias: "champion", status: "PENDING" });
      expect((await request(versions[0]!.id)).__typename).toBe("ValidationError"); // one PENDING per version and alias
      // Requests name a stage or an alias, not both, not neither.
      const both = await members.EDITOR.client.request(
        `mutation($input: RequestModelVersionTransitionInput!) { result: requestModelVersionTransition(input: $input) { __typename } }`,
        { input: { modelVersionId: versions[0]!.id, alias: "champion", stage: "STAGING" } },
      );
      expect(both.result.__typename).toBe("ValidationError");
      const neither = await members.EDITOR.client.request(
        `mutation($input: RequestModelVersionTransitionInput!) { result: requestModelVersionTransition(input: $input) { __typename } }`,
        { input: { modelVersionId: versions[0]!.id } },
      );
      expect(neither.result.__typename).toBe("ValidationError");

      const approved = await approve(asked.transitionRequest.id);
      expect(approved.__typename).toBe("ApproveTransitionRequestPayload");
      expect(approved).toMatchObject({
        transitionRequest: { status: "APPROVED", toAlias: "champion" },
        modelVersion: { id: versions[0]!.id, aliases: ["champion"] },
        transition: null,
        aliasChange: { alias: "champion", from: null, to: { id: versions[0]!.id }, actor: { id: members.ADMIN.id }, transitionRequest: { id: asked.transitionRequest.id } },
      });
      expect((await aliasesOf(model.id)).aliases).toEqual([{ name: "champion", protected: true, version: { id: versions[0]!.id, number: 1 } }]);

      // Moving it again needs another approved request; removing it needs its protection lifted (ADMIN).
      expect((await set({ modelId: model.id, alias: "champion", modelVersionId: versions[1]!.id }, admin)).__typename).toBe("ApprovalRequiredError");
      expect((await remove({ modelId: model.id, alias: "champion" }, admin)).__typename).toBe("ApprovalRequiredError");
      const second = await request(versions[1]!.id);
      expect((await approve(second.transitionRequest.id)).aliasChange).toMatchObject({ from: { id: versions[0]!.id }, to: { id: versions[1]!.id } });
      const lift = await members.EDITOR.client.request(
        `mutation($input: UpdateModelInput!) { result: updateModel(input: $input) { __typename } }`,
        { input: { id: model.id, protectedAliases: [] } },
      );
      expect(lift.result.__typename).toBe("ForbiddenError");
      await mutate(members.ADMIN.client, "updateModel", "UpdateModelInput", { id: model.id, protectedAliases: [] }, "model { id }");
      expect((await remove({ modelId: model.id, alias: "champion" })).__typename).toBe("RemoveModelAliasPayload");

      // The decision and the move share the event log, in order.
      const types = (await eventsOf(model.id, async () => {})).map((e) => e.type).filter((t) => t !== "MODEL_VERSION_CREATED");
      expect(types).toEqual([
        "MODEL_CREATED",
        "TRANSITION_REQUESTED",
        "MODEL_ALIAS_SET",
        "TRANSITION_DECIDED",
        "TRANSITION_REQUESTED",
        "MODEL_ALIAS_SET",
        "TRANSITION_DECIDED",
        "MODEL_ALIAS_REMOVED",
      ]);
    });
  });
});
