// Rows written or read by raw statements (one round trip where Prisma's API would take several), returned in the
// shape Prisma's own calls return, and the ids Prisma would have made for them client-side.
import { randomBytes } from "node:crypto";
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

/** A UUIDv7 in text form, as Prisma's `@default(uuid(7))` makes client-side (time-ordered, then random). */
export function uuid7(): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
