// Deployments and model logs (DESIGN.md §1): what deployers report, where each version is live, and the
// operational log of a model. Writes go through services/deployments.ts.
import { inVisibleProjectWhere } from "../access/permissions.ts";
import { MAX_ENVIRONMENTS_PER_MODEL } from "../domain/rules.ts";
import type { Deployment } from "../generated/prisma/client.ts";
import { addModelLog, reportDeployment, type ReportDeploymentOutcome } from "../services/deployments.ts";
import { builder } from "./builder.ts";
import { DeploymentStatusEnum } from "./common.ts";
import { deploymentWhere, modelLogWhere } from "./deployment-filters.ts";
import { COMMON_ERRORS, InvalidDeploymentTransitionError } from "./errors.ts";

const newestFirst = [{ startedAt: "desc" as const }, { id: "desc" as const }];

export const DeploymentRef = builder.prismaNode("Deployment", {
  description: "One attempt to deploy a model version to an environment, as its deployer reported it.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    environment: t.exposeString("environment", { description: "Where, e.g. `prod-eu`." }),
    status: t.expose("status", { type: DeploymentStatusEnum, description: "Where the attempt stands." }),
    message: t.exposeString("message", { nullable: true, description: "The deployer's message with its latest report (e.g. why it FAILED)." }),
    startedAt: t.expose("startedAt", { type: "DateTime", description: "First report of this attempt." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Latest report (or retirement)." }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true, description: "When it became DEPLOYED or FAILED." }),
    retiredAt: t.expose("retiredAt", { type: "DateTime", nullable: true, description: "When another deployment to the environment replaced it." }),
    model: t.relation("model", { description: "The model." }),
    modelVersion: t.relation("modelVersion", { description: "The version deployed." }),
    reportedBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who sent the latest report.",
      resolve: (query, d, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: d.reportedById } }),
    }),
  }),
});

export const ModelLogRef = builder.prismaNode("ModelLog", {
  description: "An operational log line of a model (a pipeline step, a failed health check). Never edited.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    message: t.exposeString("message", { description: "What happened." }),
    success: t.exposeBoolean("success", { description: "Whether the step succeeded." }),
    at: t.expose("at", { type: "DateTime", description: "When it was logged." }),
    model: t.relation("model", { description: "The model." }),
    modelVersion: t.relation("modelVersion", { nullable: true, description: "The version it is about, if any." }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who logged it.",
      resolve: (query, l, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: l.actorId } }),
    }),
  }),
});

export const DeploymentFilter = builder.inputType("DeploymentFilter", {
  description: "Filters deployments (all conditions must hold).",
  fields: (t) => ({
    environment: t.string({ description: "Only this environment." }),
    status: t.field({ type: DeploymentStatusEnum, description: "Only this status (DEPLOYED: the live ones)." }),
    modelVersionId: t.id({ description: "Only deployments of this version." }),
  }),
});

export const ModelLogFilter = builder.inputType("ModelLogFilter", {
  description: "Filters model log lines.",
  fields: (t) => ({
    success: t.boolean({ description: "Only successful (true) or failed (false) steps." }),
    modelVersionId: t.id({ description: "Only lines about this version." }),
  }),
});

interface Environment {
  name: string;
  live: Deployment | null;
  last: Deployment;
}

const EnvironmentRef = builder.objectRef<Environment>("Environment").implement({
  description: "An environment a model has been deployed to: what is live there and the latest attempt.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The environment, e.g. `prod-eu`." }),
    liveVersion: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description: "The version DEPLOYED there now (null when none is, e.g. the only attempt FAILED).",
      resolve: (query, e, _args, ctx) => (e.live ? ctx.prisma.modelVersion.findUnique({ ...query, where: { id: e.live.modelVersionId } }) : null),
    }),
    liveDeployment: t.field({ type: DeploymentRef, nullable: true, description: "The DEPLOYED deployment there now.", resolve: (e) => e.live }),
    lastDeployment: t.field({ type: DeploymentRef, description: "The most recently started attempt there (of any status).", resolve: (e) => e.last }),
  }),
});

