// Peer of the lineage scenario: PostGraphile v4 in library mode (its http middleware on node:http) with a
// pg.Pool on the same database, schema `public`. The pool's `query` is wrapped to count the statements it
// sends; GET /__stats answers the count. Run by bench/suite.ts as its own process pinned to core 0;
// prints `listening <port>`. DATABASE_URL names the database; POOL_SIZE matches our server's pool (10).
import http from "node:http";
import pg from "pg";
import { postgraphile } from "postgraphile";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
let statements = 0;
// Count every statement: queries issued through the pool and through checked-out clients.
const countQuery = <T extends { query: (...args: any[]) => any }>(target: T) => {
  const original = target.query.bind(target);
  target.query = ((...args: any[]) => {
    statements++;
    return original(...args);
  }) as T["query"];
};
countQuery(pool);
pool.on("connect", (client) => countQuery(client));

const middleware = postgraphile(pool, "public", {
  graphqlRoute: "/graphql",
  graphiql: false,
  disableQueryLog: true,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  retryOnInitFail: false,
});

const server = http.createServer((req, res) => {
  if (req.url === "/__stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ statements }));
    return;
  }
  middleware(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
