import { inVisibleProjectWhere } from "../access/permissions.ts";
import { archiveModel, createModel, deprecateModel, updateModel } from "../services/models.ts";
import { GraphQLError } from "graphql";
import { LATEST_ALIAS } from "../domain/aliases.ts";
import { versionAliasedAt } from "../services/aliases.ts";
import { versionHolding } from "../services/history.ts";
import { builder } from "./builder.ts";
import { KeyValueInput, KeyValueRef, ObjectStatusEnum, OrderDirectionEnum, SettableStatusEnum, StageEnum, tagsField } from "./common.ts";
import { COMMON_ERRORS, NameConflictError } from "./errors.ts";
import { CURSOR_KEY } from "./cursors.ts";
import { ModelVersionFilter, ModelVersionOrder, versionListQuery, VERSION_LIST_CONNECTION } from "./versions.ts";

export const ModelRef = builder.prismaNode("Model", {
  select: { id: true, name: true, status: true, createdById: true },
  description: "A named model of a project; its versions move through stages.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique case-insensitively among the project's non-archived models." }),
    description: t.exposeString("description", { description: "Free text." }),
    status: t.expose("status", { type: ObjectStatusEnum, description: "ACTIVE, DEPRECATED or ARCHIVED." }),
    tags: t.field({ type: [KeyValueRef], description: "Tags.", select: { tags: true }, resolve: (m) => tagsField(m.tags) }),
    requireApprovalFor: t.field({
      type: [StageEnum],
      description: "Stages a version may only enter through an approved transition request.",
      select: { requireApprovalFor: true },
      resolve: (m) => m.requireApprovalFor,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Creation time." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change." }),
    project: t.relation("project", { description: "The owning project." }),
    createdBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who created it.",
      resolve: (query, m, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: m.createdById } }),
    }),
    versions: t.relatedConnection("versions", {
      description: "Versions, newest first by default; deleted ones left out unless asked.",
      cursor: "id",
      args: { filter: t.arg({ type: ModelVersionFilter }), orderBy: t.arg({ type: ModelVersionOrder }) },
      extensions: { [CURSOR_KEY]: "mixed" },
      query: (args) => versionListQuery(args),
    }, VERSION_LIST_CONNECTION),
    version: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description:
        "The version with this number (null if deleted, unless includeDeleted), or the one this alias points at (`latest`: the highest-numbered live version). Give exactly one of number and alias.",
      args: {
        number: t.arg.int({ description: "A version number." }),
        alias: t.arg.string({ description: "An alias of the model, or `latest`." }),
        includeDeleted: t.arg.boolean({ defaultValue: false, description: "With number: also a deleted version (tombstone)." }),
      },
      resolve: async (query, m, args, ctx) => {
        if ((args.number == null) === (args.alias == null)) throw new GraphQLError("Model.version: give exactly one of number and alias");
        if (args.alias != null) {
          if (args.alias === LATEST_ALIAS) {
            return ctx.prisma.modelVersion.findFirst({ ...query, where: { modelId: m.id, deletedAt: null }, orderBy: { number: "desc" } });
          }
          const alias = await ctx.prisma.modelAlias.findUnique({ where: { modelId_name: { modelId: m.id, name: args.alias } }, select: { modelVersionId: true } });
          return alias ? ctx.prisma.modelVersion.findUnique({ ...query, where: { id: alias.modelVersionId } }) : null;
        }
        // The row holds only the requested columns (see selected-columns.ts): a deleted one is left out by the query.
        const where = { modelId: m.id, number: args.number!, ...(args.includeDeleted ? {} : { deletedAt: null }) };
        return ctx.prisma.modelVersion.findFirst({ ...query, where });
      },
    }),
    latestVersion: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description: "The highest-numbered live version, optionally among some stages.",
      args: { stages: t.arg({ type: [StageEnum] }) },
      resolve: (query, m, args, ctx) =>
        ctx.prisma.modelVersion.findFirst({
          ...query,
          where: { modelId: m.id, deletedAt: null, ...(args.stages ? { stage: { in: args.stages } } : {}) },
          orderBy: { number: "desc" },
        }),
    }),
    productionVersion: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description: "The version in PRODUCTION, if any.",
      resolve: (query, m, _args, ctx) => ctx.prisma.modelVersion.findFirst({ ...query, where: { modelId: m.id, stage: "PRODUCTION" } }),
    }),
    versionAt: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description:
        "Which version held `stage` (the latest to enter it, for STAGING), or which version `alias` pointed at, at instant `at`. At the instant of a move the answer is its new target. Give exactly one of stage and alias (`latest`: the highest-numbered version existing and not deleted then).",
      args: {
        stage: t.arg({ type: StageEnum, description: "A stage." }),
        alias: t.arg.string({ description: "An alias, or `latest`." }),
        at: t.arg({ type: "DateTime", required: true, description: "The instant." }),
      },
      resolve: async (query, m, args, ctx) => {
        if ((args.stage == null) === (args.alias == null)) throw new GraphQLError("Model.versionAt: give exactly one of stage and alias");
        const id = args.alias != null ? await versionAliasedAt(ctx.prisma, m.id, args.alias, args.at) : await versionHolding(ctx.prisma, m.id, args.stage!, args.at);
        return id ? ctx.prisma.modelVersion.findUnique({ ...query, where: { id } }) : null;
      },
    }),
    stageHistory: t.relatedConnection("stageTransitions", {
      description: "Every stage move of every version of the model, oldest first (replayable).",
      cursor: "id",
      totalCount: true,
      args: { direction: t.arg({ type: OrderDirectionEnum, defaultValue: "ASC", description: "Order." }) },
      query: (args) => ({ orderBy: { seq: args.direction === "DESC" ? "desc" : "asc" } }),
    }),
  }),
});

