// The per-process cache of authenticated tokens (issue 14, "Reads"; server/src/access/token-cache.ts). A replica
// that has just authenticated a token reuses it for AUTH_CACHE_SECONDS, yet taking access away through another
// replica (revoking the token, deactivating its user) stops it there within the event bus's latency, a token is
// refused once past its expiry however recently it was cached, and a lowered role applies at the next request.
// On PostgreSQL the change is made through replica A and observed on replica B; on PGlite both are the one server.
// The servers cache for a minute, so that only the invalidation (not the TTL) can explain a refusal within 2 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenCache } from "../../server/src/access/token-cache.ts";
import { GraphQLClient } from "../support/client.ts";
import { createProject, mutate, uniqueName } from "../support/fixtures.ts";
import { accessChangeBuses, dbKind, startReplicaPair, type TestServer } from "../support/server.ts";

/** Long enough that a refusal within the poll below cannot be the TTL running out. */
const LONG_CACHE = { AUTH_CACHE_SECONDS: "60", SESSION_RECHECK_SECONDS: "3600" };
/** How long a change made on A may take to be seen on B (the bus latency, with margin for a loaded machine). */
const BUS_LATENCY_MS = 2_000;

const BUSES = await accessChangeBuses();

/** Polls `probe` every 25 ms until it returns `expected` or `withinMs` passes; returns the last value seen and when. */
async function until<T>(probe: () => Promise<T>, expected: T, withinMs: number): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  for (;;) {
    const value = await probe();
    const ms = performance.now() - start;
    if (value === expected || ms > withinMs) return { value, ms };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(BUSES)(`authenticated tokens cached per replica (${dbKind}, $bus event bus)`, ({ bus, env, run }) => {
  if (!run) {
    it.skip(`needs ${bus === "redis" ? "PostgreSQL and Redis" : "its database"}`, () => {});
    return;
  }
  let pair: Awaited<ReturnType<typeof startReplicaPair>>;
  let a: TestServer;
  let b: TestServer;
  let admin: GraphQLClient;
  let project: { id: string };

  beforeAll(async () => {
    pair = await startReplicaPair({ ...LONG_CACHE, ...env });
    ({ a, b } = pair);
    admin = new GraphQLClient(a.url);
    project = await createProject(admin);
  });

  afterAll(async () => {
    admin?.close();
    await pair?.close();
  });

  /** A new user, member of the project with `role`, and a token for them (created by the admin on A). */
  async function member(role = "VIEWER", tokenInput: Record<string, unknown> = {}) {
    const name = uniqueName("u");
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name }, "user { id }")).user as { id: string };
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: project.id, userId: user.id, role }, "project { id }");
    const created = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "t", userId: user.id, ...tokenInput }, "token apiToken { id expiresAt }");
    return { id: user.id, name, token: created.token as string, tokenId: created.apiToken.id as string, expiresAt: created.apiToken.expiresAt as string | null };
  }

  /** The HTTP status and auth refusal reason of `{ viewer { id } }` on `server` with `token`. */
  async function probe(server: TestServer, token: string): Promise<string> {
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { reason?: string } }[] };
    return response.status === 200 ? "200" : `${response.status} ${body.errors?.[0]?.extensions?.reason ?? ""}`;
  }

  it("a token cached on B and revoked through A is refused by B within the bus latency", async () => {
    const m = await member();
    expect(await probe(b, m.token)).toBe("200"); // now cached on B
    expect(await probe(b, m.token)).toBe("200");
    await mutate(admin, "revokeApiToken", "RevokeApiTokenInput", { id: m.tokenId }, "apiToken { revokedAt }");
    const seen = await until(() => probe(b, m.token), "401 revoked", BUS_LATENCY_MS);
    expect(seen.value, `B still accepted the revoked token after ${Math.round(seen.ms)} ms`).toBe("401 revoked");
    expect(await probe(a, m.token)).toBe("401 revoked");
  });

  it("a user deactivated through A is refused by B within the bus latency, and accepted again once reactivated", async () => {
    const m = await member();
    expect(await probe(b, m.token)).toBe("200");
    await mutate(admin, "deactivateUser", "DeactivateUserInput", { userId: m.id }, "user { deactivatedAt }");
    const seen = await until(() => probe(b, m.token), "401 deactivated", BUS_LATENCY_MS);
    expect(seen.value, `B still accepted the deactivated user's token after ${Math.round(seen.ms)} ms`).toBe("401 deactivated");
    // A refusal is never cached: reactivation works at once (it gives access back, so nothing needs dropping).
    await mutate(admin, "reactivateUser", "ReactivateUserInput", { userId: m.id }, "user { deactivatedAt }");
    expect(await probe(b, m.token)).toBe("200");
  });

  it("a token expiring in 2 s, cached on B just before, is refused by B once past its expiry", async () => {
    const m = await member("VIEWER", { expiresAt: new Date(Date.now() + 2_000).toISOString() });
    const expiresAt = new Date(m.expiresAt!).getTime();
    expect(await probe(b, m.token)).toBe("200");
    // Keep it hot in B's cache until its last moments.
    while (Date.now() < expiresAt - 150) {
      expect(await probe(b, m.token)).toBe("200");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now() + 20)));
    expect(await probe(b, m.token)).toBe("401 expired");
  });

  it("a membership role lowered through A applies to B's next request", async () => {
    const m = await member("EDITOR");
    const onB = new GraphQLClient(b.url).as(m.token);
    try {
      const role = async () => (await onB.request(`query($id: ID!) { node(id: $id) { ... on Project { viewerRole } } }`, { id: project.id })).node.viewerRole;
      const createModel = async () =>
        (await onB.request(
          `mutation($input: CreateModelInput!) { result: createModel(input: $input) { __typename } }`,
          { input: { projectId: project.id, name: uniqueName("m") } },
        )).result.__typename as string;
      expect(await role()).toBe("EDITOR");
      expect(await createModel()).toBe("CreateModelPayload");
      await mutate(admin, "updateProjectMember", "UpdateProjectMemberInput", { projectId: project.id, userId: m.id, role: "VIEWER" }, "project { id }");
      expect(await role()).toBe("VIEWER");
      expect(await createModel()).toBe("ForbiddenError");
    } finally {
      onB.close();
    }
  });

  it("`viewer` answers from the authenticated user, relations included", async () => {
    const m = await member();
    const client = new GraphQLClient(b.url).as(m.token);
    try {
      for (let i = 0; i < 2; i++) {
        const data = await client.request(`{ viewer { id name displayName isAdmin deactivatedAt tokens(first: 5) { totalCount nodes { id } } } }`);
        expect(data.viewer).toMatchObject({ name: m.name, displayName: null, isAdmin: false, deactivatedAt: null, tokens: { totalCount: 1, nodes: [{ id: m.tokenId }] } });
      }
    } finally {
      client.close();
    }
  });
});

