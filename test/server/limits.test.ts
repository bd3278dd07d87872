// Abuse limits of /graphql (issue 7): hostile documents are refused before they run, with a typed error naming the
// limit, over HTTP and graphql-ws; the SDK's documents and the lineage query still pass; CSRF prevention, the
// request-body limit, introspection switch and persisted-operations mode. Real servers, real HTTP and WebSocket.
// Timings are measured by bench/hostile.ts, never asserted here.
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient, type GraphQLResponse } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createVersion, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const MANIFEST_FILE = fileURLToPath(new URL("../../sdk/src/generated/persisted-operations.json", import.meta.url));

/** Defaults of server/src/config.ts, which the messages must state. */
const LIMITS = { depth: 15, cost: 5_000_000, aliases: 50, directives: 50, tokens: 10_000, bodyBytes: 512 * 1024 };

/** Every code a limit answers with; a legitimate document must get none of them. */
const LIMIT_CODES = [
  "MAX_DEPTH_EXCEEDED",
  "MAX_COST_EXCEEDED",
  "MAX_ALIASES_EXCEEDED",
  "MAX_DIRECTIVES_EXCEEDED",
  "MAX_TOKENS_EXCEEDED",
  "REQUEST_BODY_TOO_LARGE",
  "INTROSPECTION_DISABLED",
  "CSRF_PREFLIGHT_REQUIRED",
  "PERSISTED_OPERATION_REQUIRED",
  "PERSISTED_OPERATION_NOT_FOUND",
];

// ---- hostile documents, each a createProject mutation: refused means the project does not exist afterwards ----

/**
 * createProject, then project → models → nodes → project → … : 50 fields deep (createProject, project, models,
 * nodes, then 15 × project/models/nodes, then id), valid but for its depth.
 */
function deepMutation(name: string): string {
  const selection = "project { models(first: 1) { nodes { ".repeat(15) + "id" + " } } }".repeat(15);
  return `mutation { createProject(input: { name: "${name}" }) { ... on CreateProjectPayload { project { models(first: 1) { nodes { ${selection} } } } } } }`;
}

/** `count` aliased createProject mutations in one document (about 13 tokens each). */
function aliasedMutation(name: string, count: number): string {
  const fields = Array.from({ length: count }, (_, i) => `a${i}: createProject(input: { name: "${name}-${i}" }) { __typename }`);
  return `mutation { ${fields.join(" ")} }`;
}

/** `count` aliases of the cheapest field (5 tokens and 2 selections each). */
const aliasedQuery = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: viewer { id }`).join(" ")} }`;

/** createProject with about `tokens` lexical tokens (each `a` is one: 100,000 fit in 200 KB, under the body limit). */
function manyTokensMutation(name: string, tokens: number): string {
  return `mutation { createProject(input: { name: "${name}" }) { ${"a ".repeat(tokens)} } }`;
}

/** createProject whose description is a string of `bytes` bytes. */
function hugeStringMutation(name: string, bytes: number): string {
  return `mutation { createProject(input: { name: "${name}", description: "${"x".repeat(bytes)}" }) { __typename } }`;
}

/** A query costing far more than the limit: 500 × 500 × 500 rows. */
const COSTLY_QUERY = `{ projects(first: 500) { nodes { models(first: 500) { nodes { versions(first: 500) { nodes { number metrics { name value } } } } } } } }`;

/** `count` directives on one field. */
const manyDirectivesQuery = (count: number) => `{ viewer { id ${"@include(if: true) ".repeat(count)} } }`;

// ---- HTTP and WebSocket helpers ----

interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: GraphQLResponse | undefined;
}

