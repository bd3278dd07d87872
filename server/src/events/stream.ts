// A subscriber's view of the log: replay what it missed after its cursor, then follow the live feed, with
// no gap and no duplicate (events are delivered strictly by increasing seq).
import type { Prisma } from "../db/database.ts";
import type { Event } from "../generated/prisma/client.ts";
import type { EventFeed } from "./feed.ts";

const REPLAY_PAGE = 500;

export interface StreamOptions {
  projectId: string;
  /** Deliver events after this seq; null: only events committed from now on. */
  after: bigint | null;
  /** Which events this subscriber wants (type, model, stage filters). */
  accept: (event: Event) => boolean;
  /** Re-checked before each delivery (of `event`): the subscriber may have lost access meanwhile. */
  allowed: (event: Event) => Promise<boolean>;
}

/** Unbounded FIFO consumed by one async iterator. */
class Queue<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | null = null;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
    this.wake = null;
  }

  async shift(): Promise<T> {
    while (this.items.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.items.shift()!;
  }
}

export async function* streamEvents(prisma: Prisma, feed: EventFeed, options: StreamOptions): AsyncGenerator<Event> {
  // Listen first, then replay: whatever the feed hands out meanwhile is queued, and duplicates are skipped.
  const live = new Queue<Event>();
  const stop = feed.listen((event) => {
    if (event.projectId === options.projectId) live.push(event);
  });
  try {
    let last = options.after ?? feed.seq;
    if (options.after !== null) {
      for (;;) {
        const page = await prisma.event.findMany({
          where: { projectId: options.projectId, seq: { gt: last } },
          orderBy: { seq: "asc" },
          take: REPLAY_PAGE,
        });
        for (const event of page) {
          last = event.seq;
          if (options.accept(event)) {
            if (!(await options.allowed(event))) return;
            yield event;
          }
        }
        if (page.length < REPLAY_PAGE) break;
      }
    }
    for (;;) {
      const event = await live.shift();
      if (event.seq <= last) continue;
      last = event.seq;
      if (!options.accept(event)) continue;
      if (!(await options.allowed(event))) return;
      yield event;
    }
  } finally {
    stop();
  }
}
