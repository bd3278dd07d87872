// PostgreSQL restarts under a live server (issue 4, "What must hold"). On a PRIVATE PostgreSQL cluster (its own
// data directory and port; the machine's shared server is never touched), a server process keeps serving
// writes and subscriptions while PostgreSQL stops and starts again:
//   - the server recovers without a restart of its own (requests fail cleanly during the outage, then succeed);
//   - subscribers that resume from their last cursor lose nothing: each one ends with every event of the log
//     after its starting point exactly once, in order — including one that stayed connected throughout and one
//     that disconnected before the outage and resumed while PostgreSQL was still down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient, type GraphQLResponse } from "../support/client.ts";
import { createModel, createProject } from "../support/fixtures.ts";
import { privateClusterAvailable, serverOnPrivateCluster, type PrivateCluster, type ServerOnPrivateCluster } from "../support/postgres-cluster.ts";
import {
  assertStrictlyIncreasing,
  describeError,
  PROJECT_EVENTS,
  START_CURSOR,
  startServerProcess,
  subscribe,
  untilLive,
  type EventData,
  type ServerProcess,
  type Subscription,
  type Transport,
} from "../support/subscriptions.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const runnable = privateClusterAvailable;

/**
 * A client that always comes back: whenever its stream ends (error, close), it subscribes again `after` the
 * last cursor it received, as the deployer does. Everything it ever received is in `events`.
 */
class ResumingSubscriber {
  readonly events: EventData[] = [];
  readonly errors: string[] = [];
  /** When each stream ended, after how many events, and why (for the report). */
  readonly ends: { at: number; received: number; errors: string[] }[] = [];
  reconnects = 0;
  private current: Subscription<EventData> | null = null;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    readonly transport: Transport,
    private readonly url: string,
    private readonly projectId: string,
    private after: string | null,
    first?: Subscription<EventData>,
  ) {
    this.loop = this.run(first);
  }

  get lastCursor(): string | null {
    return this.events.at(-1)?.cursor ?? this.after;
  }

  private async run(first?: Subscription<EventData>): Promise<void> {
    let subscription = first;
    while (!this.stopped) {
      subscription ??= subscribe<EventData>(this.transport, this.url, PROJECT_EVENTS, { projectId: this.projectId, after: this.lastCursor });
      this.current = subscription;
      let taken = 0;
      const drain = () => {
        for (; taken < subscription!.events.length; taken++) this.events.push(subscription!.events[taken]!.data);
      };
      // Copy events as they come; end when the stream ends.
      for (;;) {
        drain();
        if (subscription.ended || this.stopped) break;
        await sleep(20);
      }
      drain();
      this.errors.push(...subscription.errors.map(describeError));
      if (!this.stopped) this.ends.push({ at: Date.now(), received: subscription.events.length, errors: subscription.errors.map(describeError) });
      await subscription.close();
      if (this.stopped) return;
      this.reconnects++;
      subscription = undefined;
      await sleep(250);
    }
  }

  async waitFor(predicate: (e: EventData) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.events.some(predicate)) {
      if (Date.now() > deadline) throw new Error(`${this.transport} resuming subscriber: no matching event in ${timeoutMs} ms (${this.events.length} events, ${this.reconnects} reconnects, errors ${JSON.stringify(this.errors)})`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.close();
    await this.loop;
  }
}

/** One write attempt of the writer loop. */
interface Attempt {
  at: number;
  ms: number;
  modelId?: string;
  error?: string;
}

const CREATE_MODEL = `mutation($input: CreateModelInput!) { result: createModel(input: $input) { __typename ... on CreateModelPayload { model { id } } ... on Error { message } } }`;

