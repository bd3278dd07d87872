// A subscriber's view of the log: replay what it missed after its cursor, then follow the live feed, with
// no gap and no duplicate (events are delivered strictly by increasing seq).
import type { Prisma } from "../db/database.ts";
import type { Event } from "../generated/prisma/client.ts";
import type { EventFeed } from "./feed.ts";

const REPLAY_PAGE = 500;

/**
 * What replays batch their access checks on: the subscribers checking a replay page in the same turn of the event
 * loop are answered by one query (events/shared.ts batchedForEvent), as the subscribers of one live event are.
 */
export const REPLAY_CHECKS: object = Object.freeze({ replay: true });

/** Replay pages being read now, by project and position: subscribers replaying from the same cursor share one read. */
const readingPages = new Map<string, Promise<Event[]>>();

function replayPage(prisma: Prisma, projectId: string, after: bigint): Promise<Event[]> {
  const key = `${projectId}:${after}`;
  let page = readingPages.get(key);
  if (!page) {
    page = prisma.event
      .findMany({ where: { projectId, seq: { gt: after } }, orderBy: { seq: "asc" }, take: REPLAY_PAGE })
      .finally(() => readingPages.delete(key));
    readingPages.set(key, page);
  }
  return page;
}

export interface StreamOptions {
  projectId: string;
  /** Deliver events after this seq; null: only events committed from now on. */
  after: bigint | null;
  /** Which events this subscriber wants (type, model, stage filters). */
  accept: (event: Event) => boolean;
  /**
   * Re-checked before each live delivery (with the event) and once per replay page (with REPLAY_CHECKS), as the
   * batching key: the subscriber may have lost access meanwhile. False ends the stream; a throw fails it.
   */
  allowed: (batchKey: object) => Promise<boolean>;
  /**
   * Registers `fail`, which ends the stream with that error at once (access taken away while no event arrives);
   * returns the unregistration.
   */
  onRevoked?: (fail: (error: Error) => void) => () => void;
}

/**
 * A live stream (no `after`) as a description of what it follows, so that subscribers of one operation can follow
 * the feed together (events/multicast.ts FanOut): each keeps its own `allowed` and `onRevoked`.
 */
export interface LiveSource {
  feed: EventFeed;
  options: StreamOptions;
  /**
   * The last item a failure of the stream (its access check's error, or a revocation's) makes it yield before it
   * ends, as the stream itself would; undefined: the stream throws the error.
   */
  ending: (error: unknown) => unknown;
  /**
   * The access checks of many live subscribers of one kind (the same field: the same function describes them all)
   * for one event, answered together: each answer is what its own `options.allowed` would give.
   */
  allowedTogether: (sources: readonly LiveSource[]) => Promise<AccessAnswer[]>;
}

/** A subscriber's access check: allowed or not, or the error its stream fails with. */
export type AccessAnswer = boolean | { error: unknown };

const liveSources = new WeakMap<object, LiveSource>();

/** Records that `stream` is the live stream `source` describes; returns the stream. */
export function describeLive<S extends object>(stream: S, source: LiveSource): S {
  liveSources.set(stream, source);
  return stream;
}

/** What `stream` follows, if it is a live stream described with describeLive. */
export const liveSourceOf = (stream: object): LiveSource | undefined => liveSources.get(stream);

/** Unbounded FIFO consumed by one async iterator; a failure is thrown to the consumer ahead of what is queued. */
class Queue<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | null = null;
  failure: Error | null = null;

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  async shift(): Promise<T> {
    while (this.items.length === 0 && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
    return this.items.shift()!;
  }
}

export async function* streamEvents(prisma: Prisma, feed: EventFeed, options: StreamOptions): AsyncGenerator<Event> {
  // Listen first, then replay: whatever the feed hands out meanwhile is queued, and duplicates are skipped.
  const live = new Queue<Event>();
  const stop = feed.listen((event) => {
    if (event.projectId === options.projectId) live.push(event);
  });
  const unwatch = options.onRevoked?.((error) => live.fail(error));
  try {
    let last = options.after ?? feed.seq;
    if (options.after !== null) {
      for (;;) {
        const page = await replayPage(prisma, options.projectId, last);
        const accepted = page.filter((event) => options.accept(event));
        // One check per page (batched with other replays), not per event; a revocation meanwhile fails the stream.
        if (accepted.length > 0 && !(await options.allowed(REPLAY_CHECKS))) return;
        for (const event of accepted) {
          if (live.failure) throw live.failure;
          yield event;
        }
        last = page.at(-1)?.seq ?? last;
        if (page.length < REPLAY_PAGE) break;
      }
    }
    for (;;) {
      const event = await live.shift();
      if (event.seq <= last) continue;
      last = event.seq;
      if (!options.accept(event)) continue;
      if (!(await options.allowed(event))) return;
      if (live.failure) throw live.failure;
      yield event;
    }
  } finally {
    unwatch?.();
    stop();
  }
}
