// THE access table (DESIGN.md §3): for every Mutation field, every root Query field, every connection and every
// Subscription field, who may use it, and how to build a valid call of it against a prepared fixture project.
// table.test.ts tries each row with every identity (no token … instance admin) and fails when a schema field
// has no row here; audit.test.ts calls each mutation row once and checks the audit log.
//
// Adding a mutation: add `myMutation: [{ rule: role("EDITOR"), input: async (fx) => ({ … }) }]` to MUTATIONS.
// The input must succeed for every identity the rule allows, so build a fresh object (with `fx.fresh…`) when
// the mutation consumes or changes it for good (archive, delete, decide). Several rows per field are fine (e.g.
// "for another user"); `variant` names the row. Adding a connection or a root query: add "Type.field" to
// QUERIES with a document and a `seen` function that tells whether the fixture's object came back.
import { createHash, randomUUID } from "node:crypto";
import type { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { encodeGlobalId } from "../../server/src/domain/ids.ts";

export type Role = "VIEWER" | "EDITOR" | "ADMIN";
const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

// ---- identities ----

/** Everyone who knocks: four whose token fails, then valid tokens from outside the project up to an instance admin. */
export const IDENTITY_NAMES = ["noToken", "malformedToken", "revokedToken", "expiredToken", "nonMember", "VIEWER", "EDITOR", "ADMIN", "instanceAdmin"] as const;
export type IdentityName = (typeof IDENTITY_NAMES)[number];

export interface Identity {
  name: IdentityName;
  /** Sent as `Authorization: Bearer …`; null sends no header. */
  token: string | null;
  /** The user behind the token. Revoked and expired tokens belong to the project ADMIN: the token fails, not the person. */
  userId: string | null;
  /** Role in the fixture project (an instance admin acts as ADMIN); null outside it or when the token fails. */
  role: Role | null;
  isInstanceAdmin: boolean;
  authenticated: boolean;
  client: GraphQLClient;
}

// ---- rules ----

/** What someone without the right gets. Mutations answer with a result-union error; reads with null/empty or a top-level error. */
export type Refusal = "NotFoundError" | "hidden" | { forbidden: string | null };

export type Rule =
  /** A project action: members with at least `minRole`. Non-members are told the object does not exist (reads: null or
   * empty); members below it get ForbiddenError{requiredRole} (reads: `refusal`, by default null or empty). */
  | { minRole: Role; refusal?: Refusal }
  /** Anyone with a valid token (e.g. `viewer`, a token for yourself). */
  | { authenticated: true }
  /** Instance administrators only; everyone else gets `refusal`. */
  | { instanceAdmin: true; refusal: Refusal }
  /** Nobody who tries (e.g. approving your own request): ForbiddenError{requiredRole}. */
  | { nobody: true; requiredRole: string | null };

export const role = (minRole: Role, refusal?: Refusal): Rule => (refusal ? { minRole, refusal } : { minRole });
export const AUTHENTICATED: Rule = { authenticated: true };
export const instanceAdminOnly = (refusal: Refusal): Rule => ({ instanceAdmin: true, refusal });

export type Operation = "mutation" | "query" | "subscription";

/**
 * The outcome DESIGN.md §3 prescribes, as a short label: "401" (refused before the API: HTTP 401, code
 * UNAUTHENTICATED), "ok", "NotFoundError" (naming only the id passed), "hidden" (null or empty, no error),
 * "ForbiddenError(<requiredRole>)" (a mutation's result) or "FORBIDDEN(<requiredRole>)" (a read's top-level error).
 */
export function expectedOutcome(rule: Rule, who: Identity, operation: Operation): string {
  if (!who.authenticated) return "401";
  const refused = (refusal: Refusal): string => {
    if (refusal === "hidden") return operation === "subscription" ? "NotFoundError" : "hidden";
    if (refusal === "NotFoundError") return operation === "mutation" ? "NotFoundError" : "hidden";
    return operation === "mutation" ? `ForbiddenError(${refusal.forbidden ?? "-"})` : `FORBIDDEN(${refusal.forbidden ?? "-"})`;
  };
  if ("authenticated" in rule) return "ok";
  if ("nobody" in rule) return refused({ forbidden: rule.requiredRole });
  if ("instanceAdmin" in rule) return who.isInstanceAdmin ? "ok" : refused(rule.refusal);
  if (who.isInstanceAdmin) return "ok";
  if (who.role === null) {
    // Forbidden for reads of something that never says whether it exists (the audit log of a project id).
    if (operation !== "mutation" && rule.refusal && typeof rule.refusal === "object") return refused(rule.refusal);
    return operation === "mutation" ? "NotFoundError" : refused("hidden");
  }
  if (RANK[who.role] >= RANK[rule.minRole]) return "ok";
  return operation === "mutation" ? `ForbiddenError(${rule.minRole})` : refused(rule.refusal ?? "hidden");
}

// ---- the fixture project ----

export interface Member {
  id: string;
  name: string;
  token: string;
  client: GraphQLClient;
}

export interface FixtureOptions {
  /** The client for a token (the audit test records every mutation its clients send). Default: `admin.as(token)`. */
  clientFor?(token: string, userId: string): GraphQLClient;
  /** Called after each successful artifact PUT, which is audited as uploadResourceBytes. */
  onUpload?(userId: string, requestId: string): void;
}

/** A project with one of everything, its members by role, and outsiders. Built through the API by the instance admin. */
export interface Fixture {
  url: string;
  /** The instance admin (bootstrap token). */
  admin: GraphQLClient;
  adminUserId: string;
  project: { id: string; name: string };
  users: { viewer: Member; editor: Member; admin: Member; requester: Member; outsider: Member; other: Member };
  experiment: { id: string; name: string };
  /** RUNNING. */
  iteration: { id: string };
  model: { id: string; name: string };
  /** Its policy gates PRODUCTION. */
  policyModel: { id: string; name: string };
  /** READY, produced by `iteration`. */
  resource: { id: string; name: string };
  /** Of `model`, with `iteration` and `resource`. */
  version: { id: string };
  /** Derived from `version`. */
  childVersion: { id: string };
  /** Of `model`, moved to STAGING by `transition`. */
  stagedVersion: { id: string };
  transition: { id: string };
  /** `model`'s alias `champion`, pointing at `version`, and its recorded move. */
  aliasChange: { id: string };
  /** `version` DEPLOYED to the environment "prod". */
  deployment: { id: string };
  /** A log line of `model` about `version`. */
  log: { id: string };
  /** PENDING, asked by `users.requester`, for a version of `policyModel`. */
  request: { id: string; versionId: string };
  webhook: { id: string };
  delivery: { id: string };
  /** A token of `users.other`. */
  otherToken: { id: string };
  /** Every name in the project: none may appear in an error shown to a non-member. */
  secretNames: string[];
  options: FixtureOptions;
  fresh: FreshObjects;
}

/** Objects made on demand (by the instance admin) for calls that consume theirs. */
export interface FreshObjects {
  /** A project with the fixture's VIEWER, EDITOR and ADMIN members. */
  project(): Promise<string>;
  experiment(): Promise<string>;
  iteration(): Promise<string>;
  model(extra?: Record<string, unknown>): Promise<string>;
  version(modelId?: string): Promise<string>;
  /** A model whose version was in PRODUCTION and left it (so it can roll back); `policy` then gates PRODUCTION. */
  modelWithProductionHistory(policy?: boolean): Promise<string>;
  /** A new alias of `model` pointing at `version`; returns its name. */
  alias(): Promise<string>;
  /** A PENDING request (into STAGING) for a new version of `policyModel`, asked by `by` (default: users.requester). */
  request(by?: GraphQLClient): Promise<string>;
  /** A READY resource (declared and uploaded), or a PENDING one with `upload: false`. */
  resource(upload?: boolean): Promise<string>;
  user(): Promise<string>;
  /** A new user who is a member of the project with `role`. */
  member(role: Role): Promise<string>;
  token(userId: string): Promise<string>;
  webhook(): Promise<string>;
}

/** Webhooks of the fixture post here: a name that never resolves (RFC 6761), so deliveries just fail and retry. */
export const WEBHOOK_URL = "http://modelgraph-access-tests.invalid/hook";

async function createUserWithToken(fx: { admin: GraphQLClient; options: FixtureOptions }, prefix: string): Promise<Member> {
  const name = uniqueName(prefix);
  const user = (await mutate(fx.admin, "createUser", "CreateUserInput", { name }, "user { id }")).user;
  const { token } = await mutate(fx.admin, "createApiToken", "CreateApiTokenInput", { name: "access tests", userId: user.id }, "token");
  return { id: user.id, name, token, client: clientFor(fx, token, user.id) };
}

function clientFor(fx: { admin: GraphQLClient; options: FixtureOptions }, token: string, userId: string): GraphQLClient {
  return fx.options.clientFor?.(token, userId) ?? fx.admin.as(token);
}

async function addMember(admin: GraphQLClient, projectId: string, userId: string, role: Role): Promise<void> {
  await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId, role }, "project { id }");
}

