// Subscribers for tests of live events: one graphql-ws client per subscription (so closing it is a real
// disconnect), or one SSE request (GET /graphql, accept: text/event-stream). Both collect what arrives.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { encodeGlobalId, decodeGlobalId } from "../../server/src/domain/ids.ts";
import { ADMIN_TOKEN, SERVER_BIN } from "./server.ts";
import { assertShortIds } from "./id-shape.ts";

export type Transport = "ws" | "sse";
export const TRANSPORTS: Transport[] = ["ws", "sse"];

/** A cursor before every event: `after` it replays a project's whole log (cursors are `Event:<seq>` ids). */
export const START_CURSOR = encodeGlobalId("Event", 0);

/** The log position inside a cursor (to check order); cursors are opaque to clients, not to tests. */
export function seqOf(cursor: string): bigint {
  const decoded = decodeGlobalId(cursor);
  if (decoded?.typename !== "Event") throw new Error(`not an event cursor: ${cursor}`);
  return BigInt(decoded.id);
}

export interface Received<T> {
  data: T;
  /** Date.now() when the client parsed it. */
  at: number;
}

export interface Subscription<T = any> {
  readonly transport: Transport;
  /** Payloads of the subscribed field, in arrival order. */
  readonly events: Received<T>[];
  /** GraphQL errors or transport errors, in arrival order. */
  readonly errors: unknown[];
  /** Whether the stream ended (complete, error or closed). */
  readonly ended: boolean;
  /** Resolves once `events.length >= count`; rejects after `timeoutMs` with what arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves with the first event (from index `from`) matching `predicate`. */
  waitFor(predicate: (data: T) => boolean, timeoutMs?: number, from?: number): Promise<T>;
  /** Resolves when the stream ends (error or complete). */
  waitEnded(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface SubscribeOptions {
  token?: string;
}

/** Common bookkeeping: the received list and waiters re-checked on every change. */
class Collector<T> {
  readonly events: Received<T>[] = [];
  readonly errors: unknown[] = [];
  ended = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly transport: Transport,
    private readonly field: string,
  ) {}

  result(result: { data?: Record<string, unknown> | null; errors?: readonly unknown[] }): void {
    if (result.errors?.length) this.errors.push(...result.errors);
    try {
      assertShortIds(result.data, ["data"]);
    } catch (error) {
      this.errors.push(error);
    }
    const data = result.data?.[this.field];
    if (data !== undefined && data !== null) this.events.push({ data: data as T, at: Date.now() });
    this.changed();
  }

  error(error: unknown): void {
    this.errors.push(error);
    this.end();
  }

  end(): void {
    this.ended = true;
    this.changed();
  }

  changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  until<R>(check: () => R | undefined, timeoutMs: number, what: () => string): Promise<R> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return;
        this.waiters.delete(attempt);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(attempt);
        reject(
          new Error(
            `${this.transport} subscription: ${what()} not reached in ${timeoutMs} ms; got ${this.events.length} events, errors ${JSON.stringify(this.errors.map(describeError))}, ended ${this.ended}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(attempt);
      attempt();
    });
  }

  api(close: () => Promise<void>): Subscription<T> {
    const collector = this;
    return {
      transport: this.transport,
      events: this.events,
      errors: this.errors,
      get ended() {
        return collector.ended;
      },
      waitForCount: (count, timeoutMs = 20_000) =>
        this.until(() => (this.events.length >= count ? this.events.slice(0, count).map((e) => e.data) : undefined), timeoutMs, () => `${count} events`),
      waitFor: (predicate, timeoutMs = 20_000, from = 0) =>
        this.until(() => this.events.slice(from).find((e) => predicate(e.data))?.data, timeoutMs, () => "a matching event"),
      waitEnded: (timeoutMs = 20_000) => this.until(() => (this.ended ? true : undefined), timeoutMs, () => "the end").then(() => {}),
      close,
    };
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "message" in error) return String((error as { message: unknown }).message);
  if (error && typeof error === "object" && "code" in error) return `close ${(error as { code: unknown }).code} ${(error as { reason?: unknown }).reason ?? ""}`;
  return JSON.stringify(error);
}

/** The name of the (only) root field of a subscription document. */
function rootField(query: string): string {
  const match = /subscription\b[^{]*\{\s*(?:(\w+)\s*:\s*)?(\w+)/.exec(query);
  if (!match) throw new Error(`cannot find the root field of ${query}`);
  return match[1] ?? match[2]!;
}

/** A graphql-ws subscription on its own WebSocket connection (no automatic retries: a drop ends it). */
export function subscribeWs<T = any>(baseUrl: string, query: string, variables: Record<string, unknown>, options: SubscribeOptions = {}): Subscription<T> {
  const collector = new Collector<T>("ws", rootField(query));
  const client: Client = createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${options.token ?? ADMIN_TOKEN}` },
    retryAttempts: 0,
    lazy: true,
    keepAlive: 0,
    on: { closed: () => collector.end() },
  });
  const unsubscribe = client.subscribe<Record<string, unknown>>(
    { query, variables },
    {
      next: (result) => collector.result(result as never),
      error: (error) => collector.error(error),
      complete: () => collector.end(),
    },
  );
  return collector.api(async () => {
    unsubscribe();
    await client.dispose();
    collector.end();
  });
}

