-- AlterTable (hand-edited: added nullable, backfilled from the versions, then NOT NULL, so existing rows migrate)
ALTER TABLE "ModelVersionMetric" ADD COLUMN     "modelId" TEXT;
UPDATE "ModelVersionMetric" m SET "modelId" = v."modelId" FROM "ModelVersion" v WHERE v."id" = m."versionId";
ALTER TABLE "ModelVersionMetric" ALTER COLUMN "modelId" SET NOT NULL;

-- CreateIndex
CREATE INDEX "ModelVersion_deleted" ON "ModelVersion"("id") WHERE ("deletedAt" IS NOT NULL);

-- CreateIndex
CREATE INDEX "ModelVersionMetric_modelId_name_value_number_versionId_idx" ON "ModelVersionMetric"("modelId", "name", "value", "number", "versionId");