/** Declares a resource in the project and, unless `upload` is false, PUTs its bytes (READY). */
async function declareResource(fx: Pick<Fixture, "admin" | "adminUserId" | "options">, projectId: string, extra: Record<string, unknown> = {}, upload = true) {
  const bytes = Buffer.from(`access test artifact ${randomUUID()}`);
  const input = { projectId, name: `weights-${randomUUID().slice(0, 8)}.onnx`, sizeBytes: String(bytes.length), sha256: createHash("sha256").update(bytes).digest("hex"), ...extra };
  const declared = await mutate(fx.admin, "createResourceUpload", "CreateResourceUploadInput", input, "resource { id name } uploadUrl");
  if (upload) {
    const requestId = randomUUID();
    const response = await fetch(declared.uploadUrl, { method: "PUT", body: new Uint8Array(bytes), headers: { ...fx.admin.authHeaders, "x-request-id": requestId } });
    if (!response.ok) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
    fx.options.onUpload?.(fx.adminUserId, requestId);
  }
  return declared.resource as { id: string; name: string };
}

async function requestTransition(client: GraphQLClient, modelVersionId: string, stage = "STAGING"): Promise<string> {
  return (await mutate(client, "requestModelVersionTransition", "RequestModelVersionTransitionInput", { modelVersionId, stage }, "transitionRequest { id }")).transitionRequest.id;
}

async function moveTo(client: GraphQLClient, modelVersionId: string, stage: string) {
  const result = await transition(client, { modelVersionId, stage });
  if (result.__typename !== "TransitionModelVersionStagePayload") throw new Error(`transition to ${stage}: ${result.__typename} ${result.message}`);
  return result as { transition: { id: string } };
}

