// Paging of version searches ordered by a metric or by a field, with our own keyset cursors (domain/cursors.ts).
// Metric order: the versions that have the metric, by (value, number, id) in the asked direction, then those that
// lack it, by (number, id) in the same direction — "without the metric last" either way. Each part is one indexed
// query: ModelVersionMetric's (name, value, number, versionId) index for the first, the versions for the second.
// Paging backward walks the same order reversed (missing ones first) and flips the page back.
import { decodeCursor, encodeCursor, InvalidCursorError, type CursorPart } from "../domain/cursors.ts";
import { soleMetricCondition, type VersionFilter } from "../access/version-filter.ts";
import { Prisma, type Prisma as P } from "../generated/prisma/client.ts";
import type { RequestContext } from "../context.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./builder.ts";
import { badUserInput } from "./text-inputs.ts";

type Direction = "asc" | "desc";
export type VersionOrder =
  | { kind: "metric"; metric: string; direction: Direction }
  | { kind: "field"; field: "number" | "createdAt" | "stageChangedAt"; direction: Direction };

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

interface Position {
  /** The sort value: the metric's value (null: the version lacks it), or the field's value. */
  value: number | Date | null;
  number: number;
  id: string;
}

const flip = (d: Direction): Direction => (d === "asc" ? "desc" : "asc");

/** Rows strictly after `at` in the order (k1 d, k2 d, k3 d), as a Prisma `where` (keyset pagination). */
function after<K extends string>(keys: [K, unknown][], direction: Direction): Record<string, unknown> {
  const cmp = direction === "asc" ? "gt" : "lt";
  const or = keys.map((_, i) => Object.fromEntries(keys.slice(0, i + 1).map(([k, v], j) => [k, j === i ? { [cmp]: v } : v])));
  return { OR: or };
}

function pageSize(args: PageArgs): number {
  const size = args.first ?? args.last ?? DEFAULT_PAGE_SIZE;
  if (size < 0) throw badUserInput([{ path: [args.first != null ? "first" : "last"], message: "must not be negative" }]);
  if (args.first != null && args.last != null) throw badUserInput([{ path: ["last"], message: "pass first or last, not both" }]);
  return Math.min(size, MAX_PAGE_SIZE);
}

async function positionOf(ctx: RequestContext, order: VersionOrder, cursor: string): Promise<Position> {
  const parts: CursorPart[] = decodeCursor(cursor);
  const [value, id] = parts as [CursorPart, CursorPart];
  const fits =
    parts.length === 2 &&
    typeof id === "string" &&
    (order.kind === "metric" ? value === null || typeof value === "number" : order.field === "number" ? typeof value === "number" : value instanceof Date);
  if (!fits) throw new InvalidCursorError(cursor);
  const row = await ctx.prisma.modelVersion.findUnique({ where: { id: id as string }, select: { number: true } });
  if (!row) throw new InvalidCursorError(cursor);
  return { value: value as Position["value"], number: row.number, id: id as string };
}

function cursorOf(order: VersionOrder, p: Position): string {
  return encodeCursor([order.kind === "field" && order.field === "number" ? p.number : p.value, p.id]);
}

/**
 * How many of one model's versions match `filter`, from the metric rows when the filter is one metric condition: an
 * index range of the matching rows (they carry modelId), deleted versions left out by an anti-join on the small index
 * of deleted ones — not a pass over every version of the model. Null for other filters (count the versions then).
 */
