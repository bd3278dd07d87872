// setTag / deleteTag on models and versions: one key at a time, caps from domain/rules.ts, tags of a reviewed
// (frozen) version stay editable, deleting a missing key is a successful no-op.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createUserWithToken, createVersion, transition } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const SET = `mutation($input: SetTagInput!) { setTag(input: $input) { __typename ... on SetTagPayload { model { tags { key value } } modelVersion { tags { key value } } } ... on Error { message } } }`;
const DELETE = `mutation($input: DeleteTagInput!) { deleteTag(input: $input) { __typename ... on DeleteTagPayload { model { tags { key value } } modelVersion { tags { key value } } } ... on Error { message } } }`;

describe.runIf(databaseAvailable)("per-tag edits", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let project: { id: string };
  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    project = await createProject(client);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("sets, changes and deletes one tag of a model, keeping the others", async () => {
    const model = await createModel(client, project.id, { tags: [{ key: "team", value: "red" }] });
    const set = (await client.request(SET, { input: { subjectId: model.id, key: "owner", value: "ana" } })).setTag;
    expect(set.model.tags).toEqual([{ key: "team", value: "red" }, { key: "owner", value: "ana" }]);
    expect(set.modelVersion).toBeNull();
    const changed = (await client.request(SET, { input: { subjectId: model.id, key: "team", value: "blue" } })).setTag;
    expect(changed.model.tags).toContainEqual({ key: "team", value: "blue" });
    const deleted = (await client.request(DELETE, { input: { subjectId: model.id, key: "team" } })).deleteTag;
    expect(deleted.model.tags).toEqual([{ key: "owner", value: "ana" }]);
    // A missing key: success, nothing changes.
    const again = (await client.request(DELETE, { input: { subjectId: model.id, key: "team" } })).deleteTag;
    expect(again.__typename).toBe("DeleteTagPayload");
    expect(again.model.tags).toEqual([{ key: "owner", value: "ana" }]);
  });

  it("edits the tags of a reviewed (frozen) version, and search sees them", async () => {
    const model = await createModel(client, project.id);
    const v = await createVersion(client, model.id, { metrics: [{ name: "acc", value: 0.5 }] });
    await transition(client, { modelVersionId: v.id, stage: "STAGING" });
    const set = (await client.request(SET, { input: { subjectId: v.id, key: "approved", value: "yes" } })).setTag;
    expect(set.__typename).toBe("SetTagPayload");
    expect(set.modelVersion.tags).toEqual([{ key: "approved", value: "yes" }]);
    const found = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { versions(filter: { tags: [{ key: "approved", value: "yes" }] }) { nodes { id } } } } }`, { id: model.id });
    expect(found.node.versions.nodes).toEqual([{ id: v.id }]);
    const deleted = (await client.request(DELETE, { input: { subjectId: v.id, key: "approved" } })).deleteTag;
    expect(deleted.modelVersion.tags).toEqual([]);
  });

  it("enforces the tag caps, and refuses subjects that are not models or versions, and viewers", async () => {
    const model = await createModel(client, project.id, { tags: Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, value: "v" })) });
    const over = (await client.request(SET, { input: { subjectId: model.id, key: "one-more", value: "v" } })).setTag;
    expect(over.__typename).toBe("ValidationError");
    expect((await client.request(SET, { input: { subjectId: model.id, key: "k1", value: "changed" } })).setTag.__typename).toBe("SetTagPayload");
    expect((await client.request(SET, { input: { subjectId: model.id, key: "x".repeat(129), value: "v" } })).setTag.__typename).toBe("ValidationError");
    expect((await client.request(SET, { input: { subjectId: model.id, key: "k", value: "x".repeat(4097) } })).setTag.__typename).toBe("ValidationError");
    expect((await client.request(SET, { input: { subjectId: model.id, key: "", value: "v" } })).setTag.__typename).toBe("ValidationError");
    expect((await client.request(SET, { input: { subjectId: project.id, key: "k", value: "v" } })).setTag.__typename).toBe("NotFoundError");
    const viewer = await createUserWithToken(client, { projectId: project.id, role: "VIEWER" });
    expect((await viewer.client.request(DELETE, { input: { subjectId: model.id, key: "k1" } })).deleteTag.__typename).toBe("ForbiddenError");
  });
});
