import { encodeGlobalId } from "../domain/ids.ts";
import type { Tx } from "../db/transaction.ts";
import { appendAuditEntry } from "../events/log.ts";
import type { ServiceContext } from "./context.ts";

export interface AuditRecord {
  action: string;
  targetType: string;
  targetId: string;
  projectId?: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Records one successful mutation in the mutation's own transaction (so it exists iff the change does): appended
 * to the transaction's buffer and written with its events in one statement when its work is done.
 */
export function audit(tx: Tx, ctx: ServiceContext, record: AuditRecord): void {
  appendAuditEntry(tx, {
    actorId: ctx.viewer.userId,
    action: record.action,
    targetType: record.targetType,
    targetId: encodeGlobalId(record.targetType, record.targetId),
    projectId: record.projectId ?? null,
    before: toJson(record.before),
    after: toJson(record.after),
    requestId: ctx.requestId ?? null,
    at: new Date(),
  });
}

/** Rows as JSON: BigInt as strings, secrets never included. */
function toJson(value: unknown): object | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === "tokenHash" || key === "secret") return undefined;
      return typeof v === "bigint" ? String(v) : v;
    }),
  ) as object;
}
