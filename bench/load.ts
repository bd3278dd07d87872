// The load generator of `pnpm bench`, run as its own process pinned to core 1 (bench/suite.ts starts it).
// Reads a job (JSON) from the file named by argv[2], writes the result (JSON) as the last line of stdout.
//   { kind: "autocannon", url, connections, duration, requests: [{ body }] , headers }
//       open loop-free autocannon run; bodies cycle per connection (autocannon's `requests`).
//   { kind: "loops", url, headers, duration, clients: [[body, body, …], …] }
//       one closed loop per client, each on its own keep-alive connection, cycling through its own bodies;
//       reports every request's latency and how many answers carried GraphQL errors.
import fs from "node:fs";
import http from "node:http";
import autocannon from "autocannon";

export interface AutocannonJob {
  kind: "autocannon";
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  requests: { body: string }[];
}
export interface LoopsJob {
  kind: "loops";
  url: string;
  duration: number;
  headers: Record<string, string>;
  clients: string[][];
}
export interface AutocannonResult {
  requests: number;
  rps: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}
export interface LoopsResult {
  latencies: number[];
  graphqlErrors: number;
  firstError?: string;
  seconds: number;
}

async function runAutocannon(job: AutocannonJob): Promise<AutocannonResult> {
  // Headers on every request entry: autocannon's per-request entries replace the top-level headers.
  const headers = { "content-type": "application/json", ...job.headers };
  const result = await autocannon({
    url: job.url,
    method: "POST",
    connections: job.connections,
    duration: job.duration,
    headers,
    requests: job.requests.map((r) => ({ method: "POST", body: r.body, headers })),
    timeout: 30,
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / job.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p99: result.latency.p99 },
  };
}

async function runLoops(job: LoopsJob): Promise<LoopsResult> {
  const target = new URL(job.url);
  const latencies: number[] = [];
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + job.duration * 1000;
  const post = (agent: http.Agent, body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...job.headers } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  await Promise.all(
    job.clients.map(async (bodies) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        const text = await post(agent, bodies[i % bodies.length]!);
        latencies.push(performance.now() - t0);
        // Expected failures are data in our API (`… on Error { message }`), unexpected ones top-level errors.
        if (text.includes('"errors"') || text.includes('"message"')) {
          graphqlErrors++;
          firstError ??= text.slice(0, 400);
        }
      }
      agent.destroy();
    }),
  );
  return { latencies, graphqlErrors, firstError, seconds: (performance.now() - started) / 1000 };
}

const job = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as AutocannonJob | LoopsJob;
const result = job.kind === "autocannon" ? await runAutocannon(job) : await runLoops(job);
process.stdout.write(`\n${JSON.stringify(result)}\n`);
