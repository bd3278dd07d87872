// Console sessions over real HTTP and WebSocket: the cookie's flags, sign-out, the token's fate ending the session,
// CSRF refusals, and cross-origin WebSockets refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GraphQLClient } from "../support/client.ts";
import { createProject, createResource, mutate, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const CSRF = { "x-modelgraph-csrf": "1" };

async function signIn(url: string, token: string, headers: Record<string, string> = CSRF): Promise<Response> {
  return fetch(`${url}/auth/session`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ token }) });
}

function cookieOf(response: Response): string {
  const header = response.headers.get("set-cookie") ?? "";
  return header.split(";")[0]!;
}

async function viewerWithCookie(url: string, cookie: string, headers: Record<string, string> = CSRF) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, ...headers },
    body: JSON.stringify({ query: "{ viewer { name } }" }),
  });
  return { status: response.status, body: (await response.json()) as { data?: { viewer: { name: string } }; errors?: { message: string; extensions: { code: string; reason?: string } }[] } };
}

/** Opens a graphql-ws connection with the cookie and says how it ended: "ack" or the close code. */
function wsConnect(url: string, cookie: string, origin: string): Promise<"ack" | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers: { cookie, origin } });
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: {} })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") {
        resolve("ack");
        socket.close();
      }
    });
    socket.on("close", (code) => resolve(code));
    socket.on("error", reject);
  });
}

describe.skipIf(!databaseAvailable)("console sessions", () => {
  let server: TestServer;
  let admin: GraphQLClient;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  async function userToken(extra: Record<string, unknown> = {}): Promise<{ userId: string; token: string; tokenId: string }> {
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("u") }, "user { id }")).user as { id: string };
    const created = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "console", userId: user.id, ...extra }, "token apiToken { id }");
    return { userId: user.id, token: created.token as string, tokenId: created.apiToken.id as string };
  }

  it("sets an HttpOnly, SameSite=Strict cookie (Secure behind https) holding a random id, not the token", async () => {
    const response = await signIn(server.url, ADMIN_TOKEN);
    expect(response.status).toBe(200);
    const header = response.headers.get("set-cookie")!;
    expect(header).toMatch(/^mg_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(header).not.toContain(ADMIN_TOKEN);
    expect(Number(/Max-Age=(\d+)/.exec(header)![1])).toBeGreaterThan(11 * 3600);
    expect(await response.json()).toMatchObject({ viewer: { name: "admin", isAdmin: true } });
    expect((await viewerWithCookie(server.url, cookieOf(response))).body.data?.viewer.name).toBe("admin");
    // Two sign-ins are two sessions.
    expect(cookieOf(await signIn(server.url, ADMIN_TOKEN))).not.toBe(cookieOf(response));
  });

  it("marks the cookie Secure when a trusted proxy says the request came over https", async () => {
    const proxied = await startTestServer({ TRUST_PROXY_HOPS: "1" });
    try {
      const response = await signIn(proxied.url, ADMIN_TOKEN, { ...CSRF, "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" });
      expect(response.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await proxied.close();
    }
  });

  it("refuses a bad token with 401 and sets no cookie", async () => {
    const response = await signIn(server.url, "mg_not_a_real_token_000000000000000");
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
  });

  it("refuses sign-in without the CSRF header or from another origin", async () => {
    expect((await signIn(server.url, ADMIN_TOKEN, {})).status).toBe(403);
    expect((await signIn(server.url, ADMIN_TOKEN, { ...CSRF, origin: "https://evil.example" })).status).toBe(403);
  });

  it("refuses a cookie-authenticated GraphQL request without the CSRF header (403), and Bearer still works without it", async () => {
    const cookie = cookieOf(await signIn(server.url, ADMIN_TOKEN));
    const refused = await viewerWithCookie(server.url, cookie, {});
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions.code).toBe("CSRF_HEADER_REQUIRED");
    expect(refused.body.data ?? null).toBeNull();
    expect((await admin.request("{ viewer { name } }")).viewer.name).toBe("admin");
  });

  it("ends the session on sign-out, on the server: the old cookie no longer authenticates", async () => {
    const cookie = cookieOf(await signIn(server.url, ADMIN_TOKEN));
    expect((await viewerWithCookie(server.url, cookie)).status).toBe(200);
    const out = await fetch(`${server.url}/auth/session`, { method: "DELETE", headers: { cookie, ...CSRF } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^mg_session=; Max-Age=0;/);
    const after = await viewerWithCookie(server.url, cookie);
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "session" });
  });

  it("ends the session when its token is revoked, or its user deactivated", async () => {
    const revoked = await userToken();
    const cookie = cookieOf(await signIn(server.url, revoked.token));
    expect((await viewerWithCookie(server.url, cookie)).status).toBe(200);
    await mutate(admin, "revokeApiToken", "RevokeApiTokenInput", { id: revoked.tokenId }, "apiToken { id }");
    const afterRevoke = await viewerWithCookie(server.url, cookie);
    expect(afterRevoke.status).toBe(401);
    expect(afterRevoke.body.errors?.[0]?.extensions.reason).toBe("revoked");

    const deactivated = await userToken();
    const cookie2 = cookieOf(await signIn(server.url, deactivated.token));
    expect((await viewerWithCookie(server.url, cookie2)).status).toBe(200);
    await mutate(admin, "deactivateUser", "DeactivateUserInput", { userId: deactivated.userId }, "user { id }");
    expect((await viewerWithCookie(server.url, cookie2)).body.errors?.[0]?.extensions.reason).toBe("deactivated");
  });

  it("ends the session when its token expires, and never outlives the token", async () => {
    const expiresAt = new Date(Date.now() + 4_000).toISOString();
    const { token } = await userToken({ expiresAt });
    const response = await signIn(server.url, token);
    expect(Date.parse(((await response.json()) as { expiresAt: string }).expiresAt)).toBeLessThanOrEqual(Date.parse(expiresAt));
    const cookie = cookieOf(response);
    expect((await viewerWithCookie(server.url, cookie)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(expiresAt) - Date.now()) + 300));
    expect((await viewerWithCookie(server.url, cookie)).body.errors?.[0]?.extensions.reason).toBe("expired");
  });

  it("accepts the cookie on a same-origin graphql-ws upgrade and refuses it from another origin (4403)", async () => {
    const cookie = cookieOf(await signIn(server.url, ADMIN_TOKEN));
    const host = new URL(server.url).host;
    expect(await wsConnect(server.url, cookie, `http://${host}`)).toBe("ack");
    expect(await wsConnect(server.url, cookie, "https://evil.example")).toBe(4403);
  });

  it("serves artifact downloads to the session cookie (a plain link), but uploads with the cookie need the CSRF header", async () => {
    const project = await createProject(admin);
    const bytes = Buffer.from(`console download ${uniqueName("b")}`);
    const ready = await createResource(admin, project.id, { bytes });
    const cookie = cookieOf(await signIn(server.url, ADMIN_TOKEN));
    const download = await fetch(ready.uploadUrl, { headers: { cookie } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
    expect((await fetch(ready.uploadUrl, { method: "HEAD", headers: { cookie } })).status).toBe(200);
    // No credential at all is still refused.
    expect((await fetch(ready.uploadUrl)).status).toBe(401);

    const pending = await createResource(admin, project.id, { bytes, upload: false });
    const put = (headers: Record<string, string>) => fetch(pending.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { cookie, ...headers } });
    const refused = await put({});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("CsrfHeaderRequiredError");
    const accepted = await put(CSRF);
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { resource: { status: string } }).resource.status).toBe("READY");
  });
});
