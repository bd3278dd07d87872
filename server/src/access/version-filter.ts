// The one translation of a ModelVersionFilter (the public search input) into a Prisma `where`. Every list of
// versions (model.versions, project.modelVersions, the root modelVersions search) uses it; visibility and scope
// are ANDed by the caller. To add a condition, add its field to VersionFilter and one clause to `conditions`.
import { ValidationError } from "../domain/errors.ts";
import { MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH } from "../domain/rules.ts";
import type { Prisma as P } from "../generated/prisma/client.ts";

type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";

/** A condition on one metric; a version without the metric never matches. */
export interface MetricCondition {
  name: string;
  gt?: number | null;
  gte?: number | null;
  lt?: number | null;
  lte?: number | null;
}

export interface VersionFilter {
  stages?: readonly Stage[] | null;
  /** One tag (kept for older clients); ANDed with `tags`. */
  tag?: { key: string; value: string } | null;
  /** Every tag must match. */
  tags?: readonly { key: string; value: string }[] | null;
  /** Every condition must hold. */
  metrics?: readonly MetricCondition[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  hasResource?: boolean | null;
  /** Top level only: include soft-deleted versions. */
  includeDeleted?: boolean | null;
  /** At least one sub-filter must match (ANDed with the rest of this filter). */
  anyOf?: readonly VersionFilter[] | null;
  /** The version carries at least one of these aliases. */
  aliases?: readonly string[] | null;
  /** The version is live (DEPLOYED) in this environment now. */
  environment?: string | null;
}

/** Refuses filters nested deeper than MAX_FILTER_DEPTH or holding more than MAX_FILTER_CONDITIONS conditions. */
export function checkVersionFilter(filter: VersionFilter | null | undefined, path: string[] = ["filter"]): void {
  let count = 0;
  const walk = (f: VersionFilter, depth: number, at: string[]) => {
    if (depth > MAX_FILTER_DEPTH) throw ValidationError.single(at, `anyOf may nest at most ${MAX_FILTER_DEPTH - 1} levels`);
    count += (f.tags?.length ?? 0) + (f.metrics?.length ?? 0) + (f.anyOf?.length ?? 0) + (f.aliases?.length ?? 0) + (f.tag ? 1 : 0) + (f.environment != null ? 1 : 0);
    if (count > MAX_FILTER_CONDITIONS) throw ValidationError.single(path, `a filter may hold at most ${MAX_FILTER_CONDITIONS} conditions`);
    for (const [i, m] of (f.metrics ?? []).entries()) {
      if ([m.gt, m.gte, m.lt, m.lte].some((v) => v != null && !Number.isFinite(v))) throw ValidationError.single([...at, "metrics", String(i)], "bounds must be finite numbers");
    }
    f.anyOf?.forEach((sub, i) => walk(sub, depth + 1, [...at, "anyOf", String(i)]));
  };
  if (filter) walk(filter, 1, path);
}

const bounds = (m: MetricCondition) => ({
  ...(m.gt != null ? { gt: m.gt } : {}),
  ...(m.gte != null ? { gte: m.gte } : {}),
  ...(m.lt != null ? { lt: m.lt } : {}),
  ...(m.lte != null ? { lte: m.lte } : {}),
});

/**
 * The filter's one metric condition when that is all it asks (nothing else but `includeDeleted`), else null: then the
 * metric rows alone say which versions match.
 */
export function soleMetricCondition(filter: VersionFilter | null | undefined): { metric: MetricCondition; includeDeleted: boolean } | null {
  if (!filter || filter.metrics?.length !== 1) return null;
  const { metrics, includeDeleted, ...rest } = filter;
  if (Object.values(rest).some((v) => v != null)) return null;
  checkVersionFilter(filter);
  return { metric: metrics[0]!, includeDeleted: includeDeleted === true };
}

/** The conditions of one filter level (without the deleted-version rule, which only the top level sets). */
function conditions(filter: VersionFilter): P.ModelVersionWhereInput[] {
  const and: P.ModelVersionWhereInput[] = [];
  if (filter.stages) and.push({ stage: { in: [...filter.stages] } });
  for (const tag of [...(filter.tag ? [filter.tag] : []), ...(filter.tags ?? [])]) and.push({ tags: { path: [tag.key], equals: tag.value } });
  for (const m of filter.metrics ?? []) and.push({ metricRows: { some: { name: m.name, value: bounds(m) } } });
  if (filter.createdAfter) and.push({ createdAt: { gte: filter.createdAfter } });
  if (filter.createdBefore) and.push({ createdAt: { lt: filter.createdBefore } });
  if (filter.hasResource != null) and.push({ resourceId: filter.hasResource ? { not: null } : null });
  if (filter.aliases) and.push({ aliases: { some: { name: { in: [...filter.aliases] } } } });
  if (filter.environment != null) and.push({ deployments: { some: { environment: filter.environment, status: "DEPLOYED" } } });
  if (filter.anyOf) and.push({ OR: filter.anyOf.map((sub) => ({ AND: conditions(sub) })) });
  return and;
}

/** Prisma `where` of a version filter. Deleted versions are left out unless `includeDeleted`. */
export function modelVersionWhere(filter: VersionFilter | null | undefined): P.ModelVersionWhereInput {
  checkVersionFilter(filter);
  const and = filter ? conditions(filter) : [];
  return { ...(filter?.includeDeleted ? {} : { deletedAt: null }), ...(and.length > 0 ? { AND: and } : {}) };
}
