import type { Prisma } from "../db/database.ts";
import type { Tx } from "../db/transaction.ts";
import type { Stage, StagePast } from "../domain/stages.ts";

/**
 * The id of the version that held `stage` at instant `at`: among the versions whose last transition at or
 * before `at` entered `stage`, the one that entered it last. NONE also counts versions with no transition yet
 * (after those that moved back to NONE, newest first).
 * Walks the model's transitions newest first and stops at the first that is still its version's last move, so the
 * cost follows the transitions after `at`, not the model's versions.
 */
export async function versionHolding(prisma: Prisma, modelId: string, stage: Stage, at: Date): Promise<string | null> {
  const moved = await prisma.$queryRaw<{ id: string }[]>`
    SELECT t."modelVersionId" AS "id"
    FROM "StageTransition" t
    JOIN "ModelVersion" v ON v."id" = t."modelVersionId" AND v."createdAt" <= ${at}
    WHERE t."modelId" = ${modelId} AND t."toStage"::text = ${stage} AND t."at" <= ${at}
      AND NOT EXISTS (
        SELECT 1 FROM "StageTransition" l WHERE l."modelVersionId" = t."modelVersionId" AND l."seq" > t."seq" AND l."at" <= ${at})
    ORDER BY t."seq" DESC
    LIMIT 1`;
  if (moved[0] || stage !== "NONE") return moved[0]?.id ?? null;
  const unmoved = await prisma.$queryRaw<{ id: string }[]>`
    SELECT v."id"
    FROM "ModelVersion" v
    WHERE v."modelId" = ${modelId} AND v."createdAt" <= ${at}
      AND NOT EXISTS (SELECT 1 FROM "StageTransition" l WHERE l."modelVersionId" = v."id" AND l."at" <= ${at})
    ORDER BY v."number" DESC
    LIMIT 1`;
  return unmoved[0]?.id ?? null;
}

/** What a version's recorded transitions say about its past: the stages it has entered at least once. */
export async function stagePastOf(db: Prisma | Tx, modelVersionId: string): Promise<StagePast> {
  const rows = await db.stageTransition.findMany({ where: { modelVersionId }, select: { toStage: true }, distinct: ["toStage"] });
  return { entered: rows.map((r) => r.toStage) };
}
