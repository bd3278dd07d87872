// Scenario 7: registrations/s with 20 clients, our server on PGlite (the embedded default: no DATABASE_URL, a
// fresh DATA_DIR) against our server on PostgreSQL (the suite's server, on one of the seeded models): the same
// createModelVersion load (the SDK's document), alternated, two rounds each. No goal: recorded against each other.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { body, cpuMs, globalId, gql, load, sleep, startOurServer } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

export const CREATE_VERSION = `mutation CreateModelVersion($input: CreateModelVersionInput!) {
  createModelVersion(input: $input) {
    __typename
    ... on CreateModelVersionPayload { modelVersion { id number stage } }
    ... on Error { message }
  }
}`;

export async function embedded(ctx: Ctx, clients = 20): Promise<Row> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-bench-embedded-"));
  const token = `mg_${randomBytes(32).toString("base64url")}`;
  const t0 = performance.now();
  const pglite = await startOurServer({ DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: token, DATABASE_URL: "" });
  const startSeconds = (performance.now() - t0) / 1000;
  try {
    const project = await gql(pglite.url, token, `mutation { r: createProject(input: { name: "embedded-bench" }) { ... on CreateProjectPayload { project { id } } ... on Error { message } } }`);
    const model = await gql(pglite.url, token, `mutation($p: ID!) { r: createModel(input: { projectId: $p, name: "embedded-model" }) { ... on CreateModelPayload { model { id } } ... on Error { message } } }`, { p: project.r.project.id });
    const targets = [
      { label: "PGlite", proc: pglite, token, modelId: model.r.model.id as string },
      { label: "PostgreSQL", proc: ctx.ours, token: ctx.token, modelId: globalId("Model", ctx.seeded.models[2]!.id) },
    ];
    const run = (t: (typeof targets)[number], duration: number) =>
      load({
        kind: "autocannon",
        url: t.proc.url,
        connections: clients,
        duration,
        headers: { authorization: `Bearer ${t.token}` },
        requests: [{ body: body(CREATE_VERSION, { input: { modelId: t.modelId, description: "embedded" } }) }],
      });
    for (const t of targets) await run(t, 2);
    const rates = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    const cpu = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    const rounds: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const t of targets) {
        const c0 = cpuMs(t.proc.child.pid);
        const r = await run(t, ctx.duration);
        const ms = cpuMs(t.proc.child.pid) - c0;
        if (r.non2xx || r.errors) throw new Error(`embedded: ${t.label} had ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        // Every 2xx answer is a created version (checked below by counting them).
        rates.get(t.label)!.push(r.requests / ctx.duration);
        cpu.get(t.label)!.push(ms / Math.max(1, r.requests));
        rounds.push(`round ${round + 1} ${t.label}: ${(r.requests / ctx.duration).toFixed(0)}/s (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${(ms / Math.max(1, r.requests)).toFixed(1)} ms server CPU per version)`);
        await sleep(500);
      }
    }
    const check = await gql(pglite.url, token, `query($m: ID!) { node(id: $m) { ... on Model { versions { totalCount } } } }`, { m: targets[0]!.modelId });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const [lite, pgsql] = [mean(rates.get("PGlite")!), mean(rates.get("PostgreSQL")!)];
    return {
      scenario: `7. createModelVersion, ${clients} clients, versions/s: embedded PGlite ÷ PostgreSQL`,
      ours: `${lite.toFixed(0)}/s on PGlite (${mean(cpu.get("PGlite")!).toFixed(1)} ms server CPU per version, PGlite included)`,
      peer: `${pgsql.toFixed(0)}/s on PostgreSQL (${mean(cpu.get("PostgreSQL")!).toFixed(1)} ms server CPU per version, PostgreSQL's not counted)`,
      ratio: lite / pgsql,
      goal: "report",
      met: true,
      notes: [
        `${clients} connections, ${ctx.duration} s per run, 2 alternated rounds; the PGlite server on a fresh DATA_DIR (healthy ${startSeconds.toFixed(1)} s after spawn under the suite), ${check.node.versions.totalCount} versions on its model afterwards; ${rounds.join("; ")}.`,
      ],
    };
  } finally {
    await pglite.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
