// Scenario 2: the depth-4 lineage query (project → models → versions → iteration → experiment, and the version's
// resource), requests/s and SQL statements per request, ours against PostGraphile v4 (library mode, a pg.Pool on
// the same database, schema public) answering the equivalent query on its generated schema.
import { body, globalId, gql, load, sleep, startPeer, withCpu, xacts } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

export const LINEAGE = `query Lineage($id: ID!) {
  project(by: { id: $id }) {
    name
    models(first: 10) {
      totalCount
      nodes {
        name
        versions(first: 10) {
          totalCount
          nodes {
            number
            stage
            iteration { number experiment { name } }
            resource { name sha256 sizeBytes }
          }
        }
      }
    }
  }
}`;

// PostGraphile names things after tables and foreign keys. Same rows: active models by name, non-deleted
// versions newest first (our API's defaults).
export const LINEAGE_POSTGRAPHILE = `query Lineage($id: String!) {
  projectById(id: $id) {
    name
    modelsByProjectId(first: 10, orderBy: NAME_ASC, condition: { status: ACTIVE }) {
      totalCount
      nodes {
        name
        modelVersionsByModelId(first: 10, orderBy: NUMBER_DESC, condition: { deletedAt: null }) {
          totalCount
          nodes {
            number
            stage
            iterationByIterationId { number experimentByExperimentId { name } }
            resourceByResourceId { name sha256 sizeBytes }
          }
        }
      }
    }
  }
}`;

/** Versions in one answer (checks both servers return the same amount of data). */
function countVersions(project: any, models: string, versions: string): number {
  return project[models].nodes.reduce((n: number, m: any) => n + m[versions].nodes.length, 0);
}

export async function lineage(ctx: Ctx): Promise<Row> {
  const peer = await startPeer("postgraphile", { DATABASE_URL: ctx.databaseUrl, POOL_SIZE: "10" });
  try {
    // 20 projects, cycled per connection, so answers are not the same rows every time.
    const projects = ctx.seeded.projects.slice(0, 20);
    const oursRequests = projects.map((p) => ({ body: body(LINEAGE, { id: globalId("Project", p.id) }) }));
    const peerRequests = projects.map((p) => ({ body: body(LINEAGE_POSTGRAPHILE, { id: p.id }) }));
    const a = await gql(ctx.ours.url, ctx.token, LINEAGE, { id: globalId("Project", projects[0]!.id) });
    const b = await gql(peer.url, null, LINEAGE_POSTGRAPHILE, { id: projects[0]!.id });
    const oursVersions = countVersions(a.project, "models", "versions");
    const peerVersions = countVersions(b.projectById, "modelsByProjectId", "modelVersionsByModelId");
    if (oursVersions !== 100 || peerVersions !== 100) throw new Error(`lineage answers differ: ours ${oursVersions} versions, PostGraphile ${peerVersions}`);

    const ours: { url: string; headers: Record<string, string>; requests: { body: string }[] } = { url: ctx.ours.url, headers: { authorization: `Bearer ${ctx.token}` }, requests: oursRequests };
    const theirs = { url: peer.url, headers: {}, requests: peerRequests };
    const run = (target: typeof ours, duration: number) => load({ kind: "autocannon", connections: ctx.connections, duration, ...target });
    await run(ours, 3);
    await run(theirs, 3);
    const o: number[] = [];
    const p: number[] = [];
    const rounds: string[] = [];
    for (let round = 0; round < 2; round++) {
      const x = await withCpu(ctx.ours.child.pid, ctx.duration, () => run(ours, ctx.duration));
      await sleep(500);
      const y = await withCpu(peer.child.pid, ctx.duration, () => run(theirs, ctx.duration));
      await sleep(500);
      if (x.non2xx || x.errors || y.non2xx || y.errors) throw new Error(`lineage: non-2xx/errors ours ${x.non2xx}/${x.errors}, peer ${y.non2xx}/${y.errors}: the figures would not be answers`);
      o.push(x.rps);
      p.push(y.rps);
      rounds.push(`round ${round + 1}: ours ${x.rps.toFixed(0)} rps (p99 ${x.latency.p99} ms, server CPU ${(x.cpu * 100).toFixed(0)} %), PostGraphile ${y.rps.toFixed(0)} rps (p99 ${y.latency.p99} ms, CPU ${(y.cpu * 100).toFixed(0)} %)`);
    }
    const statements = await countStatements(ctx, peer.url.replace(/\/graphql$/, "/__stats"), oursRequests, peerRequests);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ratio = mean(o) / mean(p);
    return {
      scenario: "2. depth-4 lineage query (10 models × 10 versions, iteration+experiment, resource), requests/s",
      ours: `${mean(o).toFixed(0)} rps; ${statements.ours.toFixed(1)} SQL statements/request`,
      peer: `${mean(p).toFixed(0)} rps; ${statements.peer.toFixed(1)} statements/request (PostGraphile v4)`,
      ratio,
      goal: "≥ 1.0",
      met: ratio >= 1,
      notes: [
        `${ctx.connections} connections, ${ctx.duration} s per run, 2 alternated rounds, 20 projects cycled; ${rounds.join("; ")}.`,
        `Statements: ${statements.note}`,
      ],
    };
  } finally {
    await peer.stop();
  }
}

