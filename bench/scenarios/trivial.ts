// Scenario 1: the cheapest authenticated query, requests/s, ours against plain graphql-yoga serving the same SDL with
// constant resolvers (the goal's denominator), with fastify + mercurius + graphql-jit reported beside it. Ours
// authenticates every request.
import { body, load, startPeer, sleep, withCpu } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

export const TRIVIAL = "query Trivial { viewer { id name } }";

export async function trivial(ctx: Ctx): Promise<Row> {
  const peer = await startPeer("mercurius");
  // The goal's denominator: plain graphql-yoga (the one our server runs), same SDL, constant resolvers.
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
    // Warm-up (JIT, graphql-jit compilation, pools).
    await run(ours, 3);
    await run(theirs, 3);
    await run(plainYoga, 3);
    // Alternated rounds: ours, plain yoga (the goal's denominator), mercurius (reported beside it).
    const o: number[] = [];
    const y: number[] = [];
    const m: number[] = [];
    const latency: string[] = [];
    for (let round = 0; round < 2; round++) {
      const a = await withCpu(ctx.ours.child.pid, ctx.duration, () => run(ours, ctx.duration));
      await sleep(500);
      const c = await withCpu(yoga.child.pid, ctx.duration, () => run(plainYoga, ctx.duration));
      await sleep(500);
      const b = await withCpu(peer.child.pid, ctx.duration, () => run(theirs, ctx.duration));
      await sleep(500);
      for (const [who, r] of [["ours", a], ["yoga", c], ["mercurius", b]] as const) {
        if (r.non2xx || r.errors) throw new Error(`trivial: ${who} had ${r.non2xx} non-2xx answers and ${r.errors} errors: the figures would not be answers`);
      }
      o.push(a.rps);
      y.push(c.rps);
      m.push(b.rps);
      const line = (r: typeof a) => `${r.rps.toFixed(0)} rps (p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, CPU ${(r.cpu * 100).toFixed(0)} %)`;
      latency.push(`round ${round + 1}: ours ${line(a)}, plain yoga ${line(c)}, mercurius ${line(b)}`);
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ratio = mean(o) / mean(y);
    return {
      scenario: "1. trivial query `{ viewer { id name } }`, requests/s ÷ plain graphql-yoga",
      ours: mean(o).toFixed(0),
      peer: `${mean(y).toFixed(0)} (plain graphql-yoga, same SDL, constant resolvers); mercurius + graphql-jit ${mean(m).toFixed(0)} (ours ÷ it ${(mean(o) / mean(m)).toFixed(2)})`,
      ratio,
      goal: "≥ 0.6",
      met: ratio >= 0.6,
      notes: [
        `${ctx.connections} connections, ${ctx.duration} s per run, 2 alternated rounds; ${latency.join("; ")}.`,
        "Plain graphql-yoga 5.24 on node:http (the stack's floor: no Pothos, Prisma or authentication) is the goal's denominator; mercurius + graphql-jit is reported beside it.",
      ],
    };
  } finally {
    await peer.stop();
    await yoga.stop();
  }
}
