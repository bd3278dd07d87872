import { inVisibleProjectWhere } from "../access/permissions.ts";
import { MAX_METRIC_HISTORY_PAGE } from "../domain/rules.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { RequestContext } from "../context.ts";
import { archiveExperiment, createExperiment, updateExperiment } from "../services/experiments.ts";
import { createIteration, finishIteration, logIterationMetrics } from "../services/iterations.ts";
import { builder } from "./builder.ts";
import { KeyValueInput, KeyValueRef, ObjectStatusEnum, SettableStatusEnum, tagsField, OrderDirectionEnum } from "./common.ts";
import { COMMON_ERRORS, NameConflictError } from "./errors.ts";
import { CURSOR_KEY } from "./cursors.ts";
import { ModelVersionFilter, ModelVersionOrder, versionListQuery, VERSION_LIST_CONNECTION } from "./versions.ts";

export const ExperimentRef = builder.prismaNode("Experiment", {
  select: { id: true, name: true, status: true },
  description: "A line of training work inside a project; its runs are iterations.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique case-insensitively among the project's non-archived experiments." }),
    description: t.exposeString("description", { description: "Free text." }),
    status: t.expose("status", { type: ObjectStatusEnum, description: "ACTIVE, DEPRECATED or ARCHIVED." }),
    tags: t.field({ type: [KeyValueRef], description: "Tags.", select: { tags: true }, resolve: (e) => tagsField(e.tags) }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Creation time." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change." }),
    project: t.relation("project", { description: "The owning project." }),
    iterations: t.relatedConnection("iterations", {
      description: "Training runs, newest first by default.",
      cursor: "id",
      totalCount: true,
      args: {
        status: t.arg({ type: [IterationStatusEnum], description: "Only runs in these statuses." }),
        direction: t.arg({ type: OrderDirectionEnum, defaultValue: "DESC", description: "Order by number." }),
      },
      query: (args) => ({
        where: args.status ? { status: { in: args.status } } : {},
        orderBy: { number: args.direction === "ASC" ? "asc" : "desc" },
      }),
    }),
    iteration: t.prismaField({
      type: "Iteration",
      nullable: true,
      description: "The run with this number.",
      args: { number: t.arg.int({ required: true }) },
      resolve: (query, e, args, ctx) =>
        ctx.prisma.iteration.findUnique({ ...query, where: { experimentId_number: { experimentId: e.id, number: args.number } } }),
    }),
  }),
});

export const IterationStatusEnum = builder.enumType("IterationStatus", {
  description: "State of a training run.",
  values: {
    RUNNING: { description: "Still training." },
    COMPLETED: { description: "Finished successfully." },
    FAILED: { description: "Finished with an error." },
  } as const,
});

interface MetricPointRow {
  name: string;
  value: number;
  step: number;
  at: Date;
}

const MetricPointRef = builder.objectRef<MetricPointRow>("MetricPoint").implement({
  description: "One logged value of a metric.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Metric name." }),
    value: t.exposeFloat("value", { description: "Value." }),
    step: t.exposeInt("step", { description: "Training step." }),
    at: t.expose("at", { type: "DateTime", description: "When it was logged." }),
  }),
});

/**
 * The latest point (highest step, then latest logged) of each metric of each iteration, computed by the database
 * so that a long history is never loaded (an iteration has at most MAX_METRICS_PER_ITERATION names). The
 * iterations of one list are read in one statement: their resolvers run in the same tick and share a batch.
 */
const latestBatches = new WeakMap<RequestContext, { ids: Set<string>; points: Promise<Map<string, MetricPointRow[]>> }>();