export async function countModelVersionsByMetric(ctx: RequestContext, modelId: string, filter: VersionFilter | null | undefined): Promise<number | null> {
  const sole = soleMetricCondition(filter);
  if (!sole) return null;
  const { name, gt, gte, lt, lte } = sole.metric;
  const bound = (op: string, value: number | null | undefined) => (value == null ? Prisma.empty : Prisma.sql` AND m."value" ${Prisma.raw(op)} ${value}`);
  // Written in SQL: Prisma's relation filter becomes a LEFT JOIN to every version, which cannot use the small index.
  const live = sole.includeDeleted ? Prisma.empty : Prisma.sql` AND NOT EXISTS (SELECT 1 FROM "ModelVersion" v WHERE v."id" = m."versionId" AND v."deletedAt" IS NOT NULL)`;
  const [row] = await ctx.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "ModelVersionMetric" m
    WHERE m."modelId" = ${modelId} AND m."name" = ${name}${bound(">", gt)}${bound(">=", gte)}${bound("<", lt)}${bound("<=", lte)}${live}`;
  return row!.n;
}

/** One direction's walk: up to `take` positions after `from` (exclusive; null = from the start). */
async function walk(ctx: RequestContext, where: P.ModelVersionWhereInput, order: VersionOrder, direction: Direction, from: Position | null, take: number, model?: ModelScope): Promise<Position[]> {
  if (take <= 0) return [];
  if (order.kind === "field") {
    const field = order.field;
    const rows = await ctx.prisma.modelVersion.findMany({
      where: from ? { AND: [where, after([[field, field === "number" ? from.number : from.value], ["id", from.id]], direction)] } : where,
      orderBy: [{ [field]: direction }, { id: direction }],
      take,
      select: { id: true, number: true, createdAt: true, stageChangedAt: true },
    });
    return rows.map((r) => ({ value: field === "number" ? r.number : r[field], number: r.number, id: r.id }));
  }
  const name = order.metric;
  // Which part comes first in this walk: forward (the order's own direction) the versions with the metric.
  const withFirst = direction === order.direction;
  const withMetric = async (start: Position | null, n: number) => {
    const rows = await ctx.prisma.modelVersionMetric.findMany({
      where: { ...(model ? { modelId: model.modelId } : {}), name, version: where, ...(start ? after([["value", start.value], ["number", start.number], ["versionId", start.id]], direction) : {}) },
      orderBy: [{ value: direction }, { number: direction }, { versionId: direction }],
      take: n,
      select: { versionId: true, value: true, number: true },
    });
    return rows.map((r) => ({ value: r.value, number: r.number, id: r.versionId }));
  };
  const withoutMetric = async (start: Position | null, n: number) => {
    const rows = await ctx.prisma.modelVersion.findMany({
      where: { AND: [where, { metricRows: { none: { name } } }, ...(start ? [after([["number", start.number], ["id", start.id]], direction)] : [])] },
      orderBy: [{ number: direction }, { id: direction }],
      take: n,
      select: { id: true, number: true },
    });
    return rows.map((r) => ({ value: null, number: r.number, id: r.id }));
  };
  const fromWith = from !== null && from.value !== null;
  const fromWithout = from !== null && from.value === null;
  if (withFirst) {
    // [with …][without …]: a start among the "without" ones skips the first part.
    const first = fromWithout ? [] : await withMetric(from, take);
    return first.length >= take ? first : [...first, ...(await withoutMetric(fromWithout ? from : null, take - first.length))];
  }
  // [without …][with …] (walking backward).
  const first = fromWith ? [] : await withoutMetric(from, take);
  return first.length >= take ? first : [...first, ...(await withMetric(fromWith ? from : null, take - first.length))];
}

/** A list of one model's versions: `where` holds its modelId and filter; the filter, to count it from metric rows. */
export interface ModelScope {
  modelId: string;
  filter: VersionFilter | null | undefined;
}

/**
 * A Relay connection page of the versions matching `where`, in `order`, with compact cursors. `model`: the list is one
 * model's (then its metric rows are walked and counted within the model's range of the metric index).
 */
export async function searchVersionsPage(ctx: RequestContext, where: P.ModelVersionWhereInput, order: VersionOrder, args: PageArgs, model?: ModelScope) {
  if (args.after != null && args.before != null) throw badUserInput([{ path: ["before"], message: "pass after or before, not both" }]);
  const size = pageSize(args);
  const backward = args.last != null || args.before != null;
  const cursor = backward ? args.before : args.after;
  const from = cursor != null ? await positionOf(ctx, order, cursor) : null;
  const walked = await walk(ctx, where, order, backward ? flip(order.direction) : order.direction, from, size + 1, model);
  const more = walked.length > size;
  const positions = walked.slice(0, size);
  if (backward) positions.reverse();
  const rows = positions.length > 0 ? await ctx.prisma.modelVersion.findMany({ where: { id: { in: positions.map((p) => p.id) } } }) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const edges = positions.flatMap((p) => {
    const node = byId.get(p.id);
    return node ? [{ cursor: cursorOf(order, p), node }] : [];
  });
  return {
    edges,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasNextPage: backward ? args.before != null : more,
      hasPreviousPage: backward ? more : args.after != null,
    },
    /** Counted only when selected. */
    get totalCount() {
      return (async () => (model && (await countModelVersionsByMetric(ctx, model.modelId, model.filter))) ?? ctx.prisma.modelVersion.count({ where }))();
    },
  };
}