export async function buildFixture(url: string, admin: GraphQLClient, options: FixtureOptions = {}): Promise<Fixture> {
  const adminUserId = (await admin.request(`{ viewer { id } }`)).viewer.id as string;
  const base = { admin, adminUserId, options };
  const project = await createProject(admin);
  const [viewer, editor, projectAdmin, requester, outsider, other] = await Promise.all(
    ["viewer", "editor", "padmin", "requester", "outsider", "other"].map((prefix) => createUserWithToken(base, prefix)),
  );
  await Promise.all([
    addMember(admin, project.id, viewer!.id, "VIEWER"),
    addMember(admin, project.id, editor!.id, "EDITOR"),
    addMember(admin, project.id, projectAdmin!.id, "ADMIN"),
    addMember(admin, project.id, requester!.id, "EDITOR"),
  ]);
  // The webhook first, so that the events below queue deliveries to it.
  const webhook = (await mutate(admin, "createWebhook", "CreateWebhookInput", { projectId: project.id, url: WEBHOOK_URL }, "webhook { id }")).webhook;
  const experiment = await createExperiment(admin, project.id);
  const iteration = await createIteration(admin, experiment.id, [{ key: "lr", value: "0.1" }]);
  const model = await createModel(admin, project.id);
  const policyModel = await createModel(admin, project.id, { requireApprovalFor: ["PRODUCTION"] });
  const resource = await declareResource(base, project.id, { iterationId: iteration.id });
  const version = await createVersion(admin, model.id, { iterationId: iteration.id, resourceId: resource.id, metrics: [{ name: "acc", value: 0.9 }] });
  const childVersion = await createVersion(admin, model.id, { parentVersionId: version.id, metrics: [{ name: "acc", value: 0.95 }] });
  const stagedVersion = await createVersion(admin, model.id);
  const moved = await moveTo(admin, stagedVersion.id, "STAGING");
  const aliasSet = await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: model.id, alias: "champion", modelVersionId: version.id }, "change { id }");
  const deployment = (await mutate(admin, "reportDeployment", "ReportDeploymentInput", { modelVersionId: version.id, environment: "prod", status: "DEPLOYED" }, "deployment { id }")).deployment;
  const log = (await mutate(admin, "addModelLog", "AddModelLogInput", { modelId: model.id, modelVersionId: version.id, message: "deployed to prod", success: true }, "log { id }")).log;
  const requestedVersion = await createVersion(admin, policyModel.id);
  const requestId = await requestTransition(requester!.client, requestedVersion.id);
  const deliveries = (
    await admin.request(`query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 1) { nodes { id } } } } }`, { id: webhook.id })
  ).node.deliveries.nodes as { id: string }[];
  if (!deliveries[0]) throw new Error("the fixture's webhook has no delivery");
  const otherToken = (await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "other's", userId: other!.id }, "apiToken { id }")).apiToken;

  const fx: Fixture = {
    url,
    admin,
    adminUserId,
    project,
    users: { viewer: viewer!, editor: editor!, admin: projectAdmin!, requester: requester!, outsider: outsider!, other: other! },
    experiment,
    iteration,
    model,
    policyModel,
    resource,
    version,
    childVersion,
    stagedVersion,
    transition: { id: moved.transition.id },
    aliasChange: { id: aliasSet.change.id },
    deployment,
    log,
    request: { id: requestId, versionId: requestedVersion.id },
    webhook,
    delivery: deliveries[0],
    otherToken,
    secretNames: [project.name, experiment.name, model.name, policyModel.name, resource.name],
    options,
    fresh: undefined as never,
  };
  fx.fresh = {
    async project() {
      const id = (await createProject(admin)).id;
      await Promise.all([addMember(admin, id, viewer!.id, "VIEWER"), addMember(admin, id, editor!.id, "EDITOR"), addMember(admin, id, projectAdmin!.id, "ADMIN")]);
      return id;
    },
    experiment: async () => (await createExperiment(admin, project.id)).id,
    iteration: async () => (await createIteration(admin, experiment.id)).id,
    model: async (extra = {}) => (await createModel(admin, project.id, extra)).id,
    version: async (modelId = model.id) => (await createVersion(admin, modelId)).id,
    async modelWithProductionHistory(policy = false) {
      const modelId = (await createModel(admin, project.id)).id;
      const versionId = await fx.fresh.version(modelId);
      for (const stage of ["STAGING", "PRODUCTION", "STAGING"]) await moveTo(admin, versionId, stage);
      if (policy) await mutate(admin, "updateModel", "UpdateModelInput", { id: modelId, requireApprovalFor: ["PRODUCTION"] }, "model { id }");
      return modelId;
    },
    async alias() {
      const alias = `a-${randomUUID().slice(0, 8)}`;
      await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: model.id, alias, modelVersionId: version.id }, "change { id }");
      return alias;
    },
    request: async (by = requester!.client) => requestTransition(by, await fx.fresh.version(policyModel.id)),
    resource: async (upload = true) => (await declareResource(base, project.id, {}, upload)).id,
    user: async () => (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("user") }, "user { id }")).user.id,
    async member(memberRole) {
      const userId = await fx.fresh.user();
      await addMember(admin, project.id, userId, memberRole);
      return userId;
    },
    token: async (userId) => (await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "to revoke", userId }, "apiToken { id }")).apiToken.id,
    webhook: async () => (await mutate(admin, "createWebhook", "CreateWebhookInput", { projectId: project.id, url: WEBHOOK_URL }, "webhook { id }")).webhook.id,
  };
  return fx;
}

/**
 * The identities of the table. The revoked and expired tokens belong to the project ADMIN; the expired one
 * expires `expiresInMs` after this call: await `expired` before using it.
 */
