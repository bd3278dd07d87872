-- CreateEnum
CREATE TYPE "DeploymentStatus" AS ENUM ('PENDING', 'DEPLOYING', 'DEPLOYED', 'FAILED', 'RETIRED');

-- CreateTable
CREATE TABLE "Deployment" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "status" "DeploymentStatus" NOT NULL,
    "message" TEXT,
    "reportedById" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),
    "finishedAt" TIMESTAMPTZ(3),
    "retiredAt" TIMESTAMPTZ(3),

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelLog" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "modelVersionId" TEXT,
    "message" TEXT NOT NULL,
    "success" BOOLEAN NOT NULL,
    "actorId" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT clock_timestamp(),

    CONSTRAINT "ModelLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Deployment_modelId_startedAt_idx" ON "Deployment"("modelId", "startedAt");

-- CreateIndex
CREATE INDEX "Deployment_modelId_environment_startedAt_idx" ON "Deployment"("modelId", "environment", "startedAt");

-- CreateIndex
CREATE INDEX "Deployment_modelVersionId_startedAt_idx" ON "Deployment"("modelVersionId", "startedAt");

-- CreateIndex
CREATE INDEX "Deployment_projectId_idx" ON "Deployment"("projectId");

-- CreateIndex
CREATE UNIQUE INDEX "Deployment_one_live_per_environment" ON "Deployment"("modelId", "environment") WHERE (status = 'DEPLOYED');

-- CreateIndex
CREATE UNIQUE INDEX "Deployment_one_open_attempt" ON "Deployment"("modelVersionId", "environment") WHERE (status IN ('PENDING', 'DEPLOYING'));

-- CreateIndex
CREATE INDEX "ModelLog_modelId_at_idx" ON "ModelLog"("modelId", "at");

-- CreateIndex
CREATE INDEX "ModelLog_modelVersionId_at_idx" ON "ModelLog"("modelVersionId", "at");

-- CreateIndex
CREATE INDEX "ModelLog_projectId_idx" ON "ModelLog"("projectId");

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelLog" ADD CONSTRAINT "ModelLog_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelLog" ADD CONSTRAINT "ModelLog_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelLog" ADD CONSTRAINT "ModelLog_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;
