// What an artifact's name and content type may do to the download's headers: any accepted name downloads (encoded
// per RFC 6266/8187), a content type must be a real media type at declaration (ValidationError naming contentType),
// and downloads are never rendered by a browser (attachment, nosniff, sandbox).
import { createHash } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createProject, createResource } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { decodeGlobalId } from "../../server/src/domain/ids.ts";

interface Download {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string>, method = "GET"): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The file name a browser takes from Content-Disposition: `filename*` (RFC 8187) when present. */
function fileNameOf(disposition: string): string {
  const extended = /filename\*=UTF-8''([^;]+)/.exec(disposition);
  if (extended) return decodeURIComponent(extended[1]!);
  return /filename="([^"]*)"/.exec(disposition)![1]!;
}

const DECLARE = `mutation($input: CreateResourceUploadInput!) {
  result: createResourceUpload(input: $input) {
    __typename
    ... on CreateResourceUploadPayload { resource { id contentType } }
    ... on ValidationError { message issues { path message } }
  }
}`;

describe.skipIf(!databaseAvailable)("artifact download headers", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let projectId: string;
  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    projectId = (await createProject(client)).id;
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  async function downloadUrlOf(id: string): Promise<string> {
    const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Resource { downloadUrl } } }`, { id });
    return data.node.downloadUrl;
  }

  it.each(["模型.onnx", "model-🚀.bin", 'quote"name.bin', "percent%20not-decoded.bin", "semi;colon, comma=.bin", "..", "  spaced  .pt"])(
    "a resource named %j downloads (GET and HEAD) with its exact name in filename*, and an ASCII fallback",
    async (name) => {
      const bytes = Buffer.from(`bytes of ${name}`);
      const resource = await createResource(client, projectId, { bytes, name });
      expect(resource.status).toBe("READY");
      const url = await downloadUrlOf(resource.id);
      for (const method of ["GET", "HEAD"]) {
        const response = await get(url, client.authHeaders, method);
        expect(response.status, method).toBe(200);
        const disposition = response.headers["content-disposition"]!;
        expect(disposition.startsWith("attachment;")).toBe(true);
        expect(fileNameOf(disposition)).toBe(name);
        // The fallback is printable ASCII without quotes or backslashes, so the quoted string cannot be broken out of.
        const fallback = /filename="([^"]*)"/.exec(disposition)![1]!;
        expect(fallback).toMatch(/^[\x20-\x7e]*$/);
        expect(fallback).not.toMatch(/["\\]/);
        if (method === "GET") expect(createHash("sha256").update(response.body).digest("hex")).toBe(resource.sha256);
      }
    },
  );

  it("every download is an attachment that browsers neither sniff nor run (200, 206, 304)", async () => {
    const resource = await createResource(client, projectId, { bytes: Buffer.from("<html><script>alert(1)</script></html>"), name: "page.html", contentType: "text/html; charset=utf-8" });
    const url = await downloadUrlOf(resource.id);
    const full = await get(url, client.authHeaders);
    const partial = await get(url, { ...client.authHeaders, range: "bytes=0-5" });
    const notModified = await get(url, { ...client.authHeaders, "if-none-match": full.headers.etag! });
    expect([full.status, partial.status, notModified.status]).toEqual([200, 206, 304]);
    for (const response of [full, partial, notModified]) {
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.headers["content-security-policy"]).toMatch(/\bsandbox\b/);
      expect(response.headers["content-disposition"]).toMatch(/^attachment;/);
    }
    expect(full.headers["content-type"]).toBe("text/html; charset=utf-8");
  });

  it.each([
    "text/plain\r\nSet-Cookie: a=b",
    "text/plain\nX-Injected: 1",
    "application/octet-stream\u0000",
    "模型/onnx",
    "text/plain; charset=ütf-8",
    "text",
    "/plain",
    "text/",
    "text/plain;charset",
    "text /plain",
    " text/plain",
    "text/plain; charset=\"unterminated",
    `application/${"x".repeat(260)}`,
  ])("createResourceUpload refuses the content type %j with a ValidationError naming contentType, and creates nothing", async (contentType) => {
    const before = await server.app.db.prisma.resource.count();
    const data = await client.request(DECLARE, { input: { projectId, name: "weights.bin", sizeBytes: "1", sha256: "a".repeat(64), contentType } });
    expect(data.result.__typename).toBe("ValidationError");
    expect(data.result.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(["input.contentType"]);
    expect(await server.app.db.prisma.resource.count()).toBe(before);
  });

  it.each(["application/octet-stream", "text/plain; charset=utf-8", 'application/x.custom+json;profile="urn:a b";v=1', "application/vnd.onnx", "TEXT/PLAIN"])(
    "createResourceUpload accepts the media type %j and serves it back",
    async (contentType) => {
      const resource = await createResource(client, projectId, { contentType, name: "ok.bin" });
      const response = await get(await downloadUrlOf(resource.id), client.authHeaders);
      expect(response.status).toBe(200);
      expect(response.headers["content-type"]).toBe(contentType);
    },
  );

  it("a content type stored before the rule existed is served as application/octet-stream instead of failing", async () => {
    const resource = await createResource(client, projectId, { name: "legacy.bin" });
    // Written behind the API, as a row of an older version would be: the API refuses it now.
    const rowId = decodeGlobalId(resource.id)?.id;
    await server.app.db.prisma.resource.update({ where: { id: rowId }, data: { contentType: "text/html\r\nX-Injected: 1" } });
    const response = await get(await downloadUrlOf(resource.id), client.authHeaders);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/octet-stream");
    expect(response.headers["x-injected"]).toBeUndefined();
  });
});
