// Tokens cannot outlive the token that created them, revocation cascades to the tokens created with a token, and
// deactivating a user stops all their tokens at once: over HTTP, and on open WebSocket and SSE subscriptions, which
// end with an UNAUTHENTICATED error without waiting for an event. On PostgreSQL the change is made through replica
// A and observed on replica B (the signal crosses the event bus); on PGlite both are the one server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, mutate, uniqueName } from "../support/fixtures.ts";
import { accessChangeBuses, ADMIN_TOKEN, startReplicaPair, type TestServer } from "../support/server.ts";
import { PROJECT_EVENTS, START_CURSOR, subscribe, TRANSPORTS, type EventData, type Subscription } from "../support/subscriptions.ts";

const TOKEN_FIELDS = "id expiresAt revokedAt";
const NO_PERIODIC_RECHECK = { SESSION_RECHECK_SECONDS: "3600" };
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

const BUSES = await accessChangeBuses();

describe.each(BUSES)("token lineage and user deactivation ($bus event bus)", ({ bus, env, run }) => {
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
    // No periodic re-check during the file: a subscription that ends was ended by the access-change signal.
    pair = await startReplicaPair({ ...NO_PERIODIC_RECHECK, ...env });
    ({ a, b } = pair);
    admin = new GraphQLClient(a.url);
    project = await createProject(admin);
    await createModel(admin, project.id); // one event to replay, so a subscriber is known to be running
  });

  afterAll(async () => {
    admin?.close();
    await pair?.close();
  });

  /** A new user, VIEWER of the project, with a token (created by the admin) and a client using it. */
  async function member() {
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("u") }, "user { id }")).user as { id: string };
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: project.id, userId: user.id, role: "VIEWER" }, "project { id }");
    const created = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "t", userId: user.id }, `token apiToken { ${TOKEN_FIELDS} }`);
    return { id: user.id, token: created.token as string, tokenId: created.apiToken.id as string, client: admin.as(created.token) };
  }

  const createToken = (client: GraphQLClient, input: Record<string, unknown>) =>
    client.request(
      `mutation($input: CreateApiTokenInput!) { result: createApiToken(input: $input) {
        __typename ... on CreateApiTokenPayload { token apiToken { ${TOKEN_FIELDS} } } ... on ValidationError { message issues { path message } } } }`,
      { input: { name: "child", ...input } },
    ).then((d) => d.result);

  const tokenState = async (id: string) => (await admin.request(`query($id: ID!) { node(id: $id) { ... on ApiToken { ${TOKEN_FIELDS} } } }`, { id })).node;

  const status = async (server: TestServer, token: string) =>
    (await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    })).status;

  const eventCursor = async () => (await admin.request(`query($id: ID!) { node(id: $id) { ... on Project { eventCursor } } }`, { id: project.id })).node.eventCursor as string;

  /** Waits for the subscription to end and returns its UNAUTHENTICATED error's reason; no event arrived meanwhile. */
  async function endedWith(sub: Subscription<EventData>, eventsBefore: number) {
    await sub.waitEnded();
    expect(sub.events.length).toBe(eventsBefore);
    const error = sub.errors[0] as { message: string; extensions?: { code?: string; reason?: string } };
    expect(error, "the subscription ended with an error").toBeDefined();
    expect(error.extensions?.code).toBe("UNAUTHENTICATED");
    return { reason: error.extensions?.reason, message: error.message };
  }

  describe("a token cannot outlive the token that created it", () => {
    it("a child of an expiring token inherits its expiry, may expire earlier, and is refused a later expiry", async () => {
      const parentExpiry = inHours(1);
      const parent = await createToken(admin, { expiresAt: parentExpiry });
      const viaParent = admin.as(parent.token);

      const inherited = await createToken(viaParent, {});
      expect(inherited.__typename).toBe("CreateApiTokenPayload");
      expect(inherited.apiToken.expiresAt).toBe(parent.apiToken.expiresAt);

      const earlier = await createToken(viaParent, { expiresAt: inHours(0.5) });
      expect(earlier.__typename).toBe("CreateApiTokenPayload");

      const later = await createToken(viaParent, { expiresAt: inHours(2) });
      expect(later.__typename).toBe("ValidationError");
      expect(later.issues).toEqual([{ path: ["input", "expiresAt"], message: expect.stringMatching(/cannot outlive the token that created it/) }]);
      // A grandchild is bound by its parent's (inherited) expiry too.
      const grandchild = await createToken(admin.as(inherited.token), { expiresAt: inHours(3) });
      expect(grandchild.__typename).toBe("ValidationError");

      // A token without an expiry still creates tokens without one.
      const unbounded = await createToken(admin, {});
      expect(unbounded.apiToken.expiresAt).toBeNull();
    });
  });

  describe("revocation cascades", () => {
    for (const transport of TRANSPORTS) {
      it(`over ${transport}: revoking a token revokes the tokens created with it, transitively, audited; their subscriptions on B end with an error at once`, async () => {
        const m = await member();
        const child = await createToken(m.client, {});
        const grandchild = await createToken(admin.as(child.token), {});
        const sibling = await createToken(admin, { userId: m.id }); // created by the admin's token: unaffected
        const sub = subscribe<EventData>(transport, b.url, PROJECT_EVENTS, { projectId: project.id, after: START_CURSOR }, { token: grandchild.token });
        try {
          await sub.waitForCount(1);
          const cursor = await eventCursor();
          await mutate(m.client, "revokeApiToken", "RevokeApiTokenInput", { id: m.tokenId }, "apiToken { id }");
          expect(await endedWith(sub, 1)).toMatchObject({ reason: "revoked", message: expect.stringMatching(/revoked/) });
          expect(await eventCursor()).toBe(cursor); // no project event was needed to end it

          for (const id of [m.tokenId, child.apiToken.id, grandchild.apiToken.id]) expect((await tokenState(id)).revokedAt).not.toBeNull();
          expect((await tokenState(sibling.apiToken.id)).revokedAt).toBeNull();
          for (const token of [child.token, grandchild.token]) expect(await status(b, token)).toBe(401);
          expect(await status(b, sibling.token)).toBe(200);

          const audited = await admin.request(`{ auditLog(filter: { action: "revokeApiToken" }, first: 50) { edges { node { targetId actor { id } } } } }`);
          const targets = audited.auditLog.edges.map((e: { node: { targetId: string } }) => e.node.targetId);
          for (const id of [m.tokenId, child.apiToken.id, grandchild.apiToken.id]) expect(targets).toContain(id);
        } finally {
          await sub.close();
        }
      });
    }
  });

  describe("deactivateUser", () => {
    it("refuses non-admins (ForbiddenError) and an admin deactivating themselves (ValidationError naming userId)", async () => {
      const m = await member();
      const other = await member();
      const doc = `mutation($input: DeactivateUserInput!) { result: deactivateUser(input: $input) {
        __typename ... on ValidationError { issues { path message } } ... on Error { message } } }`;
      expect((await m.client.request(doc, { input: { userId: other.id } })).result.__typename).toBe("ForbiddenError");
      const viewer = (await admin.request("{ viewer { id } }")).viewer.id as string;
      const self = (await admin.request(doc, { input: { userId: viewer } })).result;
      expect(self.__typename).toBe("ValidationError");
      expect(self.issues[0].path).toEqual(["input", "userId"]);
      expect(await status(b, ADMIN_TOKEN)).toBe(200);
      expect(await status(b, other.token)).toBe(200);
    });

    it("stops every token of the user at once on B: HTTP answers 401, open WebSocket and SSE subscriptions end with an error", async () => {
      const m = await member();
      const second = await createToken(admin, { userId: m.id });
      const ws = subscribe<EventData>("ws", b.url, PROJECT_EVENTS, { projectId: project.id, after: START_CURSOR }, { token: m.token });
      const sse = subscribe<EventData>("sse", b.url, PROJECT_EVENTS, { projectId: project.id, after: START_CURSOR }, { token: second.token });
      try {
        await Promise.all([ws.waitForCount(1), sse.waitForCount(1)]);
        expect(await status(b, m.token)).toBe(200);
        const cursor = await eventCursor();

        const result = await mutate(admin, "deactivateUser", "DeactivateUserInput", { userId: m.id }, "user { id deactivatedAt }");
        expect(result.user.deactivatedAt).not.toBeNull();

        for (const token of [m.token, second.token]) expect(await status(b, token)).toBe(401);
        const refused = await new GraphQLClient(b.url, undefined, m.token).raw("{ viewer { id } }");
        expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/deactivated/), extensions: { code: "UNAUTHENTICATED" } });
        expect(await endedWith(ws, 1)).toMatchObject({ reason: "deactivated", message: expect.stringMatching(/deactivated/) });
        expect(await endedWith(sse, 1)).toMatchObject({ reason: "deactivated", message: expect.stringMatching(/deactivated/) });
        expect(await eventCursor()).toBe(cursor);

        // Reactivated, the tokens work again (they were not revoked).
        await mutate(admin, "reactivateUser", "ReactivateUserInput", { userId: m.id }, "user { deactivatedAt }");
        expect(await status(b, m.token)).toBe(200);
      } finally {
        await Promise.all([ws.close(), sse.close()]);
      }
    });

    // Last: it deactivates the bootstrap admin (or the other admin) for good.
    it("two admins deactivating each other at once: exactly one succeeds, an active admin remains", async () => {
      const second = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("admin"), isAdmin: true }, "user { id }")).user.id as string;
      const secondToken = (await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "admin2", userId: second }, "token")).token as string;
      const first = (await admin.request("{ viewer { id } }")).viewer.id as string;
      const doc = `mutation($input: DeactivateUserInput!) { result: deactivateUser(input: $input) { __typename } }`;
      const outcomes = await Promise.all([
        admin.raw(doc, { input: { userId: second } }),
        admin.as(secondToken).raw(doc, { input: { userId: first } }),
      ]);
      const succeeded = outcomes.filter((o) => o.data?.result?.__typename === "DeactivateUserPayload");
      expect(succeeded).toHaveLength(1);
      const statuses = [await status(b, ADMIN_TOKEN), await status(b, secondToken)];
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    });
  });
});
