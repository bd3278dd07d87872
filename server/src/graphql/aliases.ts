// Model aliases (DESIGN.md §1 "Aliases"): the ModelAlias and AliasChange types, the alias fields of Model and
// ModelVersion, setModelAlias / removeModelAlias, and the modelAliasChanged subscription. `model.version(alias:)`
// and `model.versionAt(alias:, at:)` are in models.ts, next to their stage and number forms.
import { inVisibleProjectWhere } from "../access/permissions.ts";
import { decodeGlobalId } from "../domain/ids.ts";
import { removeModelAlias, setModelAlias, type AliasOutcome } from "../services/aliases.ts";
import type { Event } from "../generated/prisma/client.ts";
import { builder } from "./builder.ts";
import { OrderDirectionEnum } from "./common.ts";
import { ALIAS_ERRORS } from "./errors.ts";
import { eventCursor, projectEventStream, sharedEventRow } from "./events.ts";

builder.prismaObject("ModelAlias", {
  description: "A name pointing at one live version of a model (`champion`, `canary`). `latest` is computed, never listed.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Pattern ^[a-z][a-z0-9_-]{0,63}$; unique per model." }),
    version: t.relation("modelVersion", { description: "The version it points at." }),
    setAt: t.expose("setAt", { type: "DateTime", description: "When it was last moved." }),
    setBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who moved it last.",
      resolve: (query, a, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: a.setById } }),
    }),
    protected: t.boolean({
      description: "Whether it only moves through an approved transition request (the model's protectedAliases).",
      select: { model: { select: { protectedAliases: true } } },
      resolve: (a) => a.model.protectedAliases.includes(a.name),
    }),
  }),
});

builder.prismaNode("AliasChange", {
  description: "One recorded move of an alias: set (no `from`), moved, or removed (no `to`).",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...(ctx.viewer.isAdmin ? {} : { model: inVisibleProjectWhere(ctx.viewer) }) }),
  fields: (t) => ({
    alias: t.exposeString("alias", { description: "The alias." }),
    from: t.relation("fromVersion", { nullable: true, description: "The version it pointed at before (null: it was unset)." }),
    to: t.relation("toVersion", { nullable: true, description: "The version it points at after (null: it was removed)." }),
    comment: t.exposeString("comment", { nullable: true, description: "The actor's comment." }),
    at: t.expose("at", { type: "DateTime", description: "When; at this instant the alias already points at `to`." }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who moved it (for an approved request: the approver).",
      resolve: (query, c, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: c.actorId } }),
    }),
    transitionRequest: t.prismaField({
      type: "TransitionRequest",
      nullable: true,
      description: "The approved request that moved a protected alias, if any.",
      resolve: (query, c, _args, ctx) => (c.transitionRequestId ? ctx.prisma.transitionRequest.findUnique({ ...query, where: { id: c.transitionRequestId } }) : null),
    }),
  }),
});

// ---- reads ----

builder.prismaObjectField("Model", "aliases", (t) =>
  t.relation("aliases", {
    description: "The model's aliases, by name (at most 100). `latest` is not listed: read `version(alias: \"latest\")`.",
    query: { orderBy: { name: "asc" } },
  }),
);

builder.prismaObjectField("Model", "protectedAliases", (t) =>
  t.stringList({
    description: "Aliases that only move through an approved transition request (set or not yet).",
    select: { protectedAliases: true },
    resolve: (m) => m.protectedAliases,
  }),
);

builder.prismaObjectField("Model", "aliasHistory", (t) =>
  t.relatedConnection("aliasChanges", {
    description: "Every move of the model's aliases (or of one), oldest first: replaying it gives the aliases as they are.",
    cursor: "seq",
    totalCount: true,
    args: {
      alias: t.arg.string({ description: "Only this alias." }),
      direction: t.arg({ type: OrderDirectionEnum, defaultValue: "ASC", description: "Order." }),
    },
    query: (args) => ({
      where: args.alias != null ? { alias: args.alias } : {},
      orderBy: { seq: args.direction === "DESC" ? "desc" : "asc" },
    }),
  }),
);

builder.prismaObjectField("ModelVersion", "aliases", (t) =>
  t.stringList({
    description: "The aliases pointing at this version, by name (`latest` is not listed).",
    select: { aliases: { select: { name: true }, orderBy: { name: "asc" } } },
    resolve: (v) => v.aliases.map((a) => a.name),
  }),
);

