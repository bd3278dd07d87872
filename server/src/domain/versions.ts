// Rules on a model version's content (DESIGN.md §1 "Model versions"). No I/O.
import { createHash } from "node:crypto";
import { FrozenVersionError } from "./errors.ts";
import { hasLeftNone, type Stage, type StagePast } from "./stages.ts";

/** What a reviewer looked at: once a version has left NONE these cannot change. Named as the input fields. */
export const REVIEWED_FIELDS = ["resourceId", "iterationId", "parentVersionId", "metrics"] as const;
export type ReviewedField = (typeof REVIEWED_FIELDS)[number];

/** A version's reviewed content, with database ids and metrics as a name → value map. */
export interface ReviewedContent {
  resourceId: string | null;
  iterationId: string | null;
  parentVersionId: string | null;
  metrics: Record<string, number>;
}

/** The reviewed fields an update would really change (a field sent with its current value changes nothing). */
export function changedReviewedFields(current: ReviewedContent, requested: Partial<ReviewedContent>): ReviewedField[] {
  return REVIEWED_FIELDS.filter((field) => {
    const next = requested[field];
    if (next === undefined) return false;
    if (field === "metrics") return canonicalJson(next) !== canonicalJson(current.metrics);
    return next !== current[field];
  });
}

/**
 * Throws FrozenVersionError when `changed` is not empty and the version has ever left NONE: what was reviewed
 * (or deployed, or archived as evidence) must stay what it was. A version moved back to NONE stays frozen.
 */
export function assertReviewedContentMayChange(stage: Stage, past: StagePast, changed: readonly ReviewedField[]): void {
  if (changed.length > 0 && hasLeftNone(stage, past)) throw new FrozenVersionError(changed, stage);
}

/**
 * Fingerprint of a createModelVersion input, for idempotency keys (as Stripe does): sha256 of a canonical JSON of
 * what the version is made of, after defaults (absent description = "", absent tags/metrics = empty), with
 * database ids and map keys sorted, so equal requests hash equally whatever their field or tag order.
 */
export function createVersionFingerprint(input: {
  modelId: string;
  iterationId: string | null;
  resourceId: string | null;
  parentVersionId: string | null;
  description: string;
  tags: Record<string, string>;
  metrics: Record<string, number>;
}): string {
  return createHash("sha256").update(canonicalJson(input)).digest("hex");
}

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