export async function buildIdentities(fx: Fixture, { expiresInMs = 3_000 } = {}): Promise<{ identities: Identity[]; expired: Promise<void> }> {
  const padmin = fx.users.admin;
  const revoked = await mutate(padmin.client, "createApiToken", "CreateApiTokenInput", { name: "revoked" }, "token apiToken { id }");
  await mutate(padmin.client, "revokeApiToken", "RevokeApiTokenInput", { id: revoked.apiToken.id }, "apiToken { id }");
  const expiresAt = Date.now() + expiresInMs;
  const expiring = await mutate(padmin.client, "createApiToken", "CreateApiTokenInput", { name: "expiring", expiresAt: new Date(expiresAt).toISOString() }, "token");
  const failing = (name: IdentityName, token: string | null, userId: string | null): Identity => ({
    name,
    token,
    userId,
    role: null,
    isInstanceAdmin: false,
    authenticated: false,
    client: fx.admin.as(token),
  });
  const member = (name: IdentityName, m: Member, memberRole: Role | null): Identity => ({
    name,
    token: m.token,
    userId: m.id,
    role: memberRole,
    isInstanceAdmin: false,
    authenticated: true,
    client: m.client,
  });
  const identities: Identity[] = [
    failing("noToken", null, null),
    failing("malformedToken", "mg_not*a*token", null),
    failing("revokedToken", revoked.token, padmin.id),
    failing("expiredToken", expiring.token, padmin.id),
    member("nonMember", fx.users.outsider, null),
    member("VIEWER", fx.users.viewer, "VIEWER"),
    member("EDITOR", fx.users.editor, "EDITOR"),
    member("ADMIN", fx.users.admin, "ADMIN"),
    { name: "instanceAdmin", token: fx.admin.token, userId: fx.adminUserId, role: "ADMIN", isInstanceAdmin: true, authenticated: true, client: fx.admin },
  ];
  const expired = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 250));
  return { identities, expired };
}

// ---- mutations ----

export interface MutationCase {
  /** Which situation this row tries, when a field has several. */
  variant?: string;
  rule: Rule;
  /** Only these identities (rows about a situation only some can be in, e.g. cancelling your own request). */
  identities?: readonly IdentityName[];
  /**
   * A valid input for `actor`: it succeeds whenever the rule allows the actor. The table builds one per allowed
   * identity, and one that every refused identity shares (a refusal changes nothing) unless `inputPerActor`.
   */
  input(fx: Fixture, actor: Identity): Promise<Record<string, unknown>>;
  /** The input depends on who calls (e.g. "your own request"): build it for each identity. */
  inputPerActor?: boolean;
}

const EDITOR = role("EDITOR");
const ADMIN = role("ADMIN");
const CAN_REQUEST: readonly IdentityName[] = ["EDITOR", "ADMIN", "instanceAdmin"];
const sha256Of = (text: string) => createHash("sha256").update(text).digest("hex");

