// Micro-benchmark behind the trivial-query gap: CPU per call of the authentication lookup our server makes on
// every request (ApiToken by hash, with its user) through Prisma 7 + adapter-pg, against the same two
// statements through raw `pg`, and the viewer's user lookup. One process, 16 concurrent callers, CPU time
// from process.cpuUsage(). Run: tsx bench/micro-prisma.ts <DATABASE_URL of a migrated database with a token>
import os from "node:os";
import pg from "pg";
import { openDatabase } from "../server/src/db/database.ts";

const url = process.argv[2]!;
const pool = new pg.Pool({ connectionString: url, max: 10 });
// The server's own client: Prisma 7, adapter-pg, a pool of 10, query events on (as in production).
const db = await openDatabase({ databaseUrl: url, dataDir: os.tmpdir(), poolSize: 10, preparedStatements: true });
const prisma = db.prisma;
const { tokenHash, userId } = (await pool.query(`SELECT "tokenHash", "userId" FROM "ApiToken" LIMIT 1`)).rows[0];

async function measure(name: string, op: () => Promise<unknown>, seconds = 4, concurrency = 16) {
  for (let i = 0; i < 200; i++) await op(); // warm-up
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < seconds * 1000) {
        await op();
        n++;
      }
    }),
  );
  const cpu = process.cpuUsage(c0);
  const ms = (cpu.user + cpu.system) / 1000;
  console.log(`${name.padEnd(58)} ${(n / seconds).toFixed(0).padStart(6)} ops/s  ${((ms / n) * 1000).toFixed(0).padStart(5)} µs CPU/op`);
}

for (const c of [1, 16, 64]) await measure(`prisma apiToken.findUnique include user, ${c} concurrent`, () => prisma.apiToken.findUnique({ where: { tokenHash }, include: { user: true } }), 3, c);
await measure("prisma user.findUniqueOrThrow (1 statement)", () => prisma.user.findUniqueOrThrow({ where: { id: userId } }));
await measure("raw pg: token then user (2 statements)", async () => {
  const t = (await pool.query(`SELECT * FROM "ApiToken" WHERE "tokenHash" = $1 LIMIT 1`, [tokenHash])).rows[0];
  await pool.query(`SELECT * FROM "User" WHERE "id" = $1`, [t.userId]);
});
await measure("raw pg: one join (1 statement)", () =>
  pool.query(`SELECT t.*, u."name", u."isAdmin" FROM "ApiToken" t JOIN "User" u ON u.id = t."userId" WHERE t."tokenHash" = $1`, [tokenHash]),
);
await db.close();
await pool.end();
