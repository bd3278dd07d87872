import { inVisibleProjectWhere } from "../access/permissions.ts";
import { modelVersionWhere, type VersionFilter } from "../access/version-filter.ts";
import { InvalidCursorError } from "../domain/cursors.ts";
import { ValidationError } from "../domain/errors.ts";
import { MAX_FILTER_CONDITIONS, MAX_FILTER_DEPTH } from "../domain/rules.ts";
import { CURSOR_KEY, unwrapPrismaCursor } from "./cursors.ts";
import { readCounts } from "../db/sql-reads.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
import { countModelVersionsByMetric, searchVersionsPage, type VersionOrder } from "./version-search.ts";
import { decodeGlobalId } from "../domain/ids.ts";
import { metricsFromMap, fromMap } from "../domain/rules.ts";
import { createModelVersion, deleteModelVersion, updateModelVersion } from "../services/versions.ts";
import { rollbackModel, transitionModelVersionStage, type TransitionOutcome } from "../services/stages.ts";
import type { GraphQLObjectType, GraphQLSchema } from "graphql";
import type { RequestContext } from "../context.ts";
import { builder } from "./builder.ts";
import { KeyValueInput, KeyValueRef, MetricInput, MetricRef, OrderDirectionEnum, StageEnum, TagFilterInput, metricsField, tagsField } from "./common.ts";
import { AliasInUseError, COMMON_ERRORS, CrossProjectLineageError, FrozenVersionError, IdempotencyKeyReuseError, InvalidStageTransitionError, STAGE_ERRORS } from "./errors.ts";

const MetricConditionInput = builder.inputType("MetricCondition", {
  description: "A condition on one metric: every bound given must hold. A version without the metric does not match.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Metric name." }),
    gt: t.float({ description: "Greater than." }),
    gte: t.float({ description: "Greater than or equal." }),
    lt: t.float({ description: "Less than." }),
    lte: t.float({ description: "Less than or equal." }),
  }),
});

export const ModelVersionFilter = builder.inputRef<VersionFilter>("ModelVersionFilter").implement({
  description:
    "Filters versions: every condition given must hold (anyOf: at least one of its filters). Deleted versions are left out unless `includeDeleted`. " +
    `At most ${MAX_FILTER_CONDITIONS} conditions in all, anyOf nested at most ${MAX_FILTER_DEPTH - 1} levels deep.`,
  fields: (t) => ({
    stages: t.field({ type: [StageEnum], description: "Only these stages." }),
    tag: t.field({ type: TagFilterInput, description: "Only versions with this tag (the single form of `tags`)." }),
    tags: t.field({ type: [TagFilterInput], description: "Only versions with every one of these tags." }),
    metrics: t.field({ type: [MetricConditionInput], description: "Only versions whose metrics satisfy every condition." }),
    createdAfter: t.field({ type: "DateTime", description: "Created at or after." }),
    createdBefore: t.field({ type: "DateTime", description: "Created before." }),
    hasResource: t.boolean({ description: "Only versions with (true) or without (false) an artifact." }),
    environment: t.string({ description: "Only versions DEPLOYED (live) in this environment now, e.g. `prod-eu`." }),
    aliases: t.stringList({ description: "Only versions carrying at least one of these aliases (`latest` is not an alias here)." }),
    includeDeleted: t.boolean({ description: "Include soft-deleted versions (tombstones). Top level only: ignored inside anyOf." }),
    anyOf: t.field({ type: [ModelVersionFilter], description: "Versions matching at least one of these filters (ANDed with the other conditions)." }),
  }),
});

export { modelVersionWhere };

export const ModelVersionOrderField = builder.enumType("ModelVersionOrderField", {
  description: "Sort keys of versions.",
  values: {
    NUMBER: { value: "number", description: "Version number (creation order within a model)." },
    CREATED_AT: { value: "createdAt", description: "Creation time." },
    STAGE_CHANGED_AT: { value: "stageChangedAt", description: "Last stage change." },
  } as const,
});

export const ModelVersionOrder = builder.inputType("ModelVersionOrder", {
  description:
    "Sort order: a `field`, or a `metric` (versions that lack the metric come last in either direction; ties broken by number, then id). " +
    "Default: NUMBER DESC, newest first.",
  fields: (t) => ({
    field: t.field({ type: ModelVersionOrderField, description: "Sort key (give this or `metric`)." }),
    metric: t.string({ description: "Sort by the value of this metric (give this or `field`)." }),
    direction: t.field({ type: OrderDirectionEnum, defaultValue: "DESC", description: "Direction." }),
  }),
});

