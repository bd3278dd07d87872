// The HTTP server's hardening, over real HTTP: artifact transfers are cut when idle rather than after a total time
// (which still bounds every other request), CORS answers only configured origins, GraphiQL works with no network
// but this server's, and what the server writes under DATA_DIR is its user's alone.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp } from "../../server/src/app.ts";
import { ConfigError, loadConfig } from "../../server/src/config.ts";
import { GraphQLClient } from "../support/client.ts";
import { createProject, createResource, mutate } from "../support/fixtures.ts";
import { databaseAvailable, dbKind, startTestServer, type TestServer } from "../support/server.ts";

interface Answer {
  /** How the exchange ended: a response, or the connection cut before one arrived. */
  outcome: "response" | "cut" | "gave-up";
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: string;
  /** Body bytes written before the exchange ended. */
  sent: number;
}

/**
 * Sends `chunks` as the body of one request, one every `intervalMs`, then (unless `stallAfter` stops it early and
 * keeps the connection open) ends it. `giveUpMs` bounds the whole exchange, so a server that never cuts a stalled
 * request fails the test instead of hanging it.
 */
function trickle(url: string, { method = "PUT", headers = {}, chunks, intervalMs, stallAfter, giveUpMs = 20_000 }: { method?: string; headers?: Record<string, string | number>; chunks: Buffer[]; intervalMs: number; stallAfter?: number; giveUpMs?: number }): Promise<Answer> {
  return new Promise((resolve) => {
    let sent = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (answer: Omit<Answer, "sent">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(guard);
      req.destroy();
      resolve({ ...answer, sent });
    };
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const req = http.request(url, { method, headers: { "content-length": total, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => finish({ outcome: "response", status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }));
      res.on("error", () => finish({ outcome: "cut" }));
    });
    req.on("error", () => finish({ outcome: "cut" }));
    req.on("close", () => setImmediate(() => finish({ outcome: "cut" })));
    const guard = setTimeout(() => finish({ outcome: "gave-up" }), giveUpMs);
    let next = 0;
    const send = () => {
      if (settled) return;
      if (stallAfter !== undefined && next >= stallAfter) return; // the connection stays open, silent
      if (next >= chunks.length) {
        req.end();
        return;
      }
      const chunk = chunks[next++]!;
      req.write(chunk, () => (sent += chunk.length));
      timer = setTimeout(send, intervalMs);
    };
    req.flushHeaders();
    send();
  });
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function resourceStatus(client: GraphQLClient, id: string): Promise<{ status: string; downloadUrl: string | null }> {
  return (await client.request(`query($id: ID!) { node(id: $id) { ... on Resource { status downloadUrl } } }`, { id })).node;
}

/** Every file and directory under `dir` (not `dir` itself), with its permission bits. */
async function modesUnder(dir: string): Promise<{ path: string; mode: number; isDirectory: boolean }[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.map(async (e) => {
      const full = path.join(e.parentPath, e.name);
      const stat = await fs.lstat(full);
      return { path: path.relative(dir, full), mode: stat.mode & 0o777, isDirectory: stat.isDirectory() };
    }),
  );
}

const corsHeaders = (headers: Headers) => [...headers.keys()].filter((k) => k.startsWith("access-control-")).sort();

