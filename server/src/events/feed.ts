// One reader of the event log per process. Woken by the bus (and by a slow poll, as a safety net), it reads
// the events committed since its last position, in seq order, once, and hands them to every local listener.
import type { Prisma } from "../db/database.ts";
import type { Event } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import type { EventBus } from "./bus.ts";
import { CoalescedRun } from "./coalesced.ts";
import { newestEventSeq } from "./log.ts";

const PAGE = 500;

export class EventFeed {
  private position = 0n;
  private readonly listeners = new Set<(event: Event) => void>();
  // The database may be restarting: the next signal or poll tries again from the same position.
  private readonly reads = new CoalescedRun(
    () => this.readNew(),
    (error) => this.log.warn("event feed read failed", { error: error.message }),
  );
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** When the newest event reached listeners, minus when it committed (for metrics). */
  lastLagMs = 0;
  /** The highest seq the bus announced (ahead of `seq` while this process is catching up). */
  announced = 0n;
  /** Events handed to listeners since start. */
  delivered = 0;

  constructor(
    private readonly prisma: Prisma,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly pollMs = 2_000,
    /** Called for each event handed out, with the time since its transaction wrote it (metrics). */
    private readonly onDelivered: (lagMs: number) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.position = await newestEventSeq(this.prisma);
    this.announced = this.position;
    this.unsubscribe = this.bus.subscribe((seq) => {
      if (seq > this.announced) this.announced = seq;
      if (seq !== 0n && this.listeners.size === 0 && !this.reads.busy) {
        // Nobody here to hand the events to (no subscription open): skip reading them, which cost every write
        // a statement and a result mapping. Seqs commit in order (the event-log lock is held to commit), so every
        // seq up to the announced one has committed: a listener that arrives later starts after it, as if read.
        if (seq > this.position) this.position = seq;
        return;
      }
      if (seq === 0n || seq > this.position) this.pump();
    });
    this.timer = setInterval(() => this.pump(), this.pollMs);
    this.timer.unref();
  }

  /** The seq of the last event handed to listeners: everything up to it has committed. */
  get seq(): bigint {
    return this.position;
  }

  listen(listener: (event: Event) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads new events now (coalescing concurrent calls). Resolves once the log was read. */
  pump(): Promise<void> {
    return this.reads.run();
  }

  private async readNew(): Promise<void> {
    for (;;) {
      const events = await this.prisma.event.findMany({ where: { seq: { gt: this.position } }, orderBy: { seq: "asc" }, take: PAGE });
      for (const event of events) {
        this.position = event.seq;
        for (const listener of this.listeners) listener(event);
        this.delivered++;
        this.onDelivered(Date.now() - event.at.getTime());
      }
      const newest = events.at(-1);
      if (newest) this.lastLagMs = Date.now() - newest.at.getTime();
      if (this.position > this.announced) this.announced = this.position;
      if (events.length < PAGE) return;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.listeners.clear();
    await this.reads.idle();
  }
}
