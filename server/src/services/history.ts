import type { Prisma } from "../db/database.ts";
import type { Tx } from "../db/transaction.ts";
import type { Stage, StagePast } from "../domain/stages.ts";

/**
 * The id of the version that held `stage` at instant `at`: among the versions whose last transition at or
 * before `at` entered `stage`, the one that entered it last. NONE also counts versions with no transition yet.
 */
export async function versionHolding(prisma: Prisma, modelId: string, stage: Stage, at: Date): Promise<string | null> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    WITH last_move AS (
      SELECT DISTINCT ON ("modelVersionId") "modelVersionId", "toStage", "seq"
      FROM "StageTransition"
      WHERE "modelId" = ${modelId} AND "at" <= ${at}
      ORDER BY "modelVersionId", "seq" DESC
    )
    SELECT v."id"
    FROM "ModelVersion" v
    LEFT JOIN last_move m ON m."modelVersionId" = v."id"
    WHERE v."modelId" = ${modelId}
      AND v."createdAt" <= ${at}
      AND COALESCE(m."toStage"::text, 'NONE') = ${stage}
    ORDER BY m."seq" DESC NULLS LAST, v."number" DESC
    LIMIT 1`;
  return rows[0]?.id ?? null;
}

/** What a version's recorded transitions say about its past: the stages it has entered at least once. */
export async function stagePastOf(db: Prisma | Tx, modelVersionId: string): Promise<StagePast> {
  const rows = await db.stageTransition.findMany({ where: { modelVersionId }, select: { toStage: true }, distinct: ["toStage"] });
  return { entered: rows.map((r) => r.toStage) };
}
