-- AlterTable
ALTER TABLE "ModelVersion" ADD COLUMN     "idempotencyInputHash" TEXT;
