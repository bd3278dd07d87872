-- CreateTable
CREATE TABLE "ModelVersionMetric" (
    "versionId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "number" INTEGER NOT NULL,

    CONSTRAINT "ModelVersionMetric_pkey" PRIMARY KEY ("versionId","name")
);

-- CreateIndex
CREATE INDEX "ModelVersionMetric_name_value_number_versionId_idx" ON "ModelVersionMetric"("name", "value", "number", "versionId");

-- AddForeignKey
ALTER TABLE "ModelVersionMetric" ADD CONSTRAINT "ModelVersionMetric_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "ModelVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: the rows of the versions registered so far, from their metrics maps.
INSERT INTO "ModelVersionMetric" ("versionId", "name", "value", "number")
SELECT v."id", m.key, (m.value #>> '{}')::double precision, v."number"
FROM "ModelVersion" v, jsonb_each(v."metrics") AS m
WHERE jsonb_typeof(m.value) = 'number';
