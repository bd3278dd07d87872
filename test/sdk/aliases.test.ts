// The SDK's alias methods against a real server: set with compare-and-set, StaleAliasError as typed data, the version
// by alias (and `latest`), the alias list, history and point-in-time read, removal, and the modelAliasChanged
// subscription document (replayed through `request`-free typed reads).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@modelgraph/sdk";
import { databaseAvailable } from "../support/server.ts";
import { projectWithModel, startSdkServer, type SdkFixture } from "./support.ts";

describe.skipIf(!databaseAvailable)("SDK aliases", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("sets, reads, compares-and-sets and removes aliases", async () => {
    const { model } = await projectWithModel(fx.client);
    const v1 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    const v2 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;

    const set = unwrap(await fx.client.setModelAlias({ modelId: model.id, alias: "champion", modelVersionId: v1.id, expectedVersionId: null }));
    expect(set.modelAlias).toMatchObject({ name: "champion", protected: false, version: { id: v1.id, number: 1 } });
    expect(set.change?.to).toEqual({ id: v1.id, number: 1 });

    const stale = await fx.client.setModelAlias({ modelId: model.id, alias: "champion", modelVersionId: v2.id, expectedVersionId: null });
    expect(stale.__typename).toBe("StaleAliasError");
    if (stale.__typename === "StaleAliasError") expect(stale.actualVersionId).toBe(v1.id);

    unwrap(await fx.client.setModelAlias({ modelId: model.id, alias: "champion", modelVersionId: v2.id, expectedVersionId: v1.id }));
    expect((await fx.client.modelVersionByAlias({ modelId: model.id, alias: "champion" }))?.id).toBe(v2.id);
    expect((await fx.client.modelVersionByAlias({ modelId: model.id, alias: "latest" }))?.number).toBe(2);
    expect((await fx.client.modelVersionByAlias({ modelId: model.id, alias: "nope" }))).toBeNull();
    const listed = await fx.client.modelAliases({ modelId: model.id });
    expect(listed).toMatchObject({ protectedAliases: [], aliases: [{ name: "champion", version: { id: v2.id } }] });

    const history = await fx.client.modelAliasHistory({ modelId: model.id, alias: "champion" });
    expect(history.nodes.map((c) => [c.from?.number ?? null, c.to?.number ?? null])).toEqual([
      [null, 1],
      [1, 2],
    ]);
    const firstAt = history.nodes[0]!.at;
    expect((await fx.client.modelVersionAtAlias({ modelId: model.id, alias: "champion", at: firstAt }))?.id).toBe(v1.id);

    const deleted = await fx.client.deleteModelVersion({ id: v2.id });
    expect(deleted.__typename).toBe("AliasInUseError");
    if (deleted.__typename === "AliasInUseError") expect(deleted.aliases).toEqual(["champion"]);

    const removed = unwrap(await fx.client.removeModelAlias({ modelId: model.id, alias: "champion", expectedVersionId: v2.id }));
    expect(removed.previousVersion).toEqual({ id: v2.id, number: 2 });
    expect(await fx.client.modelAliases({ modelId: model.id })).toEqual({ aliases: [], protectedAliases: [] });
  });
});
