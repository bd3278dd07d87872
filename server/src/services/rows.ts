// Rows written or read by raw statements (one round trip where Prisma's API would take several), returned in the
// shape Prisma's own calls return (their ids: domain/ids.ts uuid7).
import { Prisma } from "../generated/prisma/client.ts";

/**
 * ModelVersion's columns as `tx.modelVersion.findUnique` returns them (the stage as text, as Prisma maps the enum),
 * for a row named `alias` in the statement. Keep in step with prisma/schema.prisma.
 */
export function versionColumns(alias: string, prefix = ""): Prisma.Sql {
  return columns(alias, prefix, [
    "id",
    "projectId",
    "modelId",
    "number",
    ["stage", "::text"],
    "description",
    "tags",
    "metrics",
    "iterationId",
    "resourceId",
    "parentVersionId",
    "idempotencyKey",
    "idempotencyInputHash",
    "createdById",
    "createdAt",
    "updatedAt",
    "stageChangedAt",
    "deletedAt",
  ]);
}

/** Model's columns as `tx.model.findUnique` returns them (enums as text). Keep in step with prisma/schema.prisma. */
export function modelColumns(alias: string, prefix = ""): Prisma.Sql {
  return columns(alias, prefix, [
    "id",
    "projectId",
    "name",
    "description",
    ["status", "::text"],
    "tags",
    ["requireApprovalFor", "::text[]"],
    "protectedAliases",
    "nextVersionNumber",
    "createdById",
    "createdAt",
    "updatedAt",
  ]);
}

/**
 * Columns of the row named `alias`, each named `prefix` + its name (a prefix tells apart two tables' rows read by one
 * statement: `unprefixed` takes one back out); a pair adds a cast.
 */
function columns(alias: string, prefix: string, names: (string | [string, string])[]): Prisma.Sql {
  return Prisma.raw(
    names
      .map((entry) => {
        const [name, cast] = typeof entry === "string" ? [entry, ""] : entry;
        return `"${alias}"."${name}"${cast} AS "${prefix}${name}"`;
      })
      .join(", "),
  );
}

/** The fields of `row` named `prefix` + a name, under their names (the other half of `columns`' prefix). */
export function unprefixed<T>(row: Record<string, unknown>, prefix: string): T {
  const out: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = row[key];
  return out as T;
}
