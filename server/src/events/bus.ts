// The signal that new events committed, carried between the processes of a deployment. The signal only says
// "the log grew up to seq N"; every process then reads the new events from the log itself, so a lost or
// duplicated signal can delay an event but never lose or repeat one.
import { EventEmitter } from "node:events";
import { Redis } from "ioredis";
import pg from "pg";
import type { Logger } from "../log.ts";

export interface EventBus {
  readonly kind: "in-process" | "postgres" | "redis";
  /** Announces that events up to `seq` committed. */
  publish(seq: bigint): Promise<void>;
  /** Calls `listener` on every announcement, from any process; also after a reconnect (seq 0: "re-check"). */
  subscribe(listener: (seq: bigint) => void): () => void;
  /** Announces that tokens were revoked or users deactivated: every process re-checks its open subscriptions. */
  publishAccessChange(): Promise<void>;
  /** Calls `listener` on every access-change announcement, from any process; also after a reconnect. */
  subscribeAccessChange(listener: () => void): () => void;
  close(): Promise<void>;
}

const CHANNEL = "modelgraph_events";
/** The payload of an access-change signal on CHANNEL (event signals carry a seq: digits only). */
const ACCESS_CHANGED = "access";

/** One process (embedded PGlite): an in-memory emitter. */
export class InProcessBus implements EventBus {
  readonly kind = "in-process" as const;
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(seq: bigint): Promise<void> {
    this.emitter.emit("seq", seq);
  }

  subscribe(listener: (seq: bigint) => void): () => void {
    this.emitter.on("seq", listener);
    return () => this.emitter.off("seq", listener);
  }

  async publishAccessChange(): Promise<void> {
    this.emitter.emit(ACCESS_CHANGED);
  }

