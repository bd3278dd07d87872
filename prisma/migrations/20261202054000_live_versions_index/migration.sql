-- CreateIndex
CREATE INDEX "ModelVersion_live_by_model" ON "ModelVersion"("modelId") WHERE ("deletedAt" IS NULL);
