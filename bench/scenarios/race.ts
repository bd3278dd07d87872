// Scenario 3: version registration under a race. N concurrent clients all call createModelVersion on one model
// (ours, through the API), against the same SQL our service sends, through raw `pg` with the same concurrency
// and pool size (bench/peers/raw-versions.ts), on another model of the same shape. Versions/s are counted in the
// database (rows created in the window), and numbers are checked unique and contiguous afterwards.
import { body, cpuMs, globalId, gql, load, runToJson } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

const CREATE = `mutation Create($m: ID!) {
  r: createModelVersion(input: { modelId: $m, description: "race" }) {
    __typename
    ... on CreateModelVersionPayload { modelVersion { id number } }
    ... on Error { message }
  }
}`;

export async function race(ctx: Ctx, clients = Number(process.env.BENCH_RACE_CLIENTS ?? 20)): Promise<Row> {
  const [oursModel, rawModel] = [ctx.seeded.models[0]!, ctx.seeded.models[1]!];
  const count = async (modelId: string) => {
    const { rows } = await ctx.db.query(`SELECT count(*)::int AS n, max(number) AS max, count(DISTINCT number)::int AS distinct FROM "ModelVersion" WHERE "modelId" = $1`, [modelId]);
    return rows[0] as { n: number; max: number; distinct: number };
  };
  const contiguous = (c: { n: number; max: number; distinct: number }) => c.n === c.max && c.n === c.distinct;
  const check = await gql(ctx.ours.url, ctx.token, CREATE, { m: globalId("Model", oursModel.id) });
  if (check.r.__typename !== "CreateModelVersionPayload") throw new Error(`createModelVersion failed: ${JSON.stringify(check)}`);

  const o0 = await count(oursModel.id);
  const cpu0 = cpuMs(ctx.ours.child.pid);
  const a = await load({
    kind: "autocannon",
    url: ctx.ours.url,
    connections: clients,
    duration: ctx.duration,
    headers: { authorization: `Bearer ${ctx.token}` },
    requests: [{ body: body(CREATE, { m: globalId("Model", oursModel.id) }) }],
  });
  const o1 = await count(oursModel.id);
  const serverCpu = (cpuMs(ctx.ours.child.pid) - cpu0) / (ctx.duration * 1000);
  if (a.non2xx || a.errors) throw new Error(`race: ${a.non2xx} non-2xx answers, ${a.errors} errors`);
  const oursRate = (o1.n - o0.n) / ctx.duration;

  const r0 = await count(rawModel.id);
  const raw = await runToJson<{ versions: number; seconds: number; failures: number }>(0, "bench/peers/raw-versions.ts", [], {
    DATABASE_URL: ctx.databaseUrl,
    CLIENTS: String(clients),
    DURATION: String(ctx.duration),
    MODEL_ID: rawModel.id,
    TOKEN: ctx.token,
    POOL_SIZE: "10",
  });
  const r1 = await count(rawModel.id);
  const rawRate = (r1.n - r0.n) / raw.seconds;
  const ratio = oursRate / rawRate;
  return {
    scenario: `3. createModelVersion race, ${clients} clients on one model, versions/s`,
    ours: `${oursRate.toFixed(0)} (p50 ${a.latency.p50} ms, p99 ${a.latency.p99} ms)`,
    peer: `${rawRate.toFixed(0)} (raw pg, same statements)`,
    ratio,
    goal: "≥ 0.6",
    met: ratio >= 0.6 && contiguous(o1) && contiguous(r1),
    notes: [
      `${ctx.duration} s each; our server used ${(serverCpu * 100).toFixed(0)} % of a core (≈ ${((serverCpu * 1000) / Math.max(1, oursRate)).toFixed(1)} ms CPU per version); responses ours ${a.requests} (non-2xx ${a.non2xx}), raw failures ${raw.failures}. Numbers unique and contiguous afterwards: ours ${contiguous(o1) ? "yes" : "NO"} (1..${o1.max}), raw ${contiguous(r1) ? "yes" : "NO"} (1..${r1.max}).`,
    ],
  };
}
