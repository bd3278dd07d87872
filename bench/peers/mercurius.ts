// Peer of the trivial-query scenario: fastify + mercurius with graphql-jit (`jit: 1`), serving our very SDL
// (schema.graphql) with resolvers that answer `viewer` with constant data. No authentication, no database.
// Run by bench/suite.ts as its own process pinned to core 0; prints `listening <port>`.
import fs from "node:fs";
import path from "node:path";
import Fastify from "fastify";
import mercurius from "mercurius";
import { ROOT } from "../support.ts";

const schema = fs.readFileSync(path.join(ROOT, "schema.graphql"), "utf8");
const app = Fastify({ logger: false });
await app.register(mercurius, {
  schema,
  resolvers: {
    Query: {
      viewer: () => ({ id: "VXNlcjpiZW5jaA==", name: "bench", displayName: null, isAdmin: false }),
    },
  },
  jit: 1,
  path: "/graphql",
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address() as { port: number };
process.stdout.write(`listening ${address.port}\n`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
