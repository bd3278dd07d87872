// A server process killed with `kill -9` in the middle of an upload restarts on the same data and cleans up
// (on the filesystem and on S3): the half-written staging file (on S3, the open multipart upload) goes, the PENDING resource becomes FAILED once its time-to-live has passed,
// and nothing is ever readable. The server runs as a child process, exactly as `node server/bin.js`.
import { spawn, type ChildProcess } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs/promises";
import net from "node:net";
import http from "node:http";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { artifactAuth, GraphQLClient } from "../support/client.ts";
import { createProject, mutate } from "../support/fixtures.ts";
import { startTestS3 } from "../support/s3.ts";
import { ADMIN_TOKEN, databaseAvailable, freshDatabase, SERVER_BIN } from "../support/server.ts";

const MiB = 1024 * 1024;
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PRNG_KEY = Buffer.from("modelgraph-tests");

function prngBytes(seed: number, offset: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed, 0);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const skip = offset % 16;
  return createCipheriv("aes-128-ctr", PRNG_KEY, iv).update(Buffer.alloc(skip + length)).subarray(skip);
}

function prngSha256(seed: number, size: number): string {
  const hash = createHash("sha256");
  for (let offset = 0; offset < size; offset += MiB) hash.update(prngBytes(seed, offset, Math.min(MiB, size - offset)));
  return hash.digest("hex");
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: string[];
}

