// Bulk dataset for `pnpm bench` (bench/suite.ts): 100 projects, 500 experiments, 50,000 iterations, 50,000 READY
// resources, 1,000 models and 10,000 versions, written with `INSERT … SELECT generate_series` straight into the
// tables our migrations made (seeding through the API would take many minutes). Every constraint of the schema
// holds: ids are UUIDv7 text as Prisma's `@default(uuid(7))` makes them, names are unique and well formed,
// iteration and version numbers are contiguous per parent and the parents' counters point past them, exactly one
// PRODUCTION version per model (and its StageTransition history), READY resources carry sha256, size and the
// content key the store would derive. The bench user gets EDITOR on every project.
import type pg from "pg";

export const SHAPE = {
  projects: 100,
  experimentsPerProject: 5,
  iterationsPerExperiment: 100,
  modelsPerProject: 10,
  versionsPerModel: 10,
} as const;

export interface Seeded {
  projects: { id: string; name: string }[];
  /** Models with their version ids: `versions[n - 1]` is version n; n = 10 is PRODUCTION, n = 9 STAGING, others NONE. */
  models: { id: string; projectId: string; versions: string[] }[];
  counts: Record<string, number>;
  seconds: number;
}

/** Seeds the dataset into a migrated, otherwise empty database; `adminId` creates everything, `benchUserId` is an EDITOR everywhere. */
export async function seed(client: pg.Client, adminId: string, benchUserId: string): Promise<Seeded> {
  const started = performance.now();
  const S = SHAPE;
  await client.query("BEGIN");
  // The same UUIDv7 the server makes in SQL (events/log.ts): 48-bit ms time, version 7, variant, random.
  await client.query(`CREATE FUNCTION pg_temp.uuid7() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
      PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
      52, 1), 53, 1), 'hex')::uuid::text $$`);
  const q = (sql: string, params: unknown[] = []) => client.query(sql, params);
  // Index tables: which generated row belongs to which parent (temporary, dropped at commit).
  await q(`CREATE TEMP TABLE bp ON COMMIT DROP AS SELECT i, pg_temp.uuid7() AS id FROM generate_series(1, $1::int) i`, [S.projects]);
  await q(`CREATE TEMP TABLE be ON COMMIT DROP AS
    SELECT (p.i - 1) * $1::int + k AS i, p.i AS pi, p.id AS pid, k, pg_temp.uuid7() AS id
    FROM bp p CROSS JOIN generate_series(1, $1::int) k`, [S.experimentsPerProject]);
  await q(`CREATE TEMP TABLE bi ON COMMIT DROP AS
    SELECT (e.i - 1) * $1::int + n AS i, e.pi, e.pid, e.k AS ek, e.id AS eid, n, pg_temp.uuid7() AS id, pg_temp.uuid7() AS rid
    FROM be e CROSS JOIN generate_series(1, $1::int) n`, [S.iterationsPerExperiment]);
  await q(`CREATE TEMP TABLE bm ON COMMIT DROP AS
    SELECT (p.i - 1) * $1::int + k AS i, p.i AS pi, p.id AS pid, k, pg_temp.uuid7() AS id
    FROM bp p CROSS JOIN generate_series(1, $1::int) k`, [S.modelsPerProject]);
  // Version n of the k-th model of a project comes from the project's j-th iteration, j = (k-1)*versions + n - 1,
  // i.e. experiment j % experiments + 1, number j / experiments + 1; its resource is that iteration's artifact.
  await q(`CREATE TEMP TABLE bv ON COMMIT DROP AS
    SELECT m.id AS mid, m.pid, m.i AS mi, n, pg_temp.uuid7() AS id,
           ((m.k - 1) * $1::int + n - 1) % $2::int + 1 AS ek, ((m.k - 1) * $1::int + n - 1) / $2::int + 1 AS inum
    FROM bm m CROSS JOIN generate_series(1, $1::int) n`, [S.versionsPerModel, S.experimentsPerProject]);
  await q(`CREATE INDEX ON bi (pi, ek, n)`);
  await q(`CREATE INDEX ON bv (mid, n)`);
  await q(`ANALYZE bp; ANALYZE be; ANALYZE bi; ANALYZE bm; ANALYZE bv`);

  await q(`INSERT INTO "Project" (id, name, description, "createdById", "updatedAt")
    SELECT id, 'bench-p-' || lpad(i::text, 3, '0'), 'benchmark project ' || i, $1, now() FROM bp`, [adminId]);
  await q(`INSERT INTO "Membership" (id, "projectId", "userId", role) SELECT gen_random_uuid()::text, id, $1, 'EDITOR' FROM bp`, [benchUserId]);
  await q(`INSERT INTO "Experiment" (id, "projectId", name, "nextIterationNumber", "createdById", "updatedAt")
    SELECT id, pid, 'exp-' || k, $1::int + 1, $2, now() FROM be`, [S.iterationsPerExperiment, adminId]);
  await q(`INSERT INTO "Iteration" (id, "projectId", "experimentId", number, status, params, tags, "createdById", "startedAt", "endedAt")
    SELECT id, pid, eid, n, 'COMPLETED', jsonb_build_object('lr', (0.001 * n)::text, 'epochs', '10'), '{"team":"bench"}', $1,
           now() - interval '2 hours', now() - interval '1 hour'
    FROM bi`, [adminId]);
  await q(`INSERT INTO "Resource" (id, "projectId", "iterationId", name, format, "sizeBytes", sha256, status, "storageKey", "createdById", "readyAt")
    SELECT rid, pid, id, 'model-' || i || '.onnx', 'ONNX', 1048576 + i, s.sha, 'READY', 'projects/' || pid || '/sha256/' || s.sha, $1, now()
    FROM bi CROSS JOIN LATERAL (SELECT encode(sha256(convert_to('bench-artifact-' || bi.i, 'UTF8')), 'hex') AS sha) s`, [adminId]);
  await q(`INSERT INTO "Model" (id, "projectId", name, description, tags, "nextVersionNumber", "createdById", "updatedAt")
    SELECT id, pid, 'model-' || k, 'benchmark model', '{"task":"classification"}', $1::int + 1, $2, now() FROM bm`,
    [S.versionsPerModel, adminId]);
  await q(`INSERT INTO "ModelVersion" (id, "projectId", "modelId", number, stage, description, metrics, "iterationId", "resourceId", "parentVersionId", "createdById", "updatedAt")
    SELECT v.id, v.pid, v.mid, v.n,
           (CASE WHEN v.n = $1::int THEN 'PRODUCTION' WHEN v.n = $1::int - 1 THEN 'STAGING' ELSE 'NONE' END)::"ModelVersionStage",
           'version ' || v.n, jsonb_build_object('accuracy', 0.8 + v.n / 100.0), it.id, it.rid, prev.id, $2, now()
    FROM bv v
    JOIN bm m ON m.id = v.mid
    JOIN bi it ON it.pi = m.pi AND it.ek = v.ek AND it.n = v.inum
    LEFT JOIN bv prev ON prev.mid = v.mid AND prev.n = v.n - 1`, [S.versionsPerModel, adminId]);
  // The searchable copy of the metrics (as createModelVersion writes it).
  await q(`INSERT INTO "ModelVersionMetric" ("versionId", "modelId", name, value, number)
    SELECT v.id, v."modelId", m.key, (m.value #>> '{}')::double precision, v.number FROM "ModelVersion" v, jsonb_each(v.metrics) m`);
  // Stage history consistent with the stages: NONE → STAGING for the last two, STAGING → PRODUCTION for the last.
  await q(`INSERT INTO "StageTransition" (id, "projectId", "modelId", "modelVersionId", "fromStage", "toStage", cause, "actorId")
    SELECT pg_temp.uuid7(), t.pid, t.mid, t.id, t.f::"ModelVersionStage", t.t::"ModelVersionStage", 'MANUAL', $2
    FROM (SELECT v.*, x.f, x.t, x.o FROM bv v
          CROSS JOIN (VALUES ('NONE', 'STAGING', 1), ('STAGING', 'PRODUCTION', 2)) x(f, t, o)
          WHERE v.n = $1::int - 1 AND x.o = 1 OR v.n = $1::int) t
    ORDER BY t.mi, t.n, t.o`, [S.versionsPerModel, adminId]);
  const models = await q(`SELECT m.id, m.pid AS "projectId", array_agg(v.id ORDER BY v.n) AS versions
    FROM bm m JOIN bv v ON v.mid = m.id GROUP BY m.id, m.pid, m.i ORDER BY m.i`);
  const projects = await q(`SELECT id, 'bench-p-' || lpad(i::text, 3, '0') AS name FROM bp ORDER BY i`);
  await q("COMMIT");
  await q(`ANALYZE`);
  const counts: Record<string, number> = {};
  for (const table of ["Project", "Experiment", "Iteration", "Resource", "Model", "ModelVersion", "ModelVersionMetric", "StageTransition", "Membership"]) {
    counts[table] = Number((await q(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n);
  }
  return { projects: projects.rows, models: models.rows, counts, seconds: (performance.now() - started) / 1000 };
}