export const MUTATIONS: Record<string, MutationCase[]> = {
  // projects (creating one is an instance-admin decision; the creator becomes its ADMIN)
  createProject: [{ rule: instanceAdminOnly({ forbidden: "instance admin" }), input: async () => ({ name: uniqueName("proj") }) }],
  updateProject: [{ rule: EDITOR, input: async (fx) => ({ id: fx.project.id, description: `updated ${randomUUID()}` }) }],
  archiveProject: [{ rule: ADMIN, input: async (fx) => ({ id: await fx.fresh.project() }) }],

  // experiments and training runs
  createExperiment: [{ rule: EDITOR, input: async (fx) => ({ projectId: fx.project.id, name: uniqueName("exp") }) }],
  updateExperiment: [{ rule: EDITOR, input: async (fx) => ({ id: fx.experiment.id, description: `updated ${randomUUID()}` }) }],
  archiveExperiment: [{ rule: ADMIN, input: async (fx) => ({ id: await fx.fresh.experiment() }) }],
  createIteration: [{ rule: EDITOR, input: async (fx) => ({ experimentId: fx.experiment.id, params: [{ key: "lr", value: "0.01" }] }) }],
  logIterationMetrics: [{ rule: EDITOR, input: async (fx) => ({ iterationId: fx.iteration.id, metrics: [{ name: "loss", value: 0.5, step: 1 }] }) }],
  finishIteration: [{ rule: EDITOR, input: async (fx) => ({ iterationId: await fx.fresh.iteration() }) }],

  // models
  createModel: [{ rule: EDITOR, input: async (fx) => ({ projectId: fx.project.id, name: uniqueName("model") }) }],
  updateModel: [
    { rule: EDITOR, input: async (fx) => ({ id: fx.model.id, description: `updated ${randomUUID()}` }) },
    { variant: "its approval policy", rule: ADMIN, input: async (fx) => ({ id: fx.policyModel.id, requireApprovalFor: ["PRODUCTION"] }) },
  ],
  deprecateModel: [{ rule: EDITOR, input: async (fx) => ({ id: await fx.fresh.model() }) }],
  archiveModel: [{ rule: ADMIN, input: async (fx) => ({ id: await fx.fresh.model() }) }],

  // versions and stages
  createModelVersion: [{ rule: EDITOR, input: async (fx) => ({ modelId: fx.model.id, metrics: [{ name: "acc", value: 0.5 }] }) }],
  updateModelVersion: [{ rule: EDITOR, input: async (fx) => ({ id: fx.version.id, description: `updated ${randomUUID()}` }) }],
  setTag: [
    { rule: EDITOR, input: async (fx) => ({ subjectId: fx.version.id, key: "reviewed-by", value: randomUUID() }) },
    { variant: "a model", rule: EDITOR, input: async (fx) => ({ subjectId: fx.model.id, key: "owner", value: randomUUID() }) },
  ],
  deleteTag: [{ rule: EDITOR, input: async (fx) => ({ subjectId: fx.version.id, key: "reviewed-by" }) }],
  deleteModelVersion: [{ rule: ADMIN, input: async (fx) => ({ id: await fx.fresh.version() }) }],
  transitionModelVersionStage: [{ rule: EDITOR, input: async (fx) => ({ modelVersionId: await fx.fresh.version(), stage: "STAGING" }) }],
  // aliases: moved like stages (EDITOR); the fixture's model carries them on `version`
  setModelAlias: [{ rule: EDITOR, input: async (fx) => ({ modelId: fx.model.id, alias: `a-${randomUUID().slice(0, 8)}`, modelVersionId: fx.version.id }) }],
  removeModelAlias: [{ rule: EDITOR, input: async (fx) => ({ modelId: fx.model.id, alias: await fx.fresh.alias() }) }],
  rollbackModel: [
    { rule: EDITOR, input: async (fx) => ({ modelId: await fx.fresh.modelWithProductionHistory() }) },
    // The emergency path skips the approval policy, so where PRODUCTION is gated it needs the approvers' role.
    { variant: "model whose policy gates PRODUCTION", rule: ADMIN, input: async (fx) => ({ modelId: await fx.fresh.modelWithProductionHistory(true) }) },
  ],

  // approvals: EDITORs ask, another ADMIN decides, the requester or an ADMIN withdraws
  requestModelVersionTransition: [
    { rule: EDITOR, input: async (fx) => ({ modelVersionId: await fx.fresh.version(fx.policyModel.id), stage: "STAGING" }) },
    { variant: "for an alias", rule: EDITOR, input: async (fx) => ({ modelVersionId: await fx.fresh.version(fx.policyModel.id), alias: "champion" }) },
  ],
  approveTransitionRequest: [
    { variant: "another member's request", rule: ADMIN, input: async (fx) => ({ requestId: await fx.fresh.request() }) },
    { variant: "your own request", rule: { nobody: true, requiredRole: null }, identities: ["ADMIN", "instanceAdmin"], inputPerActor: true, input: async (fx, actor) => ({ requestId: await fx.fresh.request(actor.client) }) },
  ],
  rejectTransitionRequest: [
    { variant: "another member's request", rule: ADMIN, input: async (fx) => ({ requestId: await fx.fresh.request(), comment: "no" }) },
    { variant: "your own request", rule: { nobody: true, requiredRole: null }, identities: ["ADMIN", "instanceAdmin"], inputPerActor: true, input: async (fx, actor) => ({ requestId: await fx.fresh.request(actor.client) }) },
  ],
  cancelTransitionRequest: [
    { variant: "another member's request", rule: ADMIN, input: async (fx) => ({ requestId: await fx.fresh.request() }) },
    { variant: "your own request", rule: EDITOR, identities: CAN_REQUEST, inputPerActor: true, input: async (fx, actor) => ({ requestId: await fx.fresh.request(actor.client) }) },
  ],

  // deployments and model logs (deployers use EDITOR tokens)
  reportDeployment: [
    { rule: EDITOR, input: async (fx) => ({ modelVersionId: fx.version.id, environment: `access-${randomUUID().slice(0, 8)}`, status: "DEPLOYED" }) },
  ],
  addModelLog: [{ rule: EDITOR, input: async (fx) => ({ modelId: fx.model.id, modelVersionId: fx.version.id, message: `step ${randomUUID()}`, success: true }) }],
  // promotion policies: an admin decision, like the approval policy (fresh models, so no other row meets the policy)
  setPromotionPolicy: [
    {
      rule: ADMIN,
      input: async (fx) => ({ modelId: await fx.fresh.model(), stage: "PRODUCTION", approvals: 2, metricGates: [{ metric: "acc", min: 0.5 }], mustBeatIncumbent: [{ metric: "acc", direction: "HIGHER_IS_BETTER" }] }),
    },
    // an alias target: the same admin decision
    { rule: ADMIN, input: async (fx) => ({ modelId: await fx.fresh.model(), alias: "champion", approvals: 1, metricGates: [{ metric: "acc", min: 0.5 }] }) },
  ],
  removePromotionPolicy: [
    { rule: ADMIN, input: async (fx) => ({ modelId: await fx.fresh.model(), stage: "PRODUCTION" }) },
    { rule: ADMIN, input: async (fx) => ({ modelId: await fx.fresh.model(), alias: "champion" }) },
  ],

  // artifacts
  createResourceUpload: [
    { rule: EDITOR, input: async (fx) => ({ projectId: fx.project.id, name: "model.onnx", sizeBytes: "5", sha256: sha256Of(randomUUID()) }) },
  ],
  completeResourceUpload: [{ rule: EDITOR, input: async (fx) => ({ resourceId: await fx.fresh.resource() }) }],
  deleteResource: [{ rule: ADMIN, input: async (fx) => ({ id: await fx.fresh.resource(false) }) }],

  // users, tokens, members
  createUser: [{ rule: instanceAdminOnly({ forbidden: "instance admin" }), input: async () => ({ name: uniqueName("user") }) }],
  deactivateUser: [{ rule: instanceAdminOnly({ forbidden: "instance admin" }), input: async (fx) => ({ userId: await fx.fresh.user() }) }],
  reactivateUser: [{ rule: instanceAdminOnly({ forbidden: "instance admin" }), input: async (fx) => ({ userId: await fx.fresh.user() }) }],
  createApiToken: [
    { variant: "for yourself", rule: AUTHENTICATED, input: async () => ({ name: "mine", expiresAt: new Date(Date.now() + 3_600_000).toISOString() }) },
    { variant: "for another user", rule: instanceAdminOnly({ forbidden: "instance admin" }), input: async (fx) => ({ name: "theirs", userId: fx.users.other.id }) },
  ],
  revokeApiToken: [
    { variant: "your own token", rule: AUTHENTICATED, inputPerActor: true, input: async (fx, actor) => ({ id: await fx.fresh.token(actor.userId ?? fx.users.editor.id) }) },
    // Another user's tokens do not exist for you.
    { variant: "another user's token", rule: instanceAdminOnly("NotFoundError"), input: async (fx) => ({ id: await fx.fresh.token(fx.users.other.id) }) },
  ],
  addProjectMember: [{ rule: ADMIN, input: async (fx) => ({ projectId: fx.project.id, userId: await fx.fresh.user(), role: "VIEWER" }) }],
  updateProjectMember: [{ rule: ADMIN, input: async (fx) => ({ projectId: fx.project.id, userId: await fx.fresh.member("VIEWER"), role: "EDITOR" }) }],
  removeProjectMember: [{ rule: ADMIN, input: async (fx) => ({ projectId: fx.project.id, userId: await fx.fresh.member("VIEWER") }) }],

  // webhooks
  createWebhook: [{ rule: ADMIN, input: async (fx) => ({ projectId: fx.project.id, url: WEBHOOK_URL }) }],
  updateWebhook: [{ rule: ADMIN, input: async (fx) => ({ id: fx.webhook.id, url: WEBHOOK_URL }) }],
  deleteWebhook: [{ rule: ADMIN, input: async (fx) => ({ id: await fx.fresh.webhook() }) }],
};

