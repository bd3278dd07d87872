// Helpers of the SDK and CLI tests: a real server with an SDK client, data built through the SDK, a TCP proxy
// whose connections can be cut (a real network failure for reconnect tests), and the CLI run as a child process.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, unwrap, type Model, type NodeClient, type Project } from "@modelgraph/sdk";
import { idCheckingFetch } from "../support/id-shape.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../support/server.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI_BIN = path.join(REPO_ROOT, "sdk/src/cli/bin.js");

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A test server and an admin SDK client on it. */
export interface SdkFixture {
  server: TestServer;
  client: NodeClient;
  close(): Promise<void>;
}

export async function startSdkServer(extraEnv: Record<string, string> = {}): Promise<SdkFixture> {
  const server = await startTestServer(extraEnv);
  const client = createClient({ url: server.url, token: ADMIN_TOKEN, fetch: idCheckingFetch });
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** A project and a model in it, created through the SDK. */
export async function projectWithModel(client: NodeClient, modelInput: Record<string, unknown> = {}): Promise<{ project: Project; model: Model }> {
  const { project } = unwrap(await client.createProject({ name: unique("proj") }));
  const { model } = unwrap(await client.createModel({ projectId: project.id, name: unique("model"), ...modelInput }));
  return { project, model };
}

/** A port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy to `target` whose connections can be cut and which can refuse new ones for a while. */
export interface CuttableProxy {
  url: string;
  /** Destroys every open connection (both sides see a reset). */
  cut(): void;
  /** While paused, new connections are accepted and immediately destroyed. */
  pause(): void;
  resume(): void;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startProxy(targetUrl: string): Promise<CuttableProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  let paused = false;
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `modelgraph …` as a child process (through its bin shim), with the given environment. */
export function runCli(args: readonly string[], env: Record<string, string | undefined>, options: { timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`modelgraph ${args.join(" ")} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Waits until `check` returns a value other than undefined (polling), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
