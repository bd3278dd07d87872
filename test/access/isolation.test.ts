// A non-member learns nothing of a project (DESIGN.md §3): not through node(id), connections, the audit log,
// error messages, subscriptions, artifact routes or download URLs — every refusal is the one an id that never
// existed gets. Then tokens (shown once, stored hashed, revocable at once, expiring, last use recorded) and the
// bootstrap administrator (from MODELGRAPH_BOOTSTRAP_TOKEN, or generated, printed once and written to DATA_DIR).
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, freshDatabase, startTestServer, type TestServer } from "../support/server.ts";
import { describeError, startServerProcess, subscribe, TRANSPORTS, type Subscription } from "../support/subscriptions.ts";
import { buildFixture, mutationDocument, START_CURSOR, type Fixture, type Role } from "./rules.ts";
import { encodeGlobalId, decodeGlobalId } from "../../server/src/domain/ids.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A well-formed global id of `type` that names nothing: what a non-member's refusal must look like. */
const unknownId = (type: string) => encodeGlobalId(type, "01900000-0000-7000-8000-000000000000");

/** The message with the id it names blanked, to compare a refusal about a real object with one about nothing. */
const blank = (message: string, id: string) => message.split(id).join("<id>");

const PROJECT_EVENTS = `subscription($projectId: ID!, $after: String) { projectEvents(projectId: $projectId, after: $after) { cursor type projectId modelId } }`;
const STAGE_CHANGES = `subscription($projectId: ID!, $modelId: ID, $after: String) {
  modelVersionStageChanged(projectId: $projectId, modelId: $modelId, after: $after) { cursor toStage model { id } modelVersion { id } }
}`;

