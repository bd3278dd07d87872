// Durable subscriptions (issue 4, "What must hold"): a subscriber that disconnects and misses 100 events gets
// exactly those 100 when it resumes with `after`, in order, then the live ones — over graphql-ws and over SSE.
// The log itself is read back through a replay from the start and is the reference for "none missing, none
// twice". Also: no `after` means only new events; a bad cursor is refused clearly; the filters work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../server/src/domain/ids.ts";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, transition } from "../support/fixtures.ts";
import { databaseAvailable, freshDatabase } from "../support/server.ts";
import {
  assertStrictlyIncreasing,
  describeError,
  PROJECT_EVENTS,
  seqOf,
  STAGE_CHANGES,
  START_CURSOR,
  startServerProcess,
  subscribe,
  TRANSPORTS,
  type ServerProcess,
  untilLive,
  type EventData,
  type StageChangeData,
  type Subscription,
} from "../support/subscriptions.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` calls of `work`, `parallel` at a time (concurrent writers commit in any order). */
async function inParallel<T>(count: number, parallel: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

describe.runIf(databaseAvailable).each(TRANSPORTS)("resumable subscriptions over %s", (transport) => {
  let server: ServerProcess;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let client: GraphQLClient;
  const open: Subscription[] = [];

  const sub = <T = EventData>(query: string, variables: Record<string, unknown>) => {
    const s = subscribe<T>(transport, server.url, query, variables);
    open.push(s);
    return s;
  };

  /** A projectEvents subscription on the whole log of the project, read until `marker` (a model id) arrives. */
  async function replayLog(projectId: string, marker: string): Promise<EventData[]> {
    const reference = sub<EventData>(PROJECT_EVENTS, { projectId, after: START_CURSOR });
    await reference.waitFor((e) => e.type === "MODEL_CREATED" && e.modelId === marker, 60_000);
    await reference.close();
    const events = reference.events.map((e) => e.data);
    assertStrictlyIncreasing(events.map((e) => e.cursor));
    return events.slice(0, events.findIndex((e) => e.modelId === marker && e.type === "MODEL_CREATED") + 1);
  }

  beforeAll(async () => {
    // The real entry point in its own process, as clients of a deployment see it. (In-process under vitest, the
    // server's source gets graphql's ESM build while Yoga gets the CJS one, so Yoga masks our GraphQLErrors.)
    db = await freshDatabase();
    server = await startServerProcess(db.env);
    client = new GraphQLClient(server.url);
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    client?.close();
    await server?.stop();
    await db?.drop();
  });

  it("a subscriber that missed 100 events receives exactly those on resume, in order, then the live ones", async () => {
    const project = await createProject(client);
    const projectId = project.id;

    // 1. Live, then a few events, then a disconnect.
    const first = sub<EventData>(PROJECT_EVENTS, { projectId });
    await untilLive(first, async () => void (await createModel(client, projectId)), (e) => e.type === "MODEL_CREATED");
    let lastModel = "";
    for (let i = 0; i < 3; i++) lastModel = (await createModel(client, projectId)).id;
    await first.waitFor((e) => e.modelId === lastModel);
    await first.close();
    const seen = first.events.map((e) => e.data);
    assertStrictlyIncreasing(seen.map((e) => e.cursor));
    const lastCursor = seen.at(-1)!.cursor;

    // 2. While it is away: 100 events from 8 concurrent writers.
    const missedModels = await inParallel(100, 8, async () => (await createModel(client, projectId)).id);

    // 3. Resume from the last cursor while more events commit concurrently (the replay/live seam).
    const resumed = sub<EventData>(PROJECT_EVENTS, { projectId, after: lastCursor });
    const model = await createModel(client, projectId);
    const versions = await inParallel(10, 5, async () => (await createVersion(client, model.id)).id);
    await resumed.waitForCount(100, 60_000);
    const first100 = resumed.events.slice(0, 100).map((e) => e.data);
    expect(first100.every((e) => e.type === "MODEL_CREATED")).toBe(true);
    expect(new Set(first100.map((e) => e.modelId))).toEqual(new Set(missedModels));

    // 4. Then live: stage moves made after the replay caught up.
    // The seam: the model and its 10 versions (one event each) arrive after the 100, whether replayed or live.
    await resumed.waitForCount(111, 30_000);
    expect(new Set(resumed.events.slice(100).map((e) => e.data.modelVersion?.id ?? e.data.modelId))).toEqual(new Set([model.id, ...versions]));
    const liveFrom = resumed.events.length;
    for (const id of versions.slice(0, 5)) expect((await transition(client, { modelVersionId: id, stage: "STAGING" })).__typename).toBe("TransitionModelVersionStagePayload");
    const marker = (await createModel(client, projectId)).id;
    await resumed.waitFor((e) => e.modelId === marker && e.type === "MODEL_CREATED", 30_000);
    const liveStages = resumed.events.slice(liveFrom).filter((e) => e.data.type === "MODEL_VERSION_STAGE_CHANGED");
    expect(liveStages).toHaveLength(5);

    // 5. Compare with the log, read through a replay from the start.
    const log = await replayLog(projectId, marker);
    const received = resumed.events.map((e) => e.data);
    assertStrictlyIncreasing(received.map((e) => e.cursor));
    const expected = log.filter((e) => seqOf(e.cursor) > seqOf(lastCursor));
    expect(received.map((e) => e.cursor)).toEqual(expected.map((e) => e.cursor));
    expect(received.map((e) => e.type)).toEqual(expected.map((e) => e.type));
    // The 100 missed are exactly the first 100 after the cursor in the log.
    expect(expected.slice(0, 100).map((e) => e.modelId)).toEqual(first100.map((e) => e.modelId));
    // What the first subscriber saw is the log's tail up to its last cursor (from the moment it listened).
    const seenInLog = log.filter((e) => seqOf(e.cursor) >= seqOf(seen[0]!.cursor) && seqOf(e.cursor) <= seqOf(lastCursor));
    expect(seen.map((e) => e.cursor)).toEqual(seenInLog.map((e) => e.cursor));
    // Nothing later than the marker, nothing twice.
    await sleep(300);
    expect(resumed.events.length).toBe(received.length);
    expect(new Set(received.map((e) => e.cursor)).size).toBe(received.length);
  });

  it("a subscription without `after` gets only events committed after it started", async () => {
    const project = await createProject(client);
    const before: string[] = [];
    for (let i = 0; i < 3; i++) before.push((await createModel(client, project.id)).id);
    const reference = sub<EventData>(PROJECT_EVENTS, { projectId: project.id, after: START_CURSOR });
    await reference.waitFor((e) => e.modelId === before[2]);
    const old = reference.events.map((e) => e.data.cursor);

    const live = sub<EventData>(PROJECT_EVENTS, { projectId: project.id });
    await untilLive(live, async () => void (await createModel(client, project.id)), (e) => e.type === "MODEL_CREATED");
    const next = (await createModel(client, project.id)).id;
    await live.waitFor((e) => e.modelId === next);
    const cursors = live.events.map((e) => e.data.cursor);
    assertStrictlyIncreasing(cursors);
    for (const cursor of cursors) expect(old).not.toContain(cursor);
    expect(seqOf(cursors[0]!)).toBeGreaterThan(seqOf(old.at(-1)!));
    expect(live.events.some((e) => before.includes(e.data.modelId ?? ""))).toBe(false);
  });

  it("project.eventCursor read before changes, passed as `after` later, delivers exactly the changes since", async () => {
    const project = await createProject(client);
    const earlier = (await createModel(client, project.id)).id;
    const { node } = await client.request(`query($id: ID!) { node(id: $id) { ... on Project { eventCursor } } }`, { id: project.id });
    const head: string = node.eventCursor;
    // Changes between reading the cursor and subscribing: without the cursor, a subscriber would miss them.
    const between = [(await createModel(client, project.id)).id, (await createModel(client, project.id)).id];
    const later = sub<EventData>(PROJECT_EVENTS, { projectId: project.id, after: head });
    await later.waitFor((e) => e.type === "MODEL_CREATED" && e.modelId === between[1]);
    const created = later.events.filter((e) => e.data.type === "MODEL_CREATED").map((e) => e.data.modelId);
    expect(created).toEqual(between);
    expect(created).not.toContain(earlier);
    expect(seqOf(later.events[0]!.data.cursor)).toBeGreaterThan(seqOf(head));
  });

  it("identical live subscriptions (executed once, server-side) each get every event; one leaving stops none of the others", async () => {
    const project = await createProject(client);
    const probe = async () => void (await createModel(client, project.id));
    const isCreated = (e: EventData) => e.type === "MODEL_CREATED";
    const same = [0, 1, 2].map(() => sub<EventData>(PROJECT_EVENTS, { projectId: project.id }));
    for (const s of same) await untilLive(s, probe, isCreated);
    const first: string[] = [];
    for (let i = 0; i < 3; i++) first.push((await createModel(client, project.id)).id);
    for (const s of same) await s.waitFor((e) => e.modelId === first[2]);

    await same[0]!.close();
    const late = sub<EventData>(PROJECT_EVENTS, { projectId: project.id });
    await untilLive(late, probe, isCreated);
    const marker = (await createModel(client, project.id)).id;
    for (const s of [same[1]!, same[2]!, late]) await s.waitFor((e) => e.modelId === marker);

    // Each one's events are a contiguous run of the log: nothing skipped, nothing twice, in order.
    const log = (await replayLog(project.id, marker)).map((e) => e.cursor);
    for (const s of [...same, late]) {
      const cursors = s.events.map((e) => e.data.cursor);
      assertStrictlyIncreasing(cursors);
      const from = log.indexOf(cursors[0]!);
      expect(from).toBeGreaterThanOrEqual(0);
      expect(cursors).toEqual(log.slice(from, from + cursors.length));
    }
    expect(same[0]!.events.some((e) => e.data.modelId === marker)).toBe(false);
    expect(same[1]!.events.map((e) => e.data.cursor).at(-1)).toBe(log.at(-1));
    expect(same[2]!.events.map((e) => e.data.cursor).slice(-4)).toEqual(same[1]!.events.map((e) => e.data.cursor).slice(-4));
  });

  it("an invalid cursor is refused with a clear error and no events", async () => {
    const project = await createProject(client);
    await createModel(client, project.id);
    for (const after of ["not-a-cursor", "mdl_abc", "evt_12x-", "!!!"]) {
      for (const query of [PROJECT_EVENTS, STAGE_CHANGES]) {
        const bad = sub(query, { projectId: project.id, after });
        await bad.waitEnded(10_000);
        expect(bad.events).toEqual([]);
        expect(bad.errors.map(describeError).join("\n")).toMatch(/Invalid cursor .*pass a cursor received from this subscription/);
      }
    }
    // An unknown project is refused the same way (and says nothing more).
    const unknown = sub(PROJECT_EVENTS, { projectId: encodeGlobalId("Project", "01900000-0000-7000-8000-0000000000ff"), after: START_CURSOR });
    await unknown.waitEnded(10_000);
    expect(unknown.errors.map(describeError).join("\n")).toMatch(/was not found/);
  });

  it("filters by event type, model and target stage, in replay and live", async () => {
    const project = await createProject(client);
    const m1 = await createModel(client, project.id);
    const m2 = await createModel(client, project.id);
    const v1 = await createVersion(client, m1.id);
    const v2 = await createVersion(client, m1.id);
    const w1 = await createVersion(client, m2.id);

    // A starting point: the cursor of an event seen live.
    const probe = sub<EventData>(PROJECT_EVENTS, { projectId: project.id });
    await untilLive(probe, async () => void (await createModel(client, project.id)), (e) => e.type === "MODEL_CREATED");
    const c0 = probe.events.at(-1)!.data.cursor;

    const move = async (id: string, stage: string) => expect((await transition(client, { modelVersionId: id, stage })).__typename).toBe("TransitionModelVersionStagePayload");
    const moves = async () => {
      await move(v1.id, "STAGING");
      await move(w1.id, "STAGING");
      await move(v1.id, "PRODUCTION");
      await move(w1.id, "PRODUCTION");
      await move(v2.id, "STAGING");
      await move(v2.id, "PRODUCTION"); // archives v1
      await createModel(client, project.id);
    };

    // Half the moves happen before the filtered subscriptions open (replayed), half after (live).
    await moves();
    const filtered = {
      types: sub<EventData>(PROJECT_EVENTS, { projectId: project.id, types: ["MODEL_VERSION_STAGE_CHANGED"], after: c0 }),
      model: sub<StageChangeData>(STAGE_CHANGES, { projectId: project.id, modelId: m1.id, after: c0 }),
      production: sub<StageChangeData>(STAGE_CHANGES, { projectId: project.id, stages: ["PRODUCTION"], after: c0 }),
      both: sub<StageChangeData>(STAGE_CHANGES, { projectId: project.id, modelId: m2.id, stages: ["PRODUCTION", "ARCHIVED"], after: c0 }),
    };
    await move(v1.id, "STAGING"); // ARCHIVED → STAGING
    await move(w1.id, "ARCHIVED");
    const marker = (await createModel(client, project.id)).id;

    const log = (await replayLog(project.id, marker)).filter((e) => seqOf(e.cursor) > seqOf(c0));
    const stageEvents = log.filter((e) => e.type === "MODEL_VERSION_STAGE_CHANGED");
    expect(stageEvents).toHaveLength(9);
    const payload = (e: EventData) => JSON.parse(e.payload) as { toStage: string };
    const expected = {
      types: stageEvents.map((e) => e.cursor),
      model: stageEvents.filter((e) => e.modelId === m1.id).map((e) => e.cursor),
      production: stageEvents.filter((e) => payload(e).toStage === "PRODUCTION").map((e) => e.cursor),
      both: stageEvents.filter((e) => e.modelId === m2.id && ["PRODUCTION", "ARCHIVED"].includes(payload(e).toStage)).map((e) => e.cursor),
    };
    expect(expected.model).toHaveLength(6);
    expect(expected.production).toHaveLength(3);
    expect(expected.both).toHaveLength(2);
    for (const [name, subscription] of Object.entries(filtered)) {
      await subscription.waitForCount(expected[name as keyof typeof expected].length);
    }
    await sleep(300);
    expect(filtered.types.events.map((e) => e.data.cursor)).toEqual(expected.types);
    expect(filtered.model.events.map((e) => e.data.cursor)).toEqual(expected.model);
    expect(filtered.production.events.map((e) => e.data.cursor)).toEqual(expected.production);
    expect(filtered.both.events.map((e) => e.data.cursor)).toEqual(expected.both);
    // The stage subscription's fields say the same as the log.
    expect(filtered.model.events.every((e) => e.data.model.id === m1.id)).toBe(true);
    expect(filtered.production.events.map((e) => e.data.toStage)).toEqual(["PRODUCTION", "PRODUCTION", "PRODUCTION"]);
    expect(filtered.both.events.map((e) => [e.data.number, e.data.fromStage, e.data.toStage])).toEqual([
      [1, "STAGING", "PRODUCTION"],
      [1, "PRODUCTION", "ARCHIVED"],
    ]);
  });
});
