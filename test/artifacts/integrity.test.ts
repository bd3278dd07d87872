// Artifact integrity on both stores: mismatched bytes fail and leave nothing behind, only READY resources can
// be attached, an interrupted upload can be retried, equal bytes are stored once and collected only when no
// resource needs them, and abandoned PENDING uploads expire.
import { createCipheriv, createHash } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactAuth, GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate } from "../support/fixtures.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const MiB = 1024 * 1024;

// ---- deterministic content: the AES-128-CTR keystream of a seed ----

const PRNG_KEY = Buffer.from("modelgraph-tests");

function prngBytes(seed: number, offset: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed, 0);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const skip = offset % 16;
  return createCipheriv("aes-128-ctr", PRNG_KEY, iv).update(Buffer.alloc(skip + length)).subarray(skip);
}

function* prngChunks(seed: number, size: number): Generator<Buffer> {
  for (let offset = 0; offset < size; offset += MiB) yield prngBytes(seed, offset, Math.min(MiB, size - offset));
}

function prngSha256(seed: number, size: number): string {
  const hash = createHash("sha256");
  for (const chunk of prngChunks(seed, size)) hash.update(chunk);
  return hash.digest("hex");
}

// ---- raw HTTP ----

interface HttpResult {
  status: number;
  body: Buffer;
  json(): any;
}

/**
 * PUTs `length` bytes of stream `seed` with a matching Content-Length. The server may answer before it has
 * read everything (e.g. too many bytes): the answer counts, a write error after it does not.
 */
function putBytes(url: string, seed: number, length: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: "PUT", headers: { "content-length": length, ...artifactAuth(url) } }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode!, body, json: () => JSON.parse(body.toString()) });
      });
      res.on("error", reject);
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      for (const chunk of prngChunks(seed, length)) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await Promise.race([once(req, "drain"), once(req, "close")]);
      }
      req.end();
    })();
  });
}

/** A PUT whose bytes are sent piece by piece: `send` a range of stream `seed`, then `finish` for the answer. */
function startUpload(url: string, length: number) {
  const req = http.request(url, { method: "PUT", headers: { "content-length": length, ...artifactAuth(url) } });
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    req.on("response", (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString() }));
      res.on("error", () => resolve({ status: 0, body: "response broken" }));
    });
    req.on("error", () => resolve({ status: 0, body: "connection broken" }));
  });
  return {
    async send(seed: number, offset: number, count: number) {
      for (let at = offset; at < offset + count && !req.destroyed; at += MiB) {
        if (!req.write(prngBytes(seed, at, Math.min(MiB, offset + count - at)))) await Promise.race([once(req, "drain"), once(req, "close")]);
      }
    },
    finish() {
      if (!req.destroyed) req.end();
      return answer;
    },
  };
}

