// Subscribers with distinct identities share each event's execution when their selection reads nothing of the
// viewer (events/multicast.ts), seen from outside through modelgraph_subscription_executions_total; each keeps its
// own access check, and a selection with a viewer-dependent field is executed per subscriber.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createUserWithToken, createVersion, mutate } from "../support/fixtures.ts";
import { scrape } from "../support/metrics.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { subscribe, untilLive, type Subscription } from "../support/subscriptions.ts";

const VERSIONS = `subscription($projectId: ID!) {
  projectEvents(projectId: $projectId, types: [MODEL_VERSION_CREATED]) { cursor type at payload modelId modelVersion { id number stage } }
}`;
/** The same with a field whose answer depends on who asks. */
const VERSIONS_WITH_RIGHTS = `subscription($projectId: ID!) {
  projectEvents(projectId: $projectId, types: [MODEL_VERSION_CREATED]) { cursor modelVersion { id number viewerCanUpdate } }
}`;

interface VersionEvent {
  cursor: string;
  modelVersion: { id: string; number: number; viewerCanUpdate?: boolean };
}

const executions = async (url: string) => (await scrape(url)).value("modelgraph_subscription_executions_total") ?? 0;

describe.runIf(databaseAvailable)("subscriptions sharing one execution across identities", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let projectId: string;
  let modelId: string;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    modelId = (await createModel(admin, projectId)).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Subscribes each token, and waits until every one of them is live. */
  async function subscribeAll(query: string, tokens: string[], transport: "ws" | "sse" = "ws"): Promise<Subscription<VersionEvent>[]> {
    const subscriptions = tokens.map((token) => subscribe<VersionEvent>(transport, server.url, query, { projectId }, { token }));
    for (const s of subscriptions) await untilLive(s, async () => void (await createVersion(admin, modelId)), () => true);
    // One more that all of them receive: whatever the probes caused is executed and counted by then.
    await oneVersion(subscriptions);
    return subscriptions;
  }

  /** Creates one version and waits until `receivers` got it; returns it and what each of them received. */
  async function oneVersion(receivers: Subscription<VersionEvent>[]): Promise<{ id: string; got: VersionEvent[] }> {
    const version = await createVersion(admin, modelId);
    const got = await Promise.all(receivers.map((s) => s.waitFor((e) => e.modelVersion.id === version.id, 10_000)));
    return { id: version.id, got };
  }

  it("two users with the same document share one execution per event, with the results of unshared execution", async () => {
    const a = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const b = await createUserWithToken(admin, { projectId, role: "EDITOR" });
    const [sa, sb] = await subscribeAll(VERSIONS, [a.token, b.token]);
    // SSE subscriptions are executed on their own: the reference.
    const [reference] = await subscribeAll(VERSIONS, [a.token], "sse");
    try {
      const before = await executions(server.url);
      const { got } = await oneVersion([sa!, sb!, reference!]);
      expect(await executions(server.url)).toBe(before + 1);
      expect(got[0]).toEqual(got[2]);
      expect(got[1]).toEqual(got[2]);
      expect(sa!.errors).toEqual([]);
      expect(sb!.errors).toEqual([]);
    } finally {
      for (const s of [sa, sb, reference]) await s!.close();
    }
  });

  it("a member removed stops receiving; the others sharing the execution go on", async () => {
    const a = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const b = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const c = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const subscriptions = await subscribeAll(VERSIONS, [a.token, b.token, c.token]);
    const [sa, sb, sc] = subscriptions as [Subscription<VersionEvent>, Subscription<VersionEvent>, Subscription<VersionEvent>];
    try {
      await mutate(admin, "removeProjectMember", "RemoveProjectMemberInput", { projectId, userId: b.userId }, "project { id }");
      const before = await executions(server.url);
      const { id } = await oneVersion([sa, sc]);
      await sb.waitEnded(10_000);
      expect(sb.events.map((e) => e.data.modelVersion.id)).not.toContain(id);
      expect(await executions(server.url)).toBe(before + 1);
      // Still going, still sharing.
      await oneVersion([sa, sc]);
      expect(await executions(server.url)).toBe(before + 2);
      expect(sb.events.map((e) => e.data.modelVersion.id)).not.toContain(id);
    } finally {
      for (const s of subscriptions) await s.close();
    }
  });

  it("one of two identities loses access mid-stream: it stops, the other keeps receiving what an unshared subscriber gets", async () => {
    const a = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const b = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const [sa, sb] = (await subscribeAll(VERSIONS, [a.token, b.token])) as [Subscription<VersionEvent>, Subscription<VersionEvent>];
    const [reference] = await subscribeAll(VERSIONS, [a.token], "sse");
    try {
      const shared = await oneVersion([sa, sb, reference!]);
      expect(shared.got[0]).toEqual(shared.got[2]);
      expect(shared.got[1]).toEqual(shared.got[2]);
      await mutate(admin, "removeProjectMember", "RemoveProjectMemberInput", { projectId, userId: b.userId }, "project { id }");
      for (let i = 0; i < 3; i++) {
        const { id, got } = await oneVersion([sa, reference!]);
        expect(got[0]).toEqual(got[1]);
        expect(sb.events.map((e) => e.data.modelVersion.id)).not.toContain(id);
      }
      await sb.waitEnded(10_000);
      expect(sb.errors).toEqual([]);
      expect(sa.errors).toEqual([]);
    } finally {
      for (const s of [sa, sb, reference]) await s!.close();
    }
  });

  it("a token revoked ends its subscriber only", async () => {
    const a = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const b = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const second = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "second", userId: b.userId }, "token apiToken { id }");
    const subscriptions = await subscribeAll(VERSIONS, [a.token, second.token]);
    const [sa, sb] = subscriptions as [Subscription<VersionEvent>, Subscription<VersionEvent>];
    try {
      await mutate(admin, "revokeApiToken", "RevokeApiTokenInput", { id: second.apiToken.id }, "apiToken { id }");
      await sb.waitEnded(10_000);
      const { id } = await oneVersion([sa]);
      expect(sb.events.map((e) => e.data.modelVersion.id)).not.toContain(id);
    } finally {
      for (const s of subscriptions) await s.close();
    }
  });

  it("a document with a viewer-dependent field is executed per identity, each with its own answer", async () => {
    const viewer = await createUserWithToken(admin, { projectId, role: "VIEWER" });
    const editor = await createUserWithToken(admin, { projectId, role: "EDITOR" });
    const subscriptions = await subscribeAll(VERSIONS_WITH_RIGHTS, [viewer.token, editor.token]);
    const [sv, se] = subscriptions as [Subscription<VersionEvent>, Subscription<VersionEvent>];
    try {
      const before = await executions(server.url);
      const { got } = await oneVersion([sv, se]);
      expect(await executions(server.url)).toBe(before + 2);
      expect(got[0]!.modelVersion.viewerCanUpdate).toBe(false);
      expect(got[1]!.modelVersion.viewerCanUpdate).toBe(true);
    } finally {
      for (const s of subscriptions) await s.close();
    }
  });
});