async function latestMetrics(ctx: RequestContext, iterationId: string): Promise<MetricPointRow[]> {
  let batch = latestBatches.get(ctx);
  if (!batch) {
    const ids = new Set<string>();
    const points = new Promise((resolve) => process.nextTick(resolve)).then(async () => {
      latestBatches.delete(ctx);
      const rows = await ctx.prisma.$queryRaw<(MetricPointRow & { iterationId: string })[]>`
        SELECT DISTINCT ON ("iterationId", "name") "iterationId", "name", "value", "step", "at" FROM "MetricPoint"
        WHERE "iterationId" IN (${Prisma.join([...ids])})
        ORDER BY "iterationId", "name", "step" DESC, "id" DESC`;
      const byIteration = new Map<string, MetricPointRow[]>();
      for (const { iterationId: id, name, value, step, at } of rows) {
        const list = byIteration.get(id) ?? [];
        list.push({ name, value: Number(value), step: Number(step), at: new Date(at) });
        byIteration.set(id, list);
      }
      return byIteration;
    });
    batch = { ids, points };
    latestBatches.set(ctx, batch);
  }
  batch.ids.add(iterationId);
  const points = (await batch.points).get(iterationId) ?? [];
  return points.sort((a, b) => a.name.localeCompare(b.name));
}

/** Points one `metricHistory` field returns for its `first` argument. */
export function metricHistoryPageSize(first: number | null | undefined): number {
  return first == null ? MAX_METRIC_HISTORY_PAGE : Math.min(Math.max(first, 0), MAX_METRIC_HISTORY_PAGE);
}

export const IterationRef = builder.prismaNode("Iteration", {
  select: { id: true },
  description: "A training run of an experiment: its parameters, metrics and outputs.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    number: t.exposeInt("number", { description: "1..n within the experiment, in creation order." }),
    status: t.expose("status", { type: IterationStatusEnum, description: "RUNNING, COMPLETED or FAILED." }),
    params: t.field({ type: [KeyValueRef], description: "Hyper-parameters.", select: { params: true }, resolve: (i) => tagsField(i.params) }),
    tags: t.field({ type: [KeyValueRef], description: "Tags.", select: { tags: true }, resolve: (i) => tagsField(i.tags) }),
    startedAt: t.expose("startedAt", { type: "DateTime", description: "Start time." }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true, description: "End time, once finished." }),
    experiment: t.relation("experiment", { description: "The experiment this run belongs to." }),
    project: t.relation("project", { description: "The owning project." }),
    metrics: t.field({
      type: [MetricPointRef],
      description: "The latest value of each metric (at most 1,000 metrics per iteration).",
      resolve: (i, _args, ctx) => latestMetrics(ctx, i.id),
    }),
    metricHistory: t.field({
      type: [MetricPointRef],
      description: `The logged values of one metric, by step: at most \`first\` (default and maximum ${MAX_METRIC_HISTORY_PAGE.toLocaleString("en-US")}) points with a step after \`afterStep\`; read the next page with the last step seen as \`afterStep\`.`,
      args: {
        name: t.arg.string({ required: true, description: "The metric." }),
        afterStep: t.arg.int({ description: "Only points with a greater step." }),
        first: t.arg.int({ description: `Points to return (default and maximum ${MAX_METRIC_HISTORY_PAGE}).` }),
      },
      select: (args) => ({
        metrics: {
          where: { name: args.name, ...(args.afterStep != null ? { step: { gt: args.afterStep } } : {}) },
          orderBy: [{ step: "asc" }, { id: "asc" }],
          take: metricHistoryPageSize(args.first),
        },
      }),
      resolve: (i) => i.metrics,
    }),
    modelVersions: t.relatedConnection("modelVersions", {
      description: "Model versions produced by this run.",
      cursor: "id",
      args: { filter: t.arg({ type: ModelVersionFilter }), orderBy: t.arg({ type: ModelVersionOrder }) },
      extensions: { [CURSOR_KEY]: "mixed" },
      query: (args) => versionListQuery(args),
    }, VERSION_LIST_CONNECTION),
    resources: t.relatedConnection("resources", {
      description: "Artifacts produced by this run.",
      cursor: "id",
      totalCount: true,
      query: { where: { deletedAt: null }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
    }),
  }),
});

// ---- mutations ----

const ExperimentPayload = (name: string) =>
  builder.objectRef<{ experiment: { id: string } }>(name).implement({
    description: "The experiment after the change.",
    fields: (t) => ({ experiment: t.field({ type: ExperimentRef, description: "The experiment.", resolve: (p) => p.experiment as never }) }),
  });

const CreateExperimentInput = builder.inputType("CreateExperimentInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The project." }),
    name: t.string({ required: true, description: "Pattern ^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$." }),
    description: t.string({ description: "≤ 32,768 characters." }),
    tags: t.field({ type: [KeyValueInput], description: "≤ 64 tags." }),
  }),
});