/** The mutation document the tables send: the result's type, and what each error says. */
export function mutationDocument(field: string, inputType: string): string {
  return `mutation($input: ${inputType}!) {
    result: ${field}(input: $input) {
      __typename
      ... on Error { message }
      ... on ForbiddenError { requiredRole }
      ... on NotFoundError { kind ref }
    }
  }`;
}

/** `${Field}Payload`: the success member of a mutation's result union. */
export const payloadTypeOf = (field: string) => `${field.charAt(0).toUpperCase()}${field.slice(1)}Payload`;

// ---- reads: root fields and connections ----

/** "full": the fixture's objects came back; "none": nothing of them (null, empty); "partial": some (a leak or a bug). */
export type Seen = "full" | "none" | "partial";

export interface QueryCase {
  variant?: string;
  rule: Rule;
  identities?: readonly IdentityName[];
  query: string;
  variables(fx: Fixture, actor: Identity): Record<string, unknown>;
  seen(data: any, fx: Fixture, actor: Identity): Seen;
}

/** Compares what came back with what a reader allowed to see it would get. */
export function seenOf(expected: readonly string[], found: readonly (string | null | undefined)[]): Seen {
  const present = expected.filter((id) => found.includes(id)).length;
  if (present === expected.length && expected.length > 0) return "full";
  return present === 0 && found.every((id) => id == null) ? "none" : "partial";
}

/** Ids of the connection's nodes, or [] when the parent did not come back. */
const idsIn = (connection: { nodes?: { id: string }[] } | null | undefined) => (connection?.nodes ?? []).map((n) => n.id);

/** A connection of one object, reached through node(id): the object's child must be listed (or nothing at all). */
function connectionCase(type: string, field: string, parent: (fx: Fixture) => string, child: (fx: Fixture) => string, rule: Rule = role("VIEWER")): QueryCase {
  return {
    rule,
    query: `query($id: ID!) { node(id: $id) { ... on ${type} { list: ${field}(first: 100) { totalCount nodes { id } } } } }`,
    variables: (fx) => ({ id: parent(fx) }),
    seen: (data, fx) => {
      const list = data.node?.list;
      if (!list) return "none";
      if (list.totalCount === 0 && list.nodes.length === 0) return "none";
      return idsIn(list).includes(child(fx)) ? "full" : "partial";
    },
  };
}

const PROJECT_OBJECTS = ["project", "experiment", "iteration", "model", "version", "transition", "aliasChange", "request", "resource", "deployment", "log"] as const;

/** Every object of the fixture project that node(id) can load, for VIEWERs and up. */
function projectObjects(fx: Fixture): Record<(typeof PROJECT_OBJECTS)[number], string> {
  return {
    project: fx.project.id,
    experiment: fx.experiment.id,
    iteration: fx.iteration.id,
    model: fx.model.id,
    version: fx.version.id,
    transition: fx.transition.id,
    aliasChange: fx.aliasChange.id,
    request: fx.request.id,
    resource: fx.resource.id,
    deployment: fx.deployment.id,
    log: fx.log.id,
  };
}

const NODE_QUERY = `query(${PROJECT_OBJECTS.map((k) => `$${k}: ID!`).join(", ")}) {
  ${PROJECT_OBJECTS.map((k) => `${k}: node(id: $${k}) { id }`).join("\n  ")}
}`;

function singleNodeCase(rule: Rule, id: (fx: Fixture) => string, variant: string): QueryCase {
  return {
    variant,
    rule,
    query: `query($id: ID!) { node(id: $id) { id } }`,
    variables: (fx) => ({ id: id(fx) }),
    seen: (data, fx) => seenOf([id(fx)], [data.node?.id]),
  };
}