describe("TokenCache", () => {
  const viewer = { userId: "u", name: "n", isAdmin: false, tokenId: "t" };

  it("never keeps an entry past its token's expiry, nor past the TTL", () => {
    const cache = new TokenCache(5_000);
    cache.set("h", viewer, new Date(1_000 + 2_000), cache.ticket(), 1_000);
    expect(cache.get("h", 2_999)).toBe(viewer);
    expect(cache.get("h", 3_000)).toBeUndefined();
    cache.set("h", viewer, null, cache.ticket(), 10_000);
    expect(cache.get("h", 14_999)).toBe(viewer);
    expect(cache.get("h", 15_000)).toBeUndefined();
  });

  it("does not store what a lookup read before an access change, and forgets everything on one", () => {
    const cache = new TokenCache(5_000);
    cache.set("kept", viewer, null, cache.ticket(), 0);
    const ticket = cache.ticket();
    cache.clear(); // a revocation was signalled while the lookup was in flight
    expect(cache.get("kept", 1)).toBeUndefined();
    cache.set("stale", viewer, null, ticket, 1);
    expect(cache.get("stale", 2)).toBeUndefined();
  });

  it("stays bounded, dropping the least recently used first", () => {
    const cache = new TokenCache(5_000, 3);
    for (const key of ["a", "b", "c"]) cache.set(key, viewer, null, cache.ticket(), 0);
    expect(cache.get("a", 1)).toBe(viewer); // a is now the most recently used
    cache.set("d", viewer, null, cache.ticket(), 1);
    expect(cache.size).toBe(3);
    expect(cache.get("b", 2)).toBeUndefined();
    expect(cache.get("a", 2)).toBe(viewer);
  });

  it("is off with a TTL of 0", () => {
    const cache = new TokenCache(0);
    cache.set("h", viewer, null, cache.ticket(), 0);
    expect(cache.get("h", 0)).toBeUndefined();
  });
});
