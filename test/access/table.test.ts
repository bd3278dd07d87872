// The access table (rules.ts) tried for real: every mutation, root query, connection and subscription, each with no
// token, a malformed, a revoked and an expired token, a non-member, a VIEWER, an EDITOR, a project ADMIN and an
// instance admin, over HTTP (and SSE and graphql-ws for subscriptions). Each is allowed or refused exactly as
// DESIGN.md §3 says; an allowed mutation really succeeds. The table is checked against the running server's
// schema, so a field without a rule fails here. Also: artifact and health routes, and the failed-auth limiter.
import { createHash } from "node:crypto";
import { buildClientSchema, getIntrospectionQuery, getNamedType, isObjectType, type GraphQLSchema } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GraphQLClient } from "../support/client.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import {
  buildFixture,
  buildIdentities,
  caseTitle,
  expectedOutcome,
  identitiesOf,
  MUTATIONS,
  mutationDocument,
  payloadTypeOf,
  QUERIES,
  SUBSCRIPTIONS,
  type Fixture,
  type Identity,
  type IdentityName,
} from "./rules.ts";

interface HttpResult {
  status: number;
  body: any;
}

/** One GraphQL request over HTTP with `token` (or none); the status matters here, so not the shared client. */
async function post(url: string, token: string | null, query: string, variables: Record<string, unknown>): Promise<HttpResult> {
  const response = await fetch(new URL("/graphql", url), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] } };
  }
}

/** What each failing token is told (DESIGN.md §3: refused before the API, with the reason). */
const REASONS: Partial<Record<IdentityName, RegExp>> = {
  noToken: /Authentication required/,
  malformedToken: /malformed/,
  revokedToken: /revoked/,
  expiredToken: /expired/,
};

/** "401" for a refusal before the API with the identity's reason; else null. */
function unauthenticatedLabel(who: Identity, status: number, body: any): string | null {
  const error = body?.errors?.[0];
  if (error?.extensions?.code !== "UNAUTHENTICATED" && status !== 401) return null;
  if (status === 401 && error?.extensions?.code === "UNAUTHENTICATED" && REASONS[who.name]?.test(error.message)) return "401";
  return `${status} ${error?.extensions?.code}: ${error?.message}`;
}

/** The outcome of a mutation as rules.ts labels it, with the checks that make a refusal leak-free. */
function mutationLabel(fx: Fixture, who: Identity, field: string, input: Record<string, unknown>, { status, body }: HttpResult): string {
  const unauthenticated = unauthenticatedLabel(who, status, body);
  if (unauthenticated) return unauthenticated;
  if (body.errors?.length) return `error ${status}: ${body.errors[0].message}`;
  const result = body.data.result;
  if (result.__typename === payloadTypeOf(field)) return "ok";
  if (result.__typename === "ForbiddenError") return `ForbiddenError(${result.requiredRole ?? "-"})`;
  if (result.__typename === "NotFoundError") {
    // Names only what the caller passed: the ref is an id of the input, and no name of the project appears.
    const passed = Object.values(input).filter((v) => typeof v === "string");
    const leaked = fx.secretNames.filter((name) => result.message.includes(name));
    if (!passed.includes(result.ref) || leaked.length > 0 || !result.message.includes(result.ref)) return `NotFoundError leaking: ${result.message}`;
    return "NotFoundError";
  }
  return `${result.__typename}: ${result.message}`;
}

function queryLabel(fx: Fixture, who: Identity, seen: (data: any) => string, { status, body }: HttpResult): string {
  const unauthenticated = unauthenticatedLabel(who, status, body);
  if (unauthenticated) return unauthenticated;
  const error = body.errors?.[0];
  if (error?.extensions?.code === "FORBIDDEN") return `FORBIDDEN(${error.extensions.requiredRole ?? "-"})`;
  if (error) return `error ${status}: ${error.message}`;
  const label = seen(body.data);
  return label === "full" ? "ok" : label === "none" ? "hidden" : `partial: ${JSON.stringify(body.data).slice(0, 300)}`;
}

/** A refused subscription: an error naming only the project id it was given. */
function subscriptionErrorLabel(fx: Fixture, message: string): string {
  const leaked = fx.secretNames.filter((name) => message.includes(name));
  return /was not found/.test(message) && message.includes(fx.project.id) && leaked.length === 0 ? "NotFoundError" : `error: ${message}`;
}

