// Watching stage changes over graphql-ws with the SDK: events arrive in order, a dropped connection (cut by a
// real TCP proxy) is re-established and the watch resumes from its last cursor with no gap and no duplicate,
// and a restarted watcher resumes from a saved cursor.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, unwrap, type NodeClient, type ReconnectInfo, type StageChangeEvent } from "@modelgraph/sdk";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { START_CURSOR } from "../support/subscriptions.ts";
import { eventually, projectWithModel, startProxy, startSdkServer, type SdkFixture } from "./support.ts";

const label = (e: StageChangeEvent) => `v${e.number}:${e.fromStage}->${e.toStage}`;

async function versions(client: NodeClient, modelId: string, count: number) {
  const created = [];
  for (let i = 0; i < count; i++) created.push(unwrap(await client.createModelVersion({ modelId })).modelVersion);
  return created;
}

describe.skipIf(!databaseAvailable)("SDK watchStageChanges", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("delivers stage changes of a model, filtered by stage, one at a time", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const other = unwrap(await fx.client.createModel({ projectId: project.id, name: `${model.name}-other` })).model;
    const [v1, v2] = await versions(fx.client, model.id, 2);
    const [o1] = await versions(fx.client, other.id, 1);
    const seen: StageChangeEvent[] = [];
    let handling = 0;
    let overlapped = false;
    const watch = fx.client.watchStageChanges({
      projectId: project.id,
      modelId: model.id,
      stages: ["PRODUCTION", "ARCHIVED"],
      after: START_CURSOR,
      onEvent: async (event) => {
        overlapped ||= handling > 0;
        handling++;
        await new Promise((r) => setTimeout(r, 20));
        seen.push(event);
        handling--;
      },
    });
    for (const v of [v1!, v2!, o1!]) unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v.id, stage: "STAGING" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1!.id, stage: "PRODUCTION" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: o1!.id, stage: "PRODUCTION" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2!.id, stage: "PRODUCTION" }));
    await eventually(() => (seen.length >= 3 ? true : undefined), 15_000, "3 events");
    await watch.close();
    expect(seen.map(label)).toEqual(["v1:STAGING->PRODUCTION", "v1:PRODUCTION->ARCHIVED", "v2:STAGING->PRODUCTION"]);
    expect(seen.map((e) => e.cause)).toEqual(["MANUAL", "AUTO_ARCHIVE", "MANUAL"]);
    expect(seen[2]!.modelVersion.stage).toBe("PRODUCTION");
    expect(overlapped).toBe(false);
    expect(watch.cursor).toBe(seen[2]!.cursor);
  });

  it("reconnects after the connection is cut and resumes from its last cursor: no gap, no duplicate", async () => {
    const proxy = await startProxy(fx.server.url);
    const client = createClient({ url: proxy.url, token: ADMIN_TOKEN, keepAliveMs: 1_000 });
    try {
      const { project, model } = await projectWithModel(fx.client);
      const vs = await versions(fx.client, model.id, 4);
      const seen: StageChangeEvent[] = [];
      const reconnects: ReconnectInfo[] = [];
      let connections = 0;
      const watch = client.watchStageChanges({
        projectId: project.id,
        modelId: model.id,
        after: START_CURSOR,
        onEvent: (event) => void seen.push(event),
        onReconnect: (info) => reconnects.push(info),
        onConnected: () => connections++,
      });
      unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: vs[0]!.id, stage: "STAGING" }));
      await eventually(() => (seen.length === 1 ? true : undefined), 15_000, "first event");

      // The network fails: connections are cut and new ones refused while the registry keeps changing.
      proxy.pause();
      proxy.cut();
      await eventually(() => (reconnects.length > 0 ? true : undefined), 15_000, "a reconnection attempt");
      for (const v of vs.slice(1)) unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v.id, stage: "STAGING" }));
      unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: vs[0]!.id, stage: "PRODUCTION" }));
      expect(seen).toHaveLength(1);
      proxy.resume();

      await eventually(() => (seen.length >= 5 ? true : undefined), 30_000, "the missed events");
      // A live event after the resume arrives too, exactly once.
      unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: vs[1]!.id, stage: "PRODUCTION" }));
      await eventually(() => (seen.length >= 7 ? true : undefined), 15_000, "live events after resuming");
      await new Promise((r) => setTimeout(r, 300));
      await watch.close();

      expect(seen.map(label)).toEqual([
        "v1:NONE->STAGING",
        "v2:NONE->STAGING",
        "v3:NONE->STAGING",
        "v4:NONE->STAGING",
        "v1:STAGING->PRODUCTION",
        // Promoting v2 archives the incumbent first, in the same transaction.
        "v1:PRODUCTION->ARCHIVED",
        "v2:STAGING->PRODUCTION",
      ]);
      expect(new Set(seen.map((e) => e.cursor)).size).toBe(seen.length);
      expect(reconnects[0]!.cursor).toBe(seen[0]!.cursor);
      expect(connections).toBeGreaterThanOrEqual(2);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("resumes after a restart from a saved cursor, replaying only what came after it", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const [v1, v2] = await versions(fx.client, model.id, 2);
    const first: StageChangeEvent[] = [];
    const watcher1 = createClient({ url: fx.server.url, token: ADMIN_TOKEN });
    const watch1 = watcher1.watchStageChanges({ projectId: project.id, modelId: model.id, after: START_CURSOR, onEvent: (e) => void first.push(e) });
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1!.id, stage: "STAGING" }));
    await eventually(() => (first.length === 1 ? true : undefined), 15_000, "first event");
    const saved = watch1.cursor!;
    await watch1.close();
    await watcher1.close();

    // While no watcher runs.
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2!.id, stage: "STAGING" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2!.id, stage: "PRODUCTION" }));

    const watcher2 = createClient({ url: fx.server.url, token: ADMIN_TOKEN });
    const second: StageChangeEvent[] = [];
    const changes = watcher2.stageChanges({ projectId: project.id, modelId: model.id }, { after: saved });
    for await (const event of changes) {
      second.push(event);
      if (second.length === 2) break;
    }
    await watcher2.close();
    expect(second.map(label)).toEqual(["v2:NONE->STAGING", "v2:STAGING->PRODUCTION"]);
    expect(changes.cursor).toBe(second[1]!.cursor);
  });

  it("stops when the handler throws, with the cursor before the failed event", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const [v1, v2] = await versions(fx.client, model.id, 2);
    let calls = 0;
    const watch = fx.client.watchStageChanges({
      projectId: project.id,
      modelId: model.id,
      after: START_CURSOR,
      onEvent: () => {
        if (++calls === 2) throw new Error("deploy failed");
      },
    });
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1!.id, stage: "STAGING" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2!.id, stage: "STAGING" }));
    await expect(watch.done).rejects.toThrow("deploy failed");
    const history = await fx.client.paginate.modelStageHistory({ modelId: model.id }).all();
    expect(history).toHaveLength(2);
    // Resuming from the cursor retries the failed event.
    const retry = fx.client.stageChanges({ projectId: project.id, modelId: model.id }, { after: watch.cursor });
    for await (const event of retry) {
      expect(label(event)).toBe("v2:NONE->STAGING");
      break;
    }
  });
});