type OrderInput = { field?: "number" | "createdAt" | "stageChangedAt" | null; metric?: string | null; direction?: "ASC" | "DESC" | null } | null | undefined;

/** The order a ModelVersionOrder asks for; both or neither of field and metric is the client's mistake. */
export function versionOrderOf(order: OrderInput): VersionOrder {
  if (order?.field != null && order.metric != null) throw ValidationError.single(["orderBy"], "give field or metric, not both");
  const direction = (order?.direction ?? "DESC") === "ASC" ? ("asc" as const) : ("desc" as const);
  if (order?.metric != null) return { kind: "metric", metric: order.metric, direction };
  return { kind: "field", field: order?.field ?? "number", direction };
}

/** Prisma `orderBy` of a field order (metric orders page through version-search.ts instead). */
export function versionOrderBy(order: OrderInput) {
  const o = versionOrderOf(order);
  const field = o.kind === "field" ? o.field : "number";
  return [{ [field]: o.direction }, { id: o.direction }];
}

/**
 * The relatedConnection `query` of a version list that may also be ordered by a metric. A metric order is served by
 * searchVersionsPage (routeMetricOrders below), so the prisma plugin's preload is then an empty read; a field order
 * is the plugin's, and a metric-order cursor given to it is refused.
 */
export function versionListQuery(args: { filter?: VersionFilter | null; orderBy?: OrderInput; after?: string | null; before?: string | null }) {
  if (versionOrderOf(args.orderBy).kind === "metric") return { where: { id: { in: [] as string[] } } };
  for (const cursor of [args.after, args.before]) if (cursor != null && !UUID.test(unwrapPrismaCursor(cursor))) throw new InvalidCursorError(cursor);
  return { where: modelVersionWhere(args.filter), orderBy: versionOrderBy(args.orderBy) };
}

export const ModelVersionRef = builder.prismaNode("ModelVersion", {
  select: { id: true, createdById: true },
  description: "A registered version of a model: its stage, metrics and lineage.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    number: t.exposeInt("number", { description: "1, 2, 3 … per model, in creation order; never reused." }),
    stage: t.expose("stage", { type: StageEnum, description: "Current stage." }),
    description: t.exposeString("description", { description: "Free text." }),
    tags: t.field({ type: [KeyValueRef], description: "Tags.", select: { tags: true }, resolve: (v) => tagsField(v.tags) }),
    metrics: t.field({ type: [MetricRef], description: "Metrics recorded with the version.", select: { metrics: true }, resolve: (v) => metricsField(v.metrics) }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Registration time." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change." }),
    stageChangedAt: t.expose("stageChangedAt", { type: "DateTime", description: "When it entered its current stage." }),
    deletedAt: t.expose("deletedAt", { type: "DateTime", nullable: true, description: "Set on a deleted version (tombstone)." }),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true, description: "The key it was created with." }),
    model: t.relation("model", { description: "The model." }),
    project: t.relation("project", { description: "The project." }),
    iteration: t.relation("iteration", { nullable: true, description: "The training run that produced it." }),
    resource: t.relation("resource", { nullable: true, description: "Its artifact." }),
    parentVersion: t.relation("parentVersion", { nullable: true, description: "The version it was derived from (e.g. fine-tuned from)." }),
    childVersions: t.relatedConnection("childVersions", {
      description: "Versions derived from this one.",
      cursor: "id",
      totalCount: true,
      query: { where: { deletedAt: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
    }),
    createdBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who registered it.",
      resolve: (query, v, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: v.createdById } }),
    }),
    stageHistory: t.relatedConnection("stageTransitions", {
      description: "Every stage move of this version, oldest first.",
      cursor: "id",
      totalCount: true,
      args: { direction: t.arg({ type: OrderDirectionEnum, defaultValue: "ASC", description: "Order." }) },
      query: (args) => ({ orderBy: { seq: args.direction === "DESC" ? "desc" : "asc" } }),
    }),
    transitionRequests: t.relatedConnection("transitionRequests", {
      description: "Approval requests for this version, newest first.",
      cursor: "id",
      totalCount: true,
      query: { orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
    }),
  }),
});

export const TransitionCauseEnum = builder.enumType("TransitionCause", {
  description: "Why a stage changed.",
  values: {
    MANUAL: { description: "Someone asked for it." },
    AUTO_ARCHIVE: { description: "Archived because another version took its stage." },
    APPROVAL: { description: "An approved transition request." },
    ROLLBACK: { description: "rollbackModel." },
  } as const,
});

