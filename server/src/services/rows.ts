// Rows written or read by raw statements (one round trip where Prisma's API would take several), returned in the
// shape Prisma's own calls return (their ids: domain/ids.ts uuid7).
import { Prisma } from "../generated/prisma/client.ts";

/**
 * ModelVersion's columns as `tx.modelVersion.findUnique` returns them (the stage as text, as Prisma maps the enum),
 * for a row named `alias` in the statement. Keep in step with prisma/schema.prisma.
 */
export function versionColumns(alias: string): Prisma.Sql {
  const a = `"${alias}"`;
  return Prisma.raw(
    [
      `${a}."id"`,
      `${a}."projectId"`,
      `${a}."modelId"`,
      `${a}."number"`,
      `${a}."stage"::text AS "stage"`,
      `${a}."description"`,
      `${a}."tags"`,
      `${a}."metrics"`,
      `${a}."iterationId"`,
      `${a}."resourceId"`,
      `${a}."parentVersionId"`,
      `${a}."idempotencyKey"`,
      `${a}."idempotencyInputHash"`,
      `${a}."createdById"`,
      `${a}."createdAt"`,
      `${a}."updatedAt"`,
      `${a}."stageChangedAt"`,
      `${a}."deletedAt"`,
    ].join(", "),
  );
}