describe.runIf(runnable)("PostgreSQL restarts during live subscriptions", () => {
  let setup: ServerOnPrivateCluster;
  let cluster: PrivateCluster;
  let server: ServerProcess;
  let client: GraphQLClient;

  beforeAll(async () => {
    setup = await serverOnPrivateCluster();
    ({ cluster, server, client } = setup);
  });

  afterAll(async () => {
    await setup?.close();
  });

  it("the server recovers by itself and resuming subscribers lose nothing", async () => {
    expect(server.listening.eventBus).toBe("postgres");
    const project = await createProject(client);
    const projectId = project.id;

    // Live subscribers on both transports, each proven to listen.
    const survivors: ResumingSubscriber[] = [];
    for (const transport of ["ws", "sse"] as const) {
      const live = subscribe<EventData>(transport, server.url, PROJECT_EVENTS, { projectId });
      await untilLive(live, async () => void (await createModel(client, projectId)), (e) => e.type === "MODEL_CREATED");
      survivors.push(new ResumingSubscriber(transport, server.url, projectId, null, live));
    }
    // Subscribers that will be away during the outage, from a known cursor.
    const leavers = (["ws", "sse"] as const).map((t) => subscribe<EventData>(t, server.url, PROJECT_EVENTS, { projectId, after: START_CURSOR }));

    // A writer that never stops: one model every ~50 ms, each request with a deadline.
    const attempts: Attempt[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const started = Date.now();
        const input = { projectId, name: `m-${started}-${attempts.length}` };
        const result = await Promise.race([
          client.raw<{ result: { __typename: string; model?: { id: string }; message?: string } }>(CREATE_MODEL, { input }).catch((error: Error) => ({ transportError: error.message })),
          sleep(30_000).then(() => ({ hung: true })),
        ]);
        const attempt: Attempt = { at: started, ms: Date.now() - started };
        if ("hung" in result) attempt.error = "HUNG: no answer in 30 s";
        else if ("transportError" in result) attempt.error = `transport: ${result.transportError}`;
        else {
          const response = result as GraphQLResponse<{ result: { __typename: string; model?: { id: string }; message?: string } }>;
          if (response.data?.result?.model) attempt.modelId = response.data.result.model.id;
          else attempt.error = response.errors?.map((e) => e.message).join("; ") ?? `${response.data?.result?.__typename}: ${response.data?.result?.message}`;
        }
        attempts.push(attempt);
        await sleep(50);
      }
    })();
    const successes = () => attempts.filter((a) => a.modelId).length;
    const until = async (check: () => boolean, timeoutMs: number, what: string) => {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms; attempts: ${JSON.stringify(attempts.slice(-10))}\n${server.output().slice(-4000)}`);
        await sleep(50);
      }
    };

    try {
      await until(() => successes() >= 10, 30_000, "10 writes before the restart");
      for (const leaver of leavers) await leaver.waitForCount(5);
      // The leavers go away before the outage.
      for (const leaver of leavers) await leaver.close();

      // The outage: stop, 3 s down, start. The writer keeps trying throughout.
      const stoppedAt = Date.now();
      cluster.stop("fast");
      await sleep(1_000);
      // A leaver comes back while PostgreSQL is still down: it must be refused cleanly and succeed later.
      const resumers = leavers.map(
        (leaver) => new ResumingSubscriber(leaver.transport, server.url, projectId, leaver.events.at(-1)!.data.cursor),
      );
      await sleep(2_000);
      cluster.start();
      const startedAt = Date.now();
      const before = successes();
      await until(() => successes() >= before + 20, 60_000, "20 writes after the restart");
      const recoveredAt = attempts.find((a) => a.at >= startedAt && a.modelId)?.at ?? Date.now();
      writing = false;
      await writer;

      // A marker after everything: when a subscriber has it, it has had every chance to get the rest.
      const marker = (await createModel(client, projectId)).id;
      const isMarker = (e: EventData) => e.type === "MODEL_CREATED" && e.modelId === marker;
      for (const s of [...survivors, ...resumers]) await s.waitFor(isMarker, 30_000);

      // The log, read back through a replay from the start (after the restart).
      const reference = subscribe<EventData>("ws", server.url, PROJECT_EVENTS, { projectId, after: START_CURSOR });
      await reference.waitFor(isMarker, 30_000);
      await reference.close();
      const log = reference.events.map((e) => e.data);
      assertStrictlyIncreasing(log.map((e) => e.cursor));
      const logCursors = log.map((e) => e.cursor);

      // Every acknowledged write is in the log, once.
      const written = attempts.filter((a) => a.modelId).map((a) => a.modelId!);
      const created = log.filter((e) => e.type === "MODEL_CREATED").map((e) => e.modelId);
      for (const id of written) expect(created.filter((c) => c === id)).toHaveLength(1);

      // Each subscriber: exactly the log from its starting point to the marker, once, in order.
      for (const s of [...survivors, ...resumers]) {
        const cursors = s.events.map((e) => e.cursor);
        assertStrictlyIncreasing(cursors);
        const from = logCursors.indexOf(cursors[0]!);
        expect(from, `${s.transport}: first event is in the log`).toBeGreaterThanOrEqual(0);
        const upToMarker = cursors.slice(0, cursors.findIndex((c) => c === logCursors.at(-1)) + 1);
        expect(upToMarker, `${s.transport} subscriber (${s.reconnects} reconnects)`).toEqual(logCursors.slice(from));
      }
      // The resumers picked up right after the cursor they left with.
      for (const [i, r] of resumers.entries()) {
        const left = leavers[i]!.events.at(-1)!.data.cursor;
        expect(r.events[0]!.cursor).toBe(logCursors[logCursors.indexOf(left) + 1]);
        expect(leavers[i]!.events.map((e) => e.data.cursor)).toEqual(logCursors.slice(0, leavers[i]!.events.length));
      }

      // Failures only during the outage (plus the few seconds of reconnecting), each a clean answer.
      const failures = attempts.filter((a) => a.error);
      for (const f of failures) {
        expect(f.error).not.toMatch(/^HUNG/);
        // A lost database is a clean, retryable refusal (SERVICE_UNAVAILABLE), never a masked bug.
        expect(f.error).not.toContain("Unexpected error.");
        expect(f.at, `failure outside the outage: ${JSON.stringify(f)}`).toBeGreaterThanOrEqual(stoppedAt - 5_000);
        expect(f.at, `failure after recovery: ${JSON.stringify(f)}`).toBeLessThanOrEqual(recoveredAt);
      }
      const after = attempts.filter((a) => a.at > recoveredAt);
      expect(after.every((a) => a.modelId)).toBe(true);
      console.info(
        `[pg restart] ${attempts.length} writes, ${failures.length} failed during the outage (errors: ${[...new Set(failures.map((f) => f.error))].join(" | ")}); ` +
          `first success ${recoveredAt - startedAt} ms after PostgreSQL was back; reconnects: ${[...survivors, ...resumers].map((s) => `${s.transport} ${s.reconnects}`).join(", ")}; ` +
          `subscriber errors: ${[...new Set([...survivors, ...resumers].flatMap((s) => s.errors))].join(" | ") || "none"}`,
      );
      if (process.env.MG_DEBUG_RESTART) console.info(JSON.stringify([...survivors, ...resumers].map((s) => ({ t: s.transport, ends: s.ends.map((e) => ({ ...e, at: e.at - stoppedAt })) }))));
      if (process.env.MG_DEBUG_RESTART) console.info(server.output().split("\n").filter((l) => !l.includes("\"level\":\"info\"")).slice(-60).join("\n"));
      for (const s of [...survivors, ...resumers]) await s.stop();
      expect(server.alive()).toBe(true);
    } finally {
      writing = false;
      await writer;
    }
  });
});
