// Authenticated tokens remembered for a few seconds per process, so a request costs no database round trip to find
// out who is calling. Only successes are kept (a failure is always looked up again). An entry never outlives its
// token's expiry, and the whole cache is dropped whenever access is taken away anywhere in the deployment (token
// revoked, user deactivated: the event bus's access-change signal, which also re-checks open subscriptions), so a
// revoked token stops working within the bus latency; a lost signal costs at most the TTL.
import type { Viewer } from "./viewer.ts";

/** Entries kept per process; above it, the least recently used go first. */
export const TOKEN_CACHE_MAX_ENTRIES = 5_000;

interface Entry {
  viewer: Viewer;
  /** Epoch ms after which the entry is not used: min(cached at + TTL, the token's expiresAt). */
  until: number;
}

export class TokenCache {
  /** Insertion-ordered: a hit moves its key to the end, so the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  /** Bumped by clear(): a lookup that started before an access change must not store what it read. */
  private generation = 0;
  /** Lookups since start, by outcome (the metric modelgraph_auth_cache_lookups_total). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    /** 0 turns the cache off. */
    private readonly ttlMs: number,
    private readonly maxEntries = TOKEN_CACHE_MAX_ENTRIES,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The viewer a token hash authenticated as, while its entry is fresh and the token not expired. */
  get(hash: string, now = Date.now()): Viewer | undefined {
    const entry = this.entries.get(hash);
    if (entry) this.entries.delete(hash);
    if (!entry || now >= entry.until) {
      this.stats.misses++;
      return undefined;
    }
    this.entries.set(hash, entry);
    this.stats.hits++;
    return entry.viewer;
  }

  /** What `set` needs to know that nothing was invalidated since the lookup began. */
  ticket(): number {
    return this.generation;
  }

  /**
   * Remembers a successful authentication read from the database, unless access changed since `ticket` was taken
   * (the row read may predate a revocation whose signal has already been handled).
   */
  set(hash: string, viewer: Viewer, tokenExpiresAt: Date | null, ticket: number, now = Date.now()): void {
    if (this.ttlMs <= 0 || ticket !== this.generation) return;
    const until = Math.min(now + this.ttlMs, tokenExpiresAt?.getTime() ?? Infinity);
    if (until <= now) return;
    this.entries.delete(hash);
    this.entries.set(hash, { viewer, until });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets everything (access was taken away somewhere: which token or user is not said). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
