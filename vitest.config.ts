import { defineConfig } from "vitest/config";

// The whole suite runs twice: on embedded PGlite and on the PostgreSQL server of the machine.
const shared = {
  include: ["test/**/*.test.ts"],
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // PGlite is CPU-bound WebAssembly and the machines have 2 cores: one test file per worker at a time.
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    projects: [
      // PGlite servers copy one migrated database made once per run (test/support/global-setup.ts).
      { test: { ...shared, name: "pglite", env: { MG_TEST_DB: "pglite" }, globalSetup: ["test/support/global-setup.ts"] } },
      { test: { ...shared, name: "postgres", env: { MG_TEST_DB: "postgres" } } },
    ],
  },
});
