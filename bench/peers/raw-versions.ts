// Peer of the version-registration race: `CLIENTS` concurrent clients, registering
// versions of one model for `DURATION` seconds with the statements our service sends for createModelVersion
// (server/src/services/versions.ts, through Prisma): authenticate the token (token, then its user), then in one
// transaction: the model, its project, the caller's membership, the counter increment (row lock: concurrent
// creators queue here), the version, the event-log advisory lock, the event, its webhook deliveries, the audit
// entry; after commit the NOTIFY of the event bus. Run by bench/suite.ts pinned to core 0 (where our server
// runs), sharing a pool the size of our server's; prints one JSON line { versions, seconds, failures }.
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { encodeGlobalId } from "../../server/src/domain/ids.ts";

const url = process.env.DATABASE_URL!;
const clients = Number(process.env.CLIENTS ?? 20);
const duration = Number(process.env.DURATION ?? 10);
const modelId = process.env.MODEL_ID!;
const tokenHash = createHash("sha256").update(process.env.TOKEN!, "utf8").digest("hex");

/** UUIDv7 text, as Prisma's `@default(uuid(7))` makes client-side. */
function uuid7(): string {
  const bytes = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function register(pool: pg.Pool): Promise<void> {
  const token = (await pool.query(`SELECT * FROM "ApiToken" WHERE "tokenHash" = $1 LIMIT 1`, [tokenHash])).rows[0];
  const user = (await pool.query(`SELECT * FROM "User" WHERE "id" = $1`, [token.userId])).rows[0];
  const db = await pool.connect();
  await db.query("BEGIN");
  try {
    const model = (await db.query(`SELECT * FROM "Model" WHERE "id" = $1 LIMIT 1`, [modelId])).rows[0];
    await db.query(`SELECT "id", "name", "status" FROM "Project" WHERE "id" = $1`, [model.projectId]);
    const role = (await db.query(`SELECT "role" FROM "Membership" WHERE "projectId" = $1 AND "userId" = $2 LIMIT 1`, [model.projectId, user.id])).rows[0];
    if (!role || role.role === "VIEWER") throw new Error("forbidden");
    const { nextVersionNumber } = (
      await db.query(`UPDATE "Model" SET "nextVersionNumber" = "nextVersionNumber" + 1, "updatedAt" = $2 WHERE "id" = $1 RETURNING "nextVersionNumber"`, [model.id, new Date()])
    ).rows[0];
    const version = (
      await db.query(
        `INSERT INTO "ModelVersion" ("id", "projectId", "modelId", "number", "description", "tags", "metrics", "createdById", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, '{}', '{}', $6, $7) RETURNING *`,
        [uuid7(), model.projectId, model.id, nextVersionNumber - 1, "race", user.id, new Date()],
      )
    ).rows[0];
    await db.query(`SELECT pg_advisory_xact_lock($1)`, [72707371]);
    const event = (
      await db.query(
        `INSERT INTO "Event" ("projectId", "type", "actorId", "modelId", "modelVersionId", "payload") VALUES ($1, 'MODEL_VERSION_CREATED', $2, $3, $4, $5) RETURNING "seq"`,
        [model.projectId, user.id, model.id, version.id, JSON.stringify({ number: version.number })],
      )
    ).rows[0];
    await db.query(
      `INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventSeq")
       SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
              52, 1), 53, 1), 'hex')::uuid::text, w."id", $1
       FROM "Webhook" w WHERE w."projectId" = $2 AND w."active" AND (cardinality(w."eventTypes") = 0 OR $3::text = ANY (w."eventTypes"))`,
      [event.seq, model.projectId, "MODEL_VERSION_CREATED"],
    );
    await db.query(
      `INSERT INTO "AuditEntry" ("actorId", "action", "targetType", "targetId", "projectId", "after", "requestId") VALUES ($1, 'createModelVersion', 'ModelVersion', $2, $3, $4, $5) RETURNING *`,
      [user.id, encodeGlobalId("ModelVersion", version.id), model.projectId, JSON.stringify(version), uuid7()],
    );
    await db.query("COMMIT");
    db.release();
    await pool.query(`SELECT pg_notify($1, $2)`, ["modelgraph_bench_raw", String(event.seq)]);
  } catch (error) {
    await db.query("ROLLBACK");
    db.release();
    throw error;
  }
}

// A pool the size of our server's (DATABASE_POOL_SIZE, default 10), shared by the concurrent clients, as in our server.
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.POOL_SIZE ?? 10) });
let versions = 0;
let failures = 0;
const started = performance.now();
const deadline = started + duration * 1000;
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      try {
        await register(pool);
        versions++;
      } catch {
        failures++;
      }
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await pool.end();
process.stdout.write(`${JSON.stringify({ versions, seconds, failures })}\n`);
