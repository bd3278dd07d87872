// A PostgreSQL cluster of one test alone (its own data directory and port), for fault tests that stop and
// restart PostgreSQL: the machine's shared server, which other tests and CI use, is never touched.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { GraphQLClient } from "./client.ts";
import { dbKind } from "./server.ts";
import { freePort, startServerProcess, type ServerProcess } from "./subscriptions.ts";

const PG_BIN = process.env.MG_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const isRoot = process.getuid?.() === 0;

/** Whether fault tests can run here: the postgres project, on Linux, with PostgreSQL's binaries installed. */
export const privateClusterAvailable = dbKind === "postgres" && fs.existsSync(path.join(PG_BIN, "pg_ctl")) && process.platform === "linux";

/** A PostgreSQL cluster of this test alone, run as the `postgres` OS user when the test runs as root. */
export class PrivateCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}`;
  }

  static async create(): Promise<PrivateCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-pg-"));
    if (isRoot) execFileSync("chown", ["-R", "postgres:postgres", dir]);
    const cluster = new PrivateCluster(dir, await freePort());
    cluster.run("initdb", ["-D", cluster.dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    return cluster;
  }

  /** Creates a database on this cluster; returns its URL. */
  async createDatabase(name: string): Promise<string> {
    const admin = new pg.Client({ connectionString: `${this.url}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    return `${this.url}/${name}`;
  }

  private run(tool: string, args: string[]): string {
    const bin = path.join(PG_BIN, tool);
    const [command, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
    return execFileSync(command, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
    this.run("pg_ctl", ["-D", this.dataDir, "-l", path.join(this.dir, "log"), "-o", options, "-w", "-t", "60", "start"]);
  }

  /** Stops this cluster only (pg_ctl signals the postmaster whose pid is in this data directory). */
  stop(mode: "fast" | "immediate" = "fast"): void {
    this.run("pg_ctl", ["-D", this.dataDir, "-m", mode, "-w", "-t", "60", "stop"]);
  }

  running(): boolean {
    return fs.existsSync(path.join(this.dataDir, "postmaster.pid"));
  }

  destroy(): void {
    try {
      if (this.running()) this.stop("immediate");
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** A server process on a fresh database of a private cluster, and an admin client of it. */
export interface ServerOnPrivateCluster {
  cluster: PrivateCluster;
  server: ServerProcess;
  client: GraphQLClient;
  /** Stops the server, then the cluster, and removes both's files. */
  close(): Promise<void>;
}

/** Starts a private cluster and a server process on it (`env` adds to DATA_DIR and DATABASE_URL). */
export async function serverOnPrivateCluster(env: Record<string, string> = {}): Promise<ServerOnPrivateCluster> {
  const cluster = await PrivateCluster.create();
  const cleanupOnExit = () => cluster.destroy();
  process.once("exit", cleanupOnExit);
  cluster.start();
  const databaseUrl = await cluster.createDatabase("modelgraph");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "modelgraph-private-"));
  const server = await startServerProcess({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: "5", ...env });
  const client = new GraphQLClient(server.url);
  return {
    cluster,
    server,
    client,
    async close() {
      client.close();
      await server.stop();
      cluster.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
      process.off("exit", cleanupOnExit);
    },
  };
}
