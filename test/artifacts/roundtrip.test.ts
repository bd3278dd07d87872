// Artifacts round-trip byte for byte through the real server, on the filesystem store and on S3 (s3rver):
// streaming PUT/GET of 0 B … 100 MiB, presigned single and multipart uploads, presigned downloads, Range,
// ETag/304, 416, HEAD, and the one query a deployer needs.
import { createCipheriv, createHash } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactAuth, GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate, transition } from "../support/fixtures.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const MiB = 1024 * 1024;

// ---- deterministic content: the AES-128-CTR keystream of a seed, addressable at any offset ----

const PRNG_KEY = Buffer.from("modelgraph-tests");

/** `length` bytes of the stream `seed`, starting at `offset`. */
function prngBytes(seed: number, offset: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed, 0);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const skip = offset % 16;
  return createCipheriv("aes-128-ctr", PRNG_KEY, iv).update(Buffer.alloc(skip + length)).subarray(skip);
}

/** The whole stream `seed` of `size` bytes, 1 MiB at a time (never all in memory). */
function* prngChunks(seed: number, size: number): Generator<Buffer> {
  for (let offset = 0; offset < size; offset += MiB) yield prngBytes(seed, offset, Math.min(MiB, size - offset));
}

function prngSha256(seed: number, size: number): string {
  const hash = createHash("sha256");
  for (const chunk of prngChunks(seed, size)) hash.update(chunk);
  return hash.digest("hex");
}

// ---- raw HTTP helpers ----

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Streams `chunks` (exactly `length` bytes, announced in Content-Length) to `url` with PUT. */
function putStream(url: string, chunks: Iterable<Buffer>, length: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "PUT", headers: { "content-length": length, "content-type": "application/octet-stream", ...artifactAuth(url) } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    Readable.from(chunks).pipe(req);
  });
}

/** GET (or HEAD) `url`; the body is hashed as it streams and only kept when small. */
function download(url: string, { method = "GET", headers = {} }: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpResult & { sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...artifactAuth(url), ...headers } }, (res) => {
      const hash = createHash("sha256");
      const kept: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        hash.update(c);
        size += c.length;
        if (size <= MiB) kept.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(kept), sha256: hash.digest("hex"), size }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Plain fetch of a (presigned) URL, hashing the body as it streams. */
async function fetchSha256(url: string): Promise<{ status: number; sha256: string; size: number; headers: Headers }> {
  const res = await fetch(url, { headers: artifactAuth(url) });
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { status: res.status, sha256: hash.digest("hex"), size, headers: res.headers };
}

// ---- GraphQL helpers ----

interface Declared {
  resource: { id: string; status: string };
  uploadUrl: string;
  presignedUpload: { url: string | null; uploadId: string | null; partSize: number | null; parts: { partNumber: number; url: string }[] } | null;
}

function declare(client: GraphQLClient, projectId: string, seed: number, size: number, name = `blob-${seed}.bin`): Promise<Declared> {
  return mutate(
    client,
    "createResourceUpload",
    "CreateResourceUploadInput",
    { projectId, name, sizeBytes: String(size), sha256: prngSha256(seed, size), contentType: "application/x-test", format: "SAFETENSORS" },
    "resource { id status } uploadUrl presignedUpload { url uploadId partSize parts { partNumber url } }",
  );
}

