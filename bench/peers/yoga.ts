// Reference for the trivial-query scenario (not the peer the goal is measured against): the graphql-yoga our
// server runs (resolved from server/), on node:http, serving our SDL with constant resolvers — no Pothos, no
// Prisma, no authentication. Splits the gap to mercurius into "yoga itself" and "our stack on top of it".
// Run by bench/suite.ts as its own process pinned to core 0; prints `listening <port>`.
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../support.ts";

const fromServer = createRequire(path.join(ROOT, "server", "package.json"));
const { createYoga, createSchema } = (await import(pathToFileURL(fromServer.resolve("graphql-yoga")).href)) as typeof import("../../server/node_modules/graphql-yoga/typings/index.js");
const typeDefs = fs.readFileSync(path.join(ROOT, "schema.graphql"), "utf8");
const yoga = createYoga({
  schema: createSchema({
    typeDefs,
    resolvers: { Query: { viewer: () => ({ id: "VXNlcjpiZW5jaA==", name: "bench", displayName: null, isAdmin: false }) } },
  }),
  graphqlEndpoint: "/graphql",
  graphiql: false,
  landingPage: false,
  logging: false,
});
const server = http.createServer(yoga);
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
