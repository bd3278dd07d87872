// The webhook delivery worker: one per process, any number of processes on one database.
//
// Deliveries are queued by the event log, in the event's transaction (events/log.ts). Each worker claims due
// deliveries with `FOR UPDATE SKIP LOCKED` and, in the same statement, counts the attempt and pushes
// `nextAttemptAt` forward as a lease: no other replica takes a delivery while it is being sent. The attempt
// count doubles as a fencing token, so the outcome of an attempt is recorded only by the worker that made it.
// A process that dies mid-attempt leaves its lease to expire; another worker then retries the delivery
// (receivers de-duplicate with X-Modelgraph-Delivery, which stays the same across attempts).
import type { Prisma } from "../db/database.ts";
import { encodeGlobalId } from "../domain/ids.ts";
import type { Network } from "../domain/networks.ts";
import { retryDelayMs, signatureHeader } from "../domain/webhooks.ts";
import type { Logger } from "../log.ts";
import { sendDelivery, type DeliveryOutcome } from "./delivery-request.ts";

export interface WebhookWorkerOptions {
  /** First retry after this long, then twice as long each time (domain/webhooks.ts retryDelayMs). */
  retryBaseMs: number;
  /** A delivery is FAILED after this many attempts. */
  maxAttempts: number;
  /** A webhook is disabled after this many failed attempts in a row (any of its deliveries). */
  disableAfterFailures: number;
  /** Per-request timeout (connect, response and body). */
  timeoutMs?: number;
  /** WEBHOOK_ALLOWED_NETWORKS: internal networks deliveries may reach (public addresses always may). */
  allowedNetworks: readonly Network[];
  /** Deliveries in flight per process. */
  concurrency?: number;
  /** Safety-net poll: retries queued by a process that died, leases that expired, re-activated webhooks. */
  pollMs?: number;
}

/** A claimed delivery with what is needed to send it. */
interface Claimed {
  id: string;
  attempts: number;
  url: string;
  secret: string;
  seq: bigint;
  type: string;
  at: Date;
  projectId: string;
  modelId: string | null;
  modelVersionId: string | null;
  actorId: string | null;
  payload: unknown;
}

type Outcome = DeliveryOutcome;

/** What a receiver gets: the event, as JSON. Ids are global ids, as in the GraphQL API. */
export function webhookBody(event: Omit<Claimed, "id" | "attempts" | "url" | "secret">): string {
  const cursor = encodeGlobalId("Event", event.seq); // the subscriptions' cursor of the same event
  return JSON.stringify({
    id: cursor,
    cursor,
    seq: String(event.seq),
    type: event.type,
    at: event.at.toISOString(),
    projectId: encodeGlobalId("Project", event.projectId),
    modelId: event.modelId ? encodeGlobalId("Model", event.modelId) : null,
    modelVersionId: event.modelVersionId ? encodeGlobalId("ModelVersion", event.modelVersionId) : null,
    actorId: event.actorId ? encodeGlobalId("User", event.actorId) : null,
    payload: typeof event.payload === "string" ? JSON.parse(event.payload) : (event.payload ?? {}),
  });
}

const MAX_ERROR_LENGTH = 1_000;

