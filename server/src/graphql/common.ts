// Scalars, enums and small shared shapes of the public schema.
import { GraphQLError, Kind } from "graphql";
import { fromMap, metricsFromMap, type KeyValue, type NamedValue } from "../domain/rules.ts";
import { builder } from "./builder.ts";

builder.scalarType("DateTime", {
  description: "An instant, as an ISO-8601 string with a time zone (e.g. 2026-01-31T12:00:00.000Z).",
  serialize: (value) => (value as Date).toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

function parseDate(value: unknown): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError("DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z");
  }
  return new Date(value);
}

builder.scalarType("BigInt", {
  description: "A 64-bit integer (byte sizes), sent as a decimal string so no client loses precision.",
  serialize: (value) => String(value),
  parseValue: (value) => parseBigInt(value),
  parseLiteral: (ast) => parseBigInt(ast.kind === Kind.STRING || ast.kind === Kind.INT ? ast.value : null),
});

function parseBigInt(value: unknown): bigint {
  if ((typeof value === "string" && /^-?\d{1,19}$/.test(value)) || (typeof value === "number" && Number.isSafeInteger(value))) {
    const n = BigInt(value);
    if (n <= 9223372036854775807n && n >= -9223372036854775808n) return n;
  }
  throw new GraphQLError("BigInt must be an integer (as a decimal string or a safe JSON number) within 64 bits");
}

export const StageEnum = builder.enumType("ModelVersionStage", {
  description: "Where a version stands: NONE → STAGING → PRODUCTION → ARCHIVED.",
  values: {
    NONE: { description: "Registered, not staged." },
    STAGING: { description: "Being validated." },
    PRODUCTION: { description: "Serving; at most one per model." },
    ARCHIVED: { description: "Retired; can return to STAGING or (rollback) PRODUCTION." },
  } as const,
});

export const ObjectStatusEnum = builder.enumType("ObjectStatus", {
  description: "Lifecycle of projects, experiments and models.",
  values: {
    ACTIVE: { description: "In use." },
    DEPRECATED: { description: "Still usable, hidden from default lists; reads carry a warning." },
    ARCHIVED: { description: "Read-only, hidden from lists, not found by name; its name is free again." },
  } as const,
});

export const SettableStatusEnum = builder.enumType("SettableObjectStatus", {
  description: "Statuses an update may set (archive with the archive mutations).",
  values: { ACTIVE: { description: "Lift a deprecation." }, DEPRECATED: { description: "Deprecate." } } as const,
});

export const OrderDirectionEnum = builder.enumType("OrderDirection", {
  description: "Sort direction.",
  values: { ASC: { description: "Ascending." }, DESC: { description: "Descending." } } as const,
});

export const KeyValueRef = builder.objectRef<KeyValue>("KeyValue").implement({
  description: "An entry of a string map (tags, params).",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The key." }),
    value: t.exposeString("value", { description: "The value." }),
  }),
});

export const KeyValueInput = builder.inputType("KeyValueInput", {
  description: "An entry of a string map. Tags: at most 64, key ≤ 128 characters, value ≤ 4,096.",
  fields: (t) => ({
    key: t.string({ required: true, description: "The key." }),
    value: t.string({ required: true, description: "The value." }),
  }),
});

export const MetricRef = builder.objectRef<NamedValue>("Metric").implement({
  description: "A named numeric value.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Metric name." }),
    value: t.exposeFloat("value", { description: "Metric value." }),
  }),
});

export const MetricInput = builder.inputType("MetricInput", {
  description: "A named numeric value.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Metric name (≤ 255 characters)." }),
    value: t.float({ required: true, description: "A finite number." }),
  }),
});

export const TagFilterInput = builder.inputType("TagFilter", {
  description: "Matches objects whose tag `key` has exactly `value`.",
  fields: (t) => ({
    key: t.string({ required: true, description: "Tag key." }),
    value: t.string({ required: true, description: "Tag value." }),
  }),
});

export const NamedObjectFilter = builder.inputType("NamedObjectFilter", {
  description: "Filters projects, experiments or models. By default only ACTIVE objects are listed.",
  fields: (t) => ({
    status: t.field({ type: [ObjectStatusEnum], description: "Statuses to include (default [ACTIVE])." }),
    nameContains: t.string({ description: "Case-insensitive substring of the name." }),
    tag: t.field({ type: TagFilterInput, description: "Only objects with this tag." }),
  }),
});

export const NamedObjectOrderField = builder.enumType("NamedObjectOrderField", {
  description: "Sort keys of projects, experiments and models.",
  values: {
    NAME: { value: "name", description: "By name." },
    CREATED_AT: { value: "createdAt", description: "By creation time." },
    UPDATED_AT: { value: "updatedAt", description: "By last change." },
  } as const,
});

export const NamedObjectOrder = builder.inputType("NamedObjectOrder", {
  description: "Sort order (default: NAME ASC).",
  fields: (t) => ({
    field: t.field({ type: NamedObjectOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: "ASC", description: "Direction." }),
  }),
});

type Direction = "ASC" | "DESC";

/**
 * Prisma turns case-insensitive `equals` and `contains` into PostgreSQL ILIKE without escaping its wildcards, so a
 * name with `_` would match other names ("a_c" finds "abc") and "%" any name. Every such filter on user input goes
 * through these, which escape `\`, `%` and `_` (ILIKE's default escape character is the backslash).
 */
const likeLiteral = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Prisma `where` on a name: equal to `name`, ignoring case. */
export const nameEquals = (name: string) => ({ equals: likeLiteral(name), mode: "insensitive" as const });

/** Prisma `where` on a name: contains `text`, ignoring case. */
export const nameContains = (text: string) => ({ contains: likeLiteral(text), mode: "insensitive" as const });

/** Prisma `where` of a NamedObjectFilter: hides deprecated and archived objects unless asked. */
export function namedObjectWhere(filter: { status?: readonly string[] | null; nameContains?: string | null; tag?: { key: string; value: string } | null } | null | undefined) {
  return {
    status: { in: (filter?.status ?? ["ACTIVE"]) as ("ACTIVE" | "DEPRECATED" | "ARCHIVED")[] },
    ...(filter?.nameContains ? { name: nameContains(filter.nameContains) } : {}),
    ...tagWhere(filter?.tag),
  };
}

/** Prisma `orderBy` with the id as tie-breaker, so cursors are stable. */
export function orderBy<F extends string>(order: { field: F; direction?: Direction | null } | null | undefined, fallback: F) {
  const direction = (order?.direction ?? "ASC") === "ASC" ? ("asc" as const) : ("desc" as const);
  return [{ [order?.field ?? fallback]: direction }, { id: direction }] as { [K in F | "id"]?: "asc" | "desc" }[];
}

/** Prisma `where` for a JSON tag map. */
export function tagWhere(tag: { key: string; value: string } | null | undefined) {
  return tag ? { tags: { path: [tag.key], equals: tag.value } } : {};
}

export const tagsField = (map: unknown) => fromMap(map);
export const metricsField = (map: unknown) => metricsFromMap(map);

export const DeploymentStatusEnum = builder.enumType("DeploymentStatus", {
  description: "Where a deployment attempt stands: PENDING → DEPLOYING → DEPLOYED | FAILED; DEPLOYED → RETIRED when replaced.",
  values: {
    PENDING: { description: "Planned, not started." },
    DEPLOYING: { description: "In progress." },
    DEPLOYED: { description: "Live in its environment; at most one per model and environment." },
    FAILED: { description: "The attempt failed (see its message)." },
    RETIRED: { description: "Was live; another deployment to the environment replaced it (set by the registry, never reported)." },
  } as const,
});
