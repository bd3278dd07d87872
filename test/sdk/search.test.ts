// The SDK's searchModelVersions: the root search, typed, with cursors to page on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@modelgraph/sdk";
import { databaseAvailable } from "../support/server.ts";
import { projectWithModel, startSdkServer, type SdkFixture } from "./support.ts";

describe.runIf(databaseAvailable)("SDK search", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("searchModelVersions filters by metric, orders by it, and pages with cursors", async () => {
    const { model } = await projectWithModel(fx.client);
    const tag = { key: "suite", value: model.id };
    for (const value of [0.91, 0.5, 0.97, 0.93]) unwrap(await fx.client.createModelVersion({ modelId: model.id, metrics: [{ name: "accuracy", value }], tags: [tag] }));
    const filter = { tags: [tag], metrics: [{ name: "accuracy", gte: 0.9 }] };
    const first = await fx.client.searchModelVersions({ filter, orderBy: { metric: "accuracy" }, first: 2 });
    expect(first.totalCount).toBe(3);
    expect(first.nodes.map((v) => v.number)).toEqual([3, 4]);
    const rest = await fx.client.searchModelVersions({ filter, orderBy: { metric: "accuracy" }, first: 2, after: first.pageInfo.endCursor });
    expect(rest.nodes.map((v) => v.number)).toEqual([1]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });
});