export const StageTransitionRef = builder.prismaNode("StageTransition", {
  description: "One recorded stage move.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...(ctx.viewer.isAdmin ? {} : { model: inVisibleProjectWhere(ctx.viewer) }) }),
  fields: (t) => ({
    fromStage: t.expose("fromStage", { type: StageEnum, description: "Stage before." }),
    toStage: t.expose("toStage", { type: StageEnum, description: "Stage after." }),
    cause: t.expose("cause", { type: TransitionCauseEnum, description: "Why." }),
    comment: t.exposeString("comment", { nullable: true, description: "The actor's comment." }),
    at: t.expose("at", { type: "DateTime", description: "When." }),
    modelVersion: t.relation("modelVersion", { description: "The version that moved." }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who moved it.",
      resolve: (query, tr, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: tr.actorId } }),
    }),
  }),
});

export const TransitionRequestStatusEnum = builder.enumType("TransitionRequestStatus", {
  description: "State of an approval request.",
  values: {
    PENDING: { description: "Awaiting a decision." },
    APPROVED: { description: "Approved; the version moved." },
    REJECTED: { description: "Rejected; the version stayed." },
    CANCELLED: { description: "Withdrawn by the requester." },
  } as const,
});

builder.prismaNode("TransitionRequest", {
  description: "A request to move a version into a stage, or to point an alias at it (exactly one of toStage / toAlias).",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...(ctx.viewer.isAdmin ? {} : { modelVersion: inVisibleProjectWhere(ctx.viewer) }) }),
  fields: (t) => ({
    toStage: t.expose("toStage", { type: StageEnum, nullable: true, description: "The requested stage (null for an alias request)." }),
    toAlias: t.exposeString("toAlias", { nullable: true, description: "The alias to point at the version (null for a stage request)." }),
    status: t.expose("status", { type: TransitionRequestStatusEnum, description: "State." }),
    comment: t.exposeString("comment", { nullable: true, description: "The requester's comment." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When requested." }),
    decidedAt: t.expose("decidedAt", { type: "DateTime", nullable: true, description: "When decided." }),
    decisionComment: t.exposeString("decisionComment", { nullable: true, description: "The decider's comment." }),
    modelVersion: t.relation("modelVersion", { description: "The version." }),
    requestedBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who asked.",
      resolve: (query, r, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: r.requestedById } }),
    }),
    decidedBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who decided.",
      resolve: (query, r, _args, ctx) => (r.decidedById ? ctx.prisma.user.findUnique({ ...query, where: { id: r.decidedById } }) : null),
    }),
  }),
});

// ---- compare ----

interface Comparison {
  a: { id: string; metrics: unknown; tags: unknown; resourceId: string | null; iteration: { params: unknown } | null };
  b: Comparison["a"];
}

const MetricDeltaRef = builder.objectRef<{ name: string; a: number | null; b: number | null }>("MetricDelta").implement({
  description: "A metric in both versions and the difference b − a.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Metric name." }),
    a: t.exposeFloat("a", { nullable: true, description: "Value in a (null if absent)." }),
    b: t.exposeFloat("b", { nullable: true, description: "Value in b (null if absent)." }),
    delta: t.float({ nullable: true, description: "b − a, when both exist.", resolve: (m) => (m.a != null && m.b != null ? m.b - m.a : null) }),
  }),
});

const ValueChangeRef = builder.objectRef<{ key: string; a: string | null; b: string | null }>("ValueChange").implement({
  description: "A key whose value differs between a and b.",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The key." }),
    a: t.exposeString("a", { nullable: true, description: "Value in a (null if absent)." }),
    b: t.exposeString("b", { nullable: true, description: "Value in b (null if absent)." }),
  }),
});

function changes(a: { key: string; value: string }[], b: { key: string; value: string }[]) {
  const left = new Map(a.map((e) => [e.key, e.value]));
  const right = new Map(b.map((e) => [e.key, e.value]));
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  return keys
    .filter((k) => left.get(k) !== right.get(k))
    .map((k) => ({ key: k, a: left.get(k) ?? null, b: right.get(k) ?? null }));
}

