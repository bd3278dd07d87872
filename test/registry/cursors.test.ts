// DESIGN "Ids": connection cursors are short and URL-safe, page correctly, and a malformed one is the client's
// mistake (BAD_USER_INPUT), never a server error. (The shared test client checks every id and cursor of every
// response on top of this.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createUserWithToken, createVersion, mutate } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const SHORT = /^[A-Za-z0-9_-]{1,40}$/;

describe.runIf(databaseAvailable)("connection cursors", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let model: { id: string };
  let project: { id: string };
  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    project = await createProject(client);
    model = await createModel(client, project.id);
    for (let i = 0; i < 5; i++) await createVersion(client, model.id);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  const page = (args: string, variables: Record<string, unknown> = {}) =>
    client.raw(
      `query($id: ID!${args.includes("$after") ? ", $after: String" : ""}${args.includes("$before") ? ", $before: String" : ""}) { node(id: $id) { ... on Model { versions(${args}) { edges { cursor node { number } } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } } } }`,
      { id: model.id, ...variables },
    );

  it("hands out short cursors that page forward and backward without gaps or duplicates", async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await page("first: 2, after: $after", { after });
      expect(res.errors).toBeUndefined();
      const versions = res.data.node.versions;
      for (const edge of versions.edges) expect(edge.cursor).toMatch(SHORT);
      seen.push(...versions.edges.map((e: any) => e.node.number));
      if (!versions.pageInfo.hasNextPage) break;
      after = versions.pageInfo.endCursor;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);

    const last: any = await page("last: 2, before: $before", { before: (await page("first: 5")).data.node.versions.edges[4].cursor });
    expect(last.data.node.versions.edges.map((e: any) => e.node.number)).toEqual([3, 2]);
    // A cursor written as a literal works like one passed as a variable.
    const literal: any = await page(`first: 1, after: "${last.data.node.versions.pageInfo.endCursor}"`);
    expect(literal.data.node.versions.edges.map((e: any) => e.node.number)).toEqual([1]);
  });

  it("keeps cursors of bigint-keyed and compound-keyed lists short (stage history, members)", async () => {
    await createUserWithToken(client, { projectId: project.id, role: "VIEWER" });
    const v = (await client.request(`query($id: ID!) { node(id: $id) { ... on Model { versions(first: 1) { nodes { id } } } } }`, { id: model.id })).node.versions.nodes[0];
    await mutate(client, "transitionModelVersionStage", "TransitionModelVersionStageInput", { modelVersionId: v.id, stage: "STAGING" }, "modelVersion { id }");
    await mutate(client, "transitionModelVersionStage", "TransitionModelVersionStageInput", { modelVersionId: v.id, stage: "NONE" }, "modelVersion { id }");
    const data = await client.request(
      `query($v: ID!, $p: ID!) {
        v: node(id: $v) { ... on ModelVersion { stageHistory(first: 1) { edges { cursor node { toStage } } } } }
        p: node(id: $p) { ... on Project { members(first: 1) { edges { cursor } pageInfo { endCursor } } } }
      }`,
      { v: v.id, p: project.id },
    );
    const historyCursor = data.v.stageHistory.edges[0].cursor;
    expect(historyCursor).toMatch(SHORT);
    const next = await client.request(`query($v: ID!, $after: String) { node(id: $v) { ... on ModelVersion { stageHistory(first: 5, after: $after) { nodes { toStage } } } } }`, {
      v: v.id,
      after: historyCursor,
    });
    expect(next.node.stageHistory.nodes.map((n: any) => n.toStage)).toEqual(["NONE"]);
    const membersCursor = data.p.members.pageInfo.endCursor;
    expect(membersCursor).toMatch(SHORT);
    const rest = await client.request(`query($p: ID!, $after: String) { node(id: $p) { ... on Project { members(first: 5, after: $after) { totalCount nodes { role } } } } }`, {
      p: project.id,
      after: membersCursor,
    });
    expect(rest.node.members.nodes.length).toBe(rest.node.members.totalCount - 1);
  });

  it("refuses malformed cursors with BAD_USER_INPUT, as variables, literals and in nested connections", async () => {
    const old = Buffer.from("GPC:S:0190b1f4-0000-7000-8000-000000000000").toString("base64");
    for (const after of ["", "not a cursor", "x".repeat(41), "u123", old, "n01", "f0000000000Z"]) {
      const res = await page("first: 1, after: $after", { after });
      expect(res.errors?.[0]?.extensions?.code, after).toBe("BAD_USER_INPUT");
      expect(res.data ?? null).toBeNull();
    }
    const literal = await page(`first: 1, after: "%%%"`);
    expect(literal.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const nested = await client.raw(`query($id: ID!) { node(id: $id) { ... on Project { models { nodes { versions(first: 1, after: "zz") { totalCount } } } } } }`, { id: project.id });
    expect(nested.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
