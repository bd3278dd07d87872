// Scenario 5: a clean query's throughput with 10 % hostile requests mixed in, over the clean query alone.
// Hostile kinds, cycled: depth 50, 1,000 aliases, 100k tokens, a 10 MB string. Reusable as is after abuse limits
// (graphql-armor) land: it only measures what the server does with them, and records how each is answered.
import { body, globalId, load, percentile, sleep } from "../harness.ts";
import type { Ctx, Row } from "./context.ts";

export const CLEAN = `query Clean($id: ID!) { viewer { id name } project(by: { id: $id }) { name models(first: 5) { totalCount nodes { id name } } } }`;

export function hostileQueries(projectId: string): { kind: string; body: string }[] {
  const id = globalId("Project", projectId);
  // Depth 50: project → models → nodes → project … (3 levels per hop).
  let nested = "name";
  for (let i = 0; i < 16; i++) nested = `project { models(first: 1) { nodes { ${nested} } } }`;
  const depth = `query Deep($id: ID!) { project(by: { id: $id }) { models(first: 1) { nodes { ${nested} } } } }`;
  const aliases = `query Aliases($id: ID!) { ${Array.from({ length: 1000 }, (_, i) => `a${i}: project(by: { id: $id }) { name }`).join(" ")} }`;
  // 100k lexical tokens in one document: a list argument of 50,000 values (commas are not tokens).
  const tokens = `query Tokens { nodes(ids: [${Array.from({ length: 99_990 }, () => "x").join(" ")}]) { id } }`;
  const huge = `query Huge { project(by: { name: "${"x".repeat(10 * 1024 * 1024)}" }) { id } }`;
  return [
    { kind: "depth 50", body: body(depth, { id }) },
    { kind: "1,000 aliases", body: body(aliases, { id }) },
    { kind: "100k tokens", body: body(tokens) },
    { kind: "10 MB string", body: body(huge) },
  ];
}

export async function hostile(ctx: Ctx): Promise<Row> {
  const headers = { authorization: `Bearer ${ctx.token}` };
  const clean = ctx.seeded.projects.slice(0, 9).map((p) => ({ body: body(CLEAN, { id: globalId("Project", p.id) }) }));
  const bad = hostileQueries(ctx.seeded.projects[0]!.id);
  // How each hostile request is answered now (status, time, size), one at a time.
  const answers: string[] = [];
  for (const h of bad) {
    const t0 = performance.now();
    const res = await fetch(ctx.ours.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: h.body });
    const text = await res.text();
    const error = /"message":"([^"]{0,120})/.exec(text)?.[1];
    answers.push(`${h.kind}: HTTP ${res.status} in ${(performance.now() - t0).toFixed(0)} ms, ${text.length.toLocaleString("en")} bytes${error ? ` ("${error}")` : ""}`);
  }
  // 40 bodies per connection cycle: 36 clean, 4 hostile (one of each kind) = 10 %. Closed loops (bench/load.ts
  // "loops"), each connection starting its cycle at another offset: with autocannon every connection started at the
  // first body, so a short or slow run (under 40 requests a connection) never sent the later hostile kinds.
  const mixed: string[] = [];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 9; j++) mixed.push(clean[(i * 9 + j) % clean.length]!.body);
    mixed.push(bad[i]!.body);
  }
  const clients = (bodies: string[]) =>
    Array.from({ length: ctx.connections }, (_, c) => {
      const offset = Math.floor((c * bodies.length) / ctx.connections);
      return [...bodies.slice(offset), ...bodies.slice(0, offset)];
    });
  const cleanBodies = Array.from({ length: 40 }, (_, i) => clean[i % clean.length]!.body);
  const run = async (bodies: string[], duration: number) => {
    const r = await load({ kind: "loops", url: ctx.ours.url, duration, headers, clients: clients(bodies) });
    return { requests: r.latencies.length, rps: r.latencies.length / r.seconds, p99: percentile(r.latencies, 99), withErrors: r.graphqlErrors };
  };
  await run(cleanBodies, 3);
  const alone = await run(cleanBodies, ctx.duration);
  if (alone.withErrors) throw new Error(`hostile: the clean run had ${alone.withErrors} answers with errors`);
  await sleep(500);
  const mix = await run(mixed, ctx.duration);
  const cleanInMix = mix.rps * 0.9;
  const ratio = cleanInMix / alone.rps;
  return {
    scenario: "5. hostile mix: clean requests/s with 10 % hostile ÷ clean alone",
    ours: `${cleanInMix.toFixed(0)} clean rps in the mix (p99 ${mix.p99.toFixed(0)} ms, ${mix.withErrors} of ${mix.requests} answers refused)`,
    peer: `${alone.rps.toFixed(0)} clean rps alone (p99 ${alone.p99.toFixed(0)} ms)`,
    ratio,
    goal: "≥ 0.9",
    met: ratio >= 0.9,
    notes: [`${ctx.connections} closed-loop connections, ${ctx.duration} s each, each cycling its 40 bodies from its own offset. Hostile requests answered one by one: ${answers.join("; ")}.`],
  };
}
