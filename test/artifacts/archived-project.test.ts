// An archived project is read-only (DESIGN.md §1 "Object rules"), its artifacts included: no bytes by
// PUT /artifacts/{id} (a 400 JSON error like the route's other refusals), no completeResourceUpload (streaming or
// presigned), no deleteResource, no createResourceUpload: ArchivedObjectError, and nothing changes (no row, no
// RESOURCE_READY event, no audit entry). An upload under way when the project is archived does not become READY
// (its bytes are checked, then refused, and the resource stays PENDING until it expires).
// Reads stay: the READY artifact still downloads. On the filesystem store and on S3 (s3rver).
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createProject, createResource, mutate } from "../support/fixtures.ts";
import { startTestS3, type TestS3 } from "../support/s3.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { snapshotDatabase } from "../support/snapshot.ts";
import { decodeGlobalId } from "../../server/src/domain/ids.ts";

const backends = [{ backend: "filesystem" }, { backend: "s3" }] as const;

describe.runIf(databaseAvailable).each(backends)("archived projects refuse artifact writes ($backend)", ({ backend }) => {
  let s3: TestS3 | undefined;
  let server: TestServer;
  let client: GraphQLClient;

  beforeAll(async () => {
    if (backend === "s3") s3 = await startTestS3();
    server = await startTestServer(s3?.env ?? {});
    client = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await s3?.close();
  });

  const RESULT = "__typename ... on Error { message } ... on ArchivedObjectError { kind ref }";

  async function attempt(field: string, input: Record<string, unknown>) {
    const type = field.charAt(0).toUpperCase() + field.slice(1);
    return (await client.request(`mutation($input: ${type}Input!) { result: ${field}(input: $input) { ${RESULT} } }`, { input })).result;
  }

  async function declare(projectId: string, bytes: Buffer) {
    const input = { projectId, name: "weights.bin", sizeBytes: String(bytes.length), sha256: createHash("sha256").update(bytes).digest("hex") };
    return mutate(client, "createResourceUpload", "CreateResourceUploadInput", input, "resource { id } uploadUrl presignedUpload { url }");
  }

  async function statusOf(id: string) {
    return (await client.request(`query($id: ID!) { node(id: $id) { ... on Resource { status } } }`, { id })).node.status;
  }

  async function archive(projectId: string) {
    await mutate(client, "archiveProject", "ArchiveProjectInput", { id: projectId }, "project { status }");
  }

  it("refuses bytes, completion, deletion and new uploads, and changes nothing; downloads still work", async () => {
    const project = await createProject(client);
    const readyBytes = Buffer.from(`ready ${randomUUID()}`);
    const ready = await createResource(client, project.id, { bytes: readyBytes });
    const pendingBytes = Buffer.from(`pending ${randomUUID()}`);
    const pending = await declare(project.id, pendingBytes);
    if (pending.presignedUpload) {
      // Presigned bytes reach the object store directly: only completing them is ours to refuse.
      expect((await fetch(pending.presignedUpload.url, { method: "PUT", body: new Uint8Array(pendingBytes) })).status).toBe(200);
    }
    await archive(project.id);
    const archived = { kind: "Project", ref: project.id };

    const snapshot = await snapshotDatabase(server.app);
    const put = await fetch(pending.uploadUrl, { method: "PUT", body: new Uint8Array(pendingBytes), headers: client.authHeaders });
    expect(put.status).toBe(400);
    expect(put.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await put.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("ArchivedObjectError");
    expect(body.error.message).toMatch(/archived and read-only/);

    for (const resourceId of [pending.resource.id, ready.id]) {
      expect(await attempt("completeResourceUpload", { resourceId })).toMatchObject({ __typename: "ArchivedObjectError", ...archived });
    }
    expect(await attempt("deleteResource", { id: ready.id })).toMatchObject({ __typename: "ArchivedObjectError", ...archived });
    expect(await attempt("createResourceUpload", { projectId: project.id, name: "more.bin", sizeBytes: "1", sha256: "a".repeat(64) })).toMatchObject({
      __typename: "ArchivedObjectError",
      ...archived,
    });
    expect(await snapshotDatabase(server.app)).toBe(snapshot);
    expect(await statusOf(pending.resource.id)).toBe("PENDING");

    const download = await fetch(ready.uploadUrl, { headers: client.authHeaders });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(readyBytes);
  });

  it.runIf(backend === "filesystem")("an upload under way when the project is archived does not become READY", async () => {
    const project = await createProject(client);
    const bytes = Buffer.alloc(256 * 1024, 7);
    const declared = await declare(project.id, bytes);
    // The first half goes out; once the server is staging it (its staging file exists, so the upload was accepted),
    // the project is archived, then the rest follows.
    const staging = path.join(server.dataDir, "artifacts", "staging");
    const stagingStarted = async () => {
      for (let i = 0; i < 400; i++) {
        if ((await fs.readdir(staging).catch(() => [])).length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error("the server never started staging the upload");
    };
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(declared.uploadUrl, { method: "PUT", headers: { "content-length": bytes.length, ...client.authHeaders } }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString("utf8") }));
      });
      req.on("error", reject);
      req.write(bytes.subarray(0, bytes.length / 2), () => {
        void stagingStarted()
          .then(() => archive(project.id))
          .then(() => req.end(bytes.subarray(bytes.length / 2)), reject);
      });
    });
    const { status, body } = await response;
    expect(status).toBe(400);
    expect(JSON.parse(body).error.type).toBe("ArchivedObjectError");
    expect(await statusOf(declared.resource.id)).toBe("PENDING");
    const ready = await server.app.db.prisma.event.count({ where: { type: "RESOURCE_READY", projectId: decodeGlobalId(project.id)?.id } });
    expect(ready).toBe(0);
  });
});