async function get(url: string, method = "GET"): Promise<{ status: number; sha256: string; size: number }> {
  const res = await fetch(url, { method, headers: artifactAuth(url) });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

// ---- GraphQL ----

interface Declared {
  resource: { id: string };
  uploadUrl: string;
}

function declare(client: GraphQLClient, projectId: string, seed: number, size: number): Promise<Declared> {
  return mutate(
    client,
    "createResourceUpload",
    "CreateResourceUploadInput",
    { projectId, name: `blob-${seed}.bin`, sizeBytes: String(size), sha256: prngSha256(seed, size) },
    "resource { id } uploadUrl",
  );
}

/** A mutation's result, errors included: `{ __typename, message?, ...selection }`. */
async function attempt(client: GraphQLClient, field: string, input: Record<string, unknown>, selection = ""): Promise<any> {
  const cap = `${field.charAt(0).toUpperCase()}${field.slice(1)}`;
  const data = await client.request(
    `mutation($input: ${cap}Input!) { result: ${field}(input: $input) { __typename ... on Error { message }
      ${selection ? `... on ${cap}Payload { ${selection} }` : ""} } }`,
    { input },
  );
  return data.result;
}

async function resourceInfo(client: GraphQLClient, id: string) {
  const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Resource { status sha256 sizeBytes downloadUrl failureReason } } }`, { id });
  return data.node as { status: string; downloadUrl: string | null; failureReason: string | null };
}

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

// ---- what the store holds ----

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

interface Listing {
  objects: string[];
  staging: string[];
}

function storeListing(server: TestServer, s3: TestS3 | undefined): Promise<Listing> {
  return (async () => {
    if (s3) return { objects: await s3.listKeys("objects/"), staging: await s3.listKeys("staging/") };
    const root = path.join(server.dataDir, "artifacts");
    return { objects: await filesUnder(path.join(root, "objects")), staging: await filesUnder(path.join(root, "staging")) };
  })();
}

const backends = [{ backend: "filesystem" }, { backend: "s3" }] as const;

describe.runIf(databaseAvailable).each(backends)("artifact integrity ($backend)", ({ backend }) => {
  let s3: TestS3 | undefined;
  let server: TestServer;
  let client: GraphQLClient;
  let projectId: string;
  const listing = () => storeListing(server, s3);

  beforeAll(async () => {
    if (backend === "s3") s3 = await startTestS3();
    server = await startTestServer(s3?.env ?? {});
    client = new GraphQLClient(server.url);
    projectId = (await createProject(client)).id;
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await s3?.close();
  });

  // S3 uploads above 16 MiB go through minio's multipart path, smaller ones through a single PUT.
  it.each([
    { label: "a sha256 mismatch (1,000 B)", declared: 1000, sent: 1000, sentSeed: 101 },
    { label: "a sha256 mismatch (20 MiB)", declared: 20 * MiB, sent: 20 * MiB, sentSeed: 102 },
    { label: "fewer bytes (999 of 1,000)", declared: 1000, sent: 999 },
    { label: "fewer bytes (20 MiB - 1)", declared: 20 * MiB, sent: 20 * MiB - 1 },
    { label: "more bytes (1,001 for 1,000)", declared: 1000, sent: 1001 },
    { label: "more bytes (20 MiB + 1)", declared: 20 * MiB, sent: 20 * MiB + 1 },
    { label: "more bytes (1 for 0)", declared: 0, sent: 1 },
  ])("$label gives ChecksumMismatchError, a FAILED resource and no stored bytes", async ({ declared: size, sent, sentSeed }) => {
    const before = await listing();
    const seed = 100;
    const declared = await declare(client, projectId, seed, size);

    const put = await putBytes(declared.uploadUrl, sentSeed ?? seed, sent);
    expect(put.status, put.body.toString()).toBe(422);
    expect(put.json().error.type).toBe("ChecksumMismatchError");

    const completed = await attempt(client, "completeResourceUpload", { resourceId: declared.resource.id });
    expect(completed.__typename).toBe("ChecksumMismatchError");

    const info = await resourceInfo(client, declared.resource.id);
    expect(info.status).toBe("FAILED");
    expect(info.failureReason).toBeTruthy();
    expect(info.downloadUrl).toBeNull();
    expect((await get(declared.uploadUrl)).status).toBe(404);
    expect((await get(declared.uploadUrl, "HEAD")).status).toBe(404);

    // A FAILED resource takes no more bytes, even the right ones.
    const retry = await putBytes(declared.uploadUrl, seed, size);
    expect(retry.status).toBe(400);
    expect(retry.json().error.type).toBe("ValidationError");

    expect(await listing()).toEqual({ objects: before.objects, staging: [] });
  });

  it("attaches only READY resources to versions", async () => {
    const model = await createModel(client, projectId);
    const pending = await declare(client, projectId, 200, 100);
    const failed = await declare(client, projectId, 201, 100);
    expect((await putBytes(failed.uploadUrl, 999, 100)).status).toBe(422);

    for (const resource of [pending, failed]) {
      const created = await attempt(client, "createModelVersion", { modelId: model.id, resourceId: resource.resource.id });
      expect(created.__typename).toBe("ValidationError");
      expect(created.message).toMatch(/READY/);
    }
    const version = await createVersion(client, model.id);
    for (const resource of [pending, failed]) {
      const updated = await attempt(client, "updateModelVersion", { id: version.id, resourceId: resource.resource.id });
      expect(updated.__typename).toBe("ValidationError");
    }
    // Once its bytes are verified, the pending one can be attached.
    expect((await putBytes(pending.uploadUrl, 200, 100)).status).toBe(200);
    const attached = await attempt(client, "updateModelVersion", { id: version.id, resourceId: pending.resource.id }, "modelVersion { resource { status } }");
    expect(attached.modelVersion.resource.status).toBe("READY");
  });

  it("keeps a resource PENDING and stores nothing when the client dies mid-upload; a retry succeeds", async () => {
    const size = 40 * MiB;
    const seed = 300;
    const before = await listing();
    const openBefore = (await s3?.listOpenMultipartUploads())?.length ?? 0;
    const declared = await declare(client, projectId, seed, size);

    const req = http.request(declared.uploadUrl, { method: "PUT", headers: { "content-length": size, ...artifactAuth(declared.uploadUrl) } });
    req.on("error", () => {});
    for (const chunk of prngChunks(seed, size / 2)) {
      if (!req.write(chunk)) await once(req, "drain");
    }
    await sleep(500); // let the server take in what was sent
    req.destroy();

    await until("staging to be cleaned", listing, (l) => l.staging.length === 0);
    expect((await resourceInfo(client, declared.resource.id)).status).toBe("PENDING");
    expect((await get(declared.uploadUrl)).status).toBe(404);
    expect((await listing()).objects).toEqual(before.objects);
    if (s3) {
      // The server's own multipart upload to staging does not stay open (only the presigned one declared for
      // this resource does).
      await until("multipart uploads to settle", () => s3!.listOpenMultipartUploads(), (open) => open.length <= openBefore + 1);
    }

    const retry = await putBytes(declared.uploadUrl, seed, size);
    expect(retry.status, retry.body.toString()).toBe(200);
    expect(retry.json().resource.status).toBe("READY");
    const got = await get(declared.uploadUrl);
    expect(got.sha256).toBe(prngSha256(seed, size));
    expect((await listing()).objects.length).toBe(before.objects.length + 1);
  });

  it("stores equal bytes once and removes them only with the last resource that needs them", async () => {
    const size = 6 * MiB + 1;
    const seed = 400;
    const before = await listing();
    const [a, b] = await Promise.all([declare(client, projectId, seed, size), declare(client, projectId, seed, size)]);
    const puts = await Promise.all([putBytes(a!.uploadUrl, seed, size), putBytes(b!.uploadUrl, seed, size)]);
    expect(puts.map((p) => p.status)).toEqual([200, 200]);

    const after = await listing();
    const added = after.objects.filter((o) => !before.objects.includes(o));
    expect(added).toHaveLength(1);
    expect(added[0]).toContain(prngSha256(seed, size));
    expect(after.staging).toEqual([]);

    const deletedA = await attempt(client, "deleteResource", { id: a!.resource.id });
    expect(deletedA.__typename).toBe("DeleteResourcePayload");
    expect((await get(a!.uploadUrl)).status).toBe(404);
    const stillThere = await get(b!.uploadUrl);
    expect(stillThere.status).toBe(200);
    expect(stillThere.sha256).toBe(prngSha256(seed, size));
    expect((await listing()).objects).toContain(added[0]);

    expect((await attempt(client, "deleteResource", { id: b!.resource.id })).__typename).toBe("DeleteResourcePayload");
    expect((await get(b!.uploadUrl)).status).toBe(404);
    expect((await listing()).objects).toEqual(before.objects);
  });

  it("stores nothing when a PENDING resource is deleted while its bytes are arriving", async () => {
    const size = 24 * MiB;
    const seed = 800;
    const before = await listing();
    const declared = await declare(client, projectId, seed, size);
    const upload = startUpload(declared.uploadUrl, size);
    await upload.send(seed, 0, size / 2);
    await sleep(300);
    expect((await attempt(client, "deleteResource", { id: declared.resource.id })).__typename).toBe("DeleteResourcePayload");
    await upload.send(seed, size / 2, size / 2);
    const answer = await upload.finish();
    expect(answer.status, answer.body).toBe(404);
    expect(JSON.parse(answer.body).error.type).toBe("NotFoundError");
    expect((await get(declared.uploadUrl)).status).toBe(404);
    await until("staging to be cleaned", listing, (l) => l.staging.length === 0);
    expect((await listing()).objects).toEqual(before.objects);
  });

  it("refuses to delete a resource a live version references", async () => {
    const before = await listing();
    const declared = await declare(client, projectId, 500, 2048);
    expect((await putBytes(declared.uploadUrl, 500, 2048)).status).toBe(200);
    const model = await createModel(client, projectId);
    const version = await createVersion(client, model.id, { resourceId: declared.resource.id });

    const refused = await attempt(client, "deleteResource", { id: declared.resource.id });
    expect(refused.__typename).toBe("ResourceInUseError");
    expect((await get(declared.uploadUrl)).status).toBe(200);

    expect((await attempt(client, "deleteModelVersion", { id: version.id })).__typename).toBe("DeleteModelVersionPayload");
    expect((await attempt(client, "deleteResource", { id: declared.resource.id })).__typename).toBe("DeleteResourcePayload");
    expect((await get(declared.uploadUrl)).status).toBe(404);
    expect((await listing()).objects).toEqual(before.objects);
  });

  describe("with ARTIFACT_UPLOAD_TTL=2", () => {
    let ttlS3: TestS3 | undefined;
    let ttlServer: TestServer;
    let ttlClient: GraphQLClient;
    beforeAll(async () => {
      // Its own bucket: a sweeper discards staging objects its database does not know.
      if (backend === "s3") ttlS3 = await startTestS3();
      ttlServer = await startTestServer({ ...(ttlS3?.env ?? {}), ARTIFACT_UPLOAD_TTL: "2" });
      ttlClient = new GraphQLClient(ttlServer.url);
    });
    afterAll(async () => {
      ttlClient?.close();
      await ttlServer?.close();
      await ttlS3?.close();
    });

    it("does not let an upload that outlived its time-to-live become READY", async () => {
      const project = await createProject(ttlClient);
      const size = 4 * MiB;
      const seed = 610;
      const declared = await declare(ttlClient, project.id, seed, size);
      const upload = startUpload(declared.uploadUrl, size);
      await upload.send(seed, 0, MiB);
      await until("the upload to expire", () => resourceInfo(ttlClient, declared.resource.id), (r) => r.status !== "PENDING", 10_000);
      await upload.send(seed, MiB, size - MiB);
      const answer = await upload.finish();
      expect(answer.status, answer.body).toBe(400);
      expect(JSON.parse(answer.body).error.type).toBe("ValidationError");
      expect((await resourceInfo(ttlClient, declared.resource.id)).status).toBe("FAILED");
      expect((await get(declared.uploadUrl)).status).toBe(404);
      await until("staging to be cleaned", () => storeListing(ttlServer, ttlS3), (l) => l.staging.length === 0);
      expect((await storeListing(ttlServer, ttlS3)).objects).toEqual([]);
    });

    it.runIf(backend === "s3")("aborts the multipart upload of an abandoned presigned upload when it expires", async () => {
      const project = await createProject(ttlClient);
      const size = 20 * MiB;
      const seed = 620;
      const declared = await mutate(
        ttlClient,
        "createResourceUpload",
        "CreateResourceUploadInput",
        { projectId: project.id, name: `blob-${seed}.bin`, sizeBytes: String(size), sha256: prngSha256(seed, size) },
        "resource { id } presignedUpload { uploadId parts { partNumber url } }",
      );
      const { uploadId, parts } = declared.presignedUpload;
      expect(await ttlS3!.listOpenMultipartUploads()).toContain(uploadId);
      // The client sends one part of two, then vanishes.
      const res = await fetch(parts[0].url, { method: "PUT", body: new Uint8Array(prngBytes(seed, 0, 16 * MiB)) });
      expect(res.status, await res.text()).toBe(200);
      const info = await until("the upload to expire", () => resourceInfo(ttlClient, declared.resource.id), (r) => r.status !== "PENDING", 30_000);
      expect(info.failureReason).toMatch(/expired/);
      await until("the multipart upload to be aborted", () => ttlS3!.listOpenMultipartUploads(), (open) => !open.includes(uploadId), 30_000);
      expect(await storeListing(ttlServer, ttlS3)).toEqual({ objects: [], staging: [] });
    });

    it("fails a declared but never uploaded resource within a few seconds", async () => {
      const project = await createProject(ttlClient);
      const declared = await declare(ttlClient, project.id, 600, 4096);
      const started = Date.now();
      const info = await until("the upload to expire", () => resourceInfo(ttlClient, declared.resource.id), (r) => r.status !== "PENDING", 10_000);
      expect(info.status).toBe("FAILED");
      expect(info.failureReason).toMatch(/expired/);
      expect(Date.now() - started).toBeLessThan(8_000);
      const late = await putBytes(declared.uploadUrl, 600, 4096);
      expect(late.status).toBe(400);
      expect(await storeListing(ttlServer, ttlS3)).toEqual({ objects: [], staging: [] });
    });
  });
});