builder.prismaObjectFields("Model", (t) => ({
  environments: t.field({
    type: [EnvironmentRef],
    description: `Every environment the model has been deployed to (at most ${MAX_ENVIRONMENTS_PER_MODEL}), by name.`,
    resolve: async (m, _args, ctx) => {
      // The newest attempt of each environment in one statement (DISTINCT ON uses the (modelId, environment, startedAt) index).
      const newest = await ctx.prisma.$queryRaw<{ id: string }[]>`
        SELECT DISTINCT ON ("environment") "id" FROM "Deployment" WHERE "modelId" = ${m.id}
        ORDER BY "environment", "startedAt" DESC, "id" DESC LIMIT ${MAX_ENVIRONMENTS_PER_MODEL}`;
      const [last, live] = await Promise.all([
        ctx.prisma.deployment.findMany({ where: { id: { in: newest.map((r) => r.id) } } }),
        ctx.prisma.deployment.findMany({ where: { modelId: m.id, status: "DEPLOYED" } }),
      ]);
      const liveOf = new Map(live.map((d) => [d.environment, d]));
      return last
        .sort((a, b) => (a.environment < b.environment ? -1 : 1))
        .map((d) => ({ name: d.environment, live: liveOf.get(d.environment) ?? null, last: d }));
    },
  }),
  deployments: t.relatedConnection("deployments", {
    description: "Deployment attempts of the model's versions, newest first.",
    cursor: "id",
    totalCount: true,
    args: { filter: t.arg({ type: DeploymentFilter }) },
    query: (args) => ({ where: deploymentWhere(args.filter), orderBy: newestFirst }),
  }),
  logs: t.relatedConnection("logs", {
    description: "The model's operational log, newest first.",
    cursor: "id",
    totalCount: true,
    args: { filter: t.arg({ type: ModelLogFilter }) },
    query: (args) => ({ where: modelLogWhere(args.filter), orderBy: [{ at: "desc" }, { id: "desc" }] }),
  }),
}));

builder.prismaObjectFields("ModelVersion", (t) => ({
  deployments: t.relatedConnection("deployments", {
    description: "Deployment attempts of this version, newest first.",
    cursor: "id",
    totalCount: true,
    args: { filter: t.arg({ type: DeploymentFilter }) },
    query: (args) => ({ where: deploymentWhere(args.filter), orderBy: newestFirst }),
  }),
}));

// ---- mutations ----

const ReportDeploymentInput = builder.inputType("ReportDeploymentInput", {
  fields: (t) => ({
    modelVersionId: t.id({ required: true, description: "The version deployed (not deleted)." }),
    environment: t.string({ required: true, description: "Where: pattern ^[a-z][a-z0-9_-]{0,63}$, e.g. `prod-eu`." }),
    status: t.field({ type: DeploymentStatusEnum, required: true, description: "PENDING, DEPLOYING, DEPLOYED or FAILED (RETIRED is set by the registry)." }),
    message: t.string({ description: "What the deployer has to say, e.g. why it FAILED (≤ 4,096 characters)." }),
  }),
});

const ReportDeploymentPayload = builder.objectRef<ReportDeploymentOutcome>("ReportDeploymentPayload").implement({
  description: "The attempt the report created or updated, and the deployment it retired.",
  fields: (t) => ({
    deployment: t.field({ type: DeploymentRef, description: "The attempt, after the report.", resolve: (p) => p.deployment }),
    retired: t.field({
      type: [DeploymentRef],
      description: "The environment's previous live deployment, now RETIRED (empty unless the report was DEPLOYED and another was live).",
      resolve: (p) => p.retired,
    }),
  }),
});

builder.mutationField("reportDeployment", (t) =>
  t.field({
    type: ReportDeploymentPayload,
    description:
      "Reports a deployment of a version to an environment. Updates the version's open attempt there (PENDING → DEPLOYING → DEPLOYED | FAILED, skipping forward allowed) or, after DEPLOYED or FAILED, starts a new one. DEPLOYED retires the environment's previous live deployment of the model in the same transaction.",
    args: { input: t.arg({ type: ReportDeploymentInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, InvalidDeploymentTransitionError] },
    resolve: (_root, { input }, ctx) => reportDeployment(ctx, input),
  }),
);

const AddModelLogInput = builder.inputType("AddModelLogInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model." }),
    modelVersionId: t.id({ description: "A version of that model the line is about." }),
    message: t.string({ required: true, description: "What happened (1 to 4,096 characters)." }),
    success: t.boolean({ required: true, description: "Whether the step succeeded." }),
  }),
});

builder.mutationField("addModelLog", (t) =>
  t.field({
    type: builder.objectRef<{ log: { id: string } }>("AddModelLogPayload").implement({
      description: "The log line added.",
      fields: (f) => ({ log: f.field({ type: ModelLogRef, description: "The line.", resolve: (p) => p.log as never }) }),
    }),
    description: "Appends an operational log line to a model (a pipeline step, a failed health check). Lines are never edited.",
    args: { input: t.arg({ type: AddModelLogInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ log: await addModelLog(ctx, input) }),
  }),
);
