import { Prisma as PrismaNamespace } from "../generated/prisma/client.ts";
import { appendStatement, beginAppends, flushedOf, type Flushed } from "../events/log.ts";
import type { Prisma } from "./database.ts";
import { driverQuery, prismaError, rawOnDriver, withDriverTransaction, type DriverTransaction } from "./driver.ts";

/** The client handed to code running inside a transaction. */
export type Tx = PrismaNamespace.TransactionClient;

const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]); // serialization failure, deadlock
const MAX_ATTEMPTS = 5;

const commitListeners = new WeakMap<object, (flushed: Flushed) => void>();
const accessListeners = new WeakMap<object, () => void>();
const accessChangedBy = new WeakSet<object>();

/** Registers who hears, after commit, that a transaction of this client revoked tokens or deactivated users. */
export function onAccessChanged(prisma: Prisma, listener: () => void): void {
  accessListeners.set(prisma, listener);
}

/** Marks the transaction as taking access away: once it commits, open subscriptions everywhere are re-checked. */
export function markAccessChanged(tx: Tx): void {
  accessChangedBy.add(tx);
}

/**
 * Registers who hears, after commit, that a transaction of this client appended events (the event bus), up to which
 * seq, and how many webhook deliveries it queued (this process's webhook worker).
 */
export function onEventsCommitted(prisma: Prisma, listener: (flushed: Flushed) => void): void {
  commitListeners.set(prisma, listener);
}

/**
 * The one way services write: runs `work` in an interactive transaction, retrying it when PostgreSQL
 * aborts it for a serialization failure or a deadlock. Everything `work` does commits together or not at all.
 * The events and audit rows `work` appended are written when it is done, in one statement that takes the
 * event-log lock (events/log.ts `appendStatement`), so that global lock is held for that statement and COMMIT only.
 * Raw statements (`tx.$queryRaw`, `tx.$executeRaw`) and that last one are sent on the transaction's own connection,
 * past Prisma's query interpreter, and COMMIT as soon as the last returns (db/driver.ts): the model's row lock and
 * the event-log lock are not held across Prisma's handling of them.
 * Once a transaction that appended events has committed, the event bus is told.
 */
export async function transaction<T>(prisma: Prisma, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      let flushed: Flushed | undefined;
      let accessChanged = false;
      const result = await withDriverTransaction((driver) =>
        prisma.$transaction(async (prismaTx) => {
          // Every client is opened on a tracked adapter (db/database.ts): without one, the helper cannot commit.
          const onDriver = driver();
          if (!onDriver) throw new Error("transaction(): the driver's transaction was not found (adapter not wrapped by trackTransactions)");
          const tx = rawOnDriver(prismaTx, onDriver);
          beginAppends(tx);
          const value = await work(tx);
          accessChanged = accessChangedBy.has(tx);
          flushed = await finish(tx, onDriver);
          return value;
        }),
      );
      if (flushed !== undefined) commitListeners.get(prisma)?.(flushed);
      if (accessChanged) accessListeners.get(prisma)?.();
      return result;
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
  }
}

/** Sends the append statement, then COMMIT, straight from the driver's answer to it. */
async function finish(tx: Tx, driver: DriverTransaction): Promise<Flushed | undefined> {
  const append = appendStatement(tx);
  if (!append) {
    await driver.commitNow();
    return undefined;
  }
  const result = await driver.query(driverQuery(append.sql)).catch(prismaError);
  await driver.commitNow();
  return append.events ? flushedOf(result.rows[0]!) : undefined;
}

/**
 * True when a unique constraint or unique index rejected the write: Prisma's P2002 on both adapters, or a raw
 * statement's failure (P2010) with PostgreSQL's unique_violation (23505).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof PrismaNamespace.PrismaClientKnownRequestError)) return false;
  if (error.code === "P2002") return true;
  const cause = (error.meta as { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } } | undefined)?.driverAdapterError?.cause;
  return error.code === "P2010" && (cause?.kind === "UniqueConstraintViolation" || cause?.originalCode === "23505" || error.message.includes("Code: `23505`"));
}

function isRetryable(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${JSON.stringify((error as { meta?: unknown }).meta ?? {})}` : "";
  return [...RETRYABLE_SQLSTATES].some((code) => text.includes(code)) || /deadlock detected|could not serialize/i.test(text);
}