async function resourceInfo(client: GraphQLClient, id: string) {
  const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Resource { status sha256 sizeBytes downloadUrl failureReason } } }`, { id });
  return data.node as { status: string; sha256: string; sizeBytes: string; downloadUrl: string | null; failureReason: string | null };
}

async function complete(client: GraphQLClient, resourceId: string) {
  const data = await client.request(
    `mutation($input: CompleteResourceUploadInput!) { result: completeResourceUpload(input: $input) {
      __typename ... on CompleteResourceUploadPayload { resource { status } } ... on Error { message } } }`,
    { input: { resourceId } },
  );
  return data.result as { __typename: string; resource?: { status: string }; message?: string };
}

const backends = [{ backend: "filesystem" }, { backend: "s3" }] as const;

describe.runIf(databaseAvailable).each(backends)("artifact round trip ($backend)", ({ backend }) => {
  let s3: TestS3 | undefined;
  let server: TestServer;
  let client: GraphQLClient;
  let projectId: string;

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

  it.each([
    { label: "0 B", size: 0, seed: 1 },
    { label: "1 B", size: 1, seed: 2 },
    { label: "5 MiB + 1", size: 5 * MiB + 1, seed: 3 },
    { label: "100 MiB", size: 100 * MiB, seed: 4 },
  ])("streams $label up and down byte for byte", async ({ size, seed }) => {
    const declared = await declare(client, projectId, seed, size);
    expect(declared.resource.status).toBe("PENDING");
    expect(declared.uploadUrl).toBe(`${server.url}/artifacts/${encodeURIComponent(declared.resource.id)}`);
    if (backend === "filesystem") expect(declared.presignedUpload).toBeNull();

    const put = await putStream(declared.uploadUrl, prngChunks(seed, size), size);
    expect(put.status, put.body.toString()).toBe(200);
    expect(JSON.parse(put.body.toString()).resource).toMatchObject({ status: "READY", sizeBytes: String(size) });

    const expected = prngSha256(seed, size);
    const got = await download(declared.uploadUrl);
    expect(got.status).toBe(200);
    expect(got.headers["content-length"]).toBe(String(size));
    expect(got.headers["content-type"]).toBe("application/x-test");
    expect(got.headers.etag).toBe(`"${expected}"`);
    expect(got.size).toBe(size);
    expect(got.sha256).toBe(expected);

    const info = await resourceInfo(client, declared.resource.id);
    expect(info).toMatchObject({ status: "READY", sha256: expected, sizeBytes: String(size) });
  });

  describe("a 1,000-byte artifact", () => {
    const size = 1000;
    const seed = 10;
    const bytes = prngBytes(seed, 0, size);
    let url: string;
    beforeAll(async () => {
      const declared = await declare(client, projectId, seed, size, "weights.onnx");
      url = declared.uploadUrl;
      expect((await putStream(url, [bytes], size)).status).toBe(200);
    });

    it("serves Range requests: bytes=0-9, bytes=-5, bytes=10-", async () => {
      const first = await download(url, { headers: { range: "bytes=0-9" } });
      expect(first.status).toBe(206);
      expect(first.headers["content-range"]).toBe("bytes 0-9/1000");
      expect(first.headers["content-length"]).toBe("10");
      expect(first.body.equals(bytes.subarray(0, 10))).toBe(true);

      const suffix = await download(url, { headers: { range: "bytes=-5" } });
      expect(suffix.status).toBe(206);
      expect(suffix.headers["content-range"]).toBe("bytes 995-999/1000");
      expect(suffix.body.equals(bytes.subarray(995))).toBe(true);

      const open = await download(url, { headers: { range: "bytes=10-" } });
      expect(open.status).toBe(206);
      expect(open.headers["content-range"]).toBe("bytes 10-999/1000");
      expect(open.headers["content-length"]).toBe("990");
      expect(open.body.equals(bytes.subarray(10))).toBe(true);
    });

    it("answers 416 for an unsatisfiable range", async () => {
      const res = await download(url, { headers: { range: "bytes=1000-" } });
      expect(res.status).toBe(416);
      expect(res.headers["content-range"]).toBe("bytes */1000");
      expect(res.size).toBe(0);
    });

    it("answers 304 to If-None-Match with its ETag", async () => {
      const full = await download(url);
      expect(full.status).toBe(200);
      expect(full.headers["accept-ranges"]).toBe("bytes");
      expect(full.headers["content-disposition"]).toBe('attachment; filename="weights.onnx"');
      const etag = full.headers.etag!;
      expect(etag).toBe(`"${createHash("sha256").update(bytes).digest("hex")}"`);
      const cached = await download(url, { headers: { "if-none-match": etag } });
      expect(cached.status).toBe(304);
      expect(cached.size).toBe(0);
      expect(cached.headers.etag).toBe(etag);
      const stale = await download(url, { headers: { "if-none-match": '"0000"' } });
      expect(stale.status).toBe(200);
      expect(stale.body.equals(bytes)).toBe(true);
    });

    it("answers HEAD with the headers and no body", async () => {
      const head = await download(url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers["content-length"]).toBe("1000");
      expect(head.headers.etag).toMatch(/^"[0-9a-f]{64}"$/);
      expect(head.size).toBe(0);
      const ranged = await download(url, { method: "HEAD", headers: { range: "bytes=0-9" } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers["content-length"]).toBe("10");
    });
  });

  it("gives a deployer the bytes of the production version in one query", async () => {
    const size = 3 * MiB + 7;
    const seed = 20;
    const declared = await declare(client, projectId, seed, size, "prod.safetensors");
    expect((await putStream(declared.uploadUrl, prngChunks(seed, size), size)).status).toBe(200);
    const model = await createModel(client, projectId);
    const version = await createVersion(client, model.id, { resourceId: declared.resource.id });
    await transition(client, { modelVersionId: version.id, stage: "STAGING" });
    expect((await transition(client, { modelVersionId: version.id, stage: "PRODUCTION" })).__typename).toBe("TransitionModelVersionStagePayload");

    const data = await client.request(
      `query($id: ID!) { node(id: $id) { ... on Model { productionVersion { number resource { sha256 sizeBytes downloadUrl } } } } }`,
      { id: model.id },
    );
    const resource = data.node.productionVersion.resource;
    expect(resource.sha256).toBe(prngSha256(seed, size));
    expect(resource.sizeBytes).toBe(String(size));
    if (backend === "s3") expect(resource.downloadUrl.startsWith(`${s3!.endpoint}/`)).toBe(true);
    else expect(resource.downloadUrl).toBe(declared.uploadUrl);
    const fetched = await fetchSha256(resource.downloadUrl);
    expect(fetched.status).toBe(200);
    expect(fetched.size).toBe(size);
    expect(fetched.sha256).toBe(resource.sha256);
  });

  describe.runIf(backend === "s3")("presigned transfers (S3)", () => {
    it("uploads a small file with one presigned PUT, then completeResourceUpload", async () => {
      const size = 2 * MiB + 3;
      const seed = 30;
      const declared = await declare(client, projectId, seed, size);
      const presigned = declared.presignedUpload!;
      expect(presigned.url).toMatch(new RegExp(`^${s3!.endpoint}/`));
      expect(presigned.uploadId).toBeNull();
      expect(presigned.parts).toEqual([]);

      const early = await complete(client, declared.resource.id);
      expect(early.__typename).toBe("ValidationError");

      const put = await fetch(presigned.url!, { method: "PUT", body: new Uint8Array(prngBytes(seed, 0, size)) });
      expect(put.status).toBe(200);
      expect((await resourceInfo(client, declared.resource.id)).status).toBe("PENDING");
      const done = await complete(client, declared.resource.id);
      expect(done).toEqual({ __typename: "CompleteResourceUploadPayload", resource: { status: "READY" } });
      expect((await complete(client, declared.resource.id)).resource?.status).toBe("READY"); // idempotent

      const got = await download(declared.uploadUrl);
      expect(got.status).toBe(200);
      expect(got.sha256).toBe(prngSha256(seed, size));
      const info = await resourceInfo(client, declared.resource.id);
      const viaPresigned = await fetchSha256(info.downloadUrl!);
      expect(viaPresigned.status).toBe(200);
      expect(viaPresigned.sha256).toBe(prngSha256(seed, size));
      expect(viaPresigned.headers.get("content-disposition")).toContain(`blob-${seed}.bin`);
    });

    it("uploads 40 MiB as presigned multipart parts, then completeResourceUpload", async () => {
      const size = 40 * MiB + 5;
      const seed = 31;
      const declared = await declare(client, projectId, seed, size);
      const presigned = declared.presignedUpload!;
      expect(presigned.url).toBeNull();
      expect(presigned.uploadId).toBeTruthy();
      const partSize = presigned.partSize!;
      expect(partSize).toBe(16 * MiB);
      expect(presigned.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);

      for (const part of presigned.parts) {
        const start = (part.partNumber - 1) * partSize;
        const res = await fetch(part.url, { method: "PUT", body: new Uint8Array(prngBytes(seed, start, Math.min(partSize, size - start))) });
        expect(res.status, await res.text()).toBe(200);
      }
      const done = await complete(client, declared.resource.id);
      expect(done).toEqual({ __typename: "CompleteResourceUploadPayload", resource: { status: "READY" } });

      const info = await resourceInfo(client, declared.resource.id);
      const viaPresigned = await fetchSha256(info.downloadUrl!);
      expect(viaPresigned.size).toBe(size);
      expect(viaPresigned.sha256).toBe(prngSha256(seed, size));
      const viaServer = await download(declared.uploadUrl, { headers: { range: `bytes=${size - 10}-` } });
      expect(viaServer.status).toBe(206);
      expect(viaServer.body.equals(prngBytes(seed, size - 10, 10))).toBe(true);
      // Verified bytes live under their content key; nothing is left in staging.
      expect(await s3!.listKeys("staging/")).toEqual([]);
    });
  });
});
