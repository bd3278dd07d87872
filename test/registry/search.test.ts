// DESIGN "Search": ModelVersionFilter conditions (tags, metrics, anyOf, dates, artifact), metric order with the
// versions lacking the metric last, keyset paging through metric order, and the root search's visibility.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createResource, createUserWithToken, createVersion, mutate } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const VERSIONS = `query($id: ID!, $filter: ModelVersionFilter, $orderBy: ModelVersionOrder, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on Model { versions(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { number } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }`;

describe.runIf(databaseAvailable)("version search", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let project: { id: string };
  let model: { id: string };
  // number → accuracy (undefined: no accuracy metric). Ties on 0.9 (2, 5, 7) are broken by number.
  const accuracy: Record<number, number | undefined> = { 1: 0.5, 2: 0.9, 3: undefined, 4: 0.95, 5: 0.9, 6: undefined, 7: 0.9, 8: 0.7 };
  let createdBetween: { after: string; before: string };
  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    project = await createProject(client);
    model = await createModel(client, project.id);
    const resource = await createResource(client, project.id);
    for (let n = 1; n <= 8; n++) {
      if (n === 4) createdBetween = { after: new Date().toISOString(), before: "" };
      const metrics = [...(accuracy[n] !== undefined ? [{ name: "accuracy", value: accuracy[n] }] : []), { name: "loss", value: n / 10 }];
      const tags = [{ key: "team", value: n % 2 ? "red" : "blue" }, { key: "size", value: n <= 4 ? "small" : "large" }];
      await createVersion(client, model.id, { metrics, tags, ...(n === 8 ? { resourceId: resource.id } : {}) });
      if (n === 5) createdBetween.before = new Date(Date.now() + 1).toISOString();
    }
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  const numbers = async (variables: Record<string, unknown>) => {
    const res = await client.raw(VERSIONS, { id: model.id, first: 50, ...variables });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.node.versions.edges.map((e: any) => e.node.number) as number[];
  };

  it("filters by every tag given (and the old single tag), by metric bounds, dates and artifact", async () => {
    expect(await numbers({ filter: { tags: [{ key: "team", value: "red" }, { key: "size", value: "large" }] } })).toEqual([7, 5]);
    expect(await numbers({ filter: { tag: { key: "team", value: "blue" }, tags: [{ key: "size", value: "small" }] } })).toEqual([4, 2]);
    expect(await numbers({ filter: { metrics: [{ name: "accuracy", gte: 0.9 }] } })).toEqual([7, 5, 4, 2]);
    expect(await numbers({ filter: { metrics: [{ name: "accuracy", gt: 0.9 }] } })).toEqual([4]);
    expect(await numbers({ filter: { metrics: [{ name: "accuracy", gte: 0.6, lt: 0.9 }, { name: "loss", lte: 0.8 }] } })).toEqual([8]);
    // A version without the metric never matches a condition on it, even an open one.
    expect(await numbers({ filter: { metrics: [{ name: "accuracy" }] } })).toEqual([8, 7, 5, 4, 2, 1]);
    expect(await numbers({ filter: { metrics: [{ name: "accuracy", lte: 1 }], stages: ["NONE"] } })).toEqual([8, 7, 5, 4, 2, 1]);
    expect(await numbers({ filter: { createdAfter: createdBetween.after, createdBefore: createdBetween.before } })).toEqual([5, 4]);
    expect(await numbers({ filter: { hasResource: true } })).toEqual([8]);
    expect(await numbers({ filter: { hasResource: false, metrics: [{ name: "loss", lt: 0.25 }] } })).toEqual([2, 1]);
  });

  it("anyOf is an OR of sub-filters, ANDed with the rest, and nests", async () => {
    const anyOf = [{ metrics: [{ name: "accuracy", gt: 0.9 }] }, { tags: [{ key: "size", value: "large" }], metrics: [{ name: "loss", gte: 0.8 }] }];
    expect(await numbers({ filter: { anyOf } })).toEqual([8, 4]);
    expect(await numbers({ filter: { anyOf, tags: [{ key: "team", value: "blue" }] } })).toEqual([8, 4]);
    expect(await numbers({ filter: { anyOf, hasResource: false } })).toEqual([4]);
    expect(await numbers({ filter: { anyOf: [{ anyOf: [{ metrics: [{ name: "accuracy", lt: 0.6 }] }, { hasResource: true }] }, { stages: ["STAGING"] }] } })).toEqual([8, 1]);
  });

  it("refuses filters nested too deep or with too many conditions, as BAD_USER_INPUT", async () => {
    const deep = { anyOf: [{ anyOf: [{ anyOf: [{ stages: ["NONE"] }] }] }] };
    const wide = { tags: Array.from({ length: 65 }, (_, i) => ({ key: `k${i}`, value: "v" })) };
    for (const filter of [deep, wide]) {
      const res = await client.raw(VERSIONS, { id: model.id, filter });
      expect(res.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
    const both = await client.raw(VERSIONS, { id: model.id, orderBy: { field: "NUMBER", metric: "accuracy" } });
    expect(both.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("orders by a metric in both directions, ties by number, versions lacking it last", async () => {
    expect(await numbers({ orderBy: { metric: "accuracy", direction: "DESC" } })).toEqual([4, 7, 5, 2, 8, 1, 6, 3]);
    expect(await numbers({ orderBy: { metric: "accuracy", direction: "ASC" } })).toEqual([1, 8, 2, 5, 7, 4, 3, 6]);
    expect(await numbers({ orderBy: { metric: "accuracy" }, filter: { metrics: [{ name: "accuracy", gte: 0.9 }] } })).toEqual([4, 7, 5, 2]);
    const res = await client.raw(VERSIONS, { id: model.id, first: 3, orderBy: { metric: "accuracy" } });
    expect(res.data.node.versions.totalCount).toBe(8);
  });

  for (const direction of ["DESC", "ASC"] as const) {
    it(`pages through metric order ${direction} with cursors, forward and backward, with no duplicate or gap`, async () => {
      const orderBy = { metric: "accuracy", direction };
      const all = await numbers({ orderBy });
      for (const size of [1, 2, 3]) {
        const forward: number[] = [];
        let after: string | null = null;
        for (let pages = 0; pages < 20; pages++) {
          const res: any = await client.raw(VERSIONS, { id: model.id, orderBy, first: size, after });
          expect(JSON.stringify(res.errors)).toBe(undefined);
          const page = res.data.node.versions;
          forward.push(...page.edges.map((e: any) => e.node.number));
          expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(forward, `first: ${size}`).toEqual(all);
        const backward: number[] = [];
        let before: string | null = null;
        for (let pages = 0; pages < 20; pages++) {
          const res: any = await client.raw(VERSIONS, { id: model.id, orderBy, last: size, before });
          expect(JSON.stringify(res.errors)).toBe(undefined);
          const page = res.data.node.versions;
          backward.unshift(...page.edges.map((e: any) => e.node.number));
          if (!page.pageInfo.hasPreviousPage) break;
          before = page.pageInfo.startCursor;
        }
        expect(backward, `last: ${size}`).toEqual(all);
      }
    });
  }

  it("a metric-order cursor is refused by a field order and the other way round", async () => {
    const byMetric: any = await client.raw(VERSIONS, { id: model.id, first: 1, orderBy: { metric: "accuracy" } });
    const byNumber: any = await client.raw(VERSIONS, { id: model.id, first: 1 });
    const a = await client.raw(VERSIONS, { id: model.id, first: 1, after: byMetric.data.node.versions.pageInfo.endCursor });
    expect(JSON.stringify(a)).toMatch(/cursor/i);
    expect(a.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const b = await client.raw(VERSIONS, { id: model.id, first: 1, orderBy: { metric: "accuracy" }, after: byNumber.data.node.versions.pageInfo.endCursor });
    expect(b.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("root modelVersions searches every visible project and never a non-member's; project.modelVersions agrees", async () => {
    const other = await createProject(client);
    const otherModel = await createModel(client, other.id);
    await createVersion(client, otherModel.id, { metrics: [{ name: "accuracy", value: 0.99 }] });
    const member = await createUserWithToken(client, { projectId: project.id, role: "VIEWER" });
    const search = `query($filter: ModelVersionFilter, $orderBy: ModelVersionOrder, $first: Int, $after: String) { modelVersions(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount edges { cursor node { number project { id } } } pageInfo { hasNextPage endCursor } } }`;
    const filter = { metrics: [{ name: "accuracy", gte: 0.9 }] };
    const asAdmin = await client.request(search, { filter, orderBy: { metric: "accuracy" }, first: 50 });
    expect(asAdmin.modelVersions.edges.some((e: any) => e.node.project.id === other.id)).toBe(true);
    const mine = asAdmin.modelVersions.edges.filter((e: any) => e.node.project.id === project.id).map((e: any) => e.node.number);
    expect(mine).toEqual([4, 7, 5, 2]);
    const asMember = await member.client.request(search, { filter, orderBy: { metric: "accuracy" }, first: 50 });
    expect(asMember.modelVersions.edges.every((e: any) => e.node.project.id === project.id)).toBe(true);
    expect(asMember.modelVersions.totalCount).toBe(4);
    // Paging as the member stays inside their projects.
    const firstPage = await member.client.request(search, { filter, orderBy: { metric: "accuracy" }, first: 2 });
    const secondPage = await member.client.request(search, { filter, orderBy: { metric: "accuracy" }, first: 50, after: firstPage.modelVersions.pageInfo.endCursor });
    expect([...firstPage.modelVersions.edges, ...secondPage.modelVersions.edges].map((e: any) => e.node.number)).toEqual([4, 7, 5, 2]);
    const outsider = await createUserWithToken(client);
    expect((await outsider.client.request(search, { filter: {} })).modelVersions.totalCount).toBe(0);
    const viaProject = await member.client.request(
      `query($id: ID!, $filter: ModelVersionFilter) { node(id: $id) { ... on Project { modelVersions(filter: $filter, orderBy: { metric: "accuracy" }) { nodes { number } } } } }`,
      { id: project.id, filter },
    );
    expect(viaProject.node.modelVersions.nodes.map((n: any) => n.number)).toEqual([4, 7, 5, 2]);
  });
  it("totalCount of a model's versions under one metric condition follows updates and deletions, in both orders", async () => {
    // A model of its own: one metric condition alone is counted from the metric rows, which must agree with the list.
    const own = await createModel(client, project.id);
    const values = [0.2, 0.8, 0.85, 0.9, undefined];
    const versions = [];
    for (const value of values) versions.push(await createVersion(client, own.id, value === undefined ? {} : { metrics: [{ name: "accuracy", value }] }));
    await createVersion(client, model.id, { metrics: [{ name: "accuracy", value: 0.99 }] }); // another model's row
    const count = async (filter: Record<string, unknown>, orderBy?: Record<string, unknown>) => {
      const res = await client.raw(VERSIONS, { id: own.id, first: 50, filter, ...(orderBy ? { orderBy } : {}) });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      const page = res.data.node.versions;
      expect(page.totalCount, JSON.stringify({ filter, orderBy })).toBe(page.edges.length);
      return page.totalCount as number;
    };
    const both = async (filter: Record<string, unknown>) => [await count(filter), await count(filter, { metric: "accuracy" })];
    expect(await both({ metrics: [{ name: "accuracy", gte: 0.8 }] })).toEqual([3, 3]);
    expect(await both({ metrics: [{ name: "accuracy", gt: 0.8, lte: 0.9 }] })).toEqual([2, 2]);
    expect(await both({ metrics: [{ name: "accuracy" }] })).toEqual([4, 4]);
    await mutate(client, "updateModelVersion", "UpdateModelVersionInput", { id: versions[0]!.id, metrics: [{ name: "accuracy", value: 0.95 }] }, "modelVersion { id }");
    await mutate(client, "deleteModelVersion", "DeleteModelVersionInput", { id: versions[1]!.id }, "modelVersion { id }");
    expect(await both({ metrics: [{ name: "accuracy", gte: 0.8 }] })).toEqual([3, 3]);
    expect(await both({ metrics: [{ name: "accuracy", gte: 0.8 }], includeDeleted: true })).toEqual([4, 4]);
    expect(await both({ metrics: [{ name: "accuracy", lt: 0.5 }] })).toEqual([0, 0]);
  });
});