// ---- mutations ----

const SetModelAliasInput = builder.inputType("SetModelAliasInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model." }),
    alias: t.string({ required: true, description: "Pattern ^[a-z][a-z0-9_-]{0,63}$; `latest` is reserved." }),
    modelVersionId: t.id({ required: true, description: "A live version of that model (any stage, ARCHIVED included)." }),
    expectedVersionId: t.id({
      description: "Compare-and-set: fail with StaleAliasError unless the alias points at this version now; an explicit null means it must not exist yet.",
    }),
    comment: t.string({ description: "Recorded with the move (≤ 4,096 characters)." }),
  }),
});

builder.mutationField("setModelAlias", (t) =>
  t.field({
    type: builder.objectRef<AliasOutcome>("SetModelAliasPayload").implement({
      description: "The alias after the move.",
      fields: (f) => ({
        modelAlias: f.prismaField({
          type: "ModelAlias",
          description: "The alias.",
          resolve: (query, p, _args, ctx) => ctx.prisma.modelAlias.findUniqueOrThrow({ ...query, where: { id: p.alias!.id } }),
        }),
        model: f.prismaField({
          type: "Model",
          description: "The model.",
          resolve: (query, p, _args, ctx) => ctx.prisma.model.findUniqueOrThrow({ ...query, where: { id: p.model.id } }),
        }),
        modelVersion: f.prismaField({
          type: "ModelVersion",
          description: "The version it points at now.",
          resolve: (query, p, _args, ctx) => ctx.prisma.modelVersion.findUniqueOrThrow({ ...query, where: { id: p.modelVersion!.id } }),
        }),
        previousVersion: f.prismaField({
          type: "ModelVersion",
          nullable: true,
          description: "The version it pointed at before (null: it was new).",
          resolve: (query, p, _args, ctx) => (p.previousVersion ? ctx.prisma.modelVersion.findUnique({ ...query, where: { id: p.previousVersion.id } }) : null),
        }),
        change: f.prismaField({
          type: "AliasChange",
          nullable: true,
          description: "The recorded move; null when the alias already pointed at the version (nothing recorded, no event).",
          resolve: (query, p, _args, ctx) => (p.change ? ctx.prisma.aliasChange.findUnique({ ...query, where: { id: p.change.id } }) : null),
        }),
      }),
    }),
    description:
      "Points an alias of a model at one of its versions, creating it if needed (EDITOR). A protected alias only moves through an approved transition request (ApprovalRequiredError, whatever your role). Setting it where it already points succeeds and records nothing.",
    args: { input: t.arg({ type: SetModelAliasInput, required: true }) },
    errors: { types: [...ALIAS_ERRORS] },
    resolve: (_root, { input }, ctx) => setModelAlias(ctx, input),
  }),
);

const RemoveModelAliasInput = builder.inputType("RemoveModelAliasInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model." }),
    alias: t.string({ required: true, description: "The alias (`latest` cannot be removed)." }),
    expectedVersionId: t.id({ description: "Compare-and-set: fail with StaleAliasError unless the alias points at this version now." }),
    comment: t.string({ description: "Recorded with the removal (≤ 4,096 characters)." }),
  }),
});

builder.mutationField("removeModelAlias", (t) =>
  t.field({
    type: builder.objectRef<AliasOutcome>("RemoveModelAliasPayload").implement({
      description: "The removed alias.",
      fields: (f) => ({
        alias: f.string({ description: "The alias that was removed.", resolve: (p) => p.aliasName }),
        model: f.prismaField({
          type: "Model",
          description: "The model.",
          resolve: (query, p, _args, ctx) => ctx.prisma.model.findUniqueOrThrow({ ...query, where: { id: p.model.id } }),
        }),
        previousVersion: f.prismaField({
          type: "ModelVersion",
          description: "The version it pointed at.",
          resolve: (query, p, _args, ctx) => ctx.prisma.modelVersion.findUniqueOrThrow({ ...query, where: { id: p.previousVersion!.id } }),
        }),
        change: f.prismaField({
          type: "AliasChange",
          description: "The recorded removal.",
          resolve: (query, p, _args, ctx) => ctx.prisma.aliasChange.findUniqueOrThrow({ ...query, where: { id: p.change!.id } }),
        }),
      }),
    }),
    description: "Removes an alias of a model (EDITOR). A protected alias cannot be removed (ApprovalRequiredError): an ADMIN lifts its protection first (updateModel).",
    args: { input: t.arg({ type: RemoveModelAliasInput, required: true }) },
    errors: { types: [...ALIAS_ERRORS] },
    resolve: (_root, { input }, ctx) => removeModelAlias(ctx, input),
  }),
);