async function preflight(url: string, origin: string, method: string): Promise<Response> {
  return fetch(url, { method: "OPTIONS", headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" } });
}

describe.skipIf(!databaseAvailable)("a server with the default settings (but for shrunk timeouts)", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let projectId: string;
  beforeAll(async () => {
    // Shrunk limits: a request must arrive within 2 s, an artifact transfer may pause up to 1 s.
    server = await startTestServer({ REQUEST_TIMEOUT_SECONDS: "2", ARTIFACT_IDLE_TIMEOUT_SECONDS: "1" });
    client = new GraphQLClient(server.url);
    projectId = (await createProject(client)).id;
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("allows no cross origin without CORS_ORIGINS", async () => {
    const response = await fetch(`${server.url}/graphql`, { method: "POST", headers: { origin: "https://console.example.com", "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) });
    expect(corsHeaders(response.headers)).toEqual([]);
    const pre = await preflight(`${server.url}/graphql`, "https://console.example.com", "POST");
    expect(corsHeaders(pre.headers)).toEqual([]);
  });

  describe("timeouts: artifact routes idle, other requests total", () => {

    it("an upload that keeps sending, a chunk every 300 ms for longer than the total limit, completes READY and verified", async () => {
      const chunks = Array.from({ length: 16 }, () => randomBytes(64)); // 16 × 300 ms: over 4 s in all
      const bytes = Buffer.concat(chunks);
      const declared = await createResource(client, projectId, { bytes, upload: false, name: "slow.bin" });
      const answer = await trickle(declared.uploadUrl, { headers: { ...client.authHeaders, "content-type": "application/octet-stream" }, chunks, intervalMs: 300 });
      expect(answer.outcome).toBe("response");
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body!).resource).toMatchObject({ status: "READY", sha256: sha256(bytes), sizeBytes: String(bytes.length) });
      const { status, downloadUrl } = await resourceStatus(client, declared.id);
      expect(status).toBe("READY");
      const downloaded = Buffer.from(await (await fetch(downloadUrl!, { headers: client.authHeaders })).arrayBuffer());
      expect(sha256(downloaded)).toBe(sha256(bytes));
    });

    it("an upload that stops sending is cut after the idle limit: the resource stays PENDING, nothing is stored, a retry succeeds", async () => {
      const chunks = Array.from({ length: 8 }, () => randomBytes(1024));
      const bytes = Buffer.concat(chunks);
      const declared = await createResource(client, projectId, { bytes, upload: false, name: "stalled.bin" });
      const answer = await trickle(declared.uploadUrl, { headers: client.authHeaders, chunks, intervalMs: 50, stallAfter: 3 });
      expect(answer.outcome).toBe("cut");
      expect(answer.sent).toBe(3 * 1024);
      expect((await resourceStatus(client, declared.id)).status).toBe("PENDING");
      // No staging file and no object were kept (filesystem store under DATA_DIR/artifacts).
      const artifacts = path.join(server.dataDir, "artifacts");
      const eventually = async () => {
        for (let i = 0; i < 50; i++) {
          if ((await fs.readdir(path.join(artifacts, "staging"))).length === 0) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await eventually();
      expect(await fs.readdir(path.join(artifacts, "staging"))).toEqual([]);
      expect((await modesUnder(path.join(artifacts, "objects"))).filter((e) => !e.isDirectory && e.path.endsWith(sha256(bytes)))).toEqual([]);

      const retry = await fetch(declared.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: client.authHeaders });
      expect(retry.status).toBe(200);
      expect((await resourceStatus(client, declared.id)).status).toBe("READY");
    });

    it("a GraphQL request whose body is still arriving after the total limit is answered 408", async () => {
      const body = Buffer.from(JSON.stringify({ query: "{ viewer { name } }", padding: "x".repeat(40) }));
      const chunks = Array.from({ length: Math.ceil(body.length / 4) }, (_, i) => body.subarray(i * 4, i * 4 + 4)); // ~15 chunks × 300 ms
      const answer = await trickle(`${server.url}/graphql`, { method: "POST", headers: { ...client.authHeaders, "content-type": "application/json" }, chunks, intervalMs: 300 });
      expect(answer.outcome).toBe("response");
      expect(answer.status).toBe(408);
      expect(answer.sent).toBeLessThan(body.length);
    });

    it("a GraphQL request that arrives in time is answered normally", async () => {
      expect((await client.request("{ viewer { name } }")).viewer.name).toBe("admin");
    });
  });

  describe("GraphiQL without a network", () => {
    it("GET /graphql as HTML is a page whose every script, stylesheet and worker comes from this server", async () => {
      const page = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain("renderYogaGraphiQL");
      // No absolute or protocol-relative URL anywhere in the page: nothing is fetched from elsewhere.
      expect(html.match(/(?:https?:)?\/\/[\w.-]+\.[a-z]{2,}/gi) ?? []).toEqual([]);
      const attributes = [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
      const quoted = [...html.matchAll(/["']([^"'\s]+\.(?:js|css))["']/g)].map((m) => m[1]!);
      const references = [...new Set([...attributes, ...quoted])].filter((ref) => !ref.startsWith("data:"));
      // The stylesheet, the bundle and Monaco's three workers.
      expect(references.filter((r) => r.endsWith(".css"))).toHaveLength(1);
      expect(references.filter((r) => r.endsWith(".js"))).toHaveLength(4);
      for (const ref of references) {
        const url = new URL(ref, `${server.url}/graphql`);
        expect(url.origin, ref).toBe(server.url);
        const asset = await fetch(url);
        expect(asset.status, ref).toBe(200);
        expect(asset.headers.get("content-type"), ref).toMatch(ref.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
        expect(asset.headers.get("cache-control"), ref).toMatch(/max-age=\d{6,}/);
        expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(10_000);
      }
    });

    it("serves only the files of the bundle", async () => {
      const page = await (await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } })).text();
      const prefix = /href="([^"]*\/)graphiql\.css"/.exec(page)![1]!;
      for (const probe of ["package.json", "../package.json", "%2e%2e/package.json", "monacoeditorwork/editor.worker.bundle.js"]) {
        expect((await fetch(`${server.url}${prefix}${probe}`)).status, probe).toBeGreaterThanOrEqual(400);
      }
    });
  });
});

describe.skipIf(!databaseAvailable)("CORS", () => {
  const allowed = "https://console.example.com";
  const foreign = "https://evil.example";
  let server: TestServer;
  let client: GraphQLClient;
  let downloadUrl: string;
  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: `${allowed}, http://localhost:5173` });
    client = new GraphQLClient(server.url);
    const projectId = (await createProject(client)).id;
    const resource = await createResource(client, projectId, { name: "cors.bin" });
    downloadUrl = (await client.request(`query($id: ID!) { node(id: $id) { ... on Resource { downloadUrl } } }`, { id: resource.id })).node.downloadUrl;
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  async function query(origin: string): Promise<Response> {
    return fetch(`${server.url}/graphql`, { method: "POST", headers: { origin, "content-type": "application/json", ...client.authHeaders }, body: JSON.stringify({ query: "{ viewer { name } }" }) });
  }

  it("a foreign origin gets no CORS header on /graphql, nor on its preflight", async () => {
    const response = await query(foreign);
    expect(response.status).toBe(200);
    expect(corsHeaders(response.headers)).toEqual([]);
    const pre = await preflight(`${server.url}/graphql`, foreign, "POST");
    expect(corsHeaders(pre.headers)).toEqual([]);
  });

  it("a configured origin gets exactly its origin back, with credentials, and a preflight allowing POST with authorization", async () => {
    for (const origin of [allowed, "http://localhost:5173"]) {
      const response = await query(origin);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect((await response.json()).data.viewer.name).toBe("admin");
    }
    const pre = await preflight(`${server.url}/graphql`, allowed, "POST");
    expect(pre.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(pre.headers.get("access-control-allow-methods")).toMatch(/\bPOST\b/);
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/\bauthorization\b/);
  });

  it("a same-origin request works (and needs no CORS header)", async () => {
    const response = await query(server.url);
    expect(response.status).toBe(200);
    expect((await response.json()).data.viewer.name).toBe("admin");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("artifact routes: a configured origin may download and upload, a foreign one gets no CORS header", async () => {
    const fromAllowed = await fetch(downloadUrl, { headers: { origin: allowed, ...client.authHeaders } });
    expect(fromAllowed.status).toBe(200);
    expect(fromAllowed.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(fromAllowed.headers.get("access-control-expose-headers")).toMatch(/\bcontent-disposition\b/);
    const fromForeign = await fetch(downloadUrl, { headers: { origin: foreign, ...client.authHeaders } });
    expect(fromForeign.status).toBe(200);
    expect(corsHeaders(fromForeign.headers)).toEqual([]);

    const allowedPreflight = await preflight(downloadUrl, allowed, "PUT");
    expect(allowedPreflight.status).toBe(204);
    expect(allowedPreflight.headers.get("access-control-allow-origin")).toBe(allowed);
    expect(allowedPreflight.headers.get("access-control-allow-methods")).toMatch(/\bPUT\b/);
    expect(allowedPreflight.headers.get("access-control-allow-headers")).toMatch(/\bauthorization\b/);
    const foreignPreflight = await preflight(downloadUrl, foreign, "PUT");
    expect(corsHeaders(foreignPreflight.headers)).toEqual([]);
  });
});

describe.skipIf(!databaseAvailable)("data directory permissions", () => {
  it("after a start, an upload and a stop, nothing under DATA_DIR is open to group or others", async () => {
    // No MODELGRAPH_BOOTSTRAP_TOKEN: the server generates the admin token and writes it to DATA_DIR/bootstrap-token.
    const server = await startTestServer({ MODELGRAPH_BOOTSTRAP_TOKEN: "" });
    try {
      // What an older version left open is closed on the next start.
      const legacy = path.join(server.dataDir, "artifacts", "objects", "legacy");
      await fs.mkdir(legacy, { recursive: true, mode: 0o755 });
      await fs.chmod(legacy, 0o755);
      await fs.writeFile(path.join(legacy, "old"), "x", { mode: 0o644 });
      await fs.chmod(path.join(legacy, "old"), 0o644);
      await server.app.close();
      // The same DATA_DIR and database again.
      const restarted = await startApp(loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATA_DIR: server.dataDir, DATABASE_URL: server.databaseUrl }));
      const token = (await fs.readFile(path.join(server.dataDir, "bootstrap-token"), "utf8")).trim();
      const client = new GraphQLClient(restarted.url, undefined, token);
      const projectId = (await mutate(client, "createProject", "CreateProjectInput", { name: `perm-${Date.now()}` }, "project { id }")).project.id;
      const bytes = randomBytes(4096);
      const resource = await createResource(client, projectId, { bytes });
      expect(resource.status).toBe("READY");
      client.close();
      await restarted.close();

      const entries = await modesUnder(server.dataDir);
      expect(entries.map((e) => e.path)).toContain("bootstrap-token");
      expect(entries.some((e) => e.path.startsWith(`artifacts${path.sep}objects${path.sep}projects`) && !e.isDirectory)).toBe(true);
      if (dbKind === "pglite") expect(entries.filter((e) => e.path.startsWith(`db${path.sep}`)).length).toBeGreaterThan(10);
      const open = entries.filter((e) => (e.mode & 0o077) !== 0).map((e) => `${e.path} ${e.mode.toString(8)}`);
      expect(open).toEqual([]);
      for (const e of entries) expect(e.mode & 0o700, e.path).toBe(e.isDirectory ? 0o700 : 0o600);
    } finally {
      await server.close();
    }
  });
});

describe.runIf(dbKind === "pglite")("configuration of the HTTP limits", () => {
  it("defaults: 60 s idle on artifact routes, 300 s per other request, no cross-origin access", () => {
    const config = loadConfig({});
    expect(config.timeouts).toEqual({ artifactIdleSeconds: 60, requestSeconds: 300 });
    expect(config.corsOrigins).toEqual([]);
  });

  it("CORS_ORIGINS takes exact origins, comma-separated", () => {
    expect(loadConfig({ CORS_ORIGINS: "https://a.example.com, http://localhost:5173,https://b.example:8443" }).corsOrigins).toEqual(["https://a.example.com", "http://localhost:5173", "https://b.example:8443"]);
  });

  it.each(["*", "https://a.example.com/", "https://a.example.com/path", "a.example.com", "ftp://a.example.com", "https://*.example.com", "null"])("CORS_ORIGINS=%j is refused, naming the variable", (value) => {
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
  });

  it.each(["ARTIFACT_IDLE_TIMEOUT_SECONDS", "REQUEST_TIMEOUT_SECONDS"])("%s must be a positive integer", (name) => {
    for (const value of ["0", "-1", "1.5", "soon"]) expect(() => loadConfig({ [name]: value }), value).toThrow(new RegExp(name));
  });
});
