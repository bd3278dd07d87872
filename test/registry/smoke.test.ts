import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, transition } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

describe.runIf(databaseAvailable)("registry basics", () => {
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

  it("promotes a version to PRODUCTION and archives the incumbent", async () => {
    const project = await createProject(client);
    const model = await createModel(client, project.id);
    const v1 = await createVersion(client, model.id);
    const v2 = await createVersion(client, model.id);
    expect([v1.number, v2.number]).toEqual([1, 2]);
    expect((await transition(client, { modelVersionId: v1.id, stage: "STAGING" })).__typename).toBe("TransitionModelVersionStagePayload");
    await transition(client, { modelVersionId: v1.id, stage: "PRODUCTION" });
    await transition(client, { modelVersionId: v2.id, stage: "STAGING" });
    const result = await transition(client, { modelVersionId: v2.id, stage: "PRODUCTION" });
    expect(result.modelVersion.stage).toBe("PRODUCTION");
    expect(result.archivedVersions).toEqual([{ id: v1.id, number: 1, stage: "ARCHIVED" }]);
    const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { productionVersion { number } stageHistory { totalCount nodes { cause toStage } } } } }`, { id: model.id });
    expect(data.node.productionVersion.number).toBe(2);
    expect(data.node.stageHistory.totalCount).toBe(5);
    expect(data.node.stageHistory.nodes.map((n: any) => n.cause)).toContain("AUTO_ARCHIVE");
  });
});
