// Artifact upload and download through the SDK against a real server, on the filesystem store and on S3
// (s3rver, presigned URLs): sha256 computed on the way, progress, verification of downloads (a corrupted
// object on disk is refused and nothing is left behind), and the portable (browser) code path.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ArtifactIntegrityError, ArtifactNotReadyError, createSha256, unwrap, type NodeClient, type TransferProgress } from "@modelgraph/sdk";
import { createClient as createPortableClient } from "@modelgraph/sdk/universal";
import { startTestS3, type TestS3 } from "../support/s3.ts";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { startSdkServer, unique, type SdkFixture } from "./support.ts";

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-sdk-artifacts-"));
}

async function newProject(client: NodeClient): Promise<string> {
  return unwrap(await client.createProject({ name: unique("art") })).project.id;
}

/** Every file under `dir` (recursively). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe.skipIf(!databaseAvailable)("SDK artifacts on the filesystem store", () => {
  let fx: SdkFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await startSdkServer();
    dir = await tempDir();
  });
  afterAll(async () => {
    await fx?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("uploads a file by path (hash pass, then upload hashed again), reports progress, and downloads it verified", async () => {
    const projectId = await newProject(fx.client);
    const bytes = randomBytes(8 * MiB + 123);
    const file = path.join(dir, "weights.safetensors");
    await fs.writeFile(file, bytes);
    const events: TransferProgress[] = [];
    const resource = await fx.client.uploadArtifact(file, { projectId, format: "SAFETENSORS", onProgress: (p) => events.push(p) });
    expect(resource).toMatchObject({ name: "weights.safetensors", status: "READY", sha256: sha256(bytes), sizeBytes: String(bytes.length), format: "SAFETENSORS" });

    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(["hashing", "uploading"]);
    for (const phase of phases) {
      const of = events.filter((e) => e.phase === phase).map((e) => e.bytes);
      expect(of).toEqual([...of].sort((a, b) => a - b));
      expect(of.at(-1)).toBe(bytes.length);
      expect(of.length).toBeGreaterThan(2);
    }

    const outDir = path.join(dir, "out");
    await fs.mkdir(outDir);
    const downloaded: TransferProgress[] = [];
    const result = await fx.client.downloadArtifact(resource, outDir, { onProgress: (p) => downloaded.push(p) });
    expect(result.path).toBe(path.join(outDir, "weights.safetensors"));
    expect(result.sha256).toBe(resource.sha256);
    expect(sha256(await fs.readFile(result.path!))).toBe(resource.sha256);
    expect(downloaded.at(-1)).toEqual({ phase: "downloading", bytes: bytes.length, totalBytes: bytes.length });
    expect(await fs.readdir(outDir)).toEqual(["weights.safetensors"]);

    // Into a Node Writable, by resource id.
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    await fx.client.downloadArtifact(resource.id, sink);
    expect(sha256(Buffer.concat(chunks))).toBe(resource.sha256);
  });

  it("uploads a Node stream of unknown size and sha256 by spooling it, and a stream with a known sha256 in one pass", async () => {
    const projectId = await newProject(fx.client);
    const bytes = randomBytes(3 * MiB + 7);
    const spooled = await fx.client.uploadArtifact(Readable.from([bytes.subarray(0, MiB), bytes.subarray(MiB)]), { projectId, name: "stream.bin" });
    expect(spooled).toMatchObject({ status: "READY", sha256: sha256(bytes), sizeBytes: String(bytes.length) });

    const phases: string[] = [];
    const direct = await fx.client.uploadArtifact(Readable.from([bytes]), {
      projectId,
      name: "known.bin",
      sha256: sha256(bytes),
      sizeBytes: bytes.length,
      onProgress: (p) => phases.push(p.phase),
    });
    expect(direct.status).toBe("READY");
    expect(new Set(phases)).toEqual(new Set(["uploading"]));
  });

  it("refuses to send bytes that do not match the given sha256: the resource stays PENDING", async () => {
    const projectId = await newProject(fx.client);
    const file = path.join(dir, "wrong.bin");
    await fs.writeFile(file, randomBytes(MiB));
    const wrong = sha256(Buffer.from("something else"));
    const error = await fx.client.uploadArtifact(file, { projectId, sha256: wrong }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactIntegrityError);
    expect((error as ArtifactIntegrityError).expectedSha256).toBe(wrong);
    const resources = await fx.client.paginate.projectResources({ project: { id: projectId } }).all();
    expect(resources.map((r) => r.status)).toEqual(["PENDING"]);
  });

  it("refuses a download whose bytes do not match the resource's sha256 and leaves nothing at the destination", async () => {
    const projectId = await newProject(fx.client);
    const bytes = randomBytes(2 * MiB);
    const resource = await fx.client.uploadArtifact(bytes, { projectId, name: "victim.bin" });
    // Corrupt the stored object on the server's disk: one flipped byte, same size.
    const stored = (await filesUnder(fx.server.dataDir)).find((f) => path.basename(f) === resource.sha256);
    expect(stored).toBeDefined();
    const corrupted = Buffer.from(bytes);
    corrupted[12345] = corrupted[12345]! ^ 0xff;
    await fs.writeFile(stored!, corrupted);

    const outDir = path.join(dir, "corrupt");
    await fs.mkdir(outDir);
    const error = await fx.client.downloadArtifact(resource, path.join(outDir, "model.bin")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactIntegrityError);
    expect((error as ArtifactIntegrityError).actualSha256).toBe(sha256(corrupted));
    expect(await fs.readdir(outDir)).toEqual([]);
  });

  it("refuses to download an artifact that is not READY", async () => {
    const projectId = await newProject(fx.client);
    const { resource } = unwrap(await fx.client.createResourceUpload({ projectId, name: "pending.bin", sizeBytes: "3", sha256: sha256(Buffer.from("abc")) }));
    await expect(fx.client.downloadArtifact(resource, path.join(dir, "pending.bin"))).rejects.toBeInstanceOf(ArtifactNotReadyError);
  });

  it("works with web APIs only (the browser entry): Blob upload hashed in TypeScript, download into a WritableStream", async () => {
    const client = createPortableClient({ url: fx.server.url, token: ADMIN_TOKEN, webSocketImpl: WebSocket });
    const projectId = unwrap(await client.createProject({ name: unique("web") })).project.id;
    const bytes = randomBytes(MiB + 3);
    const resource = await client.uploadArtifact(new Blob([bytes], { type: "application/x-onnx" }), { projectId, name: "web.onnx" });
    expect(resource).toMatchObject({ sha256: sha256(bytes), contentType: "application/x-onnx", status: "READY" });

    const chunks: Uint8Array[] = [];
    const result = await client.downloadArtifact(resource, new WritableStream({ write: (chunk) => void chunks.push(chunk) }));
    expect(result.sha256).toBe(sha256(bytes));
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));

    const fromStream = await client.uploadArtifact(new Blob([bytes]).stream(), { projectId, name: "spooled.bin" });
    expect(fromStream.sha256).toBe(sha256(bytes));
    await client.close();
  });

  it("hashes like node:crypto in plain TypeScript, across block boundaries and chunkings", () => {
    const data = randomBytes(MiB + 77);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, MiB + 77]) {
      const hasher = createSha256();
      const slice = data.subarray(0, length);
      for (let offset = 0; offset < length; offset += 37) hasher.update(slice.subarray(offset, offset + 37));
      expect(hasher.digest()).toBe(sha256(slice));
    }
  });
});

describe.skipIf(!databaseAvailable)("SDK artifacts on S3 (presigned URLs)", () => {
  let s3: TestS3;
  let fx: SdkFixture;
  let dir: string;
  beforeAll(async () => {
    s3 = await startTestS3();
    fx = await startSdkServer(s3.env);
    dir = await tempDir();
  });
  afterAll(async () => {
    await fx?.close();
    await s3?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("uploads straight to object storage (single PUT and multipart) and downloads from a presigned URL, verified", async () => {
    const projectId = await newProject(fx.client);
    for (const size of [5 * MiB, 20 * MiB + 5]) {
      const bytes = randomBytes(size);
      const file = path.join(dir, `s3-${size}.bin`);
      await fs.writeFile(file, bytes);
      const uploaded: number[] = [];
      const resource = await fx.client.uploadArtifact(file, { projectId, onProgress: (p) => p.phase === "uploading" && uploaded.push(p.bytes) });
      expect(resource).toMatchObject({ status: "READY", sha256: sha256(bytes) });
      expect(uploaded.at(-1)).toBe(size);
      expect(resource.downloadUrl).not.toContain(new URL(fx.server.url).host);
      const result = await fx.client.downloadArtifact(resource, path.join(dir, `copy-${size}.bin`));
      expect(sha256(await fs.readFile(result.path!))).toBe(sha256(bytes));
    }
    expect(await s3.listOpenMultipartUploads()).toEqual([]);
  });

  it("streams through the server on request (via: server)", async () => {
    const projectId = await newProject(fx.client);
    const bytes = randomBytes(MiB);
    const resource = await fx.client.uploadArtifact(bytes, { projectId, name: "through-server.bin", via: "server" });
    expect(resource).toMatchObject({ status: "READY", sha256: sha256(bytes) });
  });
});
