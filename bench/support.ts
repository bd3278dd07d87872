// Shared pieces of the benchmarks: a server child process (so its memory is measured alone), machine info.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node [nodeArgs] --import tsx server/src/main.ts` with `env`, resolving once it logs that it listens. */
export async function startServerProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "server/src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  child.stdout!.on("data", (chunk: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
  });
  // Ready once /healthz answers (not on a log line: LOG_LEVEL may silence it).
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`server exited with ${code}`))));
  exited.catch(() => {});
  for (;;) {
    const up = await Promise.race([fetch(`${url}/healthz`).then((r) => r.ok, () => false), exited]);
    if (up) break;
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), exited]);
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** Samples a process's RSS every `ms` until stopped; returns the peak. */
export function sampleRss(pid: number, ms = 20): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      /* process gone */
    }
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

export async function graphql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data as T;
}

/** Replaces the section `## <title>` of bench/RESULTS.md (or appends it). */
export function recordResults(title: string, markdown: string): void {
  if (process.env.BENCH_NO_RECORD) return; // run by another benchmark (bench/suite.ts), which records the figures
  const file = path.join(ROOT, "bench", "RESULTS.md");
  let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmark results\n\nWritten by `pnpm bench:*`; each section is replaced when its benchmark runs again.\n";
  const heading = `## ${title}`;
  const start = text.indexOf(`${heading}\n`); // the whole heading: a title may be a prefix of another
  const section = `${heading}\n\n${markdown.trim()}\n`;
  if (start === -1) text = `${text.trimEnd()}\n\n${section}`;
  else {
    const next = text.indexOf("\n## ", start + heading.length);
    text = `${text.slice(0, start)}${section}${next === -1 ? "" : text.slice(next)}`;
  }
  fs.writeFileSync(file, text);
}

/**
 * Replaces the subsection whose heading starts with `### <prefix>` inside the section `## <title>` of
 * bench/RESULTS.md (up to the next `###` or `##` heading), or appends it at the end of that section.
 */
export function recordSubsection(title: string, prefix: string, markdown: string): void {
  if (process.env.BENCH_NO_RECORD) return;
  const file = path.join(ROOT, "bench", "RESULTS.md");
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf(`## ${title}\n`);
  if (start === -1) return recordResults(title, markdown);
  const next = text.indexOf("\n## ", start + 3);
  const end = next === -1 ? text.length : next + 1;
  let section = text.slice(start, end);
  const sub = `${markdown.trim()}\n\n`;
  const at = section.indexOf(`\n### ${prefix}`);
  if (at === -1) section = `${section.trimEnd()}\n\n${sub}`;
  else {
    const after = section.slice(at + 1).search(/\n##+ /);
    section = `${section.slice(0, at + 1)}${sub}${after === -1 ? "" : section.slice(at + 1 + after + 1)}`;
  }
  fs.writeFileSync(file, `${text.slice(0, start)}${section}${text.slice(end)}`);
}
