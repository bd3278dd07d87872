// The server as its operators run it (DESIGN.md §4): the real process entry (server/bin.js → server/src/main.ts, compiled or not) started as a
// child process, configured only by its environment. Restart keeps the data; a bad environment stops start-up
// with a message naming the variable. loadConfig itself is a pure function and is called directly.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/src/config.ts";
import { GraphQLClient } from "../support/client.ts";
import { createProject, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, dbKind, freshDatabase, SERVER_BIN } from "../support/server.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Generous: PGlite creates and migrates a database on first start, and CI machines are small. */
const START_TIMEOUT_MS = 100_000;

/** A port nobody listens on right now: bind port 0, read what the kernel chose, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Only what node needs from the test's environment: the server must see nothing but what a test sets. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

/** The administrator's token on first start (DESIGN.md §3); every API request sends it. */
const BOOTSTRAP_TOKEN = `mg_startup_${"t".repeat(32)}`;

/** A client that authenticates as the bootstrap administrator. */
class AdminClient extends GraphQLClient {
  override raw<T = any>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    return super.raw<T>(query, variables, { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, ...headers });
  }
}

const running = new Set<ChildProcess>();

/** Starts `node server/bin.js` from the repository root with exactly `env`. */
function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [SERVER_BIN], { cwd: REPO_ROOT, env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** JSON log lines written so far (other lines are ignored). */
function logLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Waits for the "modelgraph listening" log line; fails with the process output if it exits or stays silent. */
async function waitListening(server: ServerProcess): Promise<Record<string, unknown>> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exit: Exit | undefined;
  void server.exited.then((e) => (exit = e));
  for (;;) {
    const line = logLines(server.stdout()).find((l) => l.msg === "modelgraph listening");
    if (line) return line;
    if (exit) throw new Error(`server exited (${JSON.stringify(exit)}) before listening:\n${server.stderr()}\n${server.stdout()}`);
    if (Date.now() > deadline) throw new Error(`server not listening after ${START_TIMEOUT_MS} ms:\n${server.stderr()}\n${server.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM, then the exit it leads to. */
async function stop(server: ServerProcess): Promise<Exit> {
  server.child.kill("SIGTERM");
  return server.exited;
}

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

async function findProject(client: GraphQLClient, name: string) {
  return (await client.request(`query($name: String!) { project(by: { name: $name }) { id name } viewer { id } }`, { name })) as {
    project: { id: string; name: string } | null;
    viewer: { id: string };
  };
}

afterAll(() => {
  // A failed test must not leave its server behind: these are the processes this file started.
  for (const child of running) child.kill("SIGKILL");
});

describe.runIf(dbKind === "pglite")("server process (embedded database)", () => {
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  it("starts on an empty data directory, stops cleanly on SIGTERM and keeps its data across a restart", { timeout: 4 * START_TIMEOUT_MS }, async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-startup-"));
    tempDirs.push(dataDir);
    const projectName = uniqueName("survives-restart");

    const port = await freePort();
    const first = spawnServer({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN });
    const listening = await waitListening(first);
    expect(listening).toMatchObject({ level: "info", url: `http://127.0.0.1:${port}/graphql`, database: "pglite", dataDir });
    expect(await get(`http://127.0.0.1:${port}/healthz`)).toMatchObject({ status: 200 });
    expect(await get(`http://127.0.0.1:${port}/readyz`)).toMatchObject({ status: 200 });
    const client = new AdminClient(`http://127.0.0.1:${port}`);
    const created = await createProject(client, projectName);
    const before = await findProject(client, projectName);
    expect(before.project).toEqual(created);
    client.close();
    expect(await stop(first)).toEqual({ code: 0, signal: null });
    expect(first.stderr()).not.toMatch(/\n\s+at /);

    // Same data directory, another port: the project and the administrator are still there.
    const port2 = await freePort();
    const second = spawnServer({ PORT: String(port2), HOST: "127.0.0.1", DATA_DIR: dataDir, MODELGRAPH_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN });
    expect(await waitListening(second)).toMatchObject({ url: `http://127.0.0.1:${port2}/graphql`, dataDir });
    const client2 = new AdminClient(`http://127.0.0.1:${port2}`);
    const after = await findProject(client2, projectName);
    expect(after.project).toEqual(created);
    expect(after.viewer.id).toBe(before.viewer.id);
    const all = await client2.request(`{ projects { totalCount } }`);
    expect(all.projects.totalCount).toBe(1);
    client2.close();
    expect(await stop(second)).toEqual({ code: 0, signal: null });
  });

  describe("refuses to start when an environment value is invalid", () => {
    const cases: { name: string; env: Record<string, string>; variable: string }[] = [
      { name: "PORT=abc", env: { PORT: "abc" }, variable: "PORT" },
      { name: "PORT=70000", env: { PORT: "70000" }, variable: "PORT" },
      { name: "PORT=-1", env: { PORT: "-1" }, variable: "PORT" },
      { name: "DATABASE_URL=mysql://x", env: { DATABASE_URL: "mysql://x" }, variable: "DATABASE_URL" },
      { name: "LOG_LEVEL=loud", env: { LOG_LEVEL: "loud" }, variable: "LOG_LEVEL" },
      { name: "S3_ENDPOINT without S3_BUCKET", env: { S3_ENDPOINT: "http://127.0.0.1:9000", S3_ACCESS_KEY: "minio", S3_SECRET_KEY: "minio-secret" }, variable: "S3_BUCKET" },
      { name: "MODELGRAPH_BOOTSTRAP_TOKEN=short", env: { MODELGRAPH_BOOTSTRAP_TOKEN: "short" }, variable: "MODELGRAPH_BOOTSTRAP_TOKEN" },
      { name: "SHUTDOWN_TIMEOUT_SECONDS=soon", env: { SHUTDOWN_TIMEOUT_SECONDS: "soon" }, variable: "SHUTDOWN_TIMEOUT_SECONDS" },
      { name: "GRAPHQL_PERSISTED_OPERATIONS=missing file", env: { GRAPHQL_PERSISTED_OPERATIONS: "/nonexistent/operations.json" }, variable: "GRAPHQL_PERSISTED_OPERATIONS" },
    ];

    // Each case is its own process; they run side by side.
    const outcomes = new Map<string, Promise<{ exit: Exit; stdout: string; stderr: string; dataDirCreated: boolean }>>();
    const outcome = (c: (typeof cases)[number]) => {
      let pending = outcomes.get(c.name);
      if (!pending) {
        pending = (async () => {
          const dataDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-badenv-")), "data");
          tempDirs.push(path.dirname(dataDir));
          const server = spawnServer({ PORT: String(await freePort()), HOST: "127.0.0.1", DATA_DIR: dataDir, ...c.env });
          const exit = await Promise.race([
            server.exited,
            new Promise<Exit>((resolve) => setTimeout(() => resolve({ code: null, signal: null }), START_TIMEOUT_MS)),
          ]);
          if (exit.code === null) server.child.kill("SIGKILL");
          const dataDirCreated = await fs.stat(dataDir).then(
            () => true,
            () => false,
          );
          return { exit, stdout: server.stdout(), stderr: server.stderr(), dataDirCreated };
        })();
        outcomes.set(c.name, pending);
      }
      return pending;
    };

    it.each(cases)("$name: exit 2, the message names $variable, no stack trace", { timeout: START_TIMEOUT_MS + 20_000 }, async (c) => {
      for (const other of cases) void outcome(other); // start them all at once
      const { exit, stdout, stderr, dataDirCreated } = await outcome(c);
      expect(exit, stderr).toEqual({ code: 2, signal: null });
      expect(stderr).toContain(c.variable);
      expect(stderr).toMatch(/^modelgraph: Invalid configuration/);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stderr).not.toMatch(/ConfigError|\.ts:\d+/);
      expect(stdout).not.toContain("listening");
      // Nothing was touched.
      expect(dataDirCreated).toBe(false);
    });
  });
});