export const QUERIES: Record<string, QueryCase[]> = {
  "Query.viewer": [
    {
      rule: AUTHENTICATED,
      query: `{ viewer { id } }`,
      variables: () => ({}),
      seen: (data, _fx, actor) => (data.viewer?.id === actor.userId ? "full" : "partial"),
    },
  ],
  "Query.node": [
    {
      variant: "each kind of project object",
      rule: role("VIEWER"),
      query: NODE_QUERY,
      variables: (fx) => projectObjects(fx),
      seen: (data, fx) => {
        const expected = projectObjects(fx);
        return seenOf(Object.values(expected), PROJECT_OBJECTS.map((k) => data[k]?.id));
      },
    },
    // Webhook URLs can carry secrets: only the project's ADMINs see webhooks and their deliveries.
    singleNodeCase(role("ADMIN"), (fx) => fx.webhook.id, "a webhook"),
    singleNodeCase(role("ADMIN"), (fx) => fx.delivery.id, "a webhook delivery"),
    singleNodeCase(instanceAdminOnly("hidden"), (fx) => fx.otherToken.id, "another user's API token"),
  ],
  "Query.nodes": [
    {
      rule: role("VIEWER"),
      query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
      variables: (fx) => ({ ids: Object.values(projectObjects(fx)) }),
      seen: (data, fx) => seenOf(Object.values(projectObjects(fx)), (data.nodes ?? []).map((n: { id: string } | null) => n?.id)),
    },
  ],
  "Query.project": [
    {
      variant: "by id",
      rule: role("VIEWER"),
      query: `query($id: ID!) { project(by: { id: $id }) { id } }`,
      variables: (fx) => ({ id: fx.project.id }),
      seen: (data, fx) => seenOf([fx.project.id], [data.project?.id]),
    },
    {
      variant: "by name",
      rule: role("VIEWER"),
      query: `query($name: String!) { project(by: { name: $name }) { id } }`,
      variables: (fx) => ({ name: fx.project.name }),
      seen: (data, fx) => seenOf([fx.project.id], [data.project?.id]),
    },
  ],
  "Query.projects": [
    {
      rule: role("VIEWER"),
      query: `query($name: String!) { projects(first: 100, filter: { nameContains: $name, status: [ACTIVE, DEPRECATED, ARCHIVED] }) { totalCount nodes { id } } }`,
      variables: (fx) => ({ name: fx.project.name }),
      seen: (data, fx) => (data.projects.totalCount === 0 ? "none" : seenOf([fx.project.id], idsIn(data.projects))),
    },
  ],
  "Query.compareModelVersions": [
    {
      rule: role("VIEWER"),
      query: `query($a: ID!, $b: ID!) { compareModelVersions(a: $a, b: $b) { a { id } b { id } metrics { name delta } } }`,
      variables: (fx) => ({ a: fx.version.id, b: fx.childVersion.id }),
      seen: (data, fx) => seenOf([fx.version.id, fx.childVersion.id], [data.compareModelVersions?.a.id, data.compareModelVersions?.b.id]),
    },
  ],
  "Query.modelVersions": [
    {
      // Searches every project the viewer can see: a non-member's search finds nothing of the fixture's project.
      rule: role("VIEWER"),
      query: `{ modelVersions(first: 500, filter: { includeDeleted: true }, orderBy: { metric: "accuracy" }) { nodes { id } } }`,
      variables: () => ({}),
      seen: (data, fx) => seenOf([fx.version.id], data.modelVersions.nodes.map((n: { id: string }) => n.id).filter((id: string) => id === fx.version.id)),
    },
  ],
  "Query.auditLog": [
    {
      // Refused alike for every project id you do not administer, existing or not: the refusal says nothing about it.
      variant: "one project's entries",
      rule: role("ADMIN", { forbidden: "ADMIN" }),
      query: `query($projectId: ID!) { auditLog(first: 500, filter: { projectId: $projectId }) { nodes { projectId } } }`,
      variables: (fx) => ({ projectId: fx.project.id }),
      seen: (data, fx) => {
        const projectIds = (data.auditLog?.nodes ?? []).map((n: { projectId: string | null }) => n.projectId);
        return projectIds.length > 0 && projectIds.every((id: string | null) => id === fx.project.id) ? "full" : projectIds.length === 0 ? "none" : "partial";
      },
    },
    {
      variant: "every project's entries",
      rule: instanceAdminOnly({ forbidden: "ADMIN" }),
      query: `{ auditLog(first: 500) { nodes { projectId action } } }`,
      variables: () => ({}),
      seen: (data, fx) => {
        const projectIds = new Set((data.auditLog?.nodes ?? []).map((n: { projectId: string | null }) => n.projectId));
        return projectIds.has(fx.project.id) && projectIds.size > 1 ? "full" : projectIds.size === 0 ? "none" : "partial";
      },
    },
  ],

  // connections of the project's objects
  "Project.models": [connectionCase("Project", "models", (fx) => fx.project.id, (fx) => fx.model.id)],
  "Project.experiments": [connectionCase("Project", "experiments", (fx) => fx.project.id, (fx) => fx.experiment.id)],
  "Project.resources": [connectionCase("Project", "resources", (fx) => fx.project.id, (fx) => fx.resource.id)],
  "Project.modelVersions": [connectionCase("Project", "modelVersions", (fx) => fx.project.id, (fx) => fx.version.id)],
  "Project.transitionRequests": [connectionCase("Project", "transitionRequests", (fx) => fx.project.id, (fx) => fx.request.id)],
  "Project.webhooks": [connectionCase("Project", "webhooks", (fx) => fx.project.id, (fx) => fx.webhook.id, role("ADMIN"))],
  "Project.members": [
    {
      rule: role("VIEWER"),
      query: `query($id: ID!) { node(id: $id) { ... on Project { members(first: 100) { totalCount nodes { role user { id } } } } } }`,
      variables: (fx) => ({ id: fx.project.id }),
      seen: (data, fx) => {
        const members = data.node?.members;
        if (!members) return "none";
        return seenOf([fx.users.viewer.id, fx.users.admin.id], members.nodes.map((m: { user: { id: string } }) => m.user.id));
      },
    },
  ],
  "Model.versions": [connectionCase("Model", "versions", (fx) => fx.model.id, (fx) => fx.version.id)],
  "Model.stageHistory": [connectionCase("Model", "stageHistory", (fx) => fx.model.id, (fx) => fx.transition.id)],
  "Model.aliasHistory": [connectionCase("Model", "aliasHistory", (fx) => fx.model.id, (fx) => fx.aliasChange.id)],
  "Model.pendingTransitionRequests": [connectionCase("Model", "pendingTransitionRequests", (fx) => fx.policyModel.id, (fx) => fx.request.id)],
  "Model.deployments": [connectionCase("Model", "deployments", (fx) => fx.model.id, (fx) => fx.deployment.id)],
  "Model.logs": [connectionCase("Model", "logs", (fx) => fx.model.id, (fx) => fx.log.id)],
  "Model.environments": [
    {
      rule: role("VIEWER"),
      query: `query($id: ID!) { node(id: $id) { ... on Model { environments { name liveDeployment { id } } } } }`,
      variables: (fx) => ({ id: fx.model.id }),
      seen: (data, fx) => {
        const environments = (data.node?.environments ?? []) as { name: string; liveDeployment: { id: string } | null }[];
        if (environments.length === 0) return "none";
        return environments.some((e) => e.name === "prod" && e.liveDeployment?.id === fx.deployment.id) ? "full" : "partial";
      },
    },
  ],
  "Model.aliases": [
    {
      rule: role("VIEWER"),
      query: `query($id: ID!) { node(id: $id) { ... on Model { aliases { name version { id } } } } }`,
      variables: (fx) => ({ id: fx.model.id }),
      seen: (data, fx) => {
        const aliases = (data.node?.aliases ?? []) as { name: string; version: { id: string } }[];
        if (aliases.length === 0) return "none";
        return aliases.some((a) => a.name === "champion" && a.version.id === fx.version.id) ? "full" : "partial";
      },
    },
  ],
  "ModelVersion.promotionCheck": [
    {
      rule: role("VIEWER"),
      query: `query($id: ID!) { node(id: $id) { ... on ModelVersion { promotionCheck(stage: PRODUCTION) { allowed rules { rule passed } } } } }`,
      variables: (fx) => ({ id: fx.version.id }),
      seen: (data) => (data.node?.promotionCheck ? "full" : "none"),
    },
  ],
  "ModelVersion.deployments": [connectionCase("ModelVersion", "deployments", (fx) => fx.version.id, (fx) => fx.deployment.id)],
  "ModelVersion.childVersions": [connectionCase("ModelVersion", "childVersions", (fx) => fx.version.id, (fx) => fx.childVersion.id)],
  "ModelVersion.stageHistory": [connectionCase("ModelVersion", "stageHistory", (fx) => fx.stagedVersion.id, (fx) => fx.transition.id)],
  "ModelVersion.transitionRequests": [connectionCase("ModelVersion", "transitionRequests", (fx) => fx.request.versionId, (fx) => fx.request.id)],
  "Experiment.iterations": [connectionCase("Experiment", "iterations", (fx) => fx.experiment.id, (fx) => fx.iteration.id)],
  "Iteration.modelVersions": [connectionCase("Iteration", "modelVersions", (fx) => fx.iteration.id, (fx) => fx.version.id)],
  "Iteration.resources": [connectionCase("Iteration", "resources", (fx) => fx.iteration.id, (fx) => fx.resource.id)],
  "Resource.modelVersions": [connectionCase("Resource", "modelVersions", (fx) => fx.resource.id, (fx) => fx.version.id)],
  "Webhook.deliveries": [connectionCase("Webhook", "deliveries", (fx) => fx.webhook.id, (fx) => fx.delivery.id, role("ADMIN"))],
  "User.tokens": [
    {
      variant: "your own",
      rule: AUTHENTICATED,
      query: `{ viewer { id tokens(first: 100) { totalCount nodes { id user { id } } } } }`,
      variables: () => ({}),
      seen: (data) => {
        const nodes = (data.viewer?.tokens.nodes ?? []) as { user: { id: string } }[];
        return nodes.length > 0 && nodes.every((t) => t.user.id === data.viewer.id) ? "full" : nodes.length === 0 ? "none" : "partial";
      },
    },
    // A user is visible to everyone (a name to show), but their tokens are not.
    connectionCase("User", "tokens", (fx) => fx.users.other.id, (fx) => fx.otherToken.id, instanceAdminOnly("hidden")),
  ],
};

