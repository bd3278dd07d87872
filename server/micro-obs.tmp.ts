// temporary: not committed
import { createLogger as newLogger, requestScope as newScope } from "./src/log.ts";
import { Registry as NewRegistry } from "./src/observability/metrics.ts";
import { createLogger as oldLogger, requestScope as oldScope } from "/tmp/obsmicro/old/log.ts";
import { Registry as OldRegistry } from "/tmp/obsmicro/old/metrics.ts";

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const out = (s: string) => process.stderr.write(s + "\n");

function time(name: string, n: number, fn: (i: number) => void): number {
  for (let i = 0; i < n / 10; i++) fn(i); // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t) / n;
  return ns;
}

const fields = (i: number) => ({ requestId: "x", transport: "http", method: "POST", operationName: "Trivial", operationType: "query", status: 200, durationMs: (i % 100) / 10, result: "ok" });
const results: Record<string, number[]> = {};
const add = (k: string, v: number) => (results[k] ??= []).push(v);

const oldLog = oldLogger("info");
const newLog = newLogger("info");
const oldReg = new OldRegistry();
const newReg = new NewRegistry();
const oh = oldReg.histogram("h", "h", ["operation_name", "operation_type"], BUCKETS);
const nh = newReg.histogram("h", "h", ["operation_name", "operation_type"], BUCKETS);
const oc = oldReg.counter("c", "c", ["operation_name", "operation_type", "result"]);
const nc = newReg.counter("c", "c", ["operation_name", "operation_type", "result"]);
const ohttp = oldReg.histogram("hh", "h", ["route", "method"], BUCKETS);
const nhttp = newReg.histogram("hh", "h", ["route", "method"], BUCKETS);
const N = 200_000;
for (let round = 0; round < 5; round++) {
  add("log line, hand-written", time("", N, (i) => oldScope.run({ requestId: "r" }, () => oldLog.info("graphql request", fields(i)))));
  add("log line, pino", time("", N, (i) => newScope.run({ requestId: "r" }, () => newLog.info("graphql request", fields(i)))));
  add("debug line (disabled), hand-written", time("", N * 5, (i) => oldLog.debug("x", { i })));
  add("debug line (disabled), pino", time("", N * 5, (i) => newLog.debug("x", { i })));
  const labels = { operation_name: "Trivial", operation_type: "query" };
  add("histogram observe, hand-written", time("", N * 5, (i) => oh.observe(labels, (i % 100) / 1000)));
  add("histogram observe, prom-client", time("", N * 5, (i) => nh.observe(labels, (i % 100) / 1000)));
  const cl = { operation_name: "Trivial", operation_type: "query", result: "ok" };
  add("counter inc, hand-written", time("", N * 5, () => oc.inc(cl)));
  add("counter inc, prom-client", time("", N * 5, () => nc.inc(cl)));
  // What one GraphQL HTTP request records: 2 counters + 2 histograms.
  add("per request (2 inc + 2 observe), hand-written", time("", N, (i) => { oc.inc(cl); oh.observe(labels, 0.002); oldReg; ohttp.observe({ route: "graphql", method: "POST" }, 0.002); oc.inc({ ...cl, result: "error" }); }));
  add("per request (2 inc + 2 observe), prom-client", time("", N, (i) => { nc.inc(cl); nh.observe(labels, 0.002); nhttp.observe({ route: "graphql", method: "POST" }, 0.002); nc.inc({ ...cl, result: "error" }); }));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [k, v] of Object.entries(results)) out(`${k}: median ${median(v).toFixed(0)} ns (rounds: ${v.map((x) => x.toFixed(0)).join(", ")})`);
// Render cost with 500 series per metric is a scrape cost, not per request; measure once.
const t0 = performance.now();
for (let i = 0; i < 20; i++) await oldReg.render();
out(`render, hand-written: ${((performance.now() - t0) / 20).toFixed(2)} ms`);
const t1 = performance.now();
for (let i = 0; i < 20; i++) await newReg.render();
out(`render, prom-client (with default collectors): ${((performance.now() - t1) / 20).toFixed(2)} ms`);