/** An SSE subscription: GET /graphql?query=…&variables=… with accept: text/event-stream (one HTTP request). */
export function subscribeSse<T = any>(baseUrl: string, query: string, variables: Record<string, unknown>, options: SubscribeOptions = {}): Subscription<T> {
  const collector = new Collector<T>("sse", rootField(query));
  const url = new URL("/graphql", baseUrl);
  url.searchParams.set("query", query);
  url.searchParams.set("variables", JSON.stringify(variables));
  const request = http.request(url, {
    method: "GET",
    agent: false,
    headers: { accept: "text/event-stream", authorization: `Bearer ${options.token ?? ADMIN_TOKEN}` },
  });
  request.on("response", (response) => {
    const type = String(response.headers["content-type"] ?? "");
    if (!type.includes("text/event-stream")) {
      // A refusal before streaming: a plain GraphQL response.
      let text = "";
      response.setEncoding("utf8").on("data", (c: string) => (text += c));
      response.on("end", () => {
        try {
          collector.result(JSON.parse(text));
        } catch {
          collector.errors.push(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`));
        }
        collector.end();
      });
      return;
    }
    let buffer = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue; // keep-alive comment
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (event === "complete") collector.end();
        else if (data.length > 0 && data.join("").trim() !== "") collector.result(JSON.parse(data.join("\n")));
      }
    });
    response.on("end", () => collector.end());
    response.on("error", (error) => collector.error(error));
    response.on("close", () => collector.end());
  });
  request.on("error", (error) => collector.error(error));
  request.end();
  return collector.api(async () => {
    request.destroy();
    collector.end();
  });
}

export function subscribe<T = any>(transport: Transport, baseUrl: string, query: string, variables: Record<string, unknown>, options: SubscribeOptions = {}): Subscription<T> {
  return transport === "ws" ? subscribeWs<T>(baseUrl, query, variables, options) : subscribeSse<T>(baseUrl, query, variables, options);
}

export const PROJECT_EVENTS = `subscription($projectId: ID!, $types: [EventType!], $after: String) {
  projectEvents(projectId: $projectId, types: $types, after: $after) { cursor type at payload modelId modelVersion { id } }
}`;

export const STAGE_CHANGES = `subscription($projectId: ID!, $modelId: ID, $stages: [ModelVersionStage!], $after: String) {
  modelVersionStageChanged(projectId: $projectId, modelId: $modelId, stages: $stages, after: $after) {
    cursor at number fromStage toStage cause model { id } modelVersion { id stage }
  }
}`;

export interface EventData {
  cursor: string;
  type: string;
  at: string;
  payload: string;
  modelId: string | null;
  modelVersion: { id: string } | null;
}

export interface StageChangeData {
  cursor: string;
  at: string;
  number: number;
  fromStage: string;
  toStage: string;
  cause: string;
  model: { id: string };
  modelVersion: { id: string; stage: string };
}

/**
 * Makes sure a subscription that started without `after` is listening: calls `probe` (which must cause an
 * event the subscription accepts) until one such event arrives. Events caused before the server started
 * listening are never delivered, so without this a test could race the subscription's start.
 */
export async function untilLive<T>(subscription: Subscription<T>, probe: () => Promise<void>, isProbe: (data: T) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const from = subscription.events.length;
    await probe();
    try {
      await subscription.waitFor(isProbe, 1_000, from);
      return;
    } catch (error) {
      if (Date.now() > deadline || subscription.ended) throw error;
    }
  }
}

/** Strictly increasing log positions: in order, no duplicate. */
export function assertStrictlyIncreasing(cursors: string[]): void {
  for (let i = 1; i < cursors.length; i++) {
    if (!(seqOf(cursors[i]!) > seqOf(cursors[i - 1]!))) {
      throw new Error(`cursor ${i} (${seqOf(cursors[i]!)}) does not follow ${seqOf(cursors[i - 1]!)}`);
    }
  }
}

// ---- server processes (the real entry point, as operators run it) ----

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** The "modelgraph listening" log line (eventBus, database…). */
  listening: Record<string, unknown>;
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `node server/bin.js` with `env` (plus PATH/HOME) and waits until it listens. */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const port = await freePort();
  const base: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "LANG"]) if (process.env[key] !== undefined) base[key] = process.env[key]!;
  const child = spawn(process.execPath, [SERVER_BIN], {
    cwd: REPO_ROOT,
    env: { ...base, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", MODELGRAPH_BOOTSTRAP_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let exited: number | null | undefined;
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (out += c));
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exited = code;
      resolve();
    }),
  );
  const deadline = Date.now() + timeoutMs;
  let listening: Record<string, unknown> | undefined;
  while (!listening) {
    if (exited !== undefined) throw new Error(`server exited (${exited}) before listening:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server not listening after ${timeoutMs} ms:\n${out}`);
    }
    const line = out.split("\n").find((l) => l.includes('"modelgraph listening"'));
    if (line) listening = JSON.parse(line) as Record<string, unknown>;
    else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    listening,
    output: () => out,
    alive: () => exited === undefined,
    async stop() {
      if (exited !== undefined) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(killer);
    },
  };
}