// ---- mutations ----

const ModelPayload = (name: string) =>
  builder.objectRef<{ model: { id: string } }>(name).implement({
    description: "The model after the change.",
    fields: (t) => ({ model: t.field({ type: ModelRef, description: "The model.", resolve: (p) => p.model as never }) }),
  });

const CreateModelInput = builder.inputType("CreateModelInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The project." }),
    name: t.string({ required: true, description: "Pattern ^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$." }),
    description: t.string({ description: "≤ 32,768 characters." }),
    tags: t.field({ type: [KeyValueInput], description: "≤ 64 tags." }),
    requireApprovalFor: t.field({ type: [StageEnum], description: "Stages that need an approved request, e.g. [PRODUCTION]." }),
    protectedAliases: t.stringList({ description: "Aliases that only move through an approved request, e.g. [\"champion\"] (≤ 100; not `latest`)." }),
  }),
});

builder.mutationField("createModel", (t) =>
  t.field({
    type: ModelPayload("CreateModelPayload"),
    description: "Creates a model in a project.",
    args: { input: t.arg({ type: CreateModelInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ model: await createModel(ctx, input) }),
  }),
);

const UpdateModelInput = builder.inputType("UpdateModelInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The model." }),
    name: t.string({ description: "New name (renaming keeps the id)." }),
    description: t.string({ description: "New description." }),
    tags: t.field({ type: [KeyValueInput], description: "Replaces all tags." }),
    status: t.field({ type: SettableStatusEnum, description: "Deprecate or un-deprecate." }),
    requireApprovalFor: t.field({ type: [StageEnum], description: "New approval policy (ADMIN only)." }),
    protectedAliases: t.stringList({ description: "Replaces the protected aliases (ADMIN only)." }),
  }),
});

builder.mutationField("updateModel", (t) =>
  t.field({
    type: ModelPayload("UpdateModelPayload"),
    description: "Renames, re-describes, re-tags a model or changes its approval policy (gated stages, protected aliases).",
    args: { input: t.arg({ type: UpdateModelInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ model: await updateModel(ctx, input) }),
  }),
);

const ModelIdInput = (name: string) =>
  builder.inputType(name, { fields: (t) => ({ id: t.id({ required: true, description: "The model." }) }) });

builder.mutationField("deprecateModel", (t) =>
  t.field({
    type: ModelPayload("DeprecateModelPayload"),
    description: "Deprecates a model: still usable, hidden from default lists, reads warn.",
    args: { input: t.arg({ type: ModelIdInput("DeprecateModelInput"), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ model: await deprecateModel(ctx, input) }),
  }),
);

builder.mutationField("archiveModel", (t) =>
  t.field({
    type: ModelPayload("ArchiveModelPayload"),
    description: "Archives a model: read-only, no new versions, its name free again.",
    args: { input: t.arg({ type: ModelIdInput("ArchiveModelInput"), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ model: await archiveModel(ctx, input) }),
  }),
);
