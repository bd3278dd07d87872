import { Prisma as PrismaNamespace } from "../generated/prisma/client.ts";
import type { Prisma } from "./database.ts";

/** The client handed to code running inside a transaction. */
export type Tx = PrismaNamespace.TransactionClient;

const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]); // serialization failure, deadlock
const MAX_ATTEMPTS = 5;

/**
 * The one way services write: runs `work` in an interactive transaction, retrying it when PostgreSQL
 * aborts it for a serialization failure or a deadlock. Everything `work` does commits together or not at all.
 */
export async function transaction<T>(prisma: Prisma, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work);
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
  }
}

/** True when a unique constraint or unique index rejected the write (Prisma P2002 on both adapters). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof PrismaNamespace.PrismaClientKnownRequestError && error.code === "P2002";
}

function isRetryable(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${JSON.stringify((error as { meta?: unknown }).meta ?? {})}` : "";
  return [...RETRYABLE_SQLSTATES].some((code) => text.includes(code)) || /deadlock detected|could not serialize/i.test(text);
}
