// `pnpm bench:scale`: one model with 200,000 versions (issue 14, "Scale of one model"). A fresh PostgreSQL database
// migrated by our server, one model whose versions are inserted by SQL (90 % carry an `accuracy`, uniform in [0, 1),
// with their ModelVersionMetric rows; every 1,000th version was promoted to PRODUCTION, archiving the one before, as
// StageTransition rows), then six reads timed over HTTP, each the SDK's document where one exists:
//   first page (ModelVersions, first: 20), last page (the same selection with last: 20), totalCount alone,
//   latestVersion (LatestModelVersion), versionAt (ModelVersionAt, stage PRODUCTION), metric filter (ModelVersions
//   with filter accuracy ≥ 0.9, ordered by accuracy, first: 20).
// The SQL: a second server is started behind a small PostgreSQL wire-protocol proxy that records every statement
// (Parse) and its parameters (Bind) the server sends; each read is sent once through it and every recorded statement
// is re-run under EXPLAIN (ANALYZE, BUFFERS). The one taking longest is printed as the read's main statement.
// Timings come from the first server, connected directly (no proxy in the measured path).
// Env: BENCH_POSTGRES_URL (admin connection), BENCH_REQUESTS (default 100), BENCH_VERSIONS (default 200000),
// BENCH_NO_RECORD=1, BENCH_LABEL (the label of the recorded run, e.g. "before" / "after"; default "latest": a run
// replaces the subsection of its label in bench/RESULTS.md's "Scale of one model" section).
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { print } from "graphql";
import pg from "pg";
import { gql, percentile, startOurServer, type Proc } from "./harness.ts";
import { recordSubsection } from "./support.ts";
import { decodeGlobalId } from "../server/src/domain/ids.ts";
import { LatestModelVersionDocument, ModelVersionAtDocument, ModelVersionsDocument } from "../sdk/src/generated/graphql.ts";

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 200_000);
const PROMOTE_EVERY = 1_000;
const requests = Number(process.env.BENCH_REQUESTS ?? 100);
const label = process.env.BENCH_LABEL ?? "";
const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const dbName = `mg_bench_scale_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${dbName}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-scale-"));
const token = `mg_${randomBytes(32).toString("base64url")}`;
const log = (m: string) => process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

interface Statement {
  sql: string;
  params: (string | null)[];
}

/** A TCP proxy in front of PostgreSQL that records the statements clients send (extended and simple protocol). */
function recordingProxy(target: URL): Promise<{ port: number; statements: Statement[]; close(): void }> {
  const statements: Statement[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    const prepared = new Map<string, string>();
    let buf = Buffer.alloc(0);
    let started = false;
    const cstring = (b: Buffer, at: number): [string, number] => {
      const end = b.indexOf(0, at);
      return [b.toString("utf8", at, end), end + 1];
    };
    const onMessage = (type: string, body: Buffer) => {
      if (type === "P") {
        const [name, at] = cstring(body, 0);
        prepared.set(name, cstring(body, at)[0]);
      } else if (type === "B") {
        let [, at] = cstring(body, 0);
        let stmt: string;
        [stmt, at] = cstring(body, at);
        const nFormats = body.readInt16BE(at);
        const formats = Array.from({ length: nFormats }, (_, i) => body.readInt16BE(at + 2 + 2 * i));
        at += 2 + 2 * nFormats;
        const nParams = body.readInt16BE(at);
        at += 2;
        const params: (string | null)[] = [];
        let binary = false;
        for (let i = 0; i < nParams; i++) {
          const len = body.readInt32BE(at);
          at += 4;
          if ((formats.length === 1 ? formats[0] : formats[i]) === 1) binary = true;
          params.push(len < 0 ? null : body.toString("utf8", at, at + len));
          if (len > 0) at += len;
        }
        const sql = prepared.get(stmt);
        if (sql && !binary) statements.push({ sql, params });
      } else if (type === "Q") {
        statements.push({ sql: cstring(body, 0)[0], params: [] });
      }
    };
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) break;
          const len = buf.readInt32BE(0);
          if (buf.length < len) break;
          if (buf.readInt32BE(4) !== 80877103) started = true; // not an SSLRequest: the startup message
          buf = buf.subarray(len);
          continue;
        }
        if (buf.length < 5) break;
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) break;
        onMessage(String.fromCharCode(buf[0]!), buf.subarray(5, 1 + len));
        buf = buf.subarray(1 + len);
      }
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ port: (server.address() as net.AddressInfo).port, statements, close: () => server.close() }),
    ),
  );
}

const lastPageDocument = print(ModelVersionsDocument)
  .replace("$first: Int, $after: String", "$last: Int, $before: String")
  .replace("first: $first, after: $after", "last: $last, before: $before");
const totalCountDocument = `query ModelVersionCount($modelId: ID!) { node(id: $modelId) { __typename id ... on Model { versions { totalCount } } } }`;

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
let ours: Proc | undefined;
let recorded: Proc | undefined;
let proxy: Awaited<ReturnType<typeof recordingProxy>> | undefined;
const db = new pg.Client({ connectionString: databaseUrl.toString() });
try {
  await admin.query(`CREATE DATABASE ${dbName}`);
  const env = { DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: token };
  ours = await startOurServer({ ...env, DATABASE_URL: databaseUrl.toString() });
  const project = (await gql(ours.url, token, `mutation { createProject(input: { name: "bench-scale" }) { ... on CreateProjectPayload { project { id } } } }`)).createProject.project;
  const model = (await gql(ours.url, token, `mutation($p: ID!) { createModel(input: { projectId: $p, name: "m" }) { ... on CreateModelPayload { model { id } } } }`, { p: project.id })).createModel.model;
  await db.connect();
  const modelId = decodeGlobalId(model.id)!.id;
  const projectId = decodeGlobalId(project.id)!.id;
  const seedStart = Date.now();
  // Version n was created at base + n seconds; version k·1,000 entered PRODUCTION half a second later, and the
  // previous production version was archived at the same instant (as a promotion records it).
  const base = new Date("2026-01-01T00:00:00Z");
  await db.query(`SELECT setseed(0.14)`);
  await db.query(
    `INSERT INTO "ModelVersion" (id, "projectId", "modelId", number, stage, metrics, "createdById", "createdAt", "updatedAt", "stageChangedAt")
     SELECT gen_random_uuid()::text, $1, $2, n,
            (CASE WHEN n % ${PROMOTE_EVERY} <> 0 THEN 'NONE' WHEN n = $3::int - $3::int % ${PROMOTE_EVERY} THEN 'PRODUCTION' ELSE 'ARCHIVED' END)::"ModelVersionStage",
            CASE WHEN n % 10 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('accuracy', random(), 'loss', random()) END,
            (SELECT id FROM "User" LIMIT 1), $4::timestamptz + n * interval '1 second', now(), $4::timestamptz + n * interval '1 second'
     FROM generate_series(1, $3::int) n`,
    [projectId, modelId, VERSIONS, base],
  );
  await db.query(`INSERT INTO "ModelVersionMetric" ("versionId", "modelId", name, value, number)
    SELECT v.id, v."modelId", m.key, (m.value #>> '{}')::double precision, v.number FROM "ModelVersion" v, jsonb_each(v.metrics) m`);
  await db.query(
    `INSERT INTO "StageTransition" (id, "projectId", "modelId", "modelVersionId", "fromStage", "toStage", cause, "actorId", at)
     SELECT gen_random_uuid()::text, v."projectId", v."modelId", v.id, t.from_stage::"ModelVersionStage", t.to_stage::"ModelVersionStage",
            (CASE WHEN t.to_stage = 'ARCHIVED' THEN 'AUTO_ARCHIVE' ELSE 'MANUAL' END)::"TransitionCause", v."createdById", t.at
     FROM "ModelVersion" v,
          LATERAL (VALUES (0, 'NONE', 'PRODUCTION', v."createdAt" + interval '0.5 second'),
                          (1, 'PRODUCTION', 'ARCHIVED', v."createdAt" + interval '${PROMOTE_EVERY}.5 second')) t(k, from_stage, to_stage, at)
     WHERE v."modelId" = $1 AND v.number % ${PROMOTE_EVERY} = 0 AND (t.k = 0 OR v.stage = 'ARCHIVED')
     ORDER BY t.at, t.k DESC`,
    [modelId],
  );
  await db.query(`UPDATE "Model" SET "nextVersionNumber" = $2 WHERE id = $1`, [modelId, VERSIONS + 1]);
  await db.query(`VACUUM ANALYZE`);
  const seedSeconds = (Date.now() - seedStart) / 1000;
  const transitions = Number((await db.query(`SELECT count(*) FROM "StageTransition"`)).rows[0].count);
  log(`seeded ${VERSIONS} versions and ${transitions} stage transitions in ${seedSeconds.toFixed(1)} s`);

  const atNumber = Math.floor(VERSIONS / 2 / PROMOTE_EVERY) * PROMOTE_EVERY + 500; // between two promotions
  const at = new Date(base.getTime() + atNumber * 1000).toISOString();
  const expectedAt = atNumber - 500;
  const reads: { name: string; query: string; variables: Record<string, unknown>; check: (d: any) => void }[] = [
    {
      name: "first page (`versions(first: 20)`, SDK ModelVersions)",
      query: print(ModelVersionsDocument),
      variables: { modelId: model.id, first: 20 },
      check: (d) => expect(d.node.versions.nodes.map((n: any) => n.number).join(), range(VERSIONS, VERSIONS - 19).join()),
    },
    {
      name: "last page (`versions(last: 20)`)",
      query: lastPageDocument,
      variables: { modelId: model.id, last: 20 },
      check: (d) => expect(d.node.versions.nodes.map((n: any) => n.number).join(), range(20, 1).join()),
    },
    {
      name: "`versions { totalCount }`",
      query: totalCountDocument,
      variables: { modelId: model.id },
      check: (d) => expect(d.node.versions.totalCount, VERSIONS),
    },
    {
      name: "`latestVersion` (SDK LatestModelVersion)",
      query: print(LatestModelVersionDocument),
      variables: { modelId: model.id },
      check: (d) => expect(d.node.latestVersion.number, VERSIONS),
    },
    {
      name: "`versionAt(stage: PRODUCTION, at:)` (SDK ModelVersionAt)",
      query: print(ModelVersionAtDocument),
      variables: { modelId: model.id, stage: "PRODUCTION", at },
      check: (d) => expect(d.node.versionAt?.number, expectedAt),
    },
    {
      name: 'metric filter (`versions(filter: {metrics: [{name: "accuracy", gte: 0.9}]}, orderBy: {metric: "accuracy"}, first: 20)`, SDK ModelVersions)',
      query: print(ModelVersionsDocument),
      variables: { modelId: model.id, first: 20, filter: { metrics: [{ name: "accuracy", gte: 0.9 }] }, orderBy: { metric: "accuracy" } },
      check: (d) => {
        const values = d.node.versions.nodes.map((n: any) => n.metrics.find((m: any) => m.name === "accuracy").value);
        if (values.length !== 20 || values.some((v: number, i: number) => v < 0.9 || (i > 0 && v > values[i - 1]))) throw new Error(`wrong page: ${values}`);
      },
    },
  ];

  const results: { name: string; p50: number; p90: number; p99: number; statements: number; plan: string[]; sql: string; ms: number }[] = [];
  for (const read of reads) {
    read.check(await gql(ours.url, token, read.query, read.variables));
    for (let i = 0; i < 20; i++) await gql(ours.url, token, read.query, read.variables);
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      await gql(ours.url, token, read.query, read.variables);
      times.push(performance.now() - t);
    }
    results.push({ name: read.name, p50: percentile(times, 50), p90: percentile(times, 90), p99: percentile(times, 99), statements: 0, plan: [], sql: "", ms: 0 });
    log(`${read.name}: p50 ${percentile(times, 50).toFixed(1)} ms, p90 ${percentile(times, 90).toFixed(1)}, p99 ${percentile(times, 99).toFixed(1)} (load ${os.loadavg()[0]!.toFixed(1)})`);
  }
  const load = os.loadavg();
  await ours.stop();
  ours = undefined;

  // The statements: the same reads through a server behind the recording proxy.
  proxy = await recordingProxy(databaseUrl);
  const proxied = new URL(databaseUrl);
  proxied.host = `127.0.0.1:${proxy.port}`;
  recorded = await startOurServer({ ...env, DATABASE_URL: proxied.toString() });
  for (const [i, read] of reads.entries()) {
    await gql(recorded.url, token, read.query, read.variables); // warm: authentication caches, prepared statements
    proxy.statements.length = 0;
    await gql(recorded.url, token, read.query, read.variables);
    const sent = proxy.statements.splice(0).filter((s) => !/^\s*(BEGIN|COMMIT|ROLLBACK|SET|SELECT 1)\b/i.test(s.sql));
    let main: { plan: string[]; ms: number; sql: string } = { plan: [], ms: -1, sql: "" };
    for (const s of sent) {
      const plan = (await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.params)).rows.map((r) => r["QUERY PLAN"] as string);
      const ms = Number(/Execution Time: ([\d.]+)/.exec(plan.at(-1) ?? "")?.[1] ?? 0);
      if (ms > main.ms) main = { plan, ms, sql: s.sql };
    }
    Object.assign(results[i]!, { statements: sent.length, ...main });
    process.stdout.write(`\n== ${read.name}: ${sent.length} statements; the longest (${main.ms} ms):\n${main.sql}\n${main.plan.join("\n")}\n`);
  }
  log(JSON.stringify(results.map(({ name, p50, p90, p99, statements, ms }) => ({ name, p50, p90, p99, statements, ms }))));

  if (!process.env.BENCH_NO_RECORD) {
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const section = [
      `### ${label || "latest"}: bench/scale.ts, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      "",
      `Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}, PostgreSQL at ${new URL(adminUrl).host}; shared with other jobs (load average ${load.map((l) => l.toFixed(1)).join(" / ")} after the timed requests), so absolute times are pessimistic.`,
      `Data: one model, ${VERSIONS.toLocaleString("en")} versions inserted by SQL (90 % with \`accuracy\` and \`loss\`, ModelVersionMetric rows alongside), ${transitions} stage transitions (every ${PROMOTE_EVERY.toLocaleString("en")}th version promoted to PRODUCTION, the previous one archived); seeding took ${seedSeconds.toFixed(0)} s. \`versionAt\` asks for the instant after version ${atNumber.toLocaleString("en")}'s creation.`,
      "",
      `Over HTTP, one request at a time, ${requests} requests after 20 warm-up ones; statements: those the read sends to PostgreSQL (recorded at the wire), main: the longest of them under EXPLAIN ANALYZE.`,
      "",
      "| read | p50 ms | p90 ms | p99 ms | statements | main statement ms |",
      "|---|---|---|---|---|---|",
      ...results.map((r) => `| ${r.name} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.statements} | ${r.ms.toFixed(2)} |`),
      "",
      ...results.flatMap((r) => [`<details><summary>EXPLAIN (ANALYZE, BUFFERS): ${r.name}</summary>`, "", "```sql", r.sql, "```", "", "```", ...r.plan, "```", "", "</details>", ""]),
    ].join("\n");
    // Replaces only this label's run inside the section (the hand-written summary above it stays).
    recordSubsection("Scale of one model (200,000 versions)", `${label || "latest"}: bench/scale.ts`, section);
  }
} finally {
  await ours?.stop();
  await recorded?.stop();
  proxy?.close();
  await db.end().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: from - to + 1 }, (_, i) => from - i);
}

function expect(actual: unknown, expected: unknown) {
  if (actual !== expected) throw new Error(`expected ${String(expected)}, got ${String(actual)}`);
}
