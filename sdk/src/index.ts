/**
 * `@modelgraph/sdk` — the typed client for modelgraph.
 *
 * Today it exports the generated operation types (from `schema.graphql` and `src/operations/*.graphql`,
 * produced by `pnpm generate`). The SDK issue adds `createClient`, artifact helpers and the CLI.
 */
export * from "./generated/graphql.ts";
