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
  "TRANSITION_REQUESTED",
  "TRANSITION_DECIDED",
  "RESOURCE_READY",
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

/** Appends an event in the caller's transaction, so the log holds exactly the changes that committed. */
export async function appendEvent(tx: Tx, event: NewEvent): Promise<void> {
  await tx.event.create({
    data: {
      projectId: event.projectId,
      type: event.type,
      actorId: event.actorId,
      modelId: event.modelId ?? null,
      modelVersionId: event.modelVersionId ?? null,
      payload: (event.payload ?? {}) as object,
    },
  });
}