builder.mutationField("createExperiment", (t) =>
  t.field({
    type: ExperimentPayload("CreateExperimentPayload"),
    description: "Creates an experiment in a project.",
    args: { input: t.arg({ type: CreateExperimentInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ experiment: await createExperiment(ctx, input) }),
  }),
);

const UpdateExperimentInput = builder.inputType("UpdateExperimentInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The experiment." }),
    name: t.string({ description: "New name." }),
    description: t.string({ description: "New description." }),
    tags: t.field({ type: [KeyValueInput], description: "Replaces all tags." }),
    status: t.field({ type: SettableStatusEnum, description: "Deprecate or un-deprecate." }),
  }),
});

builder.mutationField("updateExperiment", (t) =>
  t.field({
    type: ExperimentPayload("UpdateExperimentPayload"),
    description: "Renames, re-describes, re-tags or (un)deprecates an experiment.",
    args: { input: t.arg({ type: UpdateExperimentInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ experiment: await updateExperiment(ctx, input) }),
  }),
);

const ArchiveExperimentInput = builder.inputType("ArchiveExperimentInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The experiment." }) }),
});

builder.mutationField("archiveExperiment", (t) =>
  t.field({
    type: ExperimentPayload("ArchiveExperimentPayload"),
    description: "Archives an experiment.",
    args: { input: t.arg({ type: ArchiveExperimentInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ experiment: await archiveExperiment(ctx, input) }),
  }),
);

const IterationPayload = (name: string) =>
  builder.objectRef<{ iteration: { id: string } }>(name).implement({
    description: "The iteration after the change.",
    fields: (t) => ({ iteration: t.field({ type: IterationRef, description: "The iteration.", resolve: (p) => p.iteration as never }) }),
  });

const CreateIterationInput = builder.inputType("CreateIterationInput", {
  fields: (t) => ({
    experimentId: t.id({ required: true, description: "The experiment." }),
    params: t.field({ type: [KeyValueInput], description: "Hyper-parameters (≤ 1,000)." }),
    tags: t.field({ type: [KeyValueInput], description: "≤ 64 tags." }),
  }),
});

builder.mutationField("createIteration", (t) =>
  t.field({
    type: IterationPayload("CreateIterationPayload"),
    description: "Starts a training run (RUNNING) with the next number of its experiment.",
    args: { input: t.arg({ type: CreateIterationInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ iteration: await createIteration(ctx, input) }),
  }),
);

const MetricPointInput = builder.inputType("MetricPointInput", {
  description: "One value of a metric at a step.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Metric name." }),
    value: t.float({ required: true, description: "A finite number." }),
    step: t.int({ description: "Training step (default 0)." }),
  }),
});

const LogIterationMetricsInput = builder.inputType("LogIterationMetricsInput", {
  fields: (t) => ({
    iterationId: t.id({ required: true, description: "A RUNNING iteration." }),
    metrics: t.field({ type: [MetricPointInput], required: true, description: "≤ 10,000 points." }),
  }),
});

builder.mutationField("logIterationMetrics", (t) =>
  t.field({
    type: IterationPayload("LogIterationMetricsPayload"),
    description: "Appends metric values to a running iteration.",
    args: { input: t.arg({ type: LogIterationMetricsInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ iteration: await logIterationMetrics(ctx, input) }),
  }),
);

const FinishedStatusEnum = builder.enumType("FinishedIterationStatus", {
  description: "How a run ended.",
  values: { COMPLETED: { description: "Success." }, FAILED: { description: "Failure." } } as const,
});

const FinishIterationInput = builder.inputType("FinishIterationInput", {
  fields: (t) => ({
    iterationId: t.id({ required: true, description: "A RUNNING iteration." }),
    status: t.field({ type: FinishedStatusEnum, defaultValue: "COMPLETED", description: "Outcome." }),
  }),
});

builder.mutationField("finishIteration", (t) =>
  t.field({
    type: IterationPayload("FinishIterationPayload"),
    description: "Ends a running iteration.",
    args: { input: t.arg({ type: FinishIterationInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ iteration: await finishIteration(ctx, input) }),
  }),
);