describe.runIf(dbKind === "pglite")("server process whose port is taken", () => {
  it("exits 1 with a message naming the address, instead of hanging", { timeout: START_TIMEOUT_MS + 20_000 }, async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as net.AddressInfo).port;
    let dataDir: string | undefined;
    try {
      dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-port-taken-"));
      const server = spawnServer({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir });
      const exit = await Promise.race([
        server.exited,
        new Promise<Exit>((resolve) => setTimeout(() => resolve({ code: null, signal: null }), START_TIMEOUT_MS)),
      ]);
      if (exit.code === null) server.child.kill("SIGKILL");
      expect(exit, server.stderr()).toEqual({ code: 1, signal: null });
      expect(server.stderr()).toContain(`modelgraph: cannot listen on 127.0.0.1:${port}: the address is already in use`);
      expect(server.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(dbKind === "postgres" && databaseAvailable)("server process (PostgreSQL)", () => {
  it("starts on a fresh PostgreSQL database from DATABASE_URL, serves, and keeps its data across a restart", { timeout: 4 * START_TIMEOUT_MS }, async () => {
    const db = await freshDatabase();
    try {
      expect(db.env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
      const projectName = uniqueName("pg-process");
      const port = await freePort();
      const first = spawnServer({ PORT: String(port), HOST: "127.0.0.1", MODELGRAPH_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, ...db.env });
      expect(await waitListening(first)).toMatchObject({ url: `http://127.0.0.1:${port}/graphql`, database: "postgres" });
      expect(await get(`http://127.0.0.1:${port}/readyz`)).toMatchObject({ status: 200 });
      const client = new AdminClient(`http://127.0.0.1:${port}`);
      const created = await createProject(client, projectName);
      expect((await findProject(client, projectName.toUpperCase())).project).toEqual(created);
      client.close();
      expect(await stop(first)).toEqual({ code: 0, signal: null });

      const port2 = await freePort();
      const second = spawnServer({ PORT: String(port2), HOST: "127.0.0.1", MODELGRAPH_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, ...db.env });
      await waitListening(second);
      const client2 = new AdminClient(`http://127.0.0.1:${port2}`);
      expect((await findProject(client2, projectName)).project).toEqual(created);
      client2.close();
      expect(await stop(second)).toEqual({ code: 0, signal: null });
    } finally {
      await db.drop();
    }
  });
});

describe.runIf(dbKind === "pglite")("loadConfig", () => {
  it("defaults: port 4000 on every interface, data in ./.modelgraph resolved against the working directory, embedded database", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: "0.0.0.0",
      dataDir: path.resolve(".modelgraph"),
      databaseUrl: undefined,
      databasePoolSize: 10,
      s3: undefined,
      redisUrl: undefined,
      bootstrapToken: undefined,
      logLevel: "info",
      artifactUploadTtlSeconds: 24 * 3600,
      metrics: { token: undefined },
      shutdownTimeoutSeconds: 25,
      readinessTimeoutMs: 2_000,
      graphql: {
        maxDepth: 15,
        maxCost: 5_000_000,
        maxAliases: 50,
        maxDirectives: 50,
        maxTokens: 10_000,
        maxSelections: 500,
        maxNodeIds: 100,
        maxResponseBytes: 16 * 1024 * 1024,
        maxBodyBytes: 512 * 1024,
        introspection: true,
        persistedOperations: undefined,
      },
    });
    expect(path.isAbsolute(config.dataDir)).toBe(true);
  });

  it("reads the GraphQL abuse limits, the introspection switch and a persisted-operations manifest", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-config-"));
    try {
      const hash = "a".repeat(64);
      const manifest = path.join(dir, "operations.json");
      await fs.writeFile(manifest, JSON.stringify({ [hash]: "{ viewer { id } }" }));
      const config = loadConfig({
        GRAPHQL_MAX_DEPTH: "8",
        GRAPHQL_MAX_COST: "5000",
        GRAPHQL_MAX_ALIASES: "10",
        GRAPHQL_MAX_DIRECTIVES: "5",
        GRAPHQL_MAX_TOKENS: "2000",
        GRAPHQL_MAX_SELECTIONS: "300",
        GRAPHQL_MAX_NODE_IDS: "20",
        GRAPHQL_MAX_RESPONSE_BYTES: "1048576",
        GRAPHQL_MAX_BODY_BYTES: "65536",
        GRAPHQL_INTROSPECTION: "off",
        GRAPHQL_PERSISTED_OPERATIONS: manifest,
      });
      expect(config.graphql).toEqual({
        maxDepth: 8,
        maxCost: 5000,
        maxAliases: 10,
        maxDirectives: 5,
        maxTokens: 2000,
        maxSelections: 300,
        maxNodeIds: 20,
        maxResponseBytes: 1048576,
        maxBodyBytes: 65536,
        introspection: false,
        persistedOperations: new Map([[hash, "{ viewer { id } }"]]),
      });
      for (const [value, expected] of [["true", true], ["1", true], ["FALSE", false], ["no", false], ["", true]] as const) {
        expect(loadConfig({ GRAPHQL_INTROSPECTION: value }).graphql.introspection).toBe(expected);
      }

      // Invalid values name their variable.
      let error: unknown;
      try {
        loadConfig({ GRAPHQL_MAX_DEPTH: "0", GRAPHQL_MAX_COST: "lots", GRAPHQL_MAX_BODY_BYTES: "-1", GRAPHQL_INTROSPECTION: "maybe", GRAPHQL_MAX_TOKENS: "1.5" });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      for (const variable of ["GRAPHQL_MAX_DEPTH", "GRAPHQL_MAX_COST", "GRAPHQL_MAX_BODY_BYTES", "GRAPHQL_INTROSPECTION", "GRAPHQL_MAX_TOKENS"]) {
        expect((error as Error).message).toContain(`${variable}:`);
      }
      expect(() => loadConfig({ GRAPHQL_PERSISTED_OPERATIONS: path.join(dir, "missing.json") })).toThrow(/GRAPHQL_PERSISTED_OPERATIONS: cannot read/);
      const notJson = path.join(dir, "not.json");
      await fs.writeFile(notJson, "{ viewer { id } }");
      expect(() => loadConfig({ GRAPHQL_PERSISTED_OPERATIONS: notJson })).toThrow(/GRAPHQL_PERSISTED_OPERATIONS: cannot read a JSON file/);
      const badShape = path.join(dir, "bad.json");
      await fs.writeFile(badShape, JSON.stringify({ "not-a-hash": "{ viewer { id } }" }));
      expect(() => loadConfig({ GRAPHQL_PERSISTED_OPERATIONS: badShape })).toThrow(/GRAPHQL_PERSISTED_OPERATIONS: .* must hold a JSON object mapping sha256/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("treats empty and blank values as unset", () => {
    const config = loadConfig({ PORT: "", HOST: "  ", DATA_DIR: "", DATABASE_URL: " ", LOG_LEVEL: "", S3_ENDPOINT: "" });
    expect(config).toMatchObject({ port: 4000, host: "0.0.0.0", dataDir: path.resolve(".modelgraph"), databaseUrl: undefined, s3: undefined, logLevel: "info" });
  });

  it("reads every value it is given", () => {
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: "relative/data",
      DATABASE_URL: "postgresql://user@db:5432/modelgraph",
      DATABASE_POOL_SIZE: "3",
      S3_ENDPOINT: "http://minio:9000",
      S3_BUCKET: "artifacts",
      S3_ACCESS_KEY: "key",
      S3_SECRET_KEY: "secret",
      REDIS_URL: "redis://redis:6379",
      MODELGRAPH_BOOTSTRAP_TOKEN: `mg_${"a".repeat(32)}`,
      LOG_LEVEL: "warn",
      ARTIFACT_UPLOAD_TTL: "60",
      METRICS_TOKEN: "scrape-token-0123456789",
      SHUTDOWN_TIMEOUT_SECONDS: "0",
      READINESS_TIMEOUT_MS: "500",
    });
    expect(config).toMatchObject({
      port: 0,
      host: "127.0.0.1",
      dataDir: path.resolve("relative/data"),
      databaseUrl: "postgresql://user@db:5432/modelgraph",
      databasePoolSize: 3,
      s3: { endpoint: "http://minio:9000", bucket: "artifacts", accessKey: "key", secretKey: "secret", region: "us-east-1" },
      redisUrl: "redis://redis:6379",
      bootstrapToken: `mg_${"a".repeat(32)}`,
      logLevel: "warn",
      artifactUploadTtlSeconds: 60,
      metrics: { token: "scrape-token-0123456789" },
      shutdownTimeoutSeconds: 0,
      readinessTimeoutMs: 500,
    });
    expect(loadConfig({ PORT: "65535", DATA_DIR: "/srv/modelgraph" })).toMatchObject({ port: 65535, dataDir: "/srv/modelgraph" });
  });

  it("throws a ConfigError naming every invalid variable at once", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "4000.5", LOG_LEVEL: "LOUD", DATABASE_URL: "mysql://x", REDIS_URL: "http://redis", DATABASE_POOL_SIZE: "0" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const variable of ["PORT", "LOG_LEVEL", "DATABASE_URL", "REDIS_URL", "DATABASE_POOL_SIZE"]) expect(message).toContain(`${variable}:`);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT: .*65535/);
    expect(() => loadConfig({ S3_ENDPOINT: "http://minio:9000" })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({ S3_ENDPOINT: "minio:9000", S3_BUCKET: "b", S3_ACCESS_KEY: "k", S3_SECRET_KEY: "s" })).toThrow(/S3_ENDPOINT/);
    expect(() => loadConfig({ MODELGRAPH_BOOTSTRAP_TOKEN: "short" })).toThrow(/MODELGRAPH_BOOTSTRAP_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: "has spaces in the middle of it" })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: "-1" })).toThrow(/SHUTDOWN_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: "2.5" })).toThrow(/SHUTDOWN_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ READINESS_TIMEOUT_MS: "0" })).toThrow(/READINESS_TIMEOUT_MS/);
  });
});