const ComparisonRef = builder.objectRef<Comparison>("ModelVersionComparison").implement({
  description: "How two versions differ: metrics, training parameters, tags and artifact.",
  fields: (t) => ({
    a: t.field({ type: ModelVersionRef, description: "The first version.", resolve: (c) => c.a as never }),
    b: t.field({ type: ModelVersionRef, description: "The second version.", resolve: (c) => c.b as never }),
    metrics: t.field({
      type: [MetricDeltaRef],
      description: "Every metric of either version, with b − a.",
      resolve: (c) => {
        const a = new Map(metricsFromMap(c.a.metrics).map((m) => [m.name, m.value]));
        const b = new Map(metricsFromMap(c.b.metrics).map((m) => [m.name, m.value]));
        return [...new Set([...a.keys(), ...b.keys()])].sort().map((name) => ({ name, a: a.get(name) ?? null, b: b.get(name) ?? null }));
      },
    }),
    paramChanges: t.field({
      type: [ValueChangeRef],
      description: "Training parameters (of the versions' iterations) that differ.",
      resolve: (c) => changes(fromMap(c.a.iteration?.params), fromMap(c.b.iteration?.params)),
    }),
    tagChanges: t.field({ type: [ValueChangeRef], description: "Tags that differ.", resolve: (c) => changes(fromMap(c.a.tags), fromMap(c.b.tags)) }),
    sameResource: t.boolean({ description: "Whether both point at the same artifact.", resolve: (c) => c.a.resourceId != null && c.a.resourceId === c.b.resourceId }),
  }),
});

builder.queryField("compareModelVersions", (t) =>
  t.field({
    type: ComparisonRef,
    nullable: true,
    description: "Compares two versions (of any models you can see); null if either is not found.",
    args: { a: t.arg.id({ required: true }), b: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const ids = [args.a, args.b].map((g) => decodeGlobalId(g));
      if (ids.some((d) => d?.typename !== "ModelVersion")) return null;
      const rows = await ctx.prisma.modelVersion.findMany({
        where: { id: { in: ids.map((d) => d!.id) }, ...inVisibleProjectWhere(ctx.viewer) },
        include: { iteration: { select: { params: true } } },
      });
      const a = rows.find((r) => r.id === ids[0]!.id);
      const b = rows.find((r) => r.id === ids[1]!.id);
      return a && b ? { a, b } : null;
    },
  }),
);

// ---- search ----

builder.queryField("modelVersions", (t) =>
  t.connection(
    {
      type: ModelVersionRef,
      description: "Searches the versions of every project you can see: filter by stage, tags, metrics, dates, artifact; order by a field or a metric.",
      args: { filter: t.arg({ type: ModelVersionFilter }), orderBy: t.arg({ type: ModelVersionOrder }) },
      extensions: { [CURSOR_KEY]: "own" },
      resolve: (_root, args, ctx) =>
        searchVersionsPage(ctx, { AND: [modelVersionWhere(args.filter), inVisibleProjectWhere(ctx.viewer)] }, versionOrderOf(args.orderBy), args) as never,
    },
    {
      name: "ModelVersionSearchConnection",
      description: "A page of versions found by a search.",
      fields: (c) => ({ totalCount: c.int({ description: "How many versions match.", resolve: (page) => (page as unknown as { totalCount: Promise<number> }).totalCount }) }),
    },
  ),
);

/** Where a parent's version list (model.versions, project.modelVersions) looks, for metric orders. */
const METRIC_ORDER_SCOPES: Record<string, (parent: { id: string }) => { modelId: string } | { projectId: string } | { resourceId: string } | { iterationId: string }> = {
  "Model.versions": (model) => ({ modelId: model.id }),
  "Project.modelVersions": (project) => ({ projectId: project.id }),
  "Resource.modelVersions": (resource) => ({ resourceId: resource.id }),
  "Iteration.modelVersions": (iteration) => ({ iterationId: iteration.id }),
};

/**
 * Serves the parents' version lists: metric orders through searchVersionsPage (see versionListQuery), and
 * `totalCount` of a field order as a count of the list's own versions, batched per request (countVersions). (The
 * prisma plugin's relation count is an aggregate over every model's versions, joined to the parent: linear in the
 * whole table, not in the list.)
 */