describe.runIf(databaseAvailable)("a non-member learns nothing of a project", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  /** Project A, the secret one, with one of everything. */
  let fx: Fixture;
  /** A user outside A, ADMIN of their own project B. */
  let outsider: GraphQLClient;
  let outsiderToken: string;
  let b: { projectId: string; modelId: string; versionId: string; experimentId: string; iterationId: string; resourceId: string };
  /** Every object of A by kind. */
  let secret: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ AUTH_FAILURE_LIMIT: "100000" });
    admin = new GraphQLClient(server.url);
    fx = await buildFixture(server.url, admin);
    outsider = fx.users.outsider.client;
    outsiderToken = fx.users.outsider.token;
    const projectId = (await createProject(admin)).id;
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: fx.users.outsider.id, role: "ADMIN" }, "project { id }");
    const modelId = (await createModel(outsider, projectId)).id;
    const experimentId = (await createExperiment(outsider, projectId)).id;
    const iterationId = (await createIteration(outsider, experimentId)).id;
    const resourceId = (await createResource(outsider, projectId)).id;
    const versionId = (await createVersion(outsider, modelId, { resourceId })).id;
    b = { projectId, modelId, versionId, experimentId, iterationId, resourceId };
    secret = {
      Project: fx.project.id,
      Experiment: fx.experiment.id,
      Iteration: fx.iteration.id,
      Model: fx.model.id,
      ModelVersion: fx.version.id,
      StageTransition: fx.transition.id,
      TransitionRequest: fx.request.id,
      Resource: fx.resource.id,
      Webhook: fx.webhook.id,
      WebhookDelivery: fx.delivery.id,
    };
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  /** A member of A with `role` and a token of their own. */
  async function memberOfA(memberRole: Role): Promise<{ id: string; token: string; client: GraphQLClient; tokenId: string }> {
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName(memberRole.toLowerCase()) }, "user { id }")).user;
    const { token, apiToken } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "member", userId: user.id }, "token apiToken { id }");
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: fx.project.id, userId: user.id, role: memberRole }, "project { id }");
    return { id: user.id, token, client: admin.as(token), tokenId: apiToken.id };
  }

  describe("reads", () => {
    it("node(id) and nodes(ids) answer null for each of another project's objects, as for ids that never existed", async () => {
      const kinds = Object.keys(secret);
      const query = `query(${kinds.map((k) => `$${k}: ID!, $unknown${k}: ID!`).join(", ")}, $ids: [ID!]!) {
        ${kinds.map((k) => `${k}: node(id: $${k}) { id } unknown${k}: node(id: $unknown${k}) { id }`).join("\n")}
        nodes(ids: $ids) { id }
      }`;
      const variables = Object.fromEntries(kinds.flatMap((k) => [[k, secret[k]], [`unknown${k}`, unknownId(k)]]));
      const asOutsider = await outsider.request(query, { ...variables, ids: Object.values(secret) });
      expect(asOutsider).toEqual({ ...Object.fromEntries(kinds.flatMap((k) => [[k, null], [`unknown${k}`, null]])), nodes: kinds.map(() => null) });
      // The control: a VIEWER of the project sees all but the webhook's (ADMINs only).
      const asViewer = await fx.users.viewer.client.request(query, { ...variables, ids: Object.values(secret) });
      expect(kinds.filter((k) => asViewer[k] === null)).toEqual(["Webhook", "WebhookDelivery"]);
    });

    it("project(by) and projects leave the project out", async () => {
      const data = await outsider.request(
        `query($id: ID!, $name: String!) {
          byId: project(by: { id: $id }) { id }
          byName: project(by: { name: $name }) { id }
          projects(first: 500, filter: { status: [ACTIVE, DEPRECATED, ARCHIVED] }) { totalCount nodes { id } }
          named: projects(filter: { nameContains: $name }) { totalCount nodes { id } }
        }`,
        { id: fx.project.id, name: fx.project.name },
      );
      expect(data).toEqual({ byId: null, byName: null, projects: { totalCount: 1, nodes: [{ id: b.projectId }] }, named: { totalCount: 0, nodes: [] } });
    });

    it("connections of a visible project hold only its own objects, even when filtered by another project's names", async () => {
      const data = await outsider.request(
        `query($id: ID!, $modelName: String!, $experimentName: String!) {
          project(by: { id: $id }) {
            models(first: 500, filter: { status: [ACTIVE, DEPRECATED, ARCHIVED] }) { nodes { id } }
            named: models(filter: { nameContains: $modelName }) { totalCount }
            model(name: $modelName) { id }
            experiments(first: 500, filter: { status: [ACTIVE, DEPRECATED, ARCHIVED] }) { nodes { id } }
            experiment(name: $experimentName) { id }
            resources(first: 500) { nodes { id } }
            modelVersions(first: 500, filter: { includeDeleted: true }) { nodes { id } }
            transitionRequests(first: 500) { totalCount }
            webhooks(first: 500) { totalCount }
            members(first: 500) { nodes { user { id } } }
          }
          compare: compareModelVersions(a: "${fx.version.id}", b: "${b.versionId}") { a { id } }
          viewer { tokens(first: 500) { nodes { user { id } } } }
        }`,
        { id: b.projectId, modelName: fx.model.name, experimentName: fx.experiment.name },
      );
      const p = data.project;
      expect(p.models.nodes).toEqual([{ id: b.modelId }]);
      expect(p.named.totalCount).toBe(0);
      expect(p.model).toBeNull();
      expect(p.experiments.nodes).toEqual([{ id: b.experimentId }]);
      expect(p.experiment).toBeNull();
      expect(p.resources.nodes).toEqual([{ id: b.resourceId }]);
      expect(p.modelVersions.nodes).toEqual([{ id: b.versionId }]);
      expect(p.transitionRequests.totalCount).toBe(0);
      expect(p.webhooks.totalCount).toBe(0);
      expect(p.members.nodes.map((m: { user: { id: string } }) => m.user.id).sort()).toEqual([fx.adminUserId, fx.users.outsider.id].sort());
      expect(data.compare).toBeNull();
      expect(new Set(data.viewer.tokens.nodes.map((t: { user: { id: string } }) => t.user.id))).toEqual(new Set([fx.users.outsider.id]));
    });

    it("the audit log of the outsider's own project holds nothing of the other; asking for the other is refused as for a project that does not exist", async () => {
      const entries = await outsider.request(
        `query($b: ID!, $target: ID!) {
          all: auditLog(first: 500, filter: { projectId: $b }) { nodes { projectId targetId action } }
          aimed: auditLog(first: 500, filter: { projectId: $b, targetId: $target }) { nodes { action } }
        }`,
        { b: b.projectId, target: fx.model.id },
      );
      expect(entries.all.nodes.length).toBeGreaterThan(0);
      expect(entries.all.nodes.every((e: { projectId: string }) => e.projectId === b.projectId)).toBe(true);
      expect(entries.all.nodes.some((e: { targetId: string }) => Object.values(secret).includes(e.targetId))).toBe(false);
      expect(entries.aimed.nodes).toEqual([]);
      const query = `query($p: ID!) { auditLog(filter: { projectId: $p }) { nodes { action } } }`;
      const [real, none] = await Promise.all([outsider.raw(query, { p: fx.project.id }), outsider.raw(query, { p: unknownId("Project") })]);
      expect(real.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(real.errors?.map((e) => e.message)).toEqual(none.errors?.map((e) => e.message));
    });
  });

  describe("errors", () => {
    /** Runs a mutation; its result (typename and error fields). */
    async function attempt(client: GraphQLClient, field: string, input: Record<string, unknown>) {
      const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
      return (await client.request(mutationDocument(field, inputType), { input })).result as { __typename: string; message: string; kind?: string; ref?: string };
    }

    it("mutations on another project's objects fail as NotFoundError naming only the id passed, like ids that never existed", async () => {
      const targets: [string, string, (id: string) => Record<string, unknown>][] = [
        ["updateProject", "Project", (id) => ({ id, description: "x" })],
        ["createModel", "Project", (projectId) => ({ projectId, name: uniqueName("m") })],
        ["addProjectMember", "Project", (projectId) => ({ projectId, userId: fx.users.outsider.id, role: "ADMIN" })],
        ["createWebhook", "Project", (projectId) => ({ projectId, url: "https://hooks.example.com/x" })],
        ["createResourceUpload", "Project", (projectId) => ({ projectId, name: "x", sizeBytes: "1", sha256: "a".repeat(64) })],
        ["updateExperiment", "Experiment", (id) => ({ id, description: "x" })],
        ["createIteration", "Experiment", (experimentId) => ({ experimentId })],
        ["logIterationMetrics", "Iteration", (iterationId) => ({ iterationId, metrics: [{ name: "loss", value: 1 }] })],
        ["updateModel", "Model", (id) => ({ id, description: "x" })],
        ["createModelVersion", "Model", (modelId) => ({ modelId })],
        ["rollbackModel", "Model", (modelId) => ({ modelId })],
        ["updateModelVersion", "ModelVersion", (id) => ({ id, description: "x" })],
        ["transitionModelVersionStage", "ModelVersion", (modelVersionId) => ({ modelVersionId, stage: "STAGING" })],
        ["requestModelVersionTransition", "ModelVersion", (modelVersionId) => ({ modelVersionId, stage: "STAGING" })],
        ["cancelTransitionRequest", "TransitionRequest", (requestId) => ({ requestId })],
        ["approveTransitionRequest", "TransitionRequest", (requestId) => ({ requestId })],
        ["completeResourceUpload", "Resource", (resourceId) => ({ resourceId })],
        ["deleteResource", "Resource", (id) => ({ id })],
        ["updateWebhook", "Webhook", (id) => ({ id, active: false })],
      ];
      for (const [field, kind, input] of targets) {
        const [real, none] = await Promise.all([attempt(outsider, field, input(secret[kind]!)), attempt(outsider, field, input(unknownId(kind)))]);
        expect({ field, typename: real.__typename, kind: real.kind, ref: real.ref }).toEqual({ field, typename: "NotFoundError", kind, ref: secret[kind] });
        expect(blank(real.message, secret[kind]!), field).toBe(blank(none.message, unknownId(kind)));
        for (const name of fx.secretNames) expect(real.message).not.toContain(name);
      }
    });

    it("lineage pointing into another project is not found (CrossProjectLineageError only for what you can see)", async () => {
      const lineage: [string, Record<string, unknown>, string, string][] = [
        ["createModelVersion", { modelId: b.modelId, iterationId: fx.iteration.id }, "Iteration", fx.iteration.id],
        ["createModelVersion", { modelId: b.modelId, resourceId: fx.resource.id }, "Resource", fx.resource.id],
        ["createModelVersion", { modelId: b.modelId, parentVersionId: fx.version.id }, "ModelVersion", fx.version.id],
        ["updateModelVersion", { id: b.versionId, resourceId: fx.resource.id }, "Resource", fx.resource.id],
        ["updateModelVersion", { id: b.versionId, parentVersionId: fx.version.id }, "ModelVersion", fx.version.id],
        ["createResourceUpload", { projectId: b.projectId, name: "x", sizeBytes: "1", sha256: "b".repeat(64), iterationId: fx.iteration.id }, "Iteration", fx.iteration.id],
      ];
      for (const [field, input, kind, ref] of lineage) {
        const result = await attempt(outsider, field, input);
        expect({ field, typename: result.__typename, kind: result.kind, ref: result.ref }).toEqual({ field, typename: "NotFoundError", kind, ref });
        // Someone who sees both projects is told the truth.
        expect((await attempt(admin, field, input)).__typename, field).toBe("CrossProjectLineageError");
      }
    });
  });

  describe("subscriptions", () => {
    for (const transport of TRANSPORTS) {
      it(`over ${transport}: subscribing to another project fails as for a project that does not exist`, async () => {
        const attempts = [
          [PROJECT_EVENTS, { projectId: fx.project.id, after: START_CURSOR }, { projectId: unknownId("Project"), after: START_CURSOR }],
          [PROJECT_EVENTS, { projectId: fx.project.id }, { projectId: unknownId("Project") }],
          [STAGE_CHANGES, { projectId: fx.project.id, after: START_CURSOR }, { projectId: unknownId("Project"), after: START_CURSOR }],
        ] as const;
        for (const [query, real, none] of attempts) {
          const [refused, control] = [subscribe(transport, server.url, query, real, { token: outsiderToken }), subscribe(transport, server.url, query, none, { token: outsiderToken })];
          await Promise.all([refused.waitEnded(), control.waitEnded()]);
          expect(refused.events).toEqual([]);
          const message = refused.errors.map(describeError).join("\n");
          expect(message).toMatch(/was not found/);
          for (const name of fx.secretNames) expect(message).not.toContain(name);
          expect(blank(message, fx.project.id)).toBe(blank(control.errors.map(describeError).join("\n"), unknownId("Project")));
        }
      });

      it(`over ${transport}: a subscription to one's own project delivers nothing of another, even filtered by its model`, async () => {
        const all = subscribe(transport, server.url, PROJECT_EVENTS, { projectId: b.projectId, after: START_CURSOR }, { token: outsiderToken });
        const aimed = subscribe(transport, server.url, STAGE_CHANGES, { projectId: b.projectId, modelId: fx.model.id, after: START_CURSOR }, { token: outsiderToken });
        const stages = subscribe(transport, server.url, STAGE_CHANGES, { projectId: b.projectId, after: START_CURSOR }, { token: outsiderToken });
        try {
          await all.waitForCount(1);
          // Events of A first, then one of B: the subscriptions deliver in log order, so once B's arrives, A's were passed over.
          const aVersion = await createVersion(admin, fx.model.id);
          await transition(admin, { modelVersionId: aVersion.id, stage: "STAGING" });
          const aModel = await createModel(admin, fx.project.id);
          const bVersion = await createVersion(outsider, b.modelId);
          await transition(outsider, { modelVersionId: bVersion.id, stage: "STAGING" });
          await all.waitFor((e) => e.type === "MODEL_VERSION_STAGE_CHANGED" && e.modelId === b.modelId);
          await stages.waitFor((e) => e.modelVersion.id === bVersion.id);
          expect(all.events.every((e) => e.data.projectId === b.projectId)).toBe(true);
          expect(all.events.some((e) => e.data.modelId === aModel.id)).toBe(false);
          expect(stages.events.every((e) => e.data.model.id === b.modelId)).toBe(true);
          expect(aimed.events).toEqual([]);
          expect(aimed.errors).toEqual([]);
        } finally {
          await Promise.all([all.close(), aimed.close(), stages.close()]);
        }
      });

      it(`over ${transport}: a member removed while subscribed stops receiving`, async () => {
        const member = await memberOfA("VIEWER");
        const sub = subscribe(transport, server.url, PROJECT_EVENTS, { projectId: fx.project.id, after: START_CURSOR }, { token: member.token });
        try {
          await sub.waitForCount(1);
          const before = await createModel(admin, fx.project.id);
          await sub.waitFor((e) => e.modelId === before.id);
          await mutate(admin, "removeProjectMember", "RemoveProjectMemberInput", { projectId: fx.project.id, userId: member.id }, "project { id }");
          const after = await createModel(admin, fx.project.id);
          await sub.waitEnded();
          expect(sub.events.some((e) => e.data.modelId === after.id)).toBe(false);
        } finally {
          await sub.close();
        }
      });

      it(`over ${transport}: revoking the token ends its subscriptions`, async () => {
        const member = await memberOfA("VIEWER");
        const sub = subscribe(transport, server.url, PROJECT_EVENTS, { projectId: fx.project.id, after: START_CURSOR }, { token: member.token });
        try {
          await sub.waitForCount(1);
          await mutate(member.client, "revokeApiToken", "RevokeApiTokenInput", { id: member.tokenId }, "apiToken { id }");
          const after = await createModel(admin, fx.project.id);
          await sub.waitEnded();
          expect(sub.events.some((e) => e.data.modelId === after.id)).toBe(false);
        } finally {
          await sub.close();
        }
      });
    }
  });

  describe("artifacts", () => {
    const artifactUrl = (id: string) => `${server.url}/artifacts/${encodeURIComponent(id)}`;
    const get = async (id: string, token: string, method = "GET") => {
      const response = await fetch(artifactUrl(id), { method, headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, text: await response.text() };
    };

    it("GET and HEAD of another project's resource answer 404 (not 403), like a resource that never existed", async () => {
      const [real, none, head, control] = await Promise.all([
        get(fx.resource.id, outsiderToken),
        get(unknownId("Resource"), outsiderToken),
        get(fx.resource.id, outsiderToken, "HEAD"),
        get(fx.resource.id, fx.users.viewer.token),
      ]);
      expect([real.status, head.status, control.status]).toEqual([404, 404, 200]);
      expect(blank(real.text, fx.resource.id)).toBe(blank(none.text, unknownId("Resource")));
      for (const name of fx.secretNames) expect(real.text).not.toContain(name);
    });

    it("PUT to another project's pending resource answers 404 and stores nothing", async () => {
      const pending = await fx.fresh.resource(false);
      const response = await fetch(artifactUrl(pending), { method: "PUT", body: "bytes", headers: { authorization: `Bearer ${outsiderToken}` } });
      expect(response.status).toBe(404);
      const after = await admin.request(`query($id: ID!) { node(id: $id) { ... on Resource { status } } }`, { id: pending });
      expect(after.node.status).toBe("PENDING");
    });

    it("download URLs are issued only to members and stop working for a member once removed", async () => {
      const query = `query($id: ID!) { node(id: $id) { ... on Resource { downloadUrl } } }`;
      expect((await outsider.request(query, { id: fx.resource.id })).node).toBeNull();
      const member = await memberOfA("VIEWER");
      const url = (await member.client.request(query, { id: fx.resource.id })).node.downloadUrl as string;
      expect(url).toMatch(/^http/);
      const fetchAs = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({ status: r.status, body: await r.text() }));
      expect((await fetchAs(member.token)).status).toBe(200);
      expect((await fetchAs(outsiderToken)).status).toBe(404);
      await mutate(admin, "removeProjectMember", "RemoveProjectMemberInput", { projectId: fx.project.id, userId: member.id }, "project { id }");
      expect((await fetchAs(member.token)).status).toBe(404);
      expect((await member.client.request(query, { id: fx.resource.id })).node).toBeNull();
    });
  });

  describe("tokens", () => {
    const TOKEN_FIELDS = `id name prefix createdAt expiresAt lastUsedAt revokedAt user { id }`;

    it("are random mg_ secrets shown once: later reads show only a prefix, and nothing else holds the secret", async () => {
      const created = await mutate(fx.users.viewer.client, "createApiToken", "CreateApiTokenInput", { name: "laptop" }, `token apiToken { ${TOKEN_FIELDS} }`);
      const again = await mutate(fx.users.viewer.client, "createApiToken", "CreateApiTokenInput", { name: "laptop" }, "token");
      expect(created.token).toMatch(/^mg_[A-Za-z0-9_-]{43}$/);
      expect(again.token).not.toBe(created.token);
      expect(created.token.startsWith(created.apiToken.prefix)).toBe(true);
      expect(created.apiToken.prefix.length).toBeLessThan(12);
      // The ApiToken type has no field that could carry the secret or its hash.
      const type = await admin.request(`{ __type(name: "ApiToken") { fields { name } } }`);
      expect(type.__type.fields.map((f: { name: string }) => f.name).sort()).toEqual(["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "user"]);
      const reads = await Promise.all([
        fx.users.viewer.client.raw(`query($id: ID!) { node(id: $id) { ... on ApiToken { ${TOKEN_FIELDS} } } viewer { tokens(first: 500) { nodes { ${TOKEN_FIELDS} } } } }`, { id: created.apiToken.id }),
        admin.raw(`query($id: ID!) { auditLog(first: 500, filter: { targetId: $id }) { nodes { action before after } } }`, { id: created.apiToken.id }),
        admin.raw(`{ auditLog(first: 500, filter: { action: "createApiToken" }) { nodes { after } } }`),
      ]);
      expect(reads[0].data.node.prefix).toBe(created.apiToken.prefix);
      expect(reads[1].data.auditLog.nodes.map((n: { action: string }) => n.action)).toEqual(["createApiToken"]);
      for (const read of reads) {
        expect(read.errors).toBeUndefined();
        expect(JSON.stringify(read)).not.toContain(created.token);
        expect(JSON.stringify(read)).not.toContain(createHash("sha256").update(created.token).digest("hex"));
        expect(JSON.stringify(read)).not.toMatch(/tokenHash/);
      }
    });

    it("are stored hashed (sha256), never in clear", async () => {
      const created = await mutate(fx.users.editor.client, "createApiToken", "CreateApiTokenInput", { name: "ci" }, "token apiToken { id }");
      const id = decodeGlobalId(created.apiToken.id)!.id;
      const row = await server.app.db.prisma.apiToken.findUniqueOrThrow({ where: { id } });
      expect(row.tokenHash).toBe(createHash("sha256").update(created.token).digest("hex"));
      expect(row.tokenHash).not.toBe(created.token);
      expect(JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(created.token.slice(10));
    });

    it("revoking one refuses it at once, over HTTP and on a WebSocket opened before", async () => {
      const member = await memberOfA("EDITOR");
      const ws = createClient({ url: `${server.url.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${member.token}` }, retryAttempts: 0, lazy: false });
      const overWs = (query: string, variables: Record<string, unknown> = {}) =>
        new Promise<{ data?: any; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>((resolve) => {
          let result: any;
          ws.subscribe({ query, variables }, { next: (r) => (result = r), error: (e) => resolve({ errors: Array.isArray(e) ? e : [{ message: describeError(e) }] }), complete: () => resolve(result) });
        });
      try {
        expect((await overWs(`{ viewer { id } }`)).data.viewer.id).toBe(member.id);
        // Mutations work over the WebSocket too (and so must stop with the token).
        const created = await overWs(`mutation($i: CreateModelInput!) { createModel(input: $i) { __typename } }`, { i: { projectId: fx.project.id, name: uniqueName("ws") } });
        expect(created.data.createModel.__typename).toBe("CreateModelPayload");
        await mutate(member.client, "revokeApiToken", "RevokeApiTokenInput", { id: member.tokenId }, "apiToken { revokedAt }");
        const http = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${member.token}` }, body: JSON.stringify({ query: "{ viewer { id } }" }) });
        expect(http.status).toBe(401);
        expect(((await http.json()) as any).errors[0].message).toMatch(/revoked/);
        const refused = await overWs(`{ viewer { id } }`);
        expect(refused.data).toBeUndefined();
        // The same connection (never closed meanwhile) refuses the next operation.
        expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/revoked/), extensions: { code: "UNAUTHENTICATED" } });
        const mutation = await overWs(`mutation($i: CreateModelInput!) { createModel(input: $i) { __typename } }`, { i: { projectId: fx.project.id, name: uniqueName("ws") } });
        expect(mutation.data).toBeUndefined();
        expect((await fetch(`${server.url}/artifacts/${encodeURIComponent(fx.resource.id)}`, { headers: { authorization: `Bearer ${member.token}` } })).status).toBe(401);
      } finally {
        await ws.dispose();
      }
    });

    it("expire at expiresAt, which must lie in the future", async () => {
      const past = await fx.users.viewer.client.request(
        `mutation($input: CreateApiTokenInput!) { result: createApiToken(input: $input) { __typename ... on ValidationError { issues { path } } } }`,
        { input: { name: "past", expiresAt: new Date(Date.now() - 1000).toISOString() } },
      );
      expect(past.result).toEqual({ __typename: "ValidationError", issues: [{ path: ["input", "expiresAt"] }] });
      const expiresAt = Date.now() + 1_500;
      const { token } = await mutate(fx.users.viewer.client, "createApiToken", "CreateApiTokenInput", { name: "short", expiresAt: new Date(expiresAt).toISOString() }, "token");
      const use = () => fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: "{ viewer { id } }" }) });
      expect((await use()).status).toBe(200);
      await sleep(expiresAt - Date.now() + 200);
      const refused = await use();
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as any).errors[0].message).toMatch(/expired/);
    });

    it("record when they were last used", async () => {
      const started = Date.now();
      const created = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "fresh", userId: fx.users.other.id }, "token apiToken { id lastUsedAt }");
      expect(created.apiToken.lastUsedAt).toBeNull();
      await admin.as(created.token).request(`{ viewer { id } }`);
      const read = await admin.request(`query($id: ID!) { node(id: $id) { ... on ApiToken { lastUsedAt } } }`, { id: created.apiToken.id });
      const lastUsed = Date.parse(read.node.lastUsedAt);
      expect(lastUsed).toBeGreaterThanOrEqual(started - 1000);
      expect(lastUsed).toBeLessThanOrEqual(Date.now() + 1000);
    });
  });
});

describe.runIf(databaseAvailable)("the bootstrap administrator", () => {
  it("is the holder of MODELGRAPH_BOOTSTRAP_TOKEN when set (and no token file is written)", async () => {
    const server = await startTestServer();
    try {
      const admin = new GraphQLClient(server.url, undefined, ADMIN_TOKEN);
      expect((await admin.request(`{ viewer { name isAdmin } }`)).viewer).toEqual({ name: "admin", isAdmin: true });
      await expect(fs.access(path.join(server.dataDir, "bootstrap-token"))).rejects.toThrow();
      admin.close();
    } finally {
      await server.close();
    }
  });

  it("otherwise gets a generated token, printed once, written to DATA_DIR/bootstrap-token, and not printed again on restart", { timeout: 240_000 }, async () => {
    const db = await freshDatabase();
    try {
      const env = { ...db.env, MODELGRAPH_BOOTSTRAP_TOKEN: "" };
      const first = await startServerProcess(env, 120_000);
      let token: string;
      try {
        token = (await fs.readFile(path.join(db.dataDir, "bootstrap-token"), "utf8")).trim();
        expect(token).toMatch(/^mg_[A-Za-z0-9_-]{43}$/);
        expect((await fs.stat(path.join(db.dataDir, "bootstrap-token"))).mode & 0o777).toBe(0o600);
        expect(first.output().split(token).length - 1).toBe(1);
        const client = new GraphQLClient(first.url, undefined, token);
        expect((await client.request(`{ viewer { name isAdmin } }`)).viewer).toEqual({ name: "admin", isAdmin: true });
        client.close();
      } finally {
        await first.stop();
      }
      const second = await startServerProcess(env, 120_000);
      try {
        expect(second.output()).not.toContain(token);
        expect((await fs.readFile(path.join(db.dataDir, "bootstrap-token"), "utf8")).trim()).toBe(token);
        const client = new GraphQLClient(second.url, undefined, token);
        expect((await client.request(`{ viewer { name isAdmin } }`)).viewer).toEqual({ name: "admin", isAdmin: true });
        client.close();
      } finally {
        await second.stop();
      }
    } finally {
      await db.drop();
    }
  });
});