// ---- subscription ----

interface AliasPayload {
  alias: string;
  fromVersionId: string | null;
  fromNumber: number | null;
  toVersionId: string | null;
  toNumber: number | null;
}

const payloadOf = (e: Event) => e.payload as unknown as AliasPayload;
const versionOf = (e: Event, which: "fromVersionId" | "toVersionId") => {
  const ref = payloadOf(e)[which];
  return ref ? decodeGlobalId(ref)?.id ?? null : null;
};

const AliasChangeKindEnum = builder.enumType("AliasChangeKind", {
  description: "What an alias event did.",
  values: { SET: { description: "Created or moved (MODEL_ALIAS_SET)." }, REMOVED: { description: "Removed (MODEL_ALIAS_REMOVED)." } } as const,
});

const AliasChangeEventRef = builder.objectRef<Event>("AliasChangeEvent").implement({
  description: "An alias of a model was set, moved or removed.",
  fields: (t) => ({
    cursor: t.string({ description: "Resume after this event with `after: cursor`.", resolve: (e) => eventCursor(e.seq) }),
    at: t.expose("at", { type: "DateTime", description: "When it committed." }),
    kind: t.field({ type: AliasChangeKindEnum, description: "Set/moved or removed.", resolve: (e) => (e.type === "MODEL_ALIAS_REMOVED" ? "REMOVED" : "SET") }),
    alias: t.string({ description: "The alias.", resolve: (e) => payloadOf(e).alias }),
    fromNumber: t.int({ nullable: true, description: "Number of the version it pointed at before (null: it was unset).", resolve: (e) => payloadOf(e).fromNumber }),
    toNumber: t.int({ nullable: true, description: "Number of the version it points at after (null: removed).", resolve: (e) => payloadOf(e).toNumber }),
    model: t.prismaField({
      type: "Model",
      description: "The model.",
      resolve: (query, e, _args, ctx) => sharedEventRow(e, "model", query, () => ctx.prisma.model.findUniqueOrThrow({ ...query, where: { id: e.modelId! } })),
    }),
    fromVersion: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description: "The version it pointed at before (as it is now).",
      resolve: (query, e, _args, ctx) => {
        const id = versionOf(e, "fromVersionId");
        return id ? sharedEventRow(e, "fromVersion", query, () => ctx.prisma.modelVersion.findUnique({ ...query, where: { id } })) : null;
      },
    }),
    toVersion: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description: "The version it points at after (as it is now).",
      resolve: (query, e, _args, ctx) => {
        const id = versionOf(e, "toVersionId");
        return id ? sharedEventRow(e, "toVersion", query, () => ctx.prisma.modelVersion.findUnique({ ...query, where: { id } })) : null;
      },
    }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who moved it.",
      resolve: (query, e, _args, ctx) => (e.actorId ? sharedEventRow(e, "actor", query, () => ctx.prisma.user.findUnique({ ...query, where: { id: e.actorId! } })) : null),
    }),
  }),
});

builder.subscriptionField("modelAliasChanged", (t) =>
  t.field({
    type: AliasChangeEventRef,
    description: "Alias moves of a project's models (optionally one model, some aliases). Resumable with `after`, like modelVersionStageChanged.",
    args: {
      projectId: t.arg.id({ required: true }),
      modelId: t.arg.id({ description: "Only this model." }),
      aliases: t.arg.stringList({ description: "Only these aliases." }),
      after: t.arg.string({ description: "The cursor of the last event you saw." }),
    },
    ...projectEventStream((args: { modelId?: string | null; aliases?: readonly string[] | null }) => {
      const modelId = args.modelId ? decodeGlobalId(args.modelId)?.id ?? "" : null;
      const aliases = args.aliases ? new Set(args.aliases) : null;
      return (e) =>
        (e.type === "MODEL_ALIAS_SET" || e.type === "MODEL_ALIAS_REMOVED") &&
        (!modelId || e.modelId === modelId) &&
        (!aliases || aliases.has(payloadOf(e).alias));
    }),
  }),
);
