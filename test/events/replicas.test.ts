// Several replicas (issue 4, "What must hold"): two server processes A and B share one PostgreSQL database. A
// promotion made through A reaches subscribers on B, over graphql-ws and over SSE — with the PostgreSQL
// LISTEN/NOTIFY bus, then again with REDIS_URL set (Redis pub/sub). Delivery must be prompt (the bus, not
// the 2 s safety poll) and both servers hand out the same cursors (one log).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, transition } from "../support/fixtures.ts";
import { databaseAvailable, dbKind, freshDatabase, REDIS_URL, redisReachable } from "../support/server.ts";
import {
  assertStrictlyIncreasing,
  PROJECT_EVENTS,
  STAGE_CHANGES,
  START_CURSOR,
  startServerProcess,
  subscribeSse,
  subscribeWs,
  untilLive,
  type EventData,
  type ServerProcess,
  type StageChangeData,
  type Subscription,
} from "../support/subscriptions.ts";

const ROUNDS = 5;

const postgres = databaseAvailable && dbKind === "postgres";
const withRedis = postgres && (await redisReachable());

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe.each([
  { bus: "postgres", env: {} as Record<string, string>, run: postgres },
  { bus: "redis", env: { REDIS_URL } as Record<string, string>, run: withRedis },
])("two replicas on one PostgreSQL, $bus event bus", ({ bus, env, run }) => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let a: ServerProcess;
  let b: ServerProcess;
  let viaA: GraphQLClient;
  const open: Subscription[] = [];

  beforeAll(async () => {
    if (!run) return;
    db = await freshDatabase();
    // Both processes run the real entry point on the same database and data directory.
    [a, b] = await Promise.all([startServerProcess({ ...db.env, ...env }), startServerProcess({ ...db.env, ...env })]);
    viaA = new GraphQLClient(a.url);
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    viaA?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  it.runIf(run)(`a promotion made through A reaches subscribers on B over graphql-ws and SSE`, async () => {
    expect(a.listening.eventBus).toBe(bus);
    expect(b.listening.eventBus).toBe(bus);
    expect(a.listening.database).toBe("postgres");

    const project = await createProject(viaA);
    const model = await createModel(viaA, project.id);
    const versions: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const version = await createVersion(viaA, model.id);
      expect((await transition(viaA, { modelVersionId: version.id, stage: "STAGING" })).__typename).toBe("TransitionModelVersionStagePayload");
      versions.push(version.id);
    }

    // Subscribers on B, live (no `after`). A probe model promoted through A proves each one is listening.
    const variables = { projectId: project.id, stages: ["PRODUCTION"] };
    const onB = {
      ws: subscribeWs<StageChangeData>(b.url, STAGE_CHANGES, variables),
      sse: subscribeSse<StageChangeData>(b.url, STAGE_CHANGES, variables),
    };
    open.push(onB.ws, onB.sse);
    const probeModel = await createModel(viaA, project.id);
    const probeVersion = await createVersion(viaA, probeModel.id);
    await transition(viaA, { modelVersionId: probeVersion.id, stage: "STAGING" });
    const probe = async () => {
      expect((await transition(viaA, { modelVersionId: probeVersion.id, stage: "PRODUCTION" })).__typename).toBe("TransitionModelVersionStagePayload");
      expect((await transition(viaA, { modelVersionId: probeVersion.id, stage: "STAGING" })).__typename).toBe("TransitionModelVersionStagePayload");
    };
    for (const subscription of Object.values(onB)) await untilLive(subscription, probe, (e) => e.model.id === probeModel.id);

    // Promotions through A; each must reach both subscribers on B, promptly.
    const latencies: Record<"ws" | "sse", number[]> = { ws: [], sse: [] };
    for (const [i, id] of versions.entries()) {
      const result = await transition(viaA, { modelVersionId: id, stage: "PRODUCTION" });
      const committed = Date.now();
      expect(result.__typename).toBe("TransitionModelVersionStagePayload");
      if (i > 0) expect(result.archivedVersions.map((v: { id: string }) => v.id)).toEqual([versions[i - 1]]);
      for (const transport of ["ws", "sse"] as const) {
        const event = await onB[transport].waitFor((e) => e.modelVersion.id === id, 10_000);
        const received = onB[transport].events.find((e) => e.data.cursor === event.cursor)!.at;
        latencies[transport].push(Math.max(0, received - committed));
        expect(event).toMatchObject({ toStage: "PRODUCTION", fromStage: "STAGING", cause: "MANUAL", model: { id: model.id }, number: i + 1 });
      }
    }
    console.info(`[${bus} bus] A → B delivery latency (ms): ws ${latencies.ws.join(", ")}; sse ${latencies.sse.join(", ")}`);
    // The bus, not B's 2 s safety poll, carried them: with only the poll, half the deliveries would take > 1 s.
    for (const transport of ["ws", "sse"] as const) {
      expect(median(latencies[transport])).toBeLessThan(500);
      expect(Math.max(...latencies[transport])).toBeLessThan(1_500);
    }

    // Exactly the promotions, in order, once each; the same cursors on both transports.
    const ofModel = (s: Subscription<StageChangeData>) => s.events.map((e) => e.data).filter((e) => e.model.id === model.id);
    expect(ofModel(onB.ws).map((e) => e.modelVersion.id)).toEqual(versions);
    expect(ofModel(onB.sse).map((e) => e.cursor)).toEqual(ofModel(onB.ws).map((e) => e.cursor));
    for (const s of Object.values(onB)) assertStrictlyIncreasing(s.events.map((e) => e.data.cursor));

    // One log: a replay on A hands out the very cursors B delivered.
    const replay = subscribeWs<EventData>(a.url, PROJECT_EVENTS, { projectId: project.id, types: ["MODEL_VERSION_STAGE_CHANGED"], after: START_CURSOR });
    open.push(replay);
    await replay.waitFor((e) => e.modelVersion?.id === versions.at(-1) && JSON.parse(e.payload).toStage === "PRODUCTION");
    const promotions = replay.events
      .map((e) => e.data)
      .filter((e) => e.modelId === model.id && JSON.parse(e.payload).toStage === "PRODUCTION")
      .map((e) => e.cursor);
    expect(promotions).toEqual(ofModel(onB.ws).map((e) => e.cursor));

    // And the other way round: a promotion through B reaches a subscriber on A.
    const onA = subscribeSse<StageChangeData>(a.url, STAGE_CHANGES, { ...variables, modelId: model.id, after: ofModel(onB.ws).at(-1)!.cursor });
    open.push(onA);
    const viaB = new GraphQLClient(b.url);
    const back = versions[ROUNDS - 2]!; // archived by the last promotion: a rollback
    expect((await transition(viaB, { modelVersionId: back, stage: "PRODUCTION" })).__typename).toBe("TransitionModelVersionStagePayload");
    viaB.close();
    const rollback = await onA.waitFor((e) => e.modelVersion.id === back, 10_000);
    expect(rollback).toMatchObject({ fromStage: "ARCHIVED", toStage: "PRODUCTION" });
    expect(onA.events).toHaveLength(1);
    await onB.ws.waitFor((e) => e.modelVersion.id === back, 10_000);

    expect(a.alive() && b.alive()).toBe(true);
  });
});