export class WebhookWorker {
  /** Attempts this process made, by outcome (observability; tests check that replicas share the work). */
  readonly stats = { succeeded: 0, failed: 0 };
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly pollMs: number;
  /** How long a claim holds a delivery: well beyond one attempt, so a live worker never loses its lease. */
  private readonly leaseMs: number;
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  /** Deliveries this process is sending right now. */
  get sending(): number {
    return this.inFlight.size;
  }
  private filling: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private poller: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly prisma: Prisma,
    private readonly log: Logger,
    private readonly options: WebhookWorkerOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.concurrency = options.concurrency ?? 16;
    this.pollMs = options.pollMs ?? 1_000;
    this.leaseMs = this.timeoutMs * 3 + 30_000;
  }

  start(): void {
    // Not woken by every event in the log: most projects have no webhook, and a claim per event cost every write a
    // statement for nothing. The transaction that queued deliveries wakes its own process's worker after commit
    // (app.ts, onEventsCommitted); the poll covers other replicas' deliveries, retries and expired leases.
    this.poller = setInterval(() => {
      void this.expireAbandoned();
      this.wake();
    }, this.pollMs);
    this.poller.unref();
    this.wake();
  }

  /** Claims and sends whatever is due (coalescing concurrent calls). */
  wake(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.again = true;
      return;
    }
    this.filling = this.fill()
      .catch((error) => this.log.warn("webhook claim failed; retrying on the next poll", { error: (error as Error).message }))
      .finally(() => {
        this.filling = null;
      });
  }

  private async fill(): Promise<void> {
    do {
      this.again = false;
      while (!this.stopped && this.inFlight.size < this.concurrency) {
        const wanted = this.concurrency - this.inFlight.size;
        const batch = await this.claim(wanted);
        for (const delivery of batch) {
          const attempt = this.attempt(delivery).finally(() => {
            this.inFlight.delete(attempt);
            this.wake(); // a slot is free
          });
          this.inFlight.add(attempt);
        }
        if (batch.length < wanted) break;
      }
    } while (this.again && !this.stopped);
  }

  /** Takes up to `limit` due deliveries of active webhooks, counting the attempt and leasing them, atomically. */
  private claim(limit: number): Promise<Claimed[]> {
    return this.prisma.$queryRaw<Claimed[]>`
      WITH due AS (
        SELECT d."id"
        FROM "WebhookDelivery" d JOIN "Webhook" w ON w."id" = d."webhookId"
        WHERE d."status" = 'PENDING' AND d."nextAttemptAt" <= now() AND d."attempts" < ${this.options.maxAttempts}::int AND w."active"
        ORDER BY d."nextAttemptAt", d."eventSeq"
        LIMIT ${limit}::int
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE "WebhookDelivery" d
      SET "attempts" = d."attempts" + 1, "nextAttemptAt" = now() + ${this.leaseMs}::double precision * interval '1 millisecond'
      FROM due, "Webhook" w, "Event" e
      WHERE d."id" = due."id" AND w."id" = d."webhookId" AND e."seq" = d."eventSeq"
      RETURNING d."id", d."attempts", w."url", w."secret", e."seq", e."type", e."at", e."projectId", e."modelId",
                e."modelVersionId", e."actorId", e."payload"`;
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const outcome = await this.send(delivery);
    if (this.shutdown.signal.aborted && !outcome.ok) {
      // Interrupted by shutdown: not the receiver's fault. Hand the delivery back, due now, for any replica.
      await this.prisma.$executeRaw`
        UPDATE "WebhookDelivery" SET "attempts" = "attempts" - 1, "nextAttemptAt" = now()
        WHERE "id" = ${delivery.id} AND "attempts" = ${delivery.attempts}::int AND "status" = 'PENDING'`.catch(() => {});
      return;
    }
    this.stats[outcome.ok ? "succeeded" : "failed"]++;
    try {
      if (outcome.ok) await this.recordSuccess(delivery, outcome);
      else await this.recordFailure(delivery, outcome);
    } catch (error) {
      // The lease expires and the delivery is retried: at least once, never lost.
      this.log.warn("could not record a webhook attempt", { delivery: delivery.id, error: (error as Error).message });
    }
  }

  private async send(delivery: Claimed): Promise<Outcome> {
    const body = webhookBody(delivery);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const deliveryId = encodeGlobalId("WebhookDelivery", delivery.id);
    const timestamp = Math.floor(Date.now() / 1000);
    return sendDelivery({
      url: delivery.url,
      body,
      signal: AbortSignal.any([this.shutdown.signal, timeout]),
      timedOut: () => timeout.aborted,
      allowedNetworks: this.options.allowedNetworks,
      headers: {
        "content-type": "application/json",
        "user-agent": "modelgraph-webhooks/1",
        "x-modelgraph-event": delivery.type,
        "x-modelgraph-delivery": deliveryId,
        "x-modelgraph-attempt": String(delivery.attempts),
        "x-modelgraph-timestamp": String(timestamp),
        "x-modelgraph-signature": signatureHeader(delivery.secret, deliveryId, body, timestamp),
      },
    });
  }

  private async recordSuccess(delivery: Claimed, outcome: Outcome): Promise<void> {
    await this.prisma.$executeRaw`
      WITH d AS (
        UPDATE "WebhookDelivery"
        SET "status" = 'SUCCEEDED', "deliveredAt" = now(), "responseCode" = ${outcome.responseCode}::int, "lastError" = NULL
        WHERE "id" = ${delivery.id} AND "attempts" = ${delivery.attempts}::int AND "status" = 'PENDING'
        RETURNING "webhookId"
      )
      UPDATE "Webhook" w SET "consecutiveFailures" = 0 FROM d WHERE w."id" = d."webhookId" AND w."consecutiveFailures" <> 0`;
  }

  /** Schedules the next attempt (or gives up), and counts the failure against the webhook, disabling it at N. */
  private async recordFailure(delivery: Claimed, outcome: Outcome): Promise<void> {
    const delayMs = retryDelayMs(delivery.attempts, this.options.retryBaseMs);
    const limit = this.options.disableAfterFailures;
    const rows = await this.prisma.$queryRaw<{ consecutiveFailures: number; active: boolean; status: string }[]>`
      WITH d AS (
        UPDATE "WebhookDelivery"
        SET "status" = (CASE WHEN "attempts" >= ${this.options.maxAttempts}::int THEN 'FAILED' ELSE 'PENDING' END)::"WebhookDeliveryStatus",
            "nextAttemptAt" = now() + ${delayMs}::double precision * interval '1 millisecond',
            "responseCode" = ${outcome.responseCode}::int,
            "lastError" = ${(outcome.error ?? "failed").slice(0, MAX_ERROR_LENGTH)}
        WHERE "id" = ${delivery.id} AND "attempts" = ${delivery.attempts}::int AND "status" = 'PENDING'
        RETURNING "webhookId", "status"
      )
      UPDATE "Webhook" w
      SET "consecutiveFailures" = w."consecutiveFailures" + 1,
          "active" = w."active" AND w."consecutiveFailures" + 1 < ${limit}::int,
          "disabledAt" = CASE WHEN w."active" AND w."consecutiveFailures" + 1 >= ${limit}::int THEN now() ELSE w."disabledAt" END
      FROM d WHERE w."id" = d."webhookId"
      RETURNING w."consecutiveFailures", w."active", d."status"::text AS "status"`;
    const row = rows[0];
    if (!row) return; // the webhook or the delivery was deleted meanwhile
    if (row.status === "PENDING") this.retryAfter(delayMs);
    if (row.consecutiveFailures === limit && !row.active) {
      this.log.warn("webhook disabled after consecutive failures", { delivery: delivery.id, failures: limit, url: delivery.url });
    }
  }

  /** Wakes this worker when a retry it scheduled falls due (the poll covers other processes' retries). */
  private retryAfter(delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.wake();
    }, delayMs + 5);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** A process that died during a last attempt left a lease that nobody may retry: record the delivery as FAILED. */
  private async expireAbandoned(): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE "WebhookDelivery"
      SET "status" = 'FAILED', "lastError" = coalesce("lastError" || '; ', '') || 'the last attempt was interrupted (server stopped)'
      WHERE "status" = 'PENDING' AND "attempts" >= ${this.options.maxAttempts}::int AND "nextAttemptAt" <= now()`.catch((error) =>
      this.log.warn("webhook lease sweep failed", { error: (error as Error).message }),
    );
  }

  /** Stops claiming; interrupts requests in flight and hands their deliveries back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.shutdown.abort();
    await this.filling;
    await Promise.allSettled([...this.inFlight]);
  }
}