/** One raw HTTP request to /graphql; `body` may be a stream (then sent chunked, without Content-Length). */
function httpRequest(
  baseUrl: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Readable },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const { body } = options;
    const headers: Record<string, string | number> = { ...options.headers };
    if (typeof body === "string") headers["content-length"] = Buffer.byteLength(body);
    const req = http.request(new URL(options.path ?? "/graphql", baseUrl), { method: options.method ?? "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: GraphQLResponse | undefined;
        try {
          json = JSON.parse(text) as GraphQLResponse;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    // The server may answer (413) and stop reading before the whole body is sent: the answer is what counts.
    req.on("error", (error) => (req.destroyed && (error as NodeJS.ErrnoException).code === "EPIPE" ? undefined : reject(error)));
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

/** A JSON POST as the SDK sends it, with the admin's token. */
function postJson(baseUrl: string, payload: Record<string, unknown>, token: string | null = ADMIN_TOKEN): Promise<HttpResult> {
  return httpRequest(baseUrl, {
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(payload),
  });
}

type WsOutcome = { kind: "data"; data: unknown } | { kind: "errors"; errors: GraphQLResponse["errors"] } | { kind: "closed"; code: number };

/** Runs one operation over graphql-ws as the admin: its first result, its errors, or the close of the socket. */
async function overWebSocket(baseUrl: string, payload: { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> }): Promise<WsOutcome> {
  const client = createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
    retryAttempts: 0,
    lazy: true,
    keepAlive: 0,
  });
  try {
    return await new Promise<WsOutcome>((resolve) => {
      const dispose = client.subscribe(payload, {
        next: (result) => {
          if (result.errors?.length) resolve({ kind: "errors", errors: result.errors as GraphQLResponse["errors"] });
          else resolve({ kind: "data", data: result.data });
          dispose();
        },
        error: (error) => {
          if (Array.isArray(error)) resolve({ kind: "errors", errors: error as GraphQLResponse["errors"] });
          else resolve({ kind: "closed", code: (error as { code?: number }).code ?? -1 });
        },
        complete: () => resolve({ kind: "data", data: undefined }),
      });
    });
  } finally {
    await client.dispose();
  }
}

const codes = (errors: GraphQLResponse["errors"]) => (errors ?? []).map((e) => e.extensions?.code);

/** Whether a project of this name exists (the proof that a refused mutation changed nothing). */
async function projectExists(client: GraphQLClient, name: string): Promise<boolean> {
  const data = await client.request(`query($name: String!) { project(by: { name: $name }) { id } }`, { name });
  return data.project !== null;
}

/** Every SDK operation document, exactly as the SDK sends it (the generated persisted-operations manifest). */
async function sdkDocuments(): Promise<Map<string, string>> {
  return new Map(Object.entries(JSON.parse(await fs.readFile(MANIFEST_FILE, "utf8")) as Record<string, string>));
}

describe.runIf(databaseAvailable)("GraphQL abuse limits (default configuration)", () => {
  let server: TestServer;
  let client: GraphQLClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  describe("hostile documents are refused with a typed error naming the limit, and change nothing", () => {
    it("a mutation 50 levels deep: MAX_DEPTH_EXCEEDED (HTTP 400)", async () => {
      const name = uniqueName("deep");
      const res = await postJson(server.url, { query: deepMutation(name) });
      expect(res.status).toBe(400);
      const error = res.json!.errors!.find((e) => e.extensions?.code === "MAX_DEPTH_EXCEEDED");
      expect(error, res.text).toBeDefined();
      expect(error!.message).toBe(`Query depth limit of ${LIMITS.depth} exceeded, found 50.`);
      // Valid but for its depth: nothing else is refused (the cost is checked only before execution).
      expect(codes(res.json!.errors)).toEqual(["MAX_DEPTH_EXCEEDED"]);
      expect(error!.extensions).toMatchObject({ limit: LIMITS.depth });
      expect(res.json!.data).toBeUndefined();
      expect(await projectExists(client, name)).toBe(false);
    });

    it("200 aliases: MAX_ALIASES_EXCEEDED", async () => {
      // 400 selections, under the selection limit (checked first, at parse): the alias limit answers.
      const res = await postJson(server.url, { query: aliasedQuery(200) });
      expect(res.status).toBe(400);
      expect(codes(res.json!.errors), res.text).toEqual(["MAX_ALIASES_EXCEEDED"]);
      expect(res.json!.errors![0]!.message).toBe(`Aliases limit of ${LIMITS.aliases} exceeded, found 200.`);
      expect(res.json!.errors![0]!.extensions).toMatchObject({ limit: LIMITS.aliases });
    });

    it("1,000 aliased createProject mutations: refused (13,000 tokens, 1,000 aliases), not one project created", async () => {
      const before = (await client.request(`{ projects { totalCount } }`)).projects.totalCount;
      const res = await postJson(server.url, { query: aliasedMutation(uniqueName("alias"), 1_000) });
      expect(res.status).toBe(400);
      expect(codes(res.json!.errors)).toEqual(["MAX_TOKENS_EXCEEDED"]);
      // Under the token limit, the alias limit refuses them.
      const fewer = await postJson(server.url, { query: aliasedMutation(uniqueName("alias"), 51) });
      expect(codes(fewer.json!.errors)).toEqual(["MAX_ALIASES_EXCEEDED"]);
      expect((await client.request(`{ projects { totalCount } }`)).projects.totalCount).toBe(before);
    });

    it("100,000 tokens: MAX_TOKENS_EXCEEDED while parsing", async () => {
      const name = uniqueName("tokens");
      const res = await postJson(server.url, { query: manyTokensMutation(name, 100_000) });
      expect(res.status).toBe(400);
      expect(codes(res.json!.errors)).toEqual(["MAX_TOKENS_EXCEEDED"]);
      expect(res.json!.errors![0]!.message).toBe(`Token limit of ${LIMITS.tokens} exceeded.`);
      expect(res.json!.errors![0]!.extensions).toMatchObject({ limit: LIMITS.tokens });
      expect(await projectExists(client, name)).toBe(false);
    });

    it("a 10 MB string: 413 REQUEST_BODY_TOO_LARGE, from Content-Length and, without one, while streaming", async () => {
      const name = uniqueName("huge");
      const body = JSON.stringify({ query: hugeStringMutation(name, 10 * 1024 * 1024) });
      const headers = { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${ADMIN_TOKEN}` };
      const declared = await httpRequest(server.url, { headers, body });
      expect(declared.status).toBe(413);
      expect(codes(declared.json!.errors)).toEqual(["REQUEST_BODY_TOO_LARGE"]);
      expect(declared.json!.errors![0]!.message).toBe(`Request body exceeds the limit of ${LIMITS.bodyBytes} bytes.`);

      // Chunked, no Content-Length: counted as it arrives.
      const chunks = function* () {
        for (let offset = 0; offset < body.length; offset += 64 * 1024) yield body.slice(offset, offset + 64 * 1024);
      };
      const streamed = await httpRequest(server.url, { headers, body: Readable.from(chunks()) });
      expect(streamed.status).toBe(413);
      expect(codes(streamed.json!.errors)).toEqual(["REQUEST_BODY_TOO_LARGE"]);
      expect(await projectExists(client, name)).toBe(false);
    });

    it("500 × 500 × 500 rows: MAX_COST_EXCEEDED", async () => {
      const res = await postJson(server.url, { query: COSTLY_QUERY });
      expect(res.status).toBe(400);
      const error = res.json!.errors!.find((e) => e.extensions?.code === "MAX_COST_EXCEEDED");
      expect(error, res.text).toBeDefined();
      expect(error!.message).toMatch(new RegExp(`Cost limit of ${LIMITS.cost} exceeded, found \\d+`));
      expect(error!.extensions).toMatchObject({ limit: LIMITS.cost });
    });

    it("page sizes in variables, or left to the default, count in the cost", async () => {
      const query = `query($n: Int) { projects(first: $n) { nodes { models(first: $n) { nodes { versions(first: $n) { nodes { number metrics { name value } } } } } } } }`;
      const large = await postJson(server.url, { query, variables: { n: 500 } });
      expect(large.status).toBe(400);
      expect(codes(large.json!.errors), large.text).toEqual(["MAX_COST_EXCEEDED"]);
      expect(large.json!.errors![0]!.message).toMatch(new RegExp(`^Query Cost limit of ${LIMITS.cost} exceeded, found \\d+`));
      // The same document with small pages runs (each version's metrics count at their cap, 1,000: 2³ versions);
      // without any page size, the default (50) counts: 50⁴ rows.
      const small = await postJson(server.url, { query, variables: { n: 2 } });
      expect(small.json!.errors, small.text).toBeUndefined();
      // The check remembered for this document and n = 2 answers only for those sizes: n = 500 is refused again.
      const again = await postJson(server.url, { query, variables: { n: 500 } });
      expect(codes(again.json!.errors), again.text).toEqual(["MAX_COST_EXCEEDED"]);
      const defaults = await postJson(server.url, {
        query: `{ projects { nodes { models { nodes { versions { nodes { number childVersions { nodes { number } } } } } } } } }`,
      });
      expect(codes(defaults.json!.errors), defaults.text).toEqual(["MAX_COST_EXCEEDED"]);
    });

    it("100 directives: MAX_DIRECTIVES_EXCEEDED", async () => {
      const res = await postJson(server.url, { query: manyDirectivesQuery(100) });
      expect(res.status).toBe(400);
      expect(codes(res.json!.errors)).toContain("MAX_DIRECTIVES_EXCEEDED");
      expect(res.json!.errors!.find((e) => e.extensions?.code === "MAX_DIRECTIVES_EXCEEDED")!.message).toBe(
        `Directives limit of ${LIMITS.directives} exceeded, found 100.`,
      );
    });

    it("a misspelt field gets no suggestion of the schema's field names", async () => {
      const res = await postJson(server.url, { query: `{ viewr { id } }` });
      expect(res.json!.errors![0]!.message).not.toMatch(/Did you mean/);
    });
  });

  describe("over graphql-ws, the same limits", () => {
    it("a subscription 50 levels deep is refused with MAX_DEPTH_EXCEEDED", async () => {
      const project = await createProject(client);
      let selection = "id";
      for (let level = 0; level < 50; level++) selection = `parentVersion { ${selection} }`;
      const outcome = await overWebSocket(server.url, {
        query: `subscription($projectId: ID!) { projectEvents(projectId: $projectId) { cursor modelVersion { ${selection} } } }`,
        variables: { projectId: project.id },
      });
      expect(outcome.kind).toBe("errors");
      const error = (outcome as { errors: GraphQLResponse["errors"] }).errors!.find((e) => e.extensions?.code === "MAX_DEPTH_EXCEEDED");
      expect(error, JSON.stringify(outcome)).toBeDefined();
      expect(error!.message).toMatch(new RegExp(`depth limit of ${LIMITS.depth} exceeded`));
    });

    it("a mutation 50 levels deep is refused and changes nothing", async () => {
      const name = uniqueName("ws-deep");
      const outcome = await overWebSocket(server.url, { query: deepMutation(name) });
      expect(outcome.kind).toBe("errors");
      expect(codes((outcome as { errors: GraphQLResponse["errors"] }).errors)).toContain("MAX_DEPTH_EXCEEDED");
      expect(await projectExists(client, name)).toBe(false);
    });

    it("100,000 tokens are refused at parse with MAX_TOKENS_EXCEEDED; 200 aliases with MAX_ALIASES_EXCEEDED", async () => {
      const tokens = await overWebSocket(server.url, { query: manyTokensMutation(uniqueName("ws-tokens"), 100_000) });
      expect(tokens).toMatchObject({ kind: "errors" });
      expect(codes((tokens as { errors: GraphQLResponse["errors"] }).errors)).toEqual(["MAX_TOKENS_EXCEEDED"]);
      const aliases = await overWebSocket(server.url, { query: aliasedQuery(200) });
      expect(codes((aliases as { errors: GraphQLResponse["errors"] }).errors)).toContain("MAX_ALIASES_EXCEEDED");
    });

    it("a query whose page sizes (in variables) make it too costly is refused with MAX_COST_EXCEEDED", async () => {
      const outcome = await overWebSocket(server.url, {
        query: `query($n: Int) { projects(first: $n) { nodes { models(first: $n) { nodes { versions(first: $n) { nodes { number } } } } } } }`,
        variables: { n: 500 },
      });
      expect(codes((outcome as { errors: GraphQLResponse["errors"] }).errors), JSON.stringify(outcome)).toEqual(["MAX_COST_EXCEEDED"]);
    });

    it("a 10 MB message closes the socket (1009, message too big) and creates nothing", async () => {
      const name = uniqueName("ws-huge");
      const outcome = await overWebSocket(server.url, { query: hugeStringMutation(name, 10 * 1024 * 1024) });
      expect(outcome).toEqual({ kind: "closed", code: 1009 });
      expect(await projectExists(client, name)).toBe(false);
    });
  });

  describe("legitimate documents pass", () => {
    it("every SDK operation document passes the limits (over HTTP)", async () => {
      const documents = await sdkDocuments();
      expect(documents.size).toBeGreaterThan(50);
      for (const query of documents.values()) {
        // Page sizes as the SDK's paginators send them (100, forward: `first` where a document takes both); no other
        // variables: required ones make the request fail after the limits, before anything runs.
        const pageVariable = /\bfirst: \$/.test(query) ? "first" : "last";
        const pageVariables = Object.fromEntries([...query.matchAll(new RegExp(`\\b${pageVariable}: \\$(\\w+)`, "g"))].map((m) => [m[1]!, 100]));
        const res = await postJson(server.url, { query, variables: pageVariables });
        const operation = /^(query|mutation|subscription) (\w+)/m.exec(query)?.[2];
        for (const error of res.json?.errors ?? []) {
          expect(LIMIT_CODES, `${operation}: ${error.message}`).not.toContain(error.extensions?.code);
          expect(error.message, operation).toMatch(/^Variable "\$\w+" of required type/);
        }
      }
    });

    it("every SDK subscription document passes the limits over graphql-ws", async () => {
      const documents = [...(await sdkDocuments()).values()].filter((query) => /^subscription /m.test(query));
      expect(documents.length).toBeGreaterThan(0);
      for (const query of documents) {
        const outcome = await overWebSocket(server.url, { query });
        expect(outcome.kind, JSON.stringify(outcome)).toBe("errors");
        for (const error of (outcome as { errors: GraphQLResponse["errors"] }).errors ?? []) {
          expect(LIMIT_CODES).not.toContain(error.extensions?.code);
          expect(error.message).toMatch(/^Variable "\$\w+" of required type/);
        }
      }
    });

    it("the lineage query (project → models → versions → iteration → experiment, 50 × 50) answers", async () => {
      const project = await createProject(client);
      const experiment = await createExperiment(client, project.id);
      const model = await createModel(client, project.id);
      const iteration = await createIteration(client, experiment.id);
      await createVersion(client, model.id, { iterationId: iteration.id });
      const lineage = `query($id: ID!) {
        project(by: { id: $id }) {
          models(first: 50) {
            totalCount
            nodes { name versions(first: 50) { totalCount nodes { number stage iteration { number experiment { name } } } } }
          }
        }
      }`;
      const res = await postJson(server.url, { query: lineage, variables: { id: project.id } });
      expect(res.json!.errors, res.text).toBeUndefined();
      expect(res.json!.data.project.models.nodes[0].versions.nodes[0]).toMatchObject({ number: 1, iteration: { experiment: { name: experiment.name } } });
    });
  });

  describe("cross-site request forgery prevention", () => {
    it("refuses requests a browser sends cross-site without a preflight (form or text POST, plain GET), before authentication", async () => {
      const query = `mutation { createProject(input: { name: "${uniqueName("csrf")}" }) { __typename } }`;
      const textPost = await httpRequest(server.url, { headers: { "content-type": "text/plain" }, body: JSON.stringify({ query }) });
      const formPost = await httpRequest(server.url, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query }).toString(),
      });
      const get = await httpRequest(server.url, { method: "GET", path: `/graphql?query=${encodeURIComponent("{ viewer { id } }")}`, headers: { accept: "application/json" } });
      for (const res of [textPost, formPost, get]) {
        expect(res.status, res.text).toBe(403);
        expect(codes(res.json!.errors)).toEqual(["CSRF_PREFLIGHT_REQUIRED"]);
        expect(res.json!.errors![0]!.message).toMatch(/cross-site request forgery/);
      }
    });

    it("accepts a JSON POST, a GET with a Bearer token or with x-graphql-yoga-csrf, leaves SSE to authentication, and serves GraphiQL's page", async () => {
      const json = await postJson(server.url, { query: `{ viewer { name } }` });
      expect(json.status).toBe(200);
      expect(json.json!.data).toEqual({ viewer: { name: "admin" } });
      const path = `/graphql?query=${encodeURIComponent("{ viewer { name } }")}`;
      const bearer = await httpRequest(server.url, { method: "GET", path, headers: { accept: "application/json", authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(bearer.json).toEqual({ data: { viewer: { name: "admin" } } });
      // With the CSRF header but no token, the request gets through to authentication (401, not 403).
      const header = await httpRequest(server.url, { method: "GET", path, headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } });
      expect(header.status).toBe(401);
      // SSE (EventSource cannot send headers; GET runs no mutation) is left to authentication: UNAUTHENTICATED without a token.
      const sse = await httpRequest(server.url, { method: "GET", path: `/graphql?query=${encodeURIComponent(`subscription { projectEvents(projectId: "x") { cursor } }`)}`, headers: { accept: "text/event-stream" } });
      expect(sse.text, sse.text).toMatch(/"code":"UNAUTHENTICATED"/);
      expect(sse.text).not.toMatch(/CSRF/);
      const graphiql = await httpRequest(server.url, { method: "GET", headers: { accept: "text/html" } });
      expect(graphiql.status).toBe(200);
      expect(graphiql.text).toMatch(/<title>modelgraph<\/title>/);
    });
  });

  it("introspection is on by default", async () => {
    const res = await postJson(server.url, { query: `{ __schema { queryType { name } } __type(name: "Model") { name } }` });
    expect(res.json).toEqual({ data: { __schema: { queryType: { name: "Query" } }, __type: { name: "Model" } } });
  });

  it("artifact routes are not subject to the GraphQL body limit", async () => {
    // 3 MB through PUT /artifacts/{id} (over the 2 MB /graphql limit) is stored.
    const project = await createProject(client);
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const created = await client.request(
      `mutation($input: CreateResourceUploadInput!) { createResourceUpload(input: $input) { ... on CreateResourceUploadPayload { resource { id } uploadUrl } } }`,
      { input: { projectId: project.id, name: uniqueName("weights"), sizeBytes: String(bytes.length), sha256 } },
    );
    const { uploadUrl, resource } = created.createResourceUpload;
    const put = await fetch(uploadUrl, { method: "PUT", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: bytes });
    expect(put.status, await put.clone().text()).toBeLessThan(300);
    const done = await client.request(
      `mutation($id: ID!) { completeResourceUpload(input: { resourceId: $id }) { ... on CompleteResourceUploadPayload { resource { status sizeBytes } } } }`,
      { id: resource.id },
    );
    expect(done.completeResourceUpload.resource).toEqual({ status: "READY", sizeBytes: String(bytes.length) });
  });
});

describe.runIf(databaseAvailable)("GRAPHQL_INTROSPECTION=false", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ GRAPHQL_INTROSPECTION: "false" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("refuses __schema and __type with INTROSPECTION_DISABLED, keeps __typename, and serves no GraphiQL", async () => {
    for (const query of [`{ __schema { queryType { name } } }`, `{ __type(name: "Model") { name } }`]) {
      const res = await postJson(server.url, { query });
      expect(res.status).toBe(400);
      expect(codes(res.json!.errors)).toEqual(["INTROSPECTION_DISABLED"]);
      expect(res.json!.errors![0]!.message).toMatch(/Introspection is disabled/);
    }
    const typename = await postJson(server.url, { query: `{ __typename viewer { __typename name } }` });
    expect(typename.json).toEqual({ data: { __typename: "Query", viewer: { __typename: "User", name: "admin" } } });
    const graphiql = await httpRequest(server.url, { method: "GET", headers: { accept: "text/html" } });
    expect(graphiql.text).not.toMatch(/<html/i);
  });

  it("refuses introspection over graphql-ws too", async () => {
    const outcome = await overWebSocket(server.url, { query: `{ __schema { types { name } } }` });
    expect(codes((outcome as { errors: GraphQLResponse["errors"] }).errors)).toEqual(["INTROSPECTION_DISABLED"]);
  });
});

describe.runIf(databaseAvailable)("GRAPHQL_PERSISTED_OPERATIONS (the SDK's manifest)", () => {
  let server: TestServer;
  let documents: Map<string, string>;
  let viewerHash: string;
  const tempDir = fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-persisted-"));
  beforeAll(async () => {
    documents = await sdkDocuments();
    viewerHash = [...documents].find(([, text]) => /^query Viewer\b/m.test(text))![0];
    // A copy, to prove the server reads the file it is given.
    const manifest = path.join(await tempDir, "operations.json");
    await fs.copyFile(MANIFEST_FILE, manifest);
    server = await startTestServer({ GRAPHQL_PERSISTED_OPERATIONS: manifest });
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(await tempDir, { recursive: true, force: true });
  });

  it("refuses a document not in the manifest, and an unknown hash, changing nothing", async () => {
    const name = uniqueName("arbitrary");
    const arbitrary = await postJson(server.url, { query: `mutation { createProject(input: { name: "${name}" }) { __typename } }` });
    expect(arbitrary.status).toBe(400);
    expect(codes(arbitrary.json!.errors)).toEqual(["PERSISTED_OPERATION_REQUIRED"]);
    expect(arbitrary.json!.errors![0]!.message).toMatch(/only runs persisted operations/);
    const unknown = await postJson(server.url, { extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
    expect(codes(unknown.json!.errors)).toEqual(["PERSISTED_OPERATION_NOT_FOUND"]);
    const ws = await overWebSocket(server.url, { query: `{ viewer { id } }` });
    expect(codes((ws as { errors: GraphQLResponse["errors"] }).errors)).toEqual(["PERSISTED_OPERATION_REQUIRED"]);
    // The SDK's own CreateProject (by its exact text) creates; the arbitrary one above did not.
    const check = await postJson(server.url, {
      query: [...documents.values()].find((text) => /^query Project\(/m.test(text)),
      variables: { by: { name } },
    });
    expect(check.json!.errors, check.text).toBeUndefined();
    expect(check.json!.data.project).toBeNull();
  });

  it("accepts a manifest operation by hash, by its exact text, and over graphql-ws", async () => {
    const byHash = await postJson(server.url, { operationName: "Viewer", extensions: { persistedQuery: { version: 1, sha256Hash: viewerHash } } });
    expect(byHash.json!.errors, byHash.text).toBeUndefined();
    expect(byHash.json!.data.viewer).toMatchObject({ name: "admin" });
    const byText = await postJson(server.url, { query: documents.get(viewerHash) });
    expect(byText.json!.data.viewer).toMatchObject({ name: "admin" });
    const ws = await overWebSocket(server.url, { query: "", extensions: { persistedQuery: { version: 1, sha256Hash: viewerHash } } });
    expect(ws).toMatchObject({ kind: "data", data: { viewer: { name: "admin" } } });
  });
});
