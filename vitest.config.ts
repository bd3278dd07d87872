import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

// One graphql module, the one node loads: vite would otherwise give our (inlined) sources graphql's ESM build
// while graphql-yoga (external) gets the CommonJS one, and yoga would mask every GraphQLError our code throws
// (its `instanceof GraphQLError` fails), e.g. 401 UNAUTHENTICATED answered as 500 "Unexpected error.".
const graphqlEntry = createRequire(import.meta.url).resolve("graphql");

// The whole suite runs twice: on embedded PGlite and on the PostgreSQL server of the machine.
const shared = {
  include: ["test/**/*.test.ts"],
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // Two files at a time on the 2 cores. A third worker was measured (bench/RESULTS.md, "Test suite"): the same wall
  // time (15.4 vs 15.5 min for the whole CI run) for 7 % more CPU, so two it is.
  maxWorkers: 2,
  // Files of a worker share one module graph: the server stack (Prisma client, Pothos schema, yoga) is evaluated
  // once per worker instead of once per file (~4 CPU s a file). Nothing a file leaves behind may leak into the next:
  // tests never assign process.env or mock modules, every file closes its servers and subscriptions in afterAll.
  isolate: false,
  alias: [{ find: /^graphql$/, replacement: graphqlEntry }],
};

export default defineConfig({
  test: {
    projects: [
      // PGlite servers copy one migrated database made once per run (test/support/global-setup.ts).
      { test: { ...shared, name: "pglite", env: { MG_TEST_DB: "pglite" }, globalSetup: ["test/support/global-setup.ts"] } },
      // Clients of the API (the CLI, the examples, the console in a browser) behave the same on either database:
      // their files run in the pglite project only. Every server behaviour they reach is tested on both.
      {
        test: {
          ...shared,
          name: "postgres",
          env: { MG_TEST_DB: "postgres" },
          exclude: ["test/sdk/cli*.test.ts", "test/sdk/examples.test.ts", "test/console/**"],
        },
      },
    ],
  },
});
