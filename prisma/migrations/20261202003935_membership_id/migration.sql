-- AlterTable (hand-edited: existing memberships get a random UUID before the column becomes NOT NULL; new rows
-- get a UUIDv7 from the client, as every other id)
ALTER TABLE "Membership" ADD COLUMN     "id" TEXT;
UPDATE "Membership" SET "id" = gen_random_uuid()::text WHERE "id" IS NULL;
ALTER TABLE "Membership" ALTER COLUMN "id" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Membership_id_key" ON "Membership"("id");