/**
 * SQL statements per request. PostGraphile: its pool's `query` is wrapped (exact). Ours: PostgreSQL's
 * per-database transaction counter (every Prisma statement outside a transaction is one), read after the
 * backends have flushed their statistics (up to 10 s when idle), minus the server's background polling
 * measured over an idle window of the same length just before.
 */
async function countStatements(ctx: Ctx, statsUrl: string, oursRequests: { body: string }[], peerRequests: { body: string }[]) {
  const N = 100;
  const send = async (url: string, headers: Record<string, string>, requests: { body: string }[]) => {
    for (let i = 0; i < N; i++) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: requests[i % requests.length]!.body });
      await res.arrayBuffer();
    }
  };
  const settle = 11_000;
  await sleep(settle);
  const idle0 = await xacts(ctx.admin, ctx.dbName);
  const t0 = performance.now();
  await sleep(settle);
  const before = await xacts(ctx.admin, ctx.dbName);
  const t1 = performance.now();
  await send(ctx.ours.url, { authorization: `Bearer ${ctx.token}` }, oursRequests);
  await sleep(settle);
  const after = await xacts(ctx.admin, ctx.dbName);
  const t2 = performance.now();
  const idleRate = (before - idle0) / (t1 - t0);
  const background = idleRate * (t2 - t1);
  const ours = (after - before - background) / N;

  const statsBefore = ((await (await fetch(statsUrl)).json()) as { statements: number }).statements;
  const pgBefore = await xacts(ctx.admin, ctx.dbName);
  const t3 = performance.now();
  await send(statsUrl.replace(/\/__stats$/, "/graphql"), {}, peerRequests);
  const statsAfter = ((await (await fetch(statsUrl)).json()) as { statements: number }).statements;
  await sleep(settle);
  const pgAfter = await xacts(ctx.admin, ctx.dbName);
  const peerXacts = (pgAfter - pgBefore - idleRate * (performance.now() - t3)) / N;
  const peer = (statsAfter - statsBefore) / N;
  return {
    ours,
    peer,
    note: `${N} sequential requests each. Ours: ${after - before} transactions at PostgreSQL (pg_stat_database) in the window, of which ≈ ${background.toFixed(0)} background (server pollers, ${(idleRate * 1000).toFixed(2)}/s measured idle) → ${ours.toFixed(2)} per request. PostGraphile: ${statsAfter - statsBefore} pool queries → ${peer.toFixed(2)} per request (${peerXacts.toFixed(2)} transactions per request at PostgreSQL).`,
  };
}
