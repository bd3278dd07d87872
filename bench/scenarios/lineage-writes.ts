// Scenario 2b: the lineage load of scenario 2 (its documents, same 20 projects) with 2 % writes: each connection
// cycles 49 lineage queries and 1 registration of a new version in one of those projects' models. Ours: the SDK's
// createModelVersion document. PostGraphile v4 cannot generate that write (the version number comes from the
// model's counter), so its write is a mutation it generates from a SQL function created for this scenario
// (`bench_create_model_version`), doing the statements our service does in one transaction: the model, its
// project, the caller's membership, the counter increment with the insert, the event-log advisory lock with the
// event, its webhook deliveries and the audit entry, and the bus NOTIFY (without our token authentication and
// JSON mapping, so the comparison favours the peer). Total requests/s, ours ÷ PostGraphile; nothing cached.
import { body, globalId, gql, load, percentile, sleep, startPeer, withCpu } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";
import { CREATE_VERSION } from "./embedded.ts";
import { LINEAGE, LINEAGE_POSTGRAPHILE } from "./lineage.ts";

const FUNCTION = `
CREATE OR REPLACE FUNCTION bench_create_model_version(model_id text, user_id text, description text)
RETURNS "ModelVersion" LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  m "Model";
  r text;
  v "ModelVersion";
  s bigint;
BEGIN
  SELECT * INTO m FROM "Model" WHERE "id" = model_id;
  PERFORM "id", "name", "status" FROM "Project" WHERE "id" = m."projectId";
  SELECT "role" INTO r FROM "Membership" WHERE "projectId" = m."projectId" AND "userId" = user_id;
  IF r IS NULL OR r = 'VIEWER' THEN RAISE EXCEPTION 'forbidden'; END IF;
  WITH counter AS (
    UPDATE "Model" SET "nextVersionNumber" = "nextVersionNumber" + 1, "updatedAt" = now() WHERE "id" = model_id
    RETURNING "nextVersionNumber" - 1 AS "number")
  INSERT INTO "ModelVersion" ("id", "projectId", "modelId", "number", "description", "tags", "metrics", "createdById", "createdAt", "updatedAt", "stageChangedAt")
  SELECT gen_random_uuid()::text, m."projectId", model_id, counter."number", description, '{}', '{}', user_id, now(), now(), now() FROM counter
  RETURNING * INTO v;
  PERFORM pg_advisory_xact_lock(72707371);
  INSERT INTO "Event" ("projectId", "type", "actorId", "modelId", "modelVersionId", "payload")
  VALUES (m."projectId", 'MODEL_VERSION_CREATED', user_id, model_id, v."id", jsonb_build_object('number', v."number"))
  RETURNING "seq" INTO s;
  INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventSeq")
  SELECT gen_random_uuid()::text, w."id", s FROM "Webhook" w
  WHERE w."active" AND w."projectId" = m."projectId" AND (cardinality(w."eventTypes") = 0 OR 'MODEL_VERSION_CREATED' = ANY (w."eventTypes"));
  INSERT INTO "AuditEntry" ("actorId", "action", "targetType", "targetId", "projectId", "before", "after", "requestId", "at")
  VALUES (user_id, 'createModelVersion', 'ModelVersion', v."id", m."projectId", NULL, to_jsonb(v), gen_random_uuid()::text, now());
  PERFORM pg_notify('modelgraph_bench_raw', s::text);
  RETURN v;
END $$`;

const PEER_WRITE = `mutation CreateModelVersion($m: String!, $u: String!) {
  benchCreateModelVersion(input: { modelId: $m, userId: $u, description: "lineage-writes" }) { modelVersion { id number stage } }
}`;

