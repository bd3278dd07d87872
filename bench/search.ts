// `pnpm bench:search`: version search by metric on 100,000 versions (issue 12 point 5). Quick by design (about a
// minute): a fresh PostgreSQL database migrated by our server, one model whose 100,000 versions are inserted by
// SQL (90 % carry an `accuracy`, uniform in [0, 1); the rest lack it), then
//   model.versions(filter: {metrics: [{name: "accuracy", gte: 0.9}]}, orderBy: {metric: "accuracy"}, first: 20)
// timed over HTTP (sequential requests after a warm-up), and EXPLAIN (ANALYZE) of the SQL that page runs.
// Env: BENCH_POSTGRES_URL (admin connection), BENCH_REQUESTS (default 200), BENCH_NO_RECORD=1.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { gql, startOurServer, type Proc } from "./harness.ts";
import { decodeGlobalId } from "../server/src/domain/ids.ts";

const VERSIONS = 100_000;
const requests = Number(process.env.BENCH_REQUESTS ?? 200);
const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const dbName = `mg_bench_search_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${dbName}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-search-"));
const token = `mg_${randomBytes(32).toString("base64url")}`;
const log = (m: string) => process.stderr.write(`[bench:search ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
let ours: Proc | undefined;
const db = new pg.Client({ connectionString: databaseUrl.toString() });
try {
  await admin.query(`CREATE DATABASE ${dbName}`);
  ours = await startOurServer({ DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: token });
  const project = (await gql(ours.url, token, `mutation { createProject(input: { name: "bench-search" }) { ... on CreateProjectPayload { project { id } } } }`)).createProject.project;
  const model = (await gql(ours.url, token, `mutation($p: ID!) { createModel(input: { projectId: $p, name: "m" }) { ... on CreateModelPayload { model { id } } } }`, { p: project.id })).createModel.model;
  await db.connect();
  const modelId = decodeGlobalId(model.id)!.id;
  const projectId = decodeGlobalId(project.id)!.id;
  const seedStart = Date.now();
  await db.query(`SELECT setseed(0.12)`);
  await db.query(
    `INSERT INTO "ModelVersion" (id, "projectId", "modelId", number, metrics, "createdById", "updatedAt")
     SELECT gen_random_uuid()::text, $1, $2, n, CASE WHEN n % 10 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('accuracy', random()) END,
            (SELECT id FROM "User" LIMIT 1), now()
     FROM generate_series(1, $3::int) n`,
    [projectId, modelId, VERSIONS],
  );
  await db.query(`INSERT INTO "ModelVersionMetric" ("versionId", "modelId", name, value, number)
    SELECT v.id, v."modelId", m.key, (m.value #>> '{}')::double precision, v.number FROM "ModelVersion" v, jsonb_each(v.metrics) m`);
  await db.query(`UPDATE "Model" SET "nextVersionNumber" = $2 WHERE id = $1`, [modelId, VERSIONS + 1]);
  await db.query(`ANALYZE`);
  const seedSeconds = (Date.now() - seedStart) / 1000;
  log(`seeded ${VERSIONS} versions in ${seedSeconds.toFixed(1)} s`);

  const query = `query($id: ID!) { node(id: $id) { ... on Model { versions(filter: { metrics: [{ name: "accuracy", gte: 0.9 }] }, orderBy: { metric: "accuracy" }, first: 20) {
    edges { cursor node { number metrics { name value } } } pageInfo { hasNextPage endCursor } } } } }`;
  const first = await gql(ours.url, token, query, { id: model.id });
  const values = first.node.versions.edges.map((e: any) => e.node.metrics.find((m: any) => m.name === "accuracy").value);
  if (values.length !== 20 || values.some((v: number, i: number) => v < 0.9 || (i > 0 && v > values[i - 1]))) throw new Error(`wrong page: ${values}`);
  for (let i = 0; i < 20; i++) await gql(ours.url, token, query, { id: model.id });
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    await gql(ours.url, token, query, { id: model.id });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  // The statement the first part of the page runs (the versions that have the metric, in index order), as Prisma
  // sends it: the metric rows joined to their version through the relation filter.
  const plan = (
    await db.query(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
       SELECT m."versionId", m.value, m.number FROM "ModelVersionMetric" m
       WHERE m.name = 'accuracy' AND m.value >= 0.9
         AND m."versionId" IN (SELECT v.id FROM "ModelVersion" v WHERE v."modelId" = $1 AND v."deletedAt" IS NULL)
       ORDER BY m.value DESC, m.number DESC, m."versionId" DESC LIMIT 21`,
      [modelId],
    )
  ).rows.map((r) => r["QUERY PLAN"] as string);
  const summary = { versions: VERSIONS, requests, p50: pct(50), p90: pct(90), p99: pct(99), seedSeconds };
  log(JSON.stringify(summary));
  process.stdout.write(`${plan.join("\n")}\n`);
  if (!process.env.BENCH_NO_RECORD) {
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const section = [
      "",
      `## Version search by metric (bench/search.ts, ${new Date().toISOString().slice(0, 10)})`,
      "",
      `Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL at ${new URL(adminUrl).host}; shared with other jobs (load average ${os.loadavg()[0]!.toFixed(1)} at the end), so absolute times are pessimistic.`,
      `Data: one model, ${VERSIONS.toLocaleString("en")} versions inserted by SQL (90 % with \`accuracy\` uniform in [0, 1), 10 % without), ModelVersionMetric rows alongside; seeding took ${seedSeconds.toFixed(1)} s.`,
      "",
      '`model.versions(filter: {metrics: [{name: "accuracy", gte: 0.9}]}, orderBy: {metric: "accuracy"}, first: 20)` over HTTP, one request at a time after 20 warm-up requests:',
      "",
      "| requests | p50 ms | p90 ms | p99 ms |",
      "|---|---|---|---|",
      `| ${requests} | ${pct(50).toFixed(1)} | ${pct(90).toFixed(1)} | ${pct(99).toFixed(1)} |`,
      "",
      "EXPLAIN (ANALYZE) of the page's metric part (the index on (name, value, number, versionId) is walked backward, in the requested order, and stops after 21 rows):",
      "",
      "```",
      ...plan,
      "```",
      "",
    ].join("\n");
    fs.appendFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), "RESULTS.md"), section);
  }
} finally {
  await db.end().catch(() => {});
  await ours?.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