export function routeMetricOrders(schema: GraphQLSchema): GraphQLSchema {
  for (const [coordinate, scope] of Object.entries(METRIC_ORDER_SCOPES)) {
    const [typeName, fieldName] = coordinate.split(".") as [string, string];
    const field = (schema.getType(typeName) as GraphQLObjectType).getFields()[fieldName]!;
    const resolve = field.resolve!;
    field.resolve = async (parent, args, ctx: RequestContext, info) => {
      const order = versionOrderOf(args.orderBy);
      if (order.kind === "metric") {
        const page = { ...args, after: args.after == null ? null : unwrapPrismaCursor(args.after), before: args.before == null ? null : unwrapPrismaCursor(args.before) };
        const where = scope(parent as { id: string });
        const model = "modelId" in where ? { modelId: where.modelId, filter: args.filter } : undefined;
        return searchVersionsPage(ctx, { AND: [modelVersionWhere(args.filter), where] }, order, page, model);
      }
      const connection = await resolve(parent, args, ctx, info);
      const [key, id] = Object.entries(scope(parent as { id: string }))[0]!;
      return Object.defineProperty(connection, "totalCount", { get: () => countVersions(ctx, `${coordinate} ${JSON.stringify(args.filter ?? null)}`, key, id, args.filter) });
    };
  }
  return schema;
}

/** Counts waiting for their statement, per request: one list and filter, the parents' ids. */
const countBatches = new WeakMap<RequestContext, Map<string, { ids: Set<string>; counts: Promise<Map<string, number>> }>>();

/**
 * The number of versions of one parent's list: the counts of every parent asking for the same list and filter in
 * this request are one grouped statement (no statement per model of a page), sent on the next turn of the loop.
 */
function countVersions(ctx: RequestContext, list: string, key: string, id: string, filter: VersionFilter | null | undefined): Promise<number> {
  let batches = countBatches.get(ctx);
  if (!batches) countBatches.set(ctx, (batches = new Map()));
  let batch = batches.get(list);
  if (!batch) {
    const ids = new Set<string>();
    const waiting = batches;
    const counts = new Promise<Map<string, number>>((resolve, reject) =>
      setImmediate(() => {
        waiting.delete(list);
        const where = { AND: [modelVersionWhere(filter), { [key]: { in: [...ids] } }] };
        // One parent: a plain count (PostgreSQL plans the grouped form with parallel workers, slower on a busy machine);
        // one model's list filtered by one metric: from its metric rows.
        if (ids.size === 1) {
          const count = async () => (key === "modelId" ? await countModelVersionsByMetric(ctx, id, filter) : null) ?? (await readCounts(ctx, "modelVersion", where)).get(null) ?? 0;
          return count().then((n) => resolve(new Map([[id, n]])), reject);
        }
        readCounts(ctx, "modelVersion", where, key).then((counts) => resolve(counts as Map<string, number>), reject);
      }),
    );
    batch = { ids, counts };
    batches.set(list, batch);
  }
  batch.ids.add(id);
  return batch.counts.then((counts) => counts.get(id) ?? 0);
}

/** The connection options of a parent's version list: its `totalCount` comes from routeMetricOrders. */
export const VERSION_LIST_CONNECTION = {
  fields: (c: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, object>) => ({
    totalCount: c.int({ description: "How many versions match the filter.", resolve: (page) => (page as { totalCount: Promise<number> }).totalCount }),
  }),
};

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

// ---- mutations ----

const VersionPayload = (name: string) =>
  builder.objectRef<{ modelVersion: { id: string } }>(name).implement({
    description: "The version after the change.",
    fields: (t) => ({ modelVersion: t.field({ type: ModelVersionRef, description: "The version.", resolve: (p) => p.modelVersion as never }) }),
  });

const CreateModelVersionInput = builder.inputType("CreateModelVersionInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model (not archived)." }),
    iterationId: t.id({ description: "The training run that produced it (same project)." }),
    resourceId: t.id({ description: "Its artifact (same project)." }),
    parentVersionId: t.id({ description: "The version it derives from (same project)." }),
    description: t.string({ description: "≤ 32,768 characters." }),
    tags: t.field({ type: [KeyValueInput], description: "≤ 64 tags." }),
    metrics: t.field({ type: [MetricInput], description: "Evaluation metrics." }),
    idempotencyKey: t.string({
      description: "Retrying with the same key and the same input returns the same version; the same key with another input is an IdempotencyKeyReuseError (≤ 255 characters).",
    }),
  }),
});

