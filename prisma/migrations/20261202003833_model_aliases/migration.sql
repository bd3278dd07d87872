-- AlterTable
ALTER TABLE "Model" ADD COLUMN     "protectedAliases" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "TransitionRequest" ADD COLUMN     "toAlias" TEXT,
ALTER COLUMN "toStage" DROP NOT NULL;

-- CreateTable
CREATE TABLE "ModelAlias" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "setById" TEXT NOT NULL,
    "setAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ModelAlias_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AliasChange" (
    "seq" BIGSERIAL NOT NULL,
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "fromVersionId" TEXT,
    "toVersionId" TEXT,
    "actorId" TEXT NOT NULL,
    "comment" TEXT,
    "transitionRequestId" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),

    CONSTRAINT "AliasChange_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "ModelAlias_modelVersionId_idx" ON "ModelAlias"("modelVersionId");

-- CreateIndex
CREATE UNIQUE INDEX "ModelAlias_modelId_name_key" ON "ModelAlias"("modelId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "AliasChange_id_key" ON "AliasChange"("id");

-- CreateIndex
CREATE INDEX "AliasChange_modelId_seq_idx" ON "AliasChange"("modelId", "seq");

-- CreateIndex
CREATE INDEX "AliasChange_modelId_alias_seq_idx" ON "AliasChange"("modelId", "alias", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "TransitionRequest_one_pending_alias" ON "TransitionRequest"("modelVersionId", "toAlias") WHERE (status = 'PENDING');

-- AddForeignKey
ALTER TABLE "ModelAlias" ADD CONSTRAINT "ModelAlias_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelAlias" ADD CONSTRAINT "ModelAlias_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AliasChange" ADD CONSTRAINT "AliasChange_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AliasChange" ADD CONSTRAINT "AliasChange_fromVersionId_fkey" FOREIGN KEY ("fromVersionId") REFERENCES "ModelVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AliasChange" ADD CONSTRAINT "AliasChange_toVersionId_fkey" FOREIGN KEY ("toVersionId") REFERENCES "ModelVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written: a transition request targets exactly one of a stage or an alias. Prisma's diff does not manage
-- CHECK constraints (neither generates, reports nor drops them).
ALTER TABLE "TransitionRequest" ADD CONSTRAINT "TransitionRequest_one_target"
  CHECK (("toStage" IS NULL) <> ("toAlias" IS NULL));
