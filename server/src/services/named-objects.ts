// Rules shared by the three named objects (Project, Experiment, Model): status, archive, name conflicts.
import { ArchivedObjectError, NameConflictError } from "../domain/errors.ts";
import { encodeGlobalId } from "../domain/ids.ts";
import { isUniqueViolation } from "../db/transaction.ts";

export type NamedKind = "Project" | "Experiment" | "Model";

/** Archived objects are read-only. */
export function assertNotArchived(kind: NamedKind, object: { id: string; status: string }): void {
  if (object.status === "ARCHIVED") throw new ArchivedObjectError(kind, encodeGlobalId(kind, object.id));
}

/**
 * Runs a write that may collide with the case-insensitive unique name index, turning the collision into
 * a NameConflictError. The index, not a prior read, is what guarantees uniqueness under concurrency.
 */
export async function withNameGuard<T>(kind: NamedKind, name: string | undefined | null, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (name != null && isUniqueViolation(error)) throw new NameConflictError(kind, name);
    throw error;
  }
}