/** The first thing an SSE subscription (GET /graphql, accept: text/event-stream) delivers. */
async function sseOutcome(fx: Fixture, who: Identity, query: string, variables: Record<string, unknown>): Promise<string> {
  const target = new URL("/graphql", fx.url);
  target.searchParams.set("query", query);
  target.searchParams.set("variables", JSON.stringify(variables));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  try {
    const response = await fetch(target, {
      headers: { accept: "text/event-stream", ...(who.token ? { authorization: `Bearer ${who.token}` } : {}) },
      signal: controller.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return `ended without a message (HTTP ${response.status})`;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!/^event: next$/m.test(block)) continue;
        const payload = JSON.parse(block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n"));
        const unauthenticated = unauthenticatedLabel(who, response.status, payload);
        if (unauthenticated) return unauthenticated;
        if (payload.errors?.length) return subscriptionErrorLabel(fx, payload.errors[0].message);
        return payload.data ? "ok" : `unexpected: ${JSON.stringify(payload)}`;
      }
    }
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** The first thing a graphql-ws subscription delivers; refusals at connect are labelled "4403 at connect". */
function wsOutcome(fx: Fixture, who: Identity, query: string, variables: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const client = createClient({
      url: `${fx.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: who.token ? { authorization: `Bearer ${who.token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
    let settled = false;
    const timer = setTimeout(() => settle("timed out"), 20_000);
    function settle(outcome: string) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      void client.dispose();
      resolve(outcome);
    }
    const unsubscribe = client.subscribe<Record<string, unknown>>(
      { query, variables },
      {
        next: (result) => settle(result.errors?.length ? subscriptionErrorLabel(fx, result.errors[0]!.message) : "ok"),
        error: (error) => {
          if (error && typeof error === "object" && "code" in error) settle(`${(error as { code: number }).code} at connect`);
          else if (Array.isArray(error)) settle(error[0]?.extensions?.code === "UNAUTHENTICATED" ? "401" : subscriptionErrorLabel(fx, error[0]?.message ?? ""));
          else settle(`error: ${String((error as Error)?.message ?? error)}`);
        },
        complete: () => settle("completed without an event"),
      },
    );
  });
}

/** Identity name → label, for a readable diff. */
async function outcomes(identities: readonly Identity[], attempt: (who: Identity) => Promise<string>): Promise<Record<string, string>> {
  const labels = await Promise.all(identities.map(attempt));
  return Object.fromEntries(identities.map((who, i) => [who.name, labels[i]!]));
}

describe.runIf(databaseAvailable)("access table (DESIGN.md §3)", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let schema: GraphQLSchema;
  let fx: Fixture;
  let identities: Identity[];

  beforeAll(async () => {
    // Hundreds of deliberate failures from one address: the limiter is tested on its own below.
    server = await startTestServer({ AUTH_FAILURE_LIMIT: "1000000" });
    admin = new GraphQLClient(server.url);
    schema = buildClientSchema(await admin.request(getIntrospectionQuery()));
    fx = await buildFixture(server.url, admin);
    const built = await buildIdentities(fx);
    identities = built.identities;
    await built.expired;
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  it("has a rule for every mutation, root query, connection and subscription of the schema", () => {
    const fields = (type: string) => Object.keys((schema.getType(type) as { getFields(): object }).getFields());
    const missing: string[] = [];
    for (const field of fields("Mutation")) if (!MUTATIONS[field]?.length) missing.push(`Mutation.${field}`);
    for (const field of fields("Query")) if (!QUERIES[`Query.${field}`]?.length) missing.push(`Query.${field}`);
    for (const field of fields("Subscription")) if (!SUBSCRIPTIONS[`Subscription.${field}`]?.length) missing.push(`Subscription.${field}`);
    // Every connection, wherever it hangs: each is an entry point into a project's objects.
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__") || ["Query", "Mutation", "Subscription"].includes(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        if (getNamedType(field.type).name.endsWith("Connection") && !QUERIES[`${type.name}.${field.name}`]?.length) missing.push(`${type.name}.${field.name}`);
      }
    }
    // …and no row for a field that is gone.
    const stale = [
      ...Object.keys(MUTATIONS).filter((f) => !fields("Mutation").includes(f)),
      ...[...Object.keys(QUERIES), ...Object.keys(SUBSCRIPTIONS)].filter((key) => {
        const [type, field] = key.split(".") as [string, string];
        const found = schema.getType(type);
        return !isObjectType(found) || !found.getFields()[field];
      }),
    ];
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  describe.concurrent("mutations", () => {
    for (const [field, cases] of Object.entries(MUTATIONS)) {
      for (const row of cases) {
        it(caseTitle(field, row), async ({ expect }) => {
          const inputType = String(schema.getMutationType()!.getFields()[field]!.args.find((a) => a.name === "input")!.type).replace(/!$/, "");
          const who = identitiesOf(row, identities);
          const expected = Object.fromEntries(who.map((w) => [w.name, expectedOutcome(row.rule, w, "mutation")]));
          // Each allowed identity gets an input of its own; the refused ones share one, since a refusal changes nothing.
          const refused = who.filter((w) => expected[w.name] !== "ok");
          const shared = refused.length > 0 && !row.inputPerActor ? row.input(fx, refused[0]!) : undefined;
          const actual = await outcomes(who, async (w) => {
            const input = await (expected[w.name] !== "ok" && shared ? shared : row.input(fx, w));
            return mutationLabel(fx, w, field, input, await post(fx.url, w.token, mutationDocument(field, inputType), { input }));
          });
          expect(actual).toEqual(expected);
        });
      }
    }
  });

  describe.concurrent("root queries and connections", () => {
    for (const [key, cases] of Object.entries(QUERIES)) {
      for (const row of cases) {
        it(caseTitle(key, row), async ({ expect }) => {
          const who = identitiesOf(row, identities);
          const actual = await outcomes(who, async (w) =>
            queryLabel(fx, w, (data) => row.seen(data, fx, w), await post(fx.url, w.token, row.query, row.variables(fx, w))),
          );
          const expected = Object.fromEntries(who.map((w) => [w.name, expectedOutcome(row.rule, w, "query")]));
          expect(actual).toEqual(expected);
        });
      }
    }
  });

  describe.concurrent("subscriptions", () => {
    for (const [key, cases] of Object.entries(SUBSCRIPTIONS)) {
      for (const row of cases) {
        for (const transport of ["sse", "graphql-ws"] as const) {
          it(`${caseTitle(key, row)} over ${transport}`, async ({ expect }) => {
            const who = identitiesOf(row, identities);
            const actual = await outcomes(who, (w) =>
              transport === "sse" ? sseOutcome(fx, w, row.query, row.variables(fx)) : wsOutcome(fx, w, row.query, row.variables(fx)),
            );
            // graphql-ws authenticates the connection: a failing token is refused when it opens (close 4403).
            const expected = Object.fromEntries(
              who.map((w) => {
                const outcome = expectedOutcome(row.rule, w, "subscription");
                return [w.name, transport === "graphql-ws" && outcome === "401" ? "4403 at connect" : outcome];
              }),
            );
            expect(actual).toEqual(expected);
          });
        }
      }
    }
  });

  it("viewerRole and the viewerCan… fields say what the table allows, so a UI offers exactly the allowed actions", async () => {
    /** Each viewerCan… field and the table row it announces. */
    const ANNOUNCES: Record<string, [field: string, variant?: string]> = {
      "project.viewerCanUpdate": ["updateProject"],
      "project.viewerCanArchive": ["archiveProject"],
      "project.viewerCanManageMembers": ["addProjectMember"],
      "model.viewerCanUpdate": ["updateModel"],
      "model.viewerCanTransition": ["transitionModelVersionStage"],
      "model.viewerCanApprove": ["updateModel", "its approval policy"],
      "model.viewerCanArchive": ["archiveModel"],
      "version.viewerCanUpdate": ["updateModelVersion"],
      "version.viewerCanTransition": ["transitionModelVersionStage"],
      "version.viewerCanApprove": ["approveTransitionRequest", "another member's request"],
      "version.viewerCanDelete": ["deleteModelVersion"],
      "request.viewerCanApprove": ["approveTransitionRequest", "another member's request"],
      "request.viewerCanCancel": ["cancelTransitionRequest", "another member's request"],
    };
    const query = `query($project: ID!, $model: ID!, $version: ID!, $request: ID!) {
      project: node(id: $project) { ... on Project { viewerRole viewerCanUpdate viewerCanArchive viewerCanManageMembers } }
      model: node(id: $model) { ... on Model { viewerCanUpdate viewerCanTransition viewerCanApprove viewerCanArchive } }
      version: node(id: $version) { ... on ModelVersion { viewerCanUpdate viewerCanTransition viewerCanApprove viewerCanDelete } }
      request: node(id: $request) { ... on TransitionRequest { viewerCanApprove viewerCanCancel } }
    }`;
    const variables = { project: fx.project.id, model: fx.model.id, version: fx.version.id, request: fx.request.id };
    const members = identities.filter((w) => w.role !== null);
    const actual: Record<string, Record<string, unknown>> = {};
    const expected: Record<string, Record<string, unknown>> = {};
    await Promise.all(
      members.map(async (w) => {
        const { body } = await post(fx.url, w.token, query, variables);
        actual[w.name] = { viewerRole: body.data.project.viewerRole };
        expected[w.name] = { viewerRole: w.role };
        for (const [path, [field, variant]] of Object.entries(ANNOUNCES)) {
          const [object, flag] = path.split(".") as [string, string];
          actual[w.name]![path] = body.data[object][flag];
          const row = MUTATIONS[field]!.find((r) => r.variant === variant)!;
          expected[w.name]![path] = expectedOutcome(row.rule, w, "mutation") === "ok";
        }
      }),
    );
    expect(actual).toEqual(expected);
  });

  describe.concurrent("artifact and health routes", () => {
    /** GET, HEAD and PUT of /artifacts/{id}: 401 JSON without a valid token, 404 (never 403) outside the project. */
    it("artifact downloads: VIEWERs and up; 404 for non-members", async ({ expect }) => {
      const expected: Record<string, string> = {};
      const actual = await outcomes(identities, async (w) => {
        const url = `${fx.url}/artifacts/${encodeURIComponent(fx.resource.id)}`;
        const headers: Record<string, string> = w.token ? { authorization: `Bearer ${w.token}` } : {};
        const [get, head] = await Promise.all([fetch(url, { headers }), fetch(url, { method: "HEAD", headers })]);
        const body = get.headers.get("content-type")?.includes("json") ? await get.json() : (await get.arrayBuffer(), null);
        expected[w.name] = !w.authenticated ? "401 401 AuthenticationError" : w.role === null && !w.isInstanceAdmin ? "404 404 NotFoundError" : "200 200";
        const leaked = fx.secretNames.some((name) => JSON.stringify(body ?? "").includes(name));
        return `${get.status} ${head.status}${body ? ` ${body.error?.type}` : ""}${leaked ? " leaking" : ""}`;
      });
      expect(actual).toEqual(expected);
    });

    it("artifact uploads: EDITORs and up; 403 for VIEWERs, 404 for non-members", async ({ expect }) => {
      const expected: Record<string, string> = {};
      const actual = await outcomes(identities, async (w) => {
        const bytes = Buffer.from(`upload by ${w.name} ${Math.random()}`);
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        const declared = (
          await fx.admin.request(
            `mutation($input: CreateResourceUploadInput!) { result: createResourceUpload(input: $input) { ... on CreateResourceUploadPayload { uploadUrl } } }`,
            { input: { projectId: fx.project.id, name: "upload.bin", sizeBytes: String(bytes.length), sha256 } },
          )
        ).result as { uploadUrl: string };
        const token = w.token;
        const response = await fetch(declared.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: token ? { authorization: `Bearer ${token}` } : {} });
        const body = (await response.json()) as { error?: { type: string }; resource?: { status: string } };
        expected[w.name] = !w.authenticated
          ? "401 AuthenticationError"
          : w.isInstanceAdmin || w.role === "EDITOR" || w.role === "ADMIN"
            ? "200 READY"
            : w.role === "VIEWER"
              ? "403 ForbiddenError"
              : "404 NotFoundError";
        return `${response.status} ${body.error?.type ?? body.resource?.status}`;
      });
      expect(actual).toEqual(expected);
    });

    it("health checks need no token; GraphQL does", async ({ expect }) => {
      for (const path of ["/healthz", "/readyz"]) expect((await fetch(new URL(path, fx.url))).status, path).toBe(200);
      const anonymous = await post(fx.url, null, `{ __typename }`, {});
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    });
  });

});

describe.runIf(databaseAvailable)("failed-authentication limiter", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  const LIMIT = 5;
  const WINDOW_SECONDS = 2;

  beforeAll(async () => {
    server = await startTestServer({ AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS) });
    admin = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  it("answers 429 once an address failed too often, on every route, to whatever does not authenticate; a valid token still works; then recovers", async () => {
    const adminToken = admin.token!;
    // Successes never count.
    for (let i = 0; i < LIMIT * 2; i++) expect((await post(server.url, adminToken, `{ viewer { id } }`, {})).status).toBe(200);
    const started = Date.now();
    for (let i = 0; i < LIMIT; i++) {
      const failed = await post(server.url, i % 2 ? "mg_not*valid" : `mg_${String(i).repeat(43).slice(0, 43)}`, `{ viewer { id } }`, {});
      expect(failed.status).toBe(401);
    }
    const limited = await post(server.url, `mg_${"y".repeat(43)}`, `{ viewer { id } }`, {});
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    expect((await fetch(`${server.url}/artifacts/UmVzb3VyY2U6eA==`, { headers: { authorization: `Bearer mg_${"y".repeat(43)}` } })).status).toBe(429);
    // A valid token from the blocked address is not refused for the others' failures, on GraphQL, artifacts and WebSocket alike.
    expect((await post(server.url, adminToken, `{ viewer { id } }`, {})).status).toBe(200);
    expect((await fetch(`${server.url}/artifacts/UmVzb3VyY2U6eA==`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(404);
    const ws = (token: string) =>
      new Promise<string>((resolve) => {
        const client = createClient({
          url: `${server.url.replace(/^http/, "ws")}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${token}` },
          retryAttempts: 0,
        });
        client.subscribe(
          { query: `{ viewer { id } }` },
          {
            next: () => resolve("answered"),
            error: (error) => resolve(`closed ${(error as { code?: number }).code}`),
            complete: () => void client.dispose(),
          },
        );
      });
    expect(await ws(adminToken)).toBe("answered");
    expect(await ws(`mg_${"w".repeat(43)}`)).toBe("closed 4429");
    expect(Date.now() - started).toBeLessThan(WINDOW_SECONDS * 1000);
    // After the window, the address may try again.
    await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 - (Date.now() - started) + 200));
    expect((await post(server.url, adminToken, `{ viewer { id } }`, {})).status).toBe(200);
    expect((await post(server.url, "mg_not*valid", `{ viewer { id } }`, {})).status).toBe(401);
  });
});

describe.runIf(databaseAvailable)("failed-authentication limiter behind proxies of ours (TRUST_PROXY_HOPS)", () => {
  const LIMIT = 3;
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  /**
   * A failed attempt as it reaches the server through a proxy that appended `forwardedFor` to X-Forwarded-For;
   * each with another unknown token (one token that keeps failing is blocked by itself, from any address).
   */
  let attempts = 0;
  const failFrom = (url: string, forwardedFor: string) =>
    fetch(new URL("/graphql", url), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer mg_${String(++attempts).padStart(43, "z")}`, "x-forwarded-for": forwardedFor },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    }).then(async (res) => (await res.text(), res.status));

  it("counts failures per client address as our proxy saw it, whatever a client puts on the left", async () => {
    const server = await startTestServer({ AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: "60", TRUST_PROXY_HOPS: "1" });
    servers.push(server);
    // The attacker varies a forged left-hand entry; the proxy's own entry (the right-most) stays 203.0.113.7.
    for (let i = 0; i < LIMIT; i++) expect(await failFrom(server.url, `10.0.0.${i}, 203.0.113.7`)).toBe(401);
    expect(await failFrom(server.url, "10.0.0.99, 203.0.113.7")).toBe(429);
    // Another client behind the same proxy (same socket peer) is not locked out.
    expect(await failFrom(server.url, "198.51.100.2")).toBe(401);
  });

  it("ignores X-Forwarded-For without trusted proxies: a client cannot dodge the limit by forging it", async () => {
    const server = await startTestServer({ AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: "60" });
    servers.push(server);
    for (let i = 0; i < LIMIT; i++) expect(await failFrom(server.url, `192.0.2.${i}`)).toBe(401);
    expect(await failFrom(server.url, "192.0.2.200")).toBe(429);
  });
});