/** `node server/bin.js` on the given database; resolves once it logs "modelgraph listening". */
async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(childEnv)) if (/^(DATABASE_URL|S3_|REDIS_URL|MODELGRAPH_|ARTIFACT_)/.test(name)) delete childEnv[name];
  Object.assign(childEnv, { HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ARTIFACT_UPLOAD_TTL: "2", MODELGRAPH_BOOTSTRAP_TOKEN: ADMIN_TOKEN, ...env });
  const child = spawn(process.execPath, [SERVER_BIN], { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stderr!.on("data", (c: Buffer) => output.push(c.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "modelgraph listening") resolve(entry.url!.replace(/\/graphql$/, ""));
      } catch {
        // not a log line
      }
    });
    child.once("exit", (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening:\n${output.join("\n")}`)));
  });
  const timeout = sleep(90_000).then(() => {
    throw new Error(`server did not start in 90 s:\n${output.join("\n")}`);
  });
  const url = await Promise.race([listening, timeout]);
  expect(url).toBe(`http://127.0.0.1:${port}`);
  return { child, url, output };
}

async function kill9(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGKILL");
  await exited;
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

async function filesIn(dir: string): Promise<{ name: string; size: number }[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries.filter((e) => e.isFile()).map(async (e) => {
      const file = path.join(e.parentPath, e.name);
      // The sweeper may remove a file between the listing and this look.
      const stat = await fs.stat(file).catch(() => null);
      return stat ? [{ name: path.relative(dir, file), size: stat.size }] : [];
    }),
  );
  return files.flat();
}

/**
 * What the store holds, per backend: `staged` counts half-written uploads (staging files; on S3, open multipart
 * uploads, including the one createResourceUpload opens for presigned parts, and the bytes of the parts they
 * received), `objects` the stored objects.
 */
interface StoreView {
  env: Record<string, string>;
  staged(): Promise<{ count: number; landedBytes: number }>;
  objects(): Promise<string[]>;
  close(): Promise<void>;
}

async function filesystemView(dataDir: string): Promise<StoreView> {
  const staging = path.join(dataDir, "artifacts", "staging");
  const objects = path.join(dataDir, "artifacts", "objects");
  return {
    env: {},
    async staged() {
      const files = await filesIn(staging);
      return { count: files.length, landedBytes: files.reduce((sum, f) => sum + f.size, 0) };
    },
    objects: async () => (await filesIn(objects)).map((f) => f.name),
    close: async () => {},
  };
}

async function s3View(): Promise<StoreView> {
  const s3 = await startTestS3();
  return {
    // Time for a whole 16 MiB part to reach S3 before the upload expires, even on a loaded machine.
    env: { ...s3.env, ARTIFACT_UPLOAD_TTL: "10" },
    async staged() {
      const uploads = await s3.listOpenMultipartUploads();
      const parts = await Promise.all(uploads.map((id) => s3.countParts(id)));
      const objects = await s3.listKeys("staging/");
      return { count: uploads.length + objects.length, landedBytes: parts.reduce((sum, n) => sum + n * S3_PART_SIZE, 0) };
    },
    objects: () => s3.listKeys("objects/"),
    close: () => s3.close(),
  };
}

const S3_PART_SIZE = 16 * MiB;

describe.runIf(databaseAvailable).each(["filesystem", "s3"] as const)("a server killed with kill -9 mid-upload (%s)", (backend) => {
  it("restarts on the same data and cleans up the PENDING upload", async () => {
    const db = await freshDatabase();
    const store = backend === "s3" ? await s3View() : await filesystemView(db.dataDir);
    const env = { ...db.env, ...store.env };
    let server: ServerProcess | undefined;
    let client: GraphQLClient | undefined;
    try {
      server = await spawnServer(env);
      client = new GraphQLClient(server.url);
      const project = await createProject(client);
      const size = 64 * MiB;
      const seed = 700;
      const declared = await mutate(
        client,
        "createResourceUpload",
        "CreateResourceUploadInput",
        { projectId: project.id, name: "big.safetensors", sizeBytes: String(size), sha256: prngSha256(seed, size) },
        "resource { id } uploadUrl",
      );
      const resourceId: string = declared.resource.id;

      // Send half of the bytes, and kill the server once they are landing in staging (on S3: a part has arrived).
      const req = http.request(declared.uploadUrl, { method: "PUT", headers: { "content-length": size, ...artifactAuth(declared.uploadUrl) } });
      req.on("error", () => {});
      for (let offset = 0; offset < size / 2; offset += MiB) {
        if (!req.write(prngBytes(seed, offset, MiB))) await once(req, "drain");
      }
      await until("staged bytes to land", () => store.staged(), (staged) => staged.landedBytes >= 4 * MiB);
      await kill9(server);
      req.destroy();
      client.close();

      // The dead process left its half-written upload behind, and no object.
      expect((await store.staged()).count).toBeGreaterThan(0);
      expect(await store.objects()).toEqual([]);

      server = await spawnServer(env);
      client = new GraphQLClient(server.url);
      const resource = async () => {
        const data = await client!.request(`query($id: ID!) { node(id: $id) { ... on Resource { status failureReason downloadUrl } } }`, { id: resourceId });
        return data.node as { status: string; failureReason: string | null; downloadUrl: string | null };
      };
      const failed = await until("the PENDING resource to be failed", resource, (r) => r.status !== "PENDING");
      expect(failed).toEqual({ status: "FAILED", failureReason: "upload expired", downloadUrl: null });
      await until("the half-written upload to be removed", () => store.staged(), (staged) => staged.count === 0);
      expect(await store.objects()).toEqual([]);

      const getUrl = declared.uploadUrl.replace(/^http:\/\/[^/]+/, server.url);
      const get = await fetch(getUrl, { headers: artifactAuth(getUrl) });
      expect(get.status).toBe(404);
      await get.arrayBuffer();
      // The restarted server is healthy: a new upload of the same bytes goes through.
      const again = await mutate(
        client,
        "createResourceUpload",
        "CreateResourceUploadInput",
        { projectId: project.id, name: "big.safetensors", sizeBytes: "1024", sha256: prngSha256(seed, 1024) },
        "uploadUrl",
      );
      const put = await fetch(again.uploadUrl, { method: "PUT", body: new Uint8Array(prngBytes(seed, 0, 1024)), headers: artifactAuth(again.uploadUrl) });
      expect(put.status, await put.text()).toBe(200);
      expect((await store.objects()).length).toBe(1);
    } finally {
      client?.close();
      if (server) await kill9(server);
      await store.close();
      await db.drop();
    }
  });
});
