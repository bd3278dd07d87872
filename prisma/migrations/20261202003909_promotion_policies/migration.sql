-- CreateTable
CREATE TABLE "PromotionPolicy" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "targetStage" "ModelVersionStage",
    "targetAlias" TEXT,
    "approvals" INTEGER NOT NULL DEFAULT 0,
    "metricGates" JSONB NOT NULL DEFAULT '[]',
    "mustBeatIncumbent" JSONB NOT NULL DEFAULT '[]',
    "requireResource" BOOLEAN NOT NULL DEFAULT false,
    "createdById" TEXT NOT NULL,
    "updatedById" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "PromotionPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TransitionApproval" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "approverId" TEXT NOT NULL,
    "comment" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TransitionApproval_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PromotionPolicy_modelId_targetStage_key" ON "PromotionPolicy"("modelId", "targetStage");

-- CreateIndex
CREATE UNIQUE INDEX "PromotionPolicy_modelId_targetAlias_key" ON "PromotionPolicy"("modelId", "targetAlias");

-- CreateIndex
CREATE UNIQUE INDEX "TransitionApproval_requestId_approverId_key" ON "TransitionApproval"("requestId", "approverId");

-- AddForeignKey
ALTER TABLE "PromotionPolicy" ADD CONSTRAINT "PromotionPolicy_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TransitionApproval" ADD CONSTRAINT "TransitionApproval_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "TransitionRequest"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: a policy targets exactly one of a stage or an alias.
ALTER TABLE "PromotionPolicy" ADD CONSTRAINT "PromotionPolicy_one_target" CHECK (("targetStage" IS NULL) <> ("targetAlias" IS NULL));
