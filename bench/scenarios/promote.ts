// Scenario 4: transitionModelVersionStage to PRODUCTION, latency with 50 concurrent clients against one client.
// Each client promotes on its own model (as deploy pipelines of different models do), alternating the model's
// versions 9 and 10 into PRODUCTION, so every call also auto-archives the incumbent. Models of different
// projects still serialise on the global event-log lock (events/log.ts), which is what this measures.
import { body, globalId, load, percentile, postgresCpuMs, postgresCpuSince, withCpu } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

const PROMOTE = `mutation Promote($id: ID!) {
  r: transitionModelVersionStage(input: { modelVersionId: $id, stage: PRODUCTION }) {
    __typename
    ... on TransitionModelVersionStagePayload { modelVersion { id stage } archivedVersions { id stage } }
    ... on Error { message }
  }
}`;

export async function promote(ctx: Ctx, many = 50): Promise<Row[]> {
  // Model 6 of projects 1..50 for the 50 clients; model 7 of project 1 for the single client, model 8 for the warm-up (v9 STAGING, v10 PRODUCTION).
  const bodiesFor = (model: { versions: string[] }) => [model.versions[8]!, model.versions[9]!].map((id) => body(PROMOTE, { id: globalId("ModelVersion", id) }));
  const headers = { authorization: `Bearer ${ctx.token}` };
  const single = ctx.seeded.models[6]!;
  const warm = ctx.seeded.models[7]!; // its own model: the warm-up may end on either version
  const models = Array.from({ length: many }, (_, i) => ctx.seeded.models[i * 10 + 5]!);
  await load({ kind: "loops", url: ctx.ours.url, headers, duration: 2, clients: [bodiesFor(warm)] }); // warm-up
  const pg0 = await postgresCpuMs(ctx.admin, ctx.dbName);
  const one = await withCpu(ctx.ours.child.pid, ctx.duration, () => load({ kind: "loops", url: ctx.ours.url, headers, duration: ctx.duration, clients: [bodiesFor(single)] }));
  const pg1 = await postgresCpuMs(ctx.admin, ctx.dbName);
  const all = await withCpu(ctx.ours.child.pid, ctx.duration, () => load({ kind: "loops", url: ctx.ours.url, headers, duration: ctx.duration, clients: models.map(bodiesFor) }));
  const pg2 = await postgresCpuMs(ctx.admin, ctx.dbName);
  // Per promotion: our server's CPU and the bench database's backends' CPU over the run, ÷ promotions in it.
  const perPromotion = (run: typeof one, pgMs: number) => ({ server: (run.cpu * run.seconds * 1000) / Math.max(1, run.latencies.length), postgres: pgMs / Math.max(1, run.latencies.length) });
  const cpuOne = perPromotion(one, postgresCpuSince(pg0, pg1));
  const cpuAll = perPromotion(all, postgresCpuSince(pg1, pg2));
  if (one.graphqlErrors || all.graphqlErrors) ctx.log(`promote: errors single ${one.graphqlErrors}, 50 ${all.graphqlErrors}: ${one.firstError ?? all.firstError}`);
  const p50one = percentile(one.latencies, 50);
  const p99all = percentile(all.latencies, 99);
  const ratio = p99all / p50one;
  const totalOne = cpuOne.server + cpuOne.postgres;
  const cpuRow: Row = {
    scenario: "4a. promote to PRODUCTION: server + PostgreSQL CPU per promotion, 1 client (ms)",
    ours: `${totalOne.toFixed(1)} ms (server ${cpuOne.server.toFixed(1)} + PostgreSQL ${cpuOne.postgres.toFixed(1)})`,
    peer: `with ${many} clients: ${(cpuAll.server + cpuAll.postgres).toFixed(1)} ms (server ${cpuAll.server.toFixed(1)} + PostgreSQL ${cpuAll.postgres.toFixed(1)})`,
    ratio: totalOne,
    goal: "≤ 4 ms",
    met: totalOne <= 4 && one.graphqlErrors === 0,
    notes: [
      `CPU (user + system, /proc) of our server process and of the bench database's PostgreSQL client backends (pg_stat_activity; pg_stat_statements is not preloaded on the shared server), over each ${ctx.duration} s run ÷ the promotions it completed (${one.latencies.length} with 1 client, ${all.latencies.length} with ${many}); background pollers are included; WAL writer and checkpointer are not.`,
    ],
  };
  return [cpuRow, {
    scenario: `4b. promote to PRODUCTION: p99 with ${many} clients ÷ p50 with 1 client`,
    ours: `p99(${many}) ${p99all.toFixed(1)} ms (p50 ${percentile(all.latencies, 50).toFixed(1)} ms, ${(all.latencies.length / all.seconds).toFixed(0)} promotions/s)`,
    peer: `p50(1) ${p50one.toFixed(1)} ms (p99 ${percentile(one.latencies, 99).toFixed(1)} ms, ${(one.latencies.length / one.seconds).toFixed(0)}/s)`,
    ratio,
    goal: "≤ 10",
    met: ratio <= 10 && one.graphqlErrors + all.graphqlErrors === 0,
    notes: [`Each of ${many} clients on its own model (50 projects), closed loop, ${ctx.duration} s; errors: ${one.graphqlErrors + all.graphqlErrors}. Server CPU: ${(one.cpu * 100).toFixed(0)} % of a core with 1 client (${((one.cpu * one.seconds * 1000) / Math.max(1, one.latencies.length)).toFixed(1)} ms per promotion), ${(all.cpu * 100).toFixed(0)} % with ${many} (${((all.cpu * all.seconds * 1000) / Math.max(1, all.latencies.length)).toFixed(1)} ms per promotion).`],
  }];
}
