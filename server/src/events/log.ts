import type { Tx } from "../db/transaction.ts";

/** Every kind of event in the log (DESIGN.md §1 "Event"). */
export const EVENT_TYPES = [
  "MODEL_CREATED",
  "MODEL_RENAMED",
  "MODEL_DEPRECATED",
  "MODEL_ARCHIVED",
  "MODEL_VERSION_CREATED",
  "MODEL_VERSION_UPDATED",
  "MODEL_VERSION_DELETED",
  "MODEL_VERSION_STAGE_CHANGED",
  "MODEL_ALIAS_SET",
  "MODEL_ALIAS_REMOVED",
  "TRANSITION_REQUESTED",
  "TRANSITION_DECIDED",
  "TRANSITION_APPROVAL_RECORDED",
  "PROMOTION_POLICY_CHANGED",
  "RESOURCE_READY",
  "DEPLOYMENT_REPORTED",
  "MODEL_LOG_ADDED",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  projectId: string;
  type: EventType;
  actorId: string;
  modelId?: string;
  modelVersionId?: string;
  payload?: Record<string, unknown>;
}

/**
 * Serialises the tails of event-writing transactions, so events commit in `seq` order: a reader that has seen
 * seq N can never later find a smaller seq appear. Always the last lock a transaction takes (no deadlock).
 */
const EVENT_LOG_LOCK = 72707371;

const highestSeqOf = new WeakMap<object, bigint>();

/**
 * Takes the event-log lock for the rest of the transaction. Event writers take it; so does deleting a webhook,
 * so a delivery is never queued for a webhook that is being deleted.
 */
export async function lockEventLog(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})`;
}

/**
 * The seq of the newest committed event (0 when the log is empty). Seqs are taken under the event-log lock held to
 * commit, so every event committed later has a higher one: a safe point to resume from.
 */
export async function newestEventSeq(db: Pick<Tx, "event">): Promise<bigint> {
  const newest = await db.event.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } });
  return newest?.seq ?? 0n;
}

/** The highest seq a transaction appended, if any (read by the transaction helper after commit). */
export function appendedSeq(tx: object): bigint | undefined {
  return highestSeqOf.get(tx);
}

/** Appends an event in the caller's transaction, so the log holds exactly the changes that committed. */
export async function appendEvent(tx: Tx, event: NewEvent): Promise<bigint> {
  if (!highestSeqOf.has(tx)) await lockEventLog(tx);
  const row = await tx.event.create({
    select: { seq: true },
    data: {
      projectId: event.projectId,
      type: event.type,
      actorId: event.actorId,
      modelId: event.modelId ?? null,
      modelVersionId: event.modelVersionId ?? null,
      payload: (event.payload ?? {}) as object,
    },
  });
  highestSeqOf.set(tx, row.seq);
  await fanOutToWebhooks(tx, row.seq, event);
  return row.seq;
}

/**
 * Queues one delivery per active webhook of the project that wants this type (no types: every type), in the
 * event's own transaction: an event gets its deliveries exactly once, and only if it commits. The id is a
 * UUIDv7 made in SQL (time-ordered, like the ids Prisma makes), since Prisma's default is client-side.
 */
async function fanOutToWebhooks(tx: Tx, seq: bigint, event: NewEvent): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventSeq")
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
             PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
           52, 1), 53, 1), 'hex')::uuid::text,
           w."id", ${seq}
    FROM "Webhook" w
    WHERE w."projectId" = ${event.projectId} AND w."active"
      AND (cardinality(w."eventTypes") = 0 OR ${event.type}::text = ANY (w."eventTypes"))`;
}
