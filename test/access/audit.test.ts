// The audit log is complete (DESIGN.md §3, issue 5): a scripted session calls every mutation of the schema (each
// row of the access table) with the least-privileged identity allowed, plus artifact uploads; every request the
// session sends carries its own X-Request-Id and is recorded. Afterwards the log holds exactly one entry per
// successful mutation (and per upload), with the right action and actor, and nothing for failed ones. Only
// instance admins read the whole log; a project's ADMINs read their project's entries; everyone else is refused.
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import { buildClientSchema, getIntrospectionQuery, parse, type OperationDefinitionNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient, type GraphQLResponse } from "../support/client.ts";
import { createProject, mutate, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { buildFixture, buildIdentities, expectedOutcome, MUTATIONS, mutationDocument, payloadTypeOf, type Fixture, type Identity, type IdentityName } from "./rules.ts";

/** What the session did: one line per mutation field answered (or upload), by request id. */
interface Call {
  requestId: string;
  action: string;
  actorId: string;
  ok: boolean;
}

/**
 * A client that sends an X-Request-Id with every request and records each mutation field it gets an answer for:
 * a `…Payload` is a success, anything else (an error member, a top-level error) a failure.
 */
class RecordingClient extends GraphQLClient {
  constructor(
    url: string,
    agent: http.Agent,
    token: string | null,
    readonly actorId: string,
    readonly calls: Call[],
  ) {
    super(url, agent, token);
  }

  /** Another identity whose user is unknown here (failing tokens): whatever it does must fail. */
  override as(token: string | null): GraphQLClient {
    return new RecordingClient(this.url, this.agent, token, "unknown", this.calls);
  }

  override async raw<T = any>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    const requestId = randomUUID();
    const response = await super.raw<T>(query, variables, { "x-request-id": requestId, ...headers });
    const operation = parse(query).definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
    if (operation?.operation === "mutation") {
      for (const selection of operation.selectionSet.selections) {
        if (selection.kind !== "Field") continue;
        const result = (response.data as Record<string, any> | undefined)?.[selection.alias?.value ?? selection.name.value];
        if (result != null && typeof result.__typename !== "string") throw new Error(`select __typename of ${selection.name.value}: the audit test tells success by it`);
        this.calls.push({ requestId, action: selection.name.value, actorId: this.actorId, ok: typeof result?.__typename === "string" && result.__typename.endsWith("Payload") });
      }
    }
    return response;
  }
}

interface Entry {
  id: string;
  action: string;
  actor: { id: string } | null;
  targetType: string | null;
  targetId: string | null;
  projectId: string | null;
  requestId: string | null;
  before: string | null;
  after: string | null;
  at: string;
}

const ENTRY_FIELDS = `id action actor { id } targetType targetId projectId requestId before after at`;

/** The least-privileged identities first: a row is called by the first one it allows. */
const ACTOR_ORDER: IdentityName[] = ["nonMember", "VIEWER", "EDITOR", "ADMIN", "instanceAdmin"];

