// `pnpm bench:console`: the model page's budget (issue 13) — "a model with 10,000 versions renders its first page in
// ≤ 1 s after the API answers, measured in Chromium". A fresh PostgreSQL database migrated by our server (which serves
// the console built from these sources), one model whose 10,000 versions are inserted by SQL (each with `accuracy`
// and `loss`), then the model page opened in Chromium BENCH_LOADS times (default 7, a new tab each, signed in once),
// by version number and sorted by accuracy (the API's metric order). Each load measures, in the page's own clock,
// from the end of the GraphQL response the rows came in (the last /graphql resource entry before they appear) to the
// first frame painted with the rows (a requestAnimationFrame, then a task, after the rows exist). Prints the medians
// and appends them to bench/RESULTS.md with the machine's load.
// Env: BENCH_POSTGRES_URL (admin connection), BENCH_LOADS, BENCH_NO_RECORD=1, CHROMIUM_PATH.
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { chromium } from "playwright-core";
import { gql, startOurServer, type Proc } from "./harness.ts";
import { decodeGlobalId } from "../server/src/domain/ids.ts";

const VERSIONS = 10_000;
const BUDGET_MS = 1_000;
const loads = Math.max(5, Number(process.env.BENCH_LOADS ?? 7));
const adminUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const dbName = `mg_bench_console_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const databaseUrl = new URL(adminUrl);
databaseUrl.pathname = `/${dbName}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-console-"));
const token = `mg_${randomBytes(32).toString("base64url")}`;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const log = (m: string) => process.stderr.write(`[bench:console ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const build = spawnSync(process.execPath, ["scripts/build-console.mjs", "--if-stale"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) throw new Error("the console build failed");

/**
 * Installed before the page's scripts (as text: tsx would wrap a function's inner functions in a helper the page
 * lacks): `window.__rowsPainted` resolves with the timings of the first frame painted with the rows.
 */
const WATCH_ROWS = `
window.__rowsPainted = new Promise((resolve) => {
  const painted = () => requestAnimationFrame(() => setTimeout(() => {
    const at = performance.now();
    const graphql = performance.getEntriesByType("resource").filter((e) => e.name.includes("/graphql") && e.responseEnd <= at);
    const last = graphql.reduce((a, b) => (b.responseEnd > a.responseEnd ? b : a));
    resolve({ paintedAt: at, responseEnd: last.responseEnd, rows: document.querySelectorAll("table.versions tbody tr").length });
  }));
  const observer = new MutationObserver(() => {
    if (document.querySelector("table.versions tbody tr")) {
      observer.disconnect();
      painted();
    }
  });
  observer.observe(document, { childList: true, subtree: true });
});`;

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
let ours: Proc | undefined;
const db = new pg.Client({ connectionString: databaseUrl.toString() });
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  await admin.query(`CREATE DATABASE ${dbName}`);
  ours = await startOurServer({ DATABASE_URL: databaseUrl.toString(), DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: token });
  const origin = ours.url.replace(/\/graphql$/, "");
  const project = (await gql(ours.url, token, `mutation { createProject(input: { name: "bench-console" }) { ... on CreateProjectPayload { project { id } } } }`)).createProject.project;
  const model = (await gql(ours.url, token, `mutation($p: ID!) { createModel(input: { projectId: $p, name: "m" }) { ... on CreateModelPayload { model { id } } } }`, { p: project.id })).createModel.model;
  await db.connect();
  const seedStart = Date.now();
  await db.query(`SELECT setseed(0.31)`);
  await db.query(
    `INSERT INTO "ModelVersion" (id, "projectId", "modelId", number, metrics, "createdById", "updatedAt")
     SELECT gen_random_uuid()::text, $1, $2, n, jsonb_build_object('accuracy', random(), 'loss', random()), (SELECT id FROM "User" LIMIT 1), now()
     FROM generate_series(1, $3::int) n`,
    [decodeGlobalId(project.id)!.id, decodeGlobalId(model.id)!.id, VERSIONS],
  );
  await db.query(`INSERT INTO "ModelVersionMetric" ("versionId", "modelId", name, value, number)
    SELECT v.id, v."modelId", m.key, (m.value #>> '{}')::double precision, v.number FROM "ModelVersion" v, jsonb_each(v.metrics) m`);
  await db.query(`UPDATE "Model" SET "nextVersionNumber" = $2 WHERE id = $1`, [decodeGlobalId(model.id)!.id, VERSIONS + 1]);
  await db.query(`ANALYZE`);
  log(`seeded ${VERSIONS} versions in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript({ content: WATCH_ROWS });
  const signIn = await context.newPage();
  await signIn.goto(`${origin}/`);
  await signIn.getByLabel("API token").fill(token);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await signIn.getByRole("button", { name: "Sign out" }).waitFor();
  await signIn.close();

  const results: Record<string, { ms: number[]; rows: number }> = {};
  for (const [label, query] of [
    ["by number", ""],
    ["by accuracy", "?sort=accuracy&metrics=accuracy,loss"],
  ] as const) {
    const ms: number[] = [];
    let rows = 0;
    for (let i = 0; i < loads; i++) {
      const page = await context.newPage();
      await page.goto(`${origin}/projects/bench-console/models/m${query}`);
      const t = (await page.evaluate("window.__rowsPainted")) as { paintedAt: number; responseEnd: number; rows: number };
      ms.push(t.paintedAt - t.responseEnd);
      rows = t.rows;
      await page.close();
    }
    results[label] = { ms, rows };
    log(`${label}: ${rows} rows; response end → rows painted ${ms.map((m) => m.toFixed(0)).join(", ")} ms; median ${median(ms).toFixed(0)} ms`);
  }
  const load = os.loadavg()[0]!.toFixed(2);
  const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { medianMs: Number(median(v.ms).toFixed(1)), rows: v.rows }]));
  process.stdout.write(`${JSON.stringify({ versions: VERSIONS, loads, budgetMs: BUDGET_MS, load, ...summary })}\n`);
  const over = Object.entries(results).filter(([, v]) => median(v.ms) > BUDGET_MS);
  if (!process.env.BENCH_NO_RECORD) {
    const section = [
      "",
      `## Console model page, 10,000 versions (bench/console.ts, ${new Date().toISOString().slice(0, 10)})`,
      "",
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, Chromium at ${chromiumPath} (headless), PostgreSQL at ${databaseUrl.host}; shared with other jobs (load average ${load} at the end).`,
      `Data: one model, ${VERSIONS.toLocaleString("en")} versions inserted by SQL, each with \`accuracy\` and \`loss\`. The page asks the API for its first 50 (\`model.versions\`, sorted by the server).`,
      `Measured in the page: from the end of the GraphQL response holding the rows to the first frame painted with them (rAF + task), ${loads} loads each, a new tab per load. Budget ${BUDGET_MS} ms.`,
      "",
      "| view | rows painted | loads (ms) | median ms |",
      "|---|---|---|---|",
      ...Object.entries(results).map(([k, v]) => `| ${k} | ${v.rows} | ${v.ms.map((m) => m.toFixed(0)).join(", ")} | ${median(v.ms).toFixed(0)} |`),
      "",
    ].join("\n");
    fs.appendFileSync(path.join(root, "bench", "RESULTS.md"), section);
  }
  if (over.length) {
    log(`over budget: ${over.map(([k]) => k).join(", ")}`);
    process.exitCode = 1;
  }
} finally {
  await browser.close().catch(() => {});
  await db.end().catch(() => {});
  await ours?.stop();
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
