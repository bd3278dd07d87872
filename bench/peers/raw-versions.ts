// Peer of the version-registration race: `CLIENTS` concurrent clients, registering
// versions of one model for `DURATION` seconds with the statements our service sends for createModelVersion
// (server/src/services/versions.ts, through Prisma): authenticate the token (token, then its user), then in one
// transaction: the model with its project and the caller's membership (one statement, services/models.ts
// readForWrite), the counter increment with the version's insert in one statement (row lock: concurrent creators queue here), then one statement taking the event-log advisory lock
// and writing the event, its webhook deliveries and the audit entry; after commit the NOTIFY of the event bus. Run by bench/suite.ts pinned to core 0 (where our server
// runs), sharing a pool the size of our server's, its statements named (prepared once per connection) as ours are; prints one JSON line { versions, seconds, failures }.
import { createHash } from "node:crypto";
import pg from "pg";
import { encodeGlobalId, uuid7 } from "../../server/src/domain/ids.ts";

const url = process.env.DATABASE_URL!;
const clients = Number(process.env.CLIENTS ?? 20);
const duration = Number(process.env.DURATION ?? 10);
const modelId = process.env.MODEL_ID!;
const tokenHash = createHash("sha256").update(process.env.TOKEN!, "utf8").digest("hex");

/** A named statement (parsed and planned once per connection), as our server's Prisma adapter sends them (db/database.ts). */
function named(text: string, values: unknown[]): pg.QueryConfig {
  return { name: `raw_${createHash("sha1").update(text).digest("base64url")}`, text, values };
}

async function register(pool: pg.Pool): Promise<void> {
  const token = (await pool.query(named(`SELECT * FROM "ApiToken" WHERE "tokenHash" = $1 LIMIT 1`, [tokenHash]))).rows[0];
  const user = (await pool.query(named(`SELECT * FROM "User" WHERE "id" = $1`, [token.userId]))).rows[0];
  const db = await pool.connect();
  await db.query("BEGIN");
  try {
    const model = (
      await db.query(named(
        `SELECT "m"."id" AS "m_id", "m"."projectId" AS "m_projectId", "m"."name" AS "m_name", "m"."description" AS "m_description",
           "m"."status"::text AS "m_status", "m"."tags" AS "m_tags", "m"."requireApprovalFor"::text[] AS "m_requireApprovalFor",
           "m"."protectedAliases" AS "m_protectedAliases", "m"."nextVersionNumber" AS "m_nextVersionNumber", "m"."createdById" AS "m_createdById",
           "m"."createdAt" AS "m_createdAt", "m"."updatedAt" AS "m_updatedAt", p."name" AS "p_name", p."status"::text AS "p_status",
           (SELECT mb."role"::text FROM "Membership" mb WHERE mb."projectId" = m."projectId" AND mb."userId" = $2) AS "role"
         FROM "Model" m JOIN "Project" p ON p."id" = m."projectId"
         WHERE m."id" = $1`,
        [modelId, user.id]),
      )
    ).rows.map((row) => ({ id: row.m_id as string, projectId: row.m_projectId as string, role: row.role as string | null }))[0]!;
    if (!model.role || model.role === "VIEWER") throw new Error("forbidden");
    const now = new Date();
    const version = (
      await db.query(named(
        `WITH counter AS (
           UPDATE "Model" SET "nextVersionNumber" = "nextVersionNumber" + 1, "updatedAt" = $2 WHERE "id" = $1 RETURNING "nextVersionNumber" - 1 AS "number"),
         created AS (
           INSERT INTO "ModelVersion" ("id", "projectId", "modelId", "number", "description", "tags", "metrics", "createdById", "createdAt", "updatedAt", "stageChangedAt")
           SELECT $3, $4, $1, counter."number", $5, '{}', '{}', $6, $2, $2, $2 FROM counter RETURNING *),
         metric_rows AS (
           INSERT INTO "ModelVersionMetric" ("versionId", "modelId", "name", "value", "number")
           SELECT c."id", c."modelId", m."name", m."value", c."number" FROM created c, json_to_recordset($7::json) AS m("name" text, "value" double precision))
         SELECT * FROM created`,
        [model.id, now, uuid7(), model.projectId, "race", user.id, "[]"]),
      )
    ).rows[0];
    const events = JSON.stringify([{ n: 0, projectId: model.projectId, type: "MODEL_VERSION_CREATED", actorId: user.id, modelId: model.id, modelVersionId: version.id, payload: { number: version.number } }]);
    const audit = JSON.stringify([{ n: 0, actorId: user.id, action: "createModelVersion", targetType: "ModelVersion", targetId: encodeGlobalId("ModelVersion", version.id), projectId: model.projectId, before: null, after: version, requestId: uuid7(), at: new Date() }]);
    const event = (
      await db.query(named(
        `WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($1)),
         appended AS (
           INSERT INTO "Event" ("projectId", "type", "actorId", "modelId", "modelVersionId", "payload")
           SELECT e."projectId", e."type", e."actorId", e."modelId", e."modelVersionId", e."payload"
           FROM locked, json_to_recordset($2::json) AS e("projectId" text, "type" text, "actorId" text, "modelId" text, "modelVersionId" text, "payload" jsonb, "n" int)
           ORDER BY e."n" RETURNING "seq", "projectId", "type"),
         hooks AS (
           SELECT w."id", w."projectId", w."eventTypes" FROM locked, "Webhook" w
           WHERE w."active" AND w."projectId" IN (SELECT DISTINCT "projectId" FROM appended) FOR KEY SHARE OF w),
         queued AS (
           INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventSeq")
           SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
                  52, 1), 53, 1), 'hex')::uuid::text, h."id", a."seq"
           FROM appended a JOIN hooks h ON h."projectId" = a."projectId" AND (cardinality(h."eventTypes") = 0 OR a."type" = ANY (h."eventTypes"))
           RETURNING 1),
         audited AS (
           INSERT INTO "AuditEntry" ("actorId", "action", "targetType", "targetId", "projectId", "before", "after", "requestId", "at")
           SELECT a."actorId", a."action", a."targetType", a."targetId", a."projectId", a."before", a."after", a."requestId", a."at"
           FROM json_to_recordset($3::json) AS a("actorId" text, "action" text, "targetType" text, "targetId" text, "projectId" text, "before" jsonb, "after" jsonb, "requestId" text, "at" timestamptz, "n" int)
           ORDER BY a."n" RETURNING 1)
         SELECT max("seq") AS "seq" FROM appended`,
        [72707371, events, audit]),
      )
    ).rows[0];
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