  subscribeAccessChange(listener: () => void): () => void {
    this.emitter.on(ACCESS_CHANGED, listener);
    return () => this.emitter.off(ACCESS_CHANGED, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/** Base for buses that reconnect: local listeners, exponential back-off, a "re-check" after reconnecting. */
abstract class RemoteBus extends InProcessBus {
  protected closed = false;
  protected backoffMs = 100;

  constructor(protected readonly log: Logger) {
    super();
  }

  protected deliver(seq: bigint): void {
    void super.publish(seq);
  }

  protected deliverAccessChange(): void {
    void super.publishAccessChange();
  }

  /** A message of CHANNEL from any process: a seq, or an access change. */
  protected received(payload: string): void {
    if (payload === ACCESS_CHANGED) this.deliverAccessChange();
    else if (/^\d+$/.test(payload)) this.deliver(BigInt(payload));
  }

  /** After a reconnect: signals of either kind may have been missed meanwhile. */
  protected recheckAll(): void {
    this.deliver(0n);
    this.deliverAccessChange();
  }

  protected scheduleReconnect(connect: () => Promise<void>): void {
    if (this.closed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
    setTimeout(() => {
      connect().then(
        () => {
          this.backoffMs = 100;
          this.recheckAll(); // signals may have been missed while disconnected: make readers re-check the log
        },
        () => this.scheduleReconnect(connect),
      );
    }, delay).unref();
  }
}

interface PendingSignals {
  /** The highest seq asked to be announced, if any. */
  seq: bigint | null;
  access: boolean;
  callers: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** PostgreSQL LISTEN/NOTIFY: one dedicated listening connection per process, re-established if it drops. */
export class PostgresBus extends RemoteBus {
  override readonly kind = "postgres" as const as never;
  private listener: pg.Client | null = null;

  constructor(
    private readonly url: string,
    log: Logger,
  ) {
    super(log);
  }

  async connect(): Promise<void> {
    // TCP keep-alive: a peer that vanished without closing (network cut) is noticed, and the connection replaced.
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    client.on("notification", (message) => {
      if (message.channel === CHANNEL && message.payload) this.received(message.payload);
    });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = null;
      client.removeAllListeners("error");
      client.on("error", () => {});
      void client.end().catch(() => {});
      if (!this.closed) this.log.warn("event bus connection lost; reconnecting", { error: error?.message });
      this.scheduleReconnect(() => this.connect());
    };
    client.on("error", lost);
    client.on("end", () => lost());
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  override async publish(seq: bigint): Promise<void> {
    this.deliver(seq); // this process's readers need no round trip through PostgreSQL
    await this.signal(seq, false);
  }

  override async publishAccessChange(): Promise<void> {
    this.deliverAccessChange(); // this process's subscriptions need no round trip
    await this.signal(null, true);
  }

  /**
   * Signals go out one NOTIFY at a time: a pg client runs one query at a time (queueing several on it is deprecated
   * and refused by pg 9). Signals asked for while one is in flight are merged into the next: a seq signal says "the
   * log grew up to N", so the highest seq waiting stands for all the lower ones; an access change is sent once for
   * all that waited. Under many commits this sends far fewer NOTIFYs, and never one late by more than one round trip.
   */
  private signal(seq: bigint | null, access: boolean): Promise<void> {
    const waiting = this.waiting;
    if (seq !== null && (waiting.seq === null || seq > waiting.seq)) waiting.seq = seq;
    if (access) waiting.access = true;
    const sent = new Promise<void>((resolve, reject) => waiting.callers.push({ resolve, reject }));
    if (!this.signalling) void this.sendSignals();
    return sent;
  }

  private waiting: PendingSignals = { seq: null, access: false, callers: [] };
  private signalling = false;

  private async sendSignals(): Promise<void> {
    this.signalling = true;
    while (this.waiting.callers.length > 0) {
      const batch = this.waiting;
      this.waiting = { seq: null, access: false, callers: [] };
      try {
        if (batch.seq !== null) await this.notify(String(batch.seq));
        if (batch.access) await this.notify(ACCESS_CHANGED);
        for (const caller of batch.callers) caller.resolve();
      } catch (error) {
        for (const caller of batch.callers) caller.reject(error);
      }
    }
    this.signalling = false;
  }

  private async notify(payload: string): Promise<void> {
    // Through the listening connection while it is healthy (no connection set-up per commit); else through a
    // short-lived one, which keeps publishing independent of the listener's health.
    const listener = this.listener;
    if (listener) {
      try {
        await listener.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]);
        return;
      } catch {
        // fall through: the listener is being replaced
      }
    }
    const client = new pg.Client({ connectionString: this.url });
    client.on("error", () => {}); // errors surface through the awaited calls; a late one must not crash us
    await client.connect();
    try {
      await client.query("SELECT pg_notify($1, $2)", [CHANNEL, payload]);
    } finally {
      await client.end();
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => {});
    await super.close();
  }
}

/** Redis pub/sub (REDIS_URL): for deployments that prefer Redis to NOTIFY. */
export class RedisBus extends RemoteBus {
  override readonly kind = "redis" as const as never;
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(url: string, log: Logger) {
    super(log);
    const options = { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 100, 5_000) };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    this.publisher.on("error", () => {});
    this.subscriber.on("error", (error) => this.log.warn("redis event bus error", { error: error.message }));
    this.subscriber.on("message", (channel: string, payload: string) => {
      if (channel === CHANNEL) this.received(payload);
    });
    // ioredis re-subscribes by itself after a reconnect; signals sent meanwhile are lost, so re-check.
    this.subscriber.on("ready", () => this.recheckAll());
  }

  async connect(): Promise<void> {
    await this.publisher.connect();
    await this.subscriber.connect();
    await this.subscriber.subscribe(CHANNEL);
  }

  override async publish(seq: bigint): Promise<void> {
    this.deliver(seq); // this process's readers need no round trip through Redis
    await this.publisher.publish(CHANNEL, String(seq));
  }

  override async publishAccessChange(): Promise<void> {
    this.deliverAccessChange();
    await this.publisher.publish(CHANNEL, ACCESS_CHANGED);
  }

  override async close(): Promise<void> {
    this.closed = true;
    await this.subscriber.quit().catch(() => {});
    await this.publisher.quit().catch(() => {});
    await super.close();
  }
}

/** The bus the configuration calls for: Redis if REDIS_URL, else NOTIFY on PostgreSQL, else in-process. */
export async function openEventBus(options: { redisUrl?: string; databaseUrl?: string; log: Logger }): Promise<EventBus> {
  if (options.redisUrl) {
    const bus = new RedisBus(options.redisUrl, options.log);
    await bus.connect();
    return bus;
  }
  if (options.databaseUrl) {
    const bus = new PostgresBus(options.databaseUrl, options.log);
    await bus.connect();
    return bus;
  }
  return new InProcessBus();
}
