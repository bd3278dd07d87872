// The SDK's resumable alias subscription (`watchAliasChanges` / `aliasChanges` over `modelAliasChanged`) against a
// real server: filtered by alias and model, a watcher that stops and resumes from its saved cursor gets the moves
// made while it was away (replayed from the event log) and then the live ones, with no gap and no duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap, type AliasChangeEvent } from "@modelgraph/sdk";
import { databaseAvailable } from "../support/server.ts";
import { START_CURSOR } from "../support/subscriptions.ts";
import { eventually, projectWithModel, startSdkServer, type SdkFixture } from "../sdk/support.ts";

const label = (e: AliasChangeEvent) => `${e.alias}:${e.kind}:${e.fromNumber ?? "-"}->${e.toNumber ?? "-"}`;

describe.skipIf(!databaseAvailable)("SDK watchAliasChanges", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("replays after a cursor, then goes live, filtered by alias: no gap, no duplicate", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const other = unwrap(await fx.client.createModel({ projectId: project.id, name: `${model.name}-other` })).model;
    const vs = [];
    for (let i = 0; i < 3; i++) vs.push(unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion);
    const [v1, v2, v3] = vs as [(typeof vs)[number], (typeof vs)[number], (typeof vs)[number]];
    const o1 = unwrap(await fx.client.createModelVersion({ modelId: other.id })).modelVersion;
    const set = async (modelId: string, alias: string, modelVersionId: string) => unwrap(await fx.client.setModelAlias({ modelId, alias, modelVersionId }));

    // Moves made before anyone watches: replayed from START_CURSOR.
    await set(model.id, "champion", v1.id);
    await set(model.id, "canary", v2.id); // another alias: filtered out
    await set(other.id, "champion", o1.id); // another model: filtered out

    const first: AliasChangeEvent[] = [];
    const watch = fx.client.watchAliasChanges({ projectId: project.id, modelId: model.id, aliases: ["champion"], after: START_CURSOR, onEvent: (e) => void first.push(e) });
    await eventually(() => (first.length >= 1 ? true : undefined), 15_000, "the replayed champion move");
    await set(model.id, "champion", v2.id); // live
    await eventually(() => (first.length >= 2 ? true : undefined), 15_000, "the live champion move");
    await watch.close();
    const saved = watch.cursor;
    expect(first.map(label)).toEqual(["champion:SET:-->1", "champion:SET:1->2"]);
    expect(saved).toBe(first[1]!.cursor);
    expect(first[1]!.toVersion).toMatchObject({ id: v2.id, number: 2 });
    expect(first.every((e) => e.model.id === model.id)).toBe(true);

    // While nobody watches: a removal and a re-set of champion, and noise.
    unwrap(await fx.client.removeModelAlias({ modelId: model.id, alias: "champion" }));
    await set(model.id, "canary", v3.id);
    await set(model.id, "champion", v3.id);

    // Resume from the saved cursor with the iterable form: the missed moves, then live, each once.
    const controller = new AbortController();
    const resumed = fx.client.aliasChanges({ projectId: project.id, modelId: model.id, aliases: ["champion"] }, { after: saved, signal: controller.signal });
    const second: AliasChangeEvent[] = [];
    const reading = (async () => {
      for await (const event of resumed) {
        second.push(event);
        if (second.length === 2) unwrap(await fx.client.setModelAlias({ modelId: model.id, alias: "champion", modelVersionId: v1.id, expectedVersionId: v3.id }));
        if (second.length === 3) break;
      }
    })();
    await reading;
    controller.abort();
    expect(second.map(label)).toEqual(["champion:REMOVED:2->-", "champion:SET:-->3", "champion:SET:3->1"]);
    const cursors = [...first, ...second].map((e) => e.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(resumed.cursor).toBe(second[2]!.cursor);
  });
});