// ---- subscriptions ----

/** A cursor before every event: `after` it, a subscription first replays the project's log (cursors are `Event:<seq>`). */
export const START_CURSOR = encodeGlobalId("Event", 0);

export interface SubscriptionCase {
  variant?: string;
  rule: Rule;
  identities?: readonly IdentityName[];
  /** A subscription that, replaying the log from START_CURSOR, delivers at least one event of the fixture at once. */
  query: string;
  variables(fx: Fixture): Record<string, unknown>;
}

export const SUBSCRIPTIONS: Record<string, SubscriptionCase[]> = {
  "Subscription.projectEvents": [
    {
      rule: role("VIEWER"),
      query: `subscription($projectId: ID!, $after: String) { projectEvents(projectId: $projectId, after: $after) { cursor type projectId } }`,
      variables: (fx) => ({ projectId: fx.project.id, after: START_CURSOR }),
    },
  ],
  "Subscription.modelVersionStageChanged": [
    {
      rule: role("VIEWER"),
      query: `subscription($projectId: ID!, $after: String) { modelVersionStageChanged(projectId: $projectId, after: $after) { cursor toStage model { id } } }`,
      variables: (fx) => ({ projectId: fx.project.id, after: START_CURSOR }),
    },
  ],
  "Subscription.modelAliasChanged": [
    {
      rule: role("VIEWER"),
      query: `subscription($projectId: ID!, $after: String) { modelAliasChanged(projectId: $projectId, after: $after) { cursor alias kind model { id } toVersion { id } } }`,
      variables: (fx) => ({ projectId: fx.project.id, after: START_CURSOR }),
    },
  ],
};

/** A row's title: the field and, when it has several rows, the situation. */
export const caseTitle = (field: string, c: { variant?: string }) => (c.variant ? `${field} (${c.variant})` : field);

/** The identities a row applies to. */
export const identitiesOf = (c: { identities?: readonly IdentityName[] }, all: readonly Identity[]) => (c.identities ? all.filter((i) => c.identities!.includes(i.name)) : all);
