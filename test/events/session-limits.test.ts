// Subscriptions cannot multiply work: replayed events are access-checked once per page, batched across the
// subscribers replaying at the same time (as live events are), so 300 subscriptions replaying one socket's worth of
// log cost a few statements each, not one per event each. And the caps on a token's WebSocket connections and SSE
// streams and on a connection's subscriptions refuse the next one with a typed refusal, while the earlier ones work.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, mutate, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { describeError, PROJECT_EVENTS, START_CURSOR, subscribeSse, subscribeWs, type EventData, type Subscription } from "../support/subscriptions.ts";

const SUBSCRIPTIONS = 300;
const EVENTS = 30;

describe.runIf(databaseAvailable)("replayed events are access-checked per page, batched", () => {
  let server: TestServer;
  let admin: GraphQLClient;

  beforeAll(async () => {
    server = await startTestServer({ WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(SUBSCRIPTIONS) });
    admin = new GraphQLClient(server.url);
  });

  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  it(`${SUBSCRIPTIONS} subscriptions on one socket replaying ${EVENTS} events from cursor 0 cost a few statements each, not one per event`, async () => {
    const project = await createProject(admin);
    // A member (not an admin): both the token and the membership are re-checked.
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("u") }, "user { id }")).user.id as string;
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: project.id, userId: user, role: "VIEWER" }, "project { id }");
    const token = (await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "watcher", userId: user }, "token")).token as string;
    for (let i = 0; i < EVENTS; i++) await createModel(admin, project.id);

    const client = createClient({
      url: `${server.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      keepAlive: 0,
    });
    const received = new Array<number>(SUBSCRIPTIONS).fill(0);
    const errors: unknown[] = [];
    const before = server.app.db.stats.statements;
    try {
      await new Promise<void>((resolve, reject) => {
        let complete = 0;
        for (let i = 0; i < SUBSCRIPTIONS; i++) {
          client.subscribe(
            { query: `subscription($p: ID!, $after: String) { projectEvents(projectId: $p, after: $after) { cursor } }`, variables: { p: project.id, after: START_CURSOR } },
            {
              next: () => {
                if (++received[i]! === EVENTS && ++complete === SUBSCRIPTIONS) resolve();
              },
              error: (error) => (errors.push(error), reject(new Error(describeError(error)))),
              complete: () => {},
            },
          );
        }
      });
      const statements = server.app.db.stats.statements - before;
      expect(errors).toEqual([]);
      // Per subscription: authentication, the project's visibility (role, existence) and its replay page read (Prisma
      // batches concurrent findUniques, and concurrent replays share a page read); the checks of the replayed events
      // are batched. Checking each replayed event alone cost 2 statements per event per subscriber (18,000 here).
      expect(statements).toBeLessThanOrEqual(SUBSCRIPTIONS * 2 + 100); // ~330 seen on both databases
    } finally {
      await client.dispose();
    }
  });
});

describe.runIf(databaseAvailable)("caps on connections per token and subscriptions per connection", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let project: { id: string };
  const open: Subscription[] = [];

  beforeAll(async () => {
    server = await startTestServer({ WS_MAX_CONNECTIONS_PER_TOKEN: "2", WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "3", SSE_MAX_STREAMS_PER_TOKEN: "2" });
    admin = new GraphQLClient(server.url);
    project = await createProject(admin);
    await createModel(admin, project.id);
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    admin?.close();
    await server?.close();
  });

  const freshToken = async () => (await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: uniqueName("cap") }, "token")).token as string;
  const replay = (s: Subscription<EventData>) => (open.push(s), s);

  /** After a new event, every subscription in `subs` receives it: they still work. */
  async function stillWorking(subs: Subscription<EventData>[]) {
    const model = await createModel(admin, project.id);
    await Promise.all(subs.map((s) => s.waitFor((e) => e.modelId === model.id)));
  }

  it("refuses a token's third WebSocket connection with close 1008 naming the limit; the first two keep working; a closed one frees its slot", async () => {
    const token = await freshToken();
    const vars = { projectId: project.id, after: START_CURSOR };
    const first = replay(subscribeWs<EventData>(server.url, PROJECT_EVENTS, vars, { token }));
    const second = replay(subscribeWs<EventData>(server.url, PROJECT_EVENTS, vars, { token }));
    await Promise.all([first.waitForCount(1), second.waitForCount(1)]);
    const third = replay(subscribeWs<EventData>(server.url, PROJECT_EVENTS, vars, { token }));
    await third.waitEnded();
    await expect.poll(() => third.errors.length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(third.events).toEqual([]);
    expect(third.errors[0]).toMatchObject({ code: 1008, reason: expect.stringContaining("WS_MAX_CONNECTIONS_PER_TOKEN") });
    // Another token is not affected, and the first two still receive events.
    const other = replay(subscribeWs<EventData>(server.url, PROJECT_EVENTS, vars, { token: ADMIN_TOKEN }));
    await other.waitForCount(1);
    await stillWorking([first, second, other]);
    await first.close();
    const again = replay(subscribeWs<EventData>(server.url, PROJECT_EVENTS, vars, { token }));
    await again.waitForCount(1);
  });

  it("refuses a connection's fourth subscription with TOO_MANY_SUBSCRIPTIONS; the first three keep working", async () => {
    const token = await freshToken();
    const client = createClient({
      url: `${server.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      keepAlive: 0,
    });
    try {
      const received: EventData[][] = [[], [], [], []];
      const errors: unknown[][] = [[], [], [], []];
      const start = (i: number) =>
        client.subscribe<{ projectEvents: EventData }>(
          { query: PROJECT_EVENTS, variables: { projectId: project.id, after: START_CURSOR } },
          { next: (r) => (r.data ? received[i]!.push(r.data.projectEvents) : errors[i]!.push(...(r.errors ?? []))), error: (e) => errors[i]!.push(e), complete: () => {} },
        );
      for (let i = 0; i < 3; i++) start(i);
      await expect.poll(() => received.slice(0, 3).every((r) => r.length > 0), { timeout: 20_000 }).toBe(true);
      start(3);
      await expect.poll(() => errors[3]!.length, { timeout: 20_000 }).toBe(1);
      const refusal = (errors[3]![0] as { message: string; extensions: Record<string, unknown> }[])[0]!;
      expect(refusal.extensions).toMatchObject({ code: "TOO_MANY_SUBSCRIPTIONS", limit: 3 });
      expect(refusal.message).toContain("WS_MAX_SUBSCRIPTIONS_PER_CONNECTION");
      const model = await createModel(admin, project.id);
      await expect.poll(() => received.slice(0, 3).every((r) => r.some((e) => e.modelId === model.id)), { timeout: 20_000 }).toBe(true);
      expect(received[3]).toEqual([]);
      expect(errors.slice(0, 3).flat()).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it("refuses a token's third SSE stream with 429 and TOO_MANY_SUBSCRIPTIONS; the first two keep working", async () => {
    const token = await freshToken();
    const vars = { projectId: project.id, after: START_CURSOR };
    const first = replay(subscribeSse<EventData>(server.url, PROJECT_EVENTS, vars, { token }));
    const second = replay(subscribeSse<EventData>(server.url, PROJECT_EVENTS, vars, { token }));
    await Promise.all([first.waitForCount(1), second.waitForCount(1)]);
    const response = await fetch(`${server.url}/graphql?query=${encodeURIComponent(PROJECT_EVENTS)}&variables=${encodeURIComponent(JSON.stringify(vars))}`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(429);
    // The refusal comes in the form the client asked for: one SSE event carrying the GraphQL error.
    const data = /^data: (.+)$/m.exec(await response.text())?.[1];
    const body = JSON.parse(data ?? "null") as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toMatchObject({ code: "TOO_MANY_SUBSCRIPTIONS", limit: 2 });
    expect(body.errors[0]!.message).toContain("SSE_MAX_STREAMS_PER_TOKEN");
    await stillWorking([first, second]);
  });
});
