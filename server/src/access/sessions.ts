// Long-lived sessions (subscriptions over WebSocket and SSE) by the token they authenticated with. Taking access away
// (revokeApiToken, deactivateUser) commits, then signals every replica through the event bus; each replica re-checks
// the tokens of its open subscriptions in one query and fails those that stopped working, at once, without waiting
// for an event. The same check runs on a slow timer: it ends subscriptions whose token expired, and makes a lost
// signal cost a delay, never a session left open.
import type { Prisma } from "../db/database.ts";
import type { EventBus } from "../events/bus.ts";
import { CoalescedRun } from "../events/coalesced.ts";
import type { Logger } from "../log.ts";
import { TOKEN_STATE, tokenFailure } from "./authenticate.ts";

/** Why a session was ended. */
export type SessionEnd = "revoked" | "deactivated" | "expired";

/** Token ids per re-check query (keeps the `IN` list of one statement bounded). */
const CHECK_CHUNK = 1_000;

export class SessionRegistry {
  private readonly open = new Map<string, Set<(reason: SessionEnd) => void>>();
  // The database may be restarting: the next signal or tick tries again.
  private readonly checks = new CoalescedRun(
    () => this.checkAll(),
    (error) => this.log.warn("session re-check failed", { error: error.message }),
  );
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly prisma: Prisma,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.unsubscribe = this.bus.subscribeAccessChange(() => void this.recheck());
    this.timer = setInterval(() => void this.recheck(), this.pollMs);
    this.timer.unref();
  }

  /** Calls `end` (once) when the token stops working; returns the unregistration. */
  watch(tokenId: string, end: (reason: SessionEnd) => void): () => void {
    let sessions = this.open.get(tokenId);
    if (!sessions) this.open.set(tokenId, (sessions = new Set()));
    const entry = (reason: SessionEnd) => {
      forget();
      end(reason);
    };
    const forget = () => {
      sessions.delete(entry);
      if (sessions.size === 0 && this.open.get(tokenId) === sessions) this.open.delete(tokenId);
    };
    sessions.add(entry);
    return forget;
  }

  /** Open sessions of a token on this replica. */
  count(tokenId: string): number {
    return this.open.get(tokenId)?.size ?? 0;
  }

  /** Re-checks every watched token now (coalescing concurrent calls); resolves once done. */
  recheck(): Promise<void> {
    return this.checks.run();
  }

  private async checkAll(): Promise<void> {
    const ids = [...this.open.keys()];
    const now = Date.now();
    for (let i = 0; i < ids.length; i += CHECK_CHUNK) {
      const chunk = ids.slice(i, i + CHECK_CHUNK);
      const rows = await this.prisma.apiToken.findMany({ where: { id: { in: chunk } }, select: { id: true, ...TOKEN_STATE } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of chunk) {
        const row = byId.get(id);
        const reason = row ? tokenFailure(row, now) : "revoked";
        if (reason) for (const end of [...(this.open.get(id) ?? [])]) end(reason);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }
}

/** In-memory counters of a resource per key (a token's connections, a token's SSE streams), capped. Per replica. */
export class SlotCounter {
  private readonly used = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Takes a slot for `key`; returns its release (idempotent), or null when `key` is at the limit. */
  acquire(key: string): (() => void) | null {
    const n = this.used.get(key) ?? 0;
    if (n >= this.limit) return null;
    this.used.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.used.get(key) ?? 1) - 1;
      if (left > 0) this.used.set(key, left);
      else this.used.delete(key);
    };
  }
}

/** What a refused session is told: which limit, and the variable that sets it. */
export interface SessionRefusal {
  message: string;
  limit: number;
}

/**
 * The caps on long-lived sessions (config.sessions), per replica: a token's WebSocket connections and SSE streams,
 * and a connection's operations in progress. Each claim is released when its socket or response closes.
 */
export class SessionLimits {
  private readonly connections: SlotCounter;
  private readonly sseStreams: SlotCounter;

  constructor(private readonly config: { maxConnectionsPerToken: number; maxSubscriptionsPerConnection: number; maxSseStreamsPerToken: number }) {
    this.connections = new SlotCounter(config.maxConnectionsPerToken);
    this.sseStreams = new SlotCounter(config.maxSseStreamsPerToken);
  }

  /** Counts a WebSocket connection of the token until `closable` emits "close"; a refusal when the token is at the cap. */
  claimConnection(tokenId: string, closable: { once(event: "close", listener: () => void): unknown }): SessionRefusal | null {
    return claim(this.connections, tokenId, closable, "WebSocket connections for this token", "WS_MAX_CONNECTIONS_PER_TOKEN");
  }

  /** Counts an SSE response of the token until it closes; a refusal when the token is at the cap. */
  claimSseStream(tokenId: string, closable: { once(event: "close", listener: () => void): unknown }): SessionRefusal | null {
    return claim(this.sseStreams, tokenId, closable, "SSE streams for this token", "SSE_MAX_STREAMS_PER_TOKEN");
  }

  /** A refusal when a connection with `inProgress` operations (the new one included) is over the cap. */
  operationRefusal(inProgress: number): SessionRefusal | null {
    const limit = this.config.maxSubscriptionsPerConnection;
    if (inProgress <= limit) return null;
    return { message: `Too many subscriptions on this connection (limit ${limit} per connection on this server, WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)`, limit };
  }
}

function claim(counter: SlotCounter, key: string, closable: { once(event: "close", listener: () => void): unknown }, what: string, variable: string): SessionRefusal | null {
  const release = counter.acquire(key);
  if (!release) return { message: `Too many ${what} (limit ${counter.limit} per server, ${variable})`, limit: counter.limit };
  closable.once("close", release);
  return null;
}
