// One misbehaving client does not lock everyone out: failed authentications are counted per client address
// and per presented token. An address over the limit is refused (429 with Retry-After) for whatever does not
// authenticate, yet a valid token from it keeps working; a token that keeps failing is refused from any address.
// Addresses are simulated with X-Forwarded-For behind one trusted proxy hop.
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GraphQLClient } from "../support/client.ts";
import { mutate } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const LIMIT = 20;
const WINDOW_SECONDS = 600;
let unknownTokens = 0;
/** A well-formed token that no one has, different each time. */
const unknownToken = () => `mg_${String(++unknownTokens).padStart(43, "q")}`;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
}

async function graphql(url: string, token: string | null, address: string): Promise<Answer> {
  const response = await fetch(new URL("/graphql", url), {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": address, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: "{ viewer { id } }" }),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
}

async function artifact(url: string, token: string, address: string): Promise<Answer> {
  const response = await fetch(new URL("/artifacts/UmVzb3VyY2U6eA==", url), { headers: { authorization: `Bearer ${token}`, "x-forwarded-for": address } });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.text() };
}

/** Opens a graphql-ws connection from `address` and runs one query: "answered", or how the socket closed. */
function overWebSocket(url: string, token: string, address: string): Promise<string> {
  class FromAddress extends WebSocket {
    constructor(target: string, protocols?: string | string[]) {
      super(target, protocols, { headers: { "x-forwarded-for": address } });
    }
  }
  return new Promise((resolve) => {
    const client = createClient({ url: `${url.replace(/^http/, "ws")}/graphql`, webSocketImpl: FromAddress, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    client.subscribe(
      { query: "{ viewer { id } }" },
      {
        next: () => resolve("answered"),
        error: (error) => resolve(`closed ${(error as { code?: number }).code}: ${(error as { reason?: string }).reason ?? ""}`),
        complete: () => void client.dispose(),
      },
    );
  });
}

const expectRetryAfter = (answer: Answer) => {
  expect(answer.status).toBe(429);
  expect(answer.retryAfter).toMatch(/^\d+$/);
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);
};

describe.runIf(databaseAvailable)("failed-authentication limits per address and per token", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS), TRUST_PROXY_HOPS: "1" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("after 25 failures from one address, a valid token from it answers 200 while bad ones get 429 with Retry-After", async () => {
    const address = "203.0.113.10";
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await graphql(server.url, unknownToken(), address)).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(401), ...Array<number>(25 - LIMIT).fill(429)]);

    expect(await graphql(server.url, ADMIN_TOKEN, address)).toMatchObject({ status: 200, body: { data: { viewer: { id: expect.any(String) } } } });
    const limited = await graphql(server.url, unknownToken(), address);
    expectRetryAfter(limited);
    expect(limited.body.errors[0].extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: Number(limited.retryAfter) });
    expectRetryAfter(await graphql(server.url, null, address)); // no token
    expectRetryAfter(await graphql(server.url, "mg_not*valid", address)); // malformed

    // The artifact routes and WebSocket apply the same rule.
    expectRetryAfter(await artifact(server.url, unknownToken(), address));
    expect((await artifact(server.url, ADMIN_TOKEN, address)).status).toBe(404); // past authentication: the resource does not exist
    expect(await overWebSocket(server.url, ADMIN_TOKEN, address)).toBe("answered");
    expect(await overWebSocket(server.url, unknownToken(), address)).toMatch(/^closed 4429: .*retry after \d+ s/);

    // Another address is not affected.
    expect((await graphql(server.url, unknownToken(), "203.0.113.11")).status).toBe(401);
  });

  it("refuses a token that keeps failing from any address, without blocking those addresses for others", async () => {
    const admin = new GraphQLClient(server.url);
    const created = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "leaked-and-revoked" }, "token apiToken { id }");
    await mutate(admin, "revokeApiToken", "RevokeApiTokenInput", { id: created.apiToken.id }, "__typename");
    const revoked: string = created.token;
    // A misconfigured fleet presents the revoked token from many addresses, each only once.
    for (let i = 0; i < LIMIT; i++) {
      const answer = await graphql(server.url, revoked, `198.51.100.${i}`);
      expect([i, answer.status, answer.body.errors[0].message]).toEqual([i, 401, expect.stringContaining("revoked")]);
    }
    const fresh = "198.51.100.200";
    expectRetryAfter(await graphql(server.url, revoked, fresh));
    // That address has one failure of its own at most: other tokens from it are judged on their own.
    expect((await graphql(server.url, unknownToken(), fresh)).status).toBe(401);
    expect((await graphql(server.url, ADMIN_TOKEN, fresh)).status).toBe(200);
    admin.close();
  });
});