describe.runIf(databaseAvailable)("the audit log is complete", () => {
  let server: TestServer;
  const calls: Call[] = [];
  let reader: GraphQLClient;
  let fx: Fixture;
  let identities: Identity[];
  let mutationFields: string[];
  let log: Entry[];
  /** A project the fixture's project ADMIN is not in. */
  let elsewhere: string;

  /** Every entry, newest first, through the API's pagination. */
  async function readLog(client: GraphQLClient, filter: Record<string, unknown> = {}): Promise<Entry[]> {
    const entries: Entry[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (
        await client.request(`query($after: String, $filter: AuditLogFilter) { auditLog(first: 100, after: $after, filter: $filter) { nodes { ${ENTRY_FIELDS} } pageInfo { hasNextPage endCursor } } }`, {
          after,
          filter,
        })
      ).auditLog;
      entries.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return entries;
      after = page.pageInfo.endCursor;
    }
  }

  /** PUTs bytes to a declared resource as `who`, recorded like a mutation (it is audited as uploadResourceBytes). */
  async function upload(who: { token: string; id: string }, uploadUrl: string, bytes: Buffer): Promise<number> {
    const requestId = randomUUID();
    const response = await fetch(uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { authorization: `Bearer ${who.token}`, "x-request-id": requestId } });
    await response.arrayBuffer();
    calls.push({ requestId, action: "uploadResourceBytes", actorId: who.id, ok: response.ok });
    return response.status;
  }

  beforeAll(async () => {
    // The session's unauthenticated attempts would trip the failed-auth limiter (tested in table.test.ts).
    server = await startTestServer({ AUTH_FAILURE_LIMIT: "100000" });
    reader = new GraphQLClient(server.url);
    const schema = buildClientSchema(await reader.request(getIntrospectionQuery()));
    mutationFields = Object.keys(schema.getMutationType()!.getFields());
    const adminUserId = (await reader.request(`{ viewer { id } }`)).viewer.id as string;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const admin = new RecordingClient(server.url, agent, ADMIN_TOKEN, adminUserId, calls);
    fx = await buildFixture(server.url, admin, {
      clientFor: (token, userId) => new RecordingClient(server.url, agent, token, userId, calls),
      onUpload: (userId, requestId) => calls.push({ requestId, action: "uploadResourceBytes", actorId: userId, ok: true }),
    });
    identities = (await buildIdentities(fx)).identities;
    const byName = (name: IdentityName) => identities.find((w) => w.name === name)!;

    // Each row of the table once, by the least-privileged identity it allows (one after the other: a script).
    for (const [field, rows] of Object.entries(MUTATIONS)) {
      for (const row of rows) {
        const actor = ACTOR_ORDER.map(byName).find((w) => (!row.identities || row.identities.includes(w.name)) && expectedOutcome(row.rule, w, "mutation") === "ok");
        if (!actor) continue; // a row about a refusal (e.g. approving your own request)
        const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
        const result = (await actor.client.request(mutationDocument(field, inputType), { input: await row.input(fx, actor) })).result;
        expect(result.__typename, `${field} by ${actor.name}: ${result.message}`).toBe(payloadTypeOf(field));
      }
    }

    // An EDITOR uploads too (the fixture's uploads are the instance admin's).
    const bytes = Buffer.from(`editor's bytes ${randomUUID()}`);
    const declared = await mutate(fx.users.editor.client, "createResourceUpload", "CreateResourceUploadInput", {
      projectId: fx.project.id,
      name: "editor.bin",
      sizeBytes: String(bytes.length),
      sha256: createHash("sha256").update(bytes).digest("hex"),
    }, "uploadUrl");
    expect(await upload(fx.users.editor, declared.uploadUrl, bytes)).toBe(200);

    // Failures of every kind, which must leave no entry.
    for (const [field, rows] of Object.entries(MUTATIONS)) {
      for (const row of rows) {
        const refused = identities.filter((w) => (!row.identities || row.identities.includes(w.name)) && expectedOutcome(row.rule, w, "mutation") !== "ok");
        const inputType = `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`;
        // One authenticated refusal (the most privileged one) and one unauthenticated, per row.
        for (const w of [refused.filter((r) => r.authenticated).at(-1), refused.find((r) => !r.authenticated)]) {
          if (w) await w.client.raw(mutationDocument(field, inputType), { input: await row.input(fx, w) });
        }
      }
    }
    const policyVersion = (await mutate(fx.admin, "createModelVersion", "CreateModelVersionInput", { modelId: fx.policyModel.id }, "modelVersion { id }")).modelVersion.id;
    const invalid: [string, Record<string, unknown>][] = [
      ["createProject", { name: "-not a name-" }], // ValidationError
      ["createProject", { name: fx.project.name }], // NameConflictError
      ["transitionModelVersionStage", { modelVersionId: policyVersion, stage: "PRODUCTION" }], // InvalidStageTransitionError
      ["deleteResource", { id: fx.resource.id }], // ResourceInUseError
    ];
    for (const [field, input] of invalid) {
      const result = (await fx.admin.request(mutationDocument(field, `${field.charAt(0).toUpperCase()}${field.slice(1)}Input`), { input })).result;
      expect(result.__typename, field).not.toBe(payloadTypeOf(field));
    }
    const mismatched = await mutate(fx.users.editor.client, "createResourceUpload", "CreateResourceUploadInput", {
      projectId: fx.project.id,
      name: "wrong.bin",
      sizeBytes: "3",
      sha256: "0".repeat(64),
    }, "uploadUrl");
    expect(await upload(fx.users.editor, mismatched.uploadUrl, Buffer.from("abc"))).toBe(422);

    elsewhere = (await createProject(fx.admin, uniqueName("elsewhere"))).id;
    log = await readLog(reader);
  });
  afterAll(async () => {
    reader?.close();
    await server?.close();
  });

  it("the session called every mutation of the schema successfully, and uploaded bytes", () => {
    const succeeded = new Set(calls.filter((c) => c.ok).map((c) => c.action));
    expect(mutationFields.filter((f) => !succeeded.has(f))).toEqual([]);
    expect(succeeded.has("uploadResourceBytes")).toBe(true);
    // …with various actors.
    expect(new Set(calls.filter((c) => c.ok).map((c) => c.actorId)).size).toBeGreaterThanOrEqual(5);
  });

  it("holds exactly one entry per successful mutation or upload, with its action and actor", () => {
    const byRequest = new Map<string, Entry[]>();
    for (const entry of log) byRequest.set(entry.requestId ?? "none", [...(byRequest.get(entry.requestId ?? "none") ?? []), entry]);
    const succeeded = calls.filter((c) => c.ok);
    const mismatches: string[] = [];
    for (const call of succeeded) {
      const entries = byRequest.get(call.requestId) ?? [];
      const found = entries.map((e) => `${e.action} by ${e.actor?.id}`);
      if (found.length !== 1 || found[0] !== `${call.action} by ${call.actorId}`) mismatches.push(`${call.action} by ${call.actorId}: ${JSON.stringify(found)}`);
    }
    expect(mismatches).toEqual([]);
    // Nothing else: every entry belongs to one of them.
    const known = new Set(succeeded.map((c) => c.requestId));
    expect(log.filter((e) => !known.has(e.requestId ?? "none")).map((e) => `${e.action} (${e.requestId})`)).toEqual([]);
    expect(log.length).toBe(succeeded.length);
  });

  it("holds nothing for failed mutations (refused, invalid, conflicting, unauthenticated) or failed uploads", () => {
    const failed = calls.filter((c) => !c.ok);
    expect(failed.length).toBeGreaterThan(60);
    const failedIds = new Set(failed.map((c) => c.requestId));
    expect(log.filter((e) => failedIds.has(e.requestId ?? "none"))).toEqual([]);
  });

  it("records the target, its project, the change (without secrets) and the time of each entry", () => {
    for (const entry of log) {
      expect(entry.targetType, entry.action).toBeTruthy();
      expect(entry.targetId, entry.action).toBeTruthy();
      expect(Date.parse(entry.at)).not.toBeNaN();
      expect(entry.after ?? entry.before, entry.action).toBeTruthy();
      expect(`${entry.before}${entry.after}`).not.toMatch(/tokenHash|"secret"/);
    }
    const inProject = log.filter((e) => ["createModel", "updateModelVersion", "addProjectMember", "createWebhook", "uploadResourceBytes"].includes(e.action));
    expect(inProject.length).toBeGreaterThanOrEqual(5);
    for (const entry of inProject) expect(entry.projectId, entry.action).toMatch(/^prj_[A-Za-z0-9]{1,22}$/);
    expect(log.find((e) => e.action === "createModel" && e.targetId === fx.model.id)?.projectId).toBe(fx.project.id);
    expect(log.filter((e) => e.action === "addProjectMember").every((e) => e.projectId === e.targetId)).toBe(true);
    const update = log.find((e) => e.action === "updateModelVersion" && e.targetId === fx.version.id)!;
    expect(JSON.parse(update.after!).description).not.toBe(JSON.parse(update.before!).description);
    for (const token of identities.map((w) => w.token).filter((t): t is string => !!t)) expect(JSON.stringify(log)).not.toContain(token);
  });

  it("filters by project, actor, action, target and time", async () => {
    const editor = fx.users.editor.id;
    expect((await readLog(reader, { actorId: editor })).map((e) => e.id)).toEqual(log.filter((e) => e.actor?.id === editor).map((e) => e.id));
    expect((await readLog(reader, { action: "createModel" })).map((e) => e.id)).toEqual(log.filter((e) => e.action === "createModel").map((e) => e.id));
    expect((await readLog(reader, { targetId: fx.model.id })).map((e) => e.id)).toEqual(log.filter((e) => e.targetId === fx.model.id).map((e) => e.id));
    expect((await readLog(reader, { projectId: fx.project.id })).map((e) => e.id)).toEqual(log.filter((e) => e.projectId === fx.project.id).map((e) => e.id));
    const middle = log[Math.floor(log.length / 2)]!.at;
    const [newer, older] = await Promise.all([readLog(reader, { after: middle }), readLog(reader, { before: middle })]);
    expect(newer.length + older.length).toBe(log.length);
    expect(newer.every((e) => e.at >= middle) && older.every((e) => e.at < middle)).toBe(true);
  });

  it("is read whole by instance admins, per project by the project's ADMINs, and by nobody else", async () => {
    const query = `query($filter: AuditLogFilter) { auditLog(first: 500, filter: $filter) { nodes { id projectId } } }`;
    const code = async (client: GraphQLClient, filter: Record<string, unknown> | null) => {
      const response = await client.raw(query, { filter });
      return response.errors ? `${response.errors[0]!.extensions?.code}(${response.errors[0]!.extensions?.requiredRole})` : `${response.data.auditLog.nodes.length} entries`;
    };
    const own = log.filter((e) => e.projectId === fx.project.id).length;
    const u = fx.users;
    const plain = (m: { token: string }) => new GraphQLClient(server.url, undefined, m.token);
    const [padmin, editor, viewer, outsider] = [plain(u.admin), plain(u.editor), plain(u.viewer), plain(u.outsider)];
    expect({
      padminOwnProject: await code(padmin, { projectId: fx.project.id }),
      padminWhole: await code(padmin, null),
      padminOtherProject: await code(padmin, { projectId: elsewhere }),
      editor: await code(editor, { projectId: fx.project.id }),
      viewer: await code(viewer, { projectId: fx.project.id }),
      outsider: await code(outsider, { projectId: fx.project.id }),
    }).toEqual({
      padminOwnProject: `${Math.min(own, 500)} entries`,
      padminWhole: "FORBIDDEN(ADMIN)",
      padminOtherProject: "FORBIDDEN(ADMIN)",
      editor: "FORBIDDEN(ADMIN)",
      viewer: "FORBIDDEN(ADMIN)",
      outsider: "FORBIDDEN(ADMIN)",
    });
    const seen = (await padmin.request(query, { filter: { projectId: fx.project.id } })).auditLog.nodes as { projectId: string }[];
    expect(seen.every((e) => e.projectId === fx.project.id)).toBe(true);
    for (const client of [padmin, editor, viewer, outsider]) client.close();
  });
});
