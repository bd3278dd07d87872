// Loaded by the prisma CLI before anything else.
// `prisma migrate` needs a native schema engine that cannot be downloaded here; point the CLI at a stub
// that says so, which also lets `prisma generate` run offline. Migrations are applied by our own runner
// (server/src/db/migrate.ts) and authored with `pnpm migration:new` (scripts/new-migration.ts).
import path from "node:path";
import { defineConfig } from "prisma/config";

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve("prisma/schema-engine-stub.sh");

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
