// Global ids (DESIGN.md §1 "Ids"): at most 40 URL-safe characters, a type prefix and the database id, decoded by one
// function; a malformed or foreign id is a NotFoundError (or null from node), never another type's object.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId, encodeGlobalId } from "../../server/src/domain/ids.ts";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createVersion, transition } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const SHORT_URL_SAFE = /^[A-Za-z0-9_-]{1,40}$/;

describe("global id format", () => {
  it("round-trips UUIDs and integer ids, and refuses every other spelling", () => {
    for (const uuid of ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"]) {
      const id = encodeGlobalId("ModelVersion", uuid);
      expect(id).toMatch(/^mv_[A-Za-z0-9]{22}$/);
      expect(decodeGlobalId(id)).toEqual({ typename: "ModelVersion", id: uuid });
    }
    for (const n of [0n, 1n, 61n, 62n, 9_223_372_036_854_775_807n]) {
      const id = encodeGlobalId("Event", n);
      expect(id).toMatch(SHORT_URL_SAFE);
      expect(decodeGlobalId(id)).toEqual({ typename: "Event", id: n.toString() });
    }
    // Unknown prefix, bad characters, base64 of the old format, over 128 bits, leading zeros, over a bigint.
    for (const bad of ["xx_1", "mv_", "mv-1", "mv_a+b", "TW9kZWw6MQ==", `mv_${"z".repeat(22)}`, "evt_01", `evt_${"z".repeat(12)}`, "", "mv_1 "]) {
      expect(decodeGlobalId(bad), bad).toBeNull();
    }
  });
});

describe.runIf(databaseAvailable)("global ids over the API", () => {
  let server: TestServer;
  let client: GraphQLClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("every id and event cursor the API hands out is at most 40 URL-safe characters and resolves through node(id)", async () => {
    const project = await createProject(client);
    const experiment = await createExperiment(client, project.id);
    const iteration = await createIteration(client, experiment.id);
    const model = await createModel(client, project.id);
    const version = await createVersion(client, model.id, { iterationId: iteration.id });
    const moved = await transition(client, { modelVersionId: version.id, stage: "STAGING" });
    const data = await client.request(
      `query($id: ID!) { viewer { id } project(by: { id: $id }) { eventCursor } }`,
      { id: project.id },
    );
    const ids = [project.id, experiment.id, iteration.id, model.id, version.id, moved.transition.id, data.viewer.id];
    for (const id of [...ids, data.project.eventCursor]) expect(id).toMatch(SHORT_URL_SAFE);
    const nodes = await client.request(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expect(nodes.nodes.map((n: { id: string }) => n.id)).toEqual(ids);
  });

  it("a malformed id or another type's id is NotFoundError, and node(id) answers null", async () => {
    const project = await createProject(client);
    const model = await createModel(client, project.id);
    const update = `mutation($input: UpdateModelInput!) { updateModel(input: $input) { __typename ... on Error { message } } }`;
    const malformed = ["mdl_!", `mdl_${"z".repeat(22)}`, Buffer.from(`Model:${decodeGlobalId(model.id)!.id}`).toString("base64")];
    for (const id of [project.id, ...malformed]) {
      const res = await client.request(update, { input: { id, description: "x" } });
      expect(res.updateModel.__typename, id).toBe("NotFoundError");
    }
    for (const id of malformed) expect((await client.request(`query($id: ID!) { node(id: $id) { id } }`, { id })).node, id).toBeNull();
    // The same database id under its own prefix does name the model.
    expect((await client.request(update, { input: { id: model.id, description: "x" } })).updateModel.__typename).toBe("UpdateModelPayload");
  });
});
