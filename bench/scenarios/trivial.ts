// Scenario 1: the cheapest authenticated query, requests/s, ours against fastify + mercurius + graphql-jit serving
// the same SDL with constant resolvers. Ours authenticates every request (token lookup by hash, then its user).
import { body, load, startPeer, sleep, withCpu } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

export const TRIVIAL = "query Trivial { viewer { id name } }";

export async function trivial(ctx: Ctx): Promise<Row> {
  const peer = await startPeer("mercurius");
  // Reference, not the goal's peer: plain graphql-yoga (the one our server runs), same SDL, constant resolvers.
  const yoga = await startPeer("yoga");
  try {
    const requests = [{ body: body(TRIVIAL) }];
    const ours: { url: string; headers: Record<string, string> } = { url: ctx.ours.url, headers: { authorization: `Bearer ${ctx.token}` } };
    const theirs = { url: peer.url, headers: {} };
    const check = async (target: { url: string; headers: Record<string, string> }) => {
      const res = await fetch(target.url, { method: "POST", headers: { "content-type": "application/json", ...target.headers }, body: requests[0]!.body });
      const json = (await res.json()) as { data?: { viewer?: { name?: string } } };
      if (!json.data?.viewer?.name) throw new Error(`trivial query failed at ${target.url}: ${JSON.stringify(json)}`);
    };
    const plainYoga = { url: yoga.url, headers: {} };
    await check(ours);
    await check(theirs);
    await check(plainYoga);
    const run = (target: typeof ours, duration: number) => load({ kind: "autocannon", connections: ctx.connections, duration, requests, ...target });
    // Warm-up (JIT, graphql-jit compilation, pools), then alternate: ours, peer, ours, peer.
    await run(ours, 3);
    await run(theirs, 3);
    await run(plainYoga, 3);
    const o: number[] = [];
    const p: number[] = [];
    const latency: string[] = [];
    let yogaLine = "";
    for (let round = 0; round < 2; round++) {
      const a = await withCpu(ctx.ours.child.pid, ctx.duration, () => run(ours, ctx.duration));
      await sleep(500);
      const b = await withCpu(peer.child.pid, ctx.duration, () => run(theirs, ctx.duration));
      await sleep(500);
      if (a.non2xx || a.errors || b.non2xx || b.errors) throw new Error(`trivial: non-2xx/errors ours ${a.non2xx}/${a.errors}, peer ${b.non2xx}/${b.errors}: the figures would not be answers`);
      o.push(a.rps);
      p.push(b.rps);
      if (round === 0) {
        const y = await withCpu(yoga.child.pid, ctx.duration, () => run(plainYoga, ctx.duration));
        await sleep(500);
        yogaLine = `Reference: plain graphql-yoga 5.24 on node:http with the same SDL and constant resolvers (no Pothos, Prisma or authentication): ${y.rps.toFixed(0)} rps (p50 ${y.latency.p50} ms, CPU ${(y.cpu * 100).toFixed(0)} %), i.e. ${(y.rps / b.rps).toFixed(2)} × mercurius and ${(a.rps / y.rps).toFixed(2)} of it is what we keep.`;
      }
      latency.push(`round ${round + 1}: ours ${a.rps.toFixed(0)} rps (p50 ${a.latency.p50} ms, p99 ${a.latency.p99} ms, server CPU ${(a.cpu * 100).toFixed(0)} % of a core), peer ${b.rps.toFixed(0)} rps (p50 ${b.latency.p50} ms, p99 ${b.latency.p99} ms, CPU ${(b.cpu * 100).toFixed(0)} %)`);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ratio = mean(o) / mean(p);
    return {
      scenario: "1. trivial query `{ viewer { id name } }`, requests/s",
      ours: mean(o).toFixed(0),
      peer: `${mean(p).toFixed(0)} (mercurius + graphql-jit)`,
      ratio,
      goal: "≥ 0.6",
      met: ratio >= 0.6,
      notes: [`${ctx.connections} connections, ${ctx.duration} s per run, 2 alternated rounds; ${latency.join("; ")}.`, yogaLine],
    };
  } finally {
    await peer.stop();
    await yoga.stop();
  }
}