builder.mutationField("createModelVersion", (t) =>
  t.field({
    type: VersionPayload("CreateModelVersionPayload"),
    description: "Registers the next version of a model (stage NONE).",
    args: { input: t.arg({ type: CreateModelVersionInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, CrossProjectLineageError, IdempotencyKeyReuseError] },
    resolve: async (_root, { input }, ctx) => ({ modelVersion: await createModelVersion(ctx, input) }),
  }),
);

const UpdateModelVersionInput = builder.inputType("UpdateModelVersionInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The version." }),
    description: t.string({ description: "New description." }),
    tags: t.field({ type: [KeyValueInput], description: "Replaces all tags." }),
    metrics: t.field({ type: [MetricInput], description: "Replaces all metrics (only while the version has never left NONE)." }),
    iterationId: t.id({ description: "New training run, null to unset (only while the version has never left NONE)." }),
    resourceId: t.id({ description: "New artifact, null to unset (only while the version has never left NONE)." }),
    parentVersionId: t.id({ description: "New parent, null to unset (only while the version has never left NONE)." }),
  }),
});

builder.mutationField("updateModelVersion", (t) =>
  t.field({
    type: VersionPayload("UpdateModelVersionPayload"),
    description:
      "Changes a version's description or tags, and, while it has never left NONE, its metrics or lineage (FrozenVersionError after). Changing those cancels the version's PENDING transition requests.",
    args: { input: t.arg({ type: UpdateModelVersionInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, CrossProjectLineageError, FrozenVersionError] },
    resolve: async (_root, { input }, ctx) => ({ modelVersion: await updateModelVersion(ctx, input) }),
  }),
);

const DeleteModelVersionInput = builder.inputType("DeleteModelVersionInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The version (not in PRODUCTION)." }) }),
});

builder.mutationField("deleteModelVersion", (t) =>
  t.field({
    type: VersionPayload("DeleteModelVersionPayload"),
    description: "Soft-deletes a version: hidden from lists, number kept, artifact kept. Refused (AliasInUseError) while aliases point at it.",
    args: { input: t.arg({ type: DeleteModelVersionInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, AliasInUseError] },
    resolve: async (_root, { input }, ctx) => ({ modelVersion: await deleteModelVersion(ctx, input) }),
  }),
);

const TransitionPayload = (name: string) =>
  builder.objectRef<TransitionOutcome>(name).implement({
    description: "Every version the move changed, and the recorded transition.",
    fields: (t) => ({
      modelVersion: t.field({ type: ModelVersionRef, description: "The version that moved.", resolve: (p) => p.modelVersion }),
      archivedVersions: t.field({ type: [ModelVersionRef], description: "Versions archived by the move.", resolve: (p) => p.archivedVersions }),
      transition: t.prismaField({
        type: "StageTransition",
        description: "The recorded move.",
        resolve: (query, p, _args, ctx) => ctx.prisma.stageTransition.findUniqueOrThrow({ ...query, where: { id: p.transitionId } }),
      }),
    }),
  });

const TransitionInput = builder.inputType("TransitionModelVersionStageInput", {
  fields: (t) => ({
    modelVersionId: t.id({ required: true, description: "The version." }),
    stage: t.field({ type: StageEnum, required: true, description: "Target stage." }),
    expectedStage: t.field({ type: StageEnum, description: "Fail with StaleStageError unless the version is in this stage now." }),
    archiveExisting: t.boolean({ description: "Moving to STAGING: archive the model's other STAGING versions." }),
    comment: t.string({ description: "Recorded with the move (≤ 4,096 characters)." }),
  }),
});

builder.mutationField("transitionModelVersionStage", (t) =>
  t.field({
    type: TransitionPayload("TransitionModelVersionStagePayload"),
    description: "Moves a version to a stage. Entering PRODUCTION archives the previous PRODUCTION version atomically.",
    args: { input: t.arg({ type: TransitionInput, required: true }) },
    errors: { types: [...STAGE_ERRORS] },
    resolve: (_root, { input }, ctx) => transitionModelVersionStage(ctx, input),
  }),
);

const RollbackModelInput = builder.inputType("RollbackModelInput", {
  fields: (t) => ({
    modelId: t.id({ required: true, description: "The model." }),
    toVersionId: t.id({ description: "A version that was in PRODUCTION before; default: the one that left it last." }),
    comment: t.string({ description: "Recorded with the move." }),
  }),
});

builder.mutationField("rollbackModel", (t) =>
  t.field({
    type: TransitionPayload("RollbackModelPayload"),
    description: "Returns a previous PRODUCTION version to PRODUCTION, archiving the current one.",
    args: { input: t.arg({ type: RollbackModelInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, InvalidStageTransitionError] },
    resolve: (_root, { input }, ctx) => rollbackModel(ctx, input),
  }),
);