export async function lineageWrites(ctx: Ctx): Promise<Row> {
  const userId = (await ctx.db.query(`SELECT id FROM "User" WHERE name = 'bench-user'`)).rows[0].id as string;
  await ctx.db.query(FUNCTION);
  const peer = await startPeer("postgraphile", { DATABASE_URL: ctx.databaseUrl, POOL_SIZE: "10" });
  try {
    const projects = ctx.seeded.projects.slice(0, 20);
    // One model per lineage project (its last: the other scenarios write to the first models of the seed).
    const models = projects.map((p) => ctx.seeded.models.filter((m) => m.projectId === p.id).at(-1)!);
    // 50 bodies per connection, 1 of them a write (2 %). Each connection starts its cycle at another offset (closed
    // loops, bench/load.ts "loops"), so the writes are spread over the run, not all at the 50th request.
    const mix = (read: (i: number) => string, write: (i: number) => string) =>
      Array.from({ length: ctx.connections }, (_, c) => {
        const offset = Math.floor((c * 50) / ctx.connections);
        return Array.from({ length: 50 }, (_, j) => ((j + offset) % 50 === 49 ? write(c) : read(j + c)));
      });
    const oursClients = mix(
      (i) => body(LINEAGE, { id: globalId("Project", projects[i % projects.length]!.id) }),
      (i) => body(CREATE_VERSION, { input: { modelId: globalId("Model", models[i % models.length]!.id), description: "lineage-writes" } }),
    );
    const peerClients = mix(
      (i) => body(LINEAGE_POSTGRAPHILE, { id: projects[i % projects.length]!.id }),
      (i) => body(PEER_WRITE, { m: models[i % models.length]!.id, u: userId }),
    );
    // Both writes work and register one version each.
    const a = await gql(ctx.ours.url, ctx.token, CREATE_VERSION, { input: { modelId: globalId("Model", models[0]!.id), description: "check" } });
    const b = await gql(peer.url, null, PEER_WRITE, { m: models[0]!.id, u: userId });
    if (a.createModelVersion.__typename !== "CreateModelVersionPayload" || !b.benchCreateModelVersion.modelVersion.number) {
      throw new Error(`lineage-writes: a write failed: ours ${JSON.stringify(a)}, PostGraphile ${JSON.stringify(b)}`);
    }
    const count = async () => Number((await ctx.db.query(`SELECT count(*) AS n FROM "ModelVersion" WHERE "modelId" = ANY($1)`, [models.map((m) => m.id)])).rows[0].n);
    const ours = { url: ctx.ours.url, headers: { authorization: `Bearer ${ctx.token}` } as Record<string, string>, clients: oursClients };
    const theirs = { url: peer.url, headers: {}, clients: peerClients };
    const run = async (target: typeof ours, duration: number) => {
      const r = await load({ kind: "loops", duration, ...target });
      // Our expected failures are data (`… on Error { message }`), PostGraphile's are top-level errors: none may occur.
      if (r.graphqlErrors) throw new Error(`lineage-writes: ${r.graphqlErrors} answers with errors, first: ${r.firstError}`);
      return { requests: r.latencies.length, rps: r.latencies.length / r.seconds, p99: percentile(r.latencies, 99) };
    };
    await run(ours, 3);
    await run(theirs, 3);
    const o: number[] = [];
    const p: number[] = [];
    const rounds: string[] = [];
    const writes = { ours: 0, oursRequests: 0, peer: 0, peerRequests: 0 };
    for (let round = 0; round < 2; round++) {
      const v0 = await count();
      const x = await withCpu(ctx.ours.child.pid, ctx.duration, () => run(ours, ctx.duration));
      const v1 = await count();
      await sleep(500);
      const y = await withCpu(peer.child.pid, ctx.duration, () => run(theirs, ctx.duration));
      const v2 = await count();
      await sleep(500);
      o.push(x.rps);
      p.push(y.rps);
      writes.ours += v1 - v0;
      writes.oursRequests += x.requests;
      writes.peer += v2 - v1;
      writes.peerRequests += y.requests;
      rounds.push(
        `round ${round + 1}: ours ${x.rps.toFixed(0)} rps (${v1 - v0} of ${x.requests} requests were writes, p99 ${x.p99.toFixed(0)} ms, server CPU ${(x.cpu * 100).toFixed(0)} %), PostGraphile ${y.rps.toFixed(0)} rps (${v2 - v1} of ${y.requests}, p99 ${y.p99.toFixed(0)} ms, CPU ${(y.cpu * 100).toFixed(0)} %)`,
      );
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ratio = mean(o) / mean(p);
    return {
      scenario: "2b. depth-4 lineage query with 2 % writes (createModelVersion in the lineage's projects), requests/s",
      ours: `${mean(o).toFixed(0)} rps (${((100 * writes.ours) / Math.max(1, writes.oursRequests)).toFixed(1)} % writes)`,
      peer: `${mean(p).toFixed(0)} rps (${((100 * writes.peer) / Math.max(1, writes.peerRequests)).toFixed(1)} % writes; PostGraphile v4, writes through a generated function mutation)`,
      ratio,
      goal: "≥ 1.0",
      met: ratio >= 1,
      notes: [
        `${ctx.connections} closed-loop clients (bench/load.ts loops), ${ctx.duration} s per run, 2 alternated rounds; each client cycles 49 lineage queries over 20 projects and 1 createModelVersion on one of their 20 models, from its own offset; writes counted in the database. PostGraphile's write is bench_create_model_version (same statements as our service, in one function call: no token lookup). ${rounds.join("; ")}.`,
      ],
    };
  } finally {
    await peer.stop();
    await ctx.db.query(`DROP FUNCTION IF EXISTS bench_create_model_version(text, text, text)`);
  }
}
