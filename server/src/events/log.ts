import type { Tx } from "../db/transaction.ts";
import { Prisma } from "../generated/prisma/client.ts";

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
 * seq N can never later find a smaller seq appear. Taken by the statement that appends a transaction's events, at
 * its end (so no other lock is taken after it: no deadlock), and held to commit.
 */
const EVENT_LOG_LOCK = 72707371;

/** An audit row as stored (AuditEntry), recorded during a transaction and written with its events. */
export interface NewAuditEntry {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  projectId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  at: Date;
}

/** What a transaction has appended so far; written by `appendStatement`'s statement when its work is done. */
interface Appends {
  events: NewEvent[];
  audit: NewAuditEntry[];
}

const appendsOf = new WeakMap<object, Appends>();

/** Opens the buffer of a transaction (the transaction helper does, before running its work). */
export function beginAppends(tx: object): void {
  appendsOf.set(tx, { events: [], audit: [] });
}

function appendsFor(tx: object): Appends {
  const appends = appendsOf.get(tx);
  // Outside the transaction helper nothing would ever write them: fail loudly rather than lose events.
  if (!appends) throw new Error("events and audit entries are appended only inside transaction() (db/transaction.ts)");
  return appends;
}

/**
 * Takes the event-log lock for the rest of the transaction. Deleting a webhook does, so a delivery is never queued
 * for a webhook that is being deleted (event writers take it in `appendStatement`).
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

/**
 * Appends an event to the caller's transaction, so the log holds exactly the changes that committed. It is written,
 * with its webhook deliveries, when the transaction's work is done (`appendStatement`): its seq does not exist before.
 */
export function appendEvent(tx: Tx, event: NewEvent): void {
  appendsFor(tx).events.push(event);
}

/** Appends an audit row to the caller's transaction, written with its events (so it exists iff the change does). */
export function appendAuditEntry(tx: Tx, entry: NewAuditEntry): void {
  appendsFor(tx).audit.push(entry);
}

/** What the append statement wrote: the highest seq it took, and how many webhook deliveries it queued. */
export interface Flushed {
  seq: bigint;
  deliveries: number;
}

/**
 * The statement writing what the transaction appended (undefined when nothing was), run by the transaction helper
 * as the transaction's last statement: the event-log lock, then the events in the order appended (`n`; their seqs are
 * drawn after the lock: each row of the INSERT joins the lock's row), one delivery per event and active webhook of
 * its project that wants its type (no types: every type), and the audit rows. The lock is thus held from this
 * statement to commit only. Webhooks are locked FOR KEY SHARE: the statement's snapshot predates the wait for the
 * lock, and a webhook deleted meanwhile (deleteWebhook holds the lock) is then skipped instead of seen. Delivery ids
 * are UUIDv7 made in SQL (time-ordered, like the ids Prisma makes). With events, its one row is read by `flushedOf`.
 */
export function appendStatement(tx: object): { sql: Prisma.Sql; events: boolean } | undefined {
  const appends = appendsOf.get(tx);
  if (!appends) return undefined;
  appendsOf.delete(tx);
  const { events, audit } = appends;
  if (events.length === 0 && audit.length === 0) return undefined;
  const auditJson = JSON.stringify(audit.map((a, n) => ({ ...a, before: a.before ?? null, after: a.after ?? null, n })));
  const auditInsert = Prisma.sql`
      INSERT INTO "AuditEntry" ("actorId", "action", "targetType", "targetId", "projectId", "before", "after", "requestId", "at")
      SELECT a."actorId", a."action", a."targetType", a."targetId", a."projectId", a."before", a."after", a."requestId", a."at"
      FROM json_to_recordset(${auditJson}::json) AS a("actorId" text, "action" text, "targetType" text, "targetId" text,
        "projectId" text, "before" jsonb, "after" jsonb, "requestId" text, "at" timestamptz, "n" int)
      ORDER BY a."n"`;
  // Audit-only transactions write their rows without the lock.
  if (events.length === 0) return { sql: auditInsert, events: false };
  const eventJson = JSON.stringify(
    events.map((e, n) => ({
      n,
      projectId: e.projectId,
      type: e.type,
      actorId: e.actorId,
      modelId: e.modelId ?? null,
      modelVersionId: e.modelVersionId ?? null,
      payload: e.payload ?? {},
    })),
  );
  const sql = Prisma.sql`
    WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK})),
    appended AS (
      INSERT INTO "Event" ("projectId", "type", "actorId", "modelId", "modelVersionId", "payload")
      SELECT e."projectId", e."type", e."actorId", e."modelId", e."modelVersionId", e."payload"
      FROM locked, json_to_recordset(${eventJson}::json) AS e("projectId" text, "type" text, "actorId" text,
        "modelId" text, "modelVersionId" text, "payload" jsonb, "n" int)
      ORDER BY e."n"
      RETURNING "seq", "projectId", "type"),
    hooks AS (
      SELECT w."id", w."projectId", w."eventTypes"
      FROM locked, "Webhook" w
      WHERE w."active" AND w."projectId" IN (SELECT DISTINCT "projectId" FROM appended)
      FOR KEY SHARE OF w),
    queued AS (
      INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventSeq")
      SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
               PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
             52, 1), 53, 1), 'hex')::uuid::text,
             h."id", a."seq"
      FROM appended a JOIN hooks h ON h."projectId" = a."projectId" AND (cardinality(h."eventTypes") = 0 OR a."type" = ANY (h."eventTypes"))
      RETURNING 1)${audit.length > 0 ? Prisma.sql`,
    audited AS (${auditInsert} RETURNING 1)` : Prisma.empty}
    SELECT max("seq")::text AS "seq", (SELECT count(*) FROM queued)::int AS "deliveries" FROM appended`;
  return { sql, events: true };
}

/** What the append statement (with events) returned: its one row, as the driver gives it (values in column order). */
export function flushedOf(row: readonly unknown[]): Flushed {
  return { seq: BigInt(String(row[0])), deliveries: Number(row[1]) };
}
