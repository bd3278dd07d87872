import { authorize } from "../access/permissions.ts";
import { NotFoundError, ValidationError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { check, MAX_METRIC_POINTS_PER_CALL, MAX_METRICS_PER_ITERATION, MAX_PARAMS, toMap, type KeyValue } from "../domain/rules.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadExperimentForWrite } from "./experiments.ts";
import { assertNotArchived } from "./named-objects.ts";

export interface CreateIterationInput {
  experimentId: string;
  params?: KeyValue[] | null;
  tags?: KeyValue[] | null;
}

/** Starts a training run; its number is the next for the experiment, assigned in this transaction. */
export async function createIteration(ctx: ServiceContext, input: CreateIterationInput) {
  check().keyValues(["input", "params"], input.params, MAX_PARAMS).keyValues(["input", "tags"], input.tags).done();
  return transaction(ctx.prisma, async (tx) => {
    const experiment = await loadExperimentForWrite(ctx, tx, input.experimentId, "write");
    // The row lock taken by this increment serialises concurrent creators, so numbers stay contiguous.
    const { nextIterationNumber } = await tx.experiment.update({
      where: { id: experiment.id },
      data: { nextIterationNumber: { increment: 1 } },
      select: { nextIterationNumber: true },
    });
    const iteration = await tx.iteration.create({
      data: {
        projectId: experiment.projectId,
        experimentId: experiment.id,
        number: nextIterationNumber - 1,
        params: toMap(input.params ?? []),
        tags: toMap(input.tags ?? []),
        createdById: ctx.viewer.userId,
      },
    });
    audit(tx, ctx, { action: "createIteration", targetType: "Iteration", targetId: iteration.id, projectId: iteration.projectId, after: iteration });
    return iteration;
  });
}

export interface MetricPointInput {
  name: string;
  value: number;
  step?: number | null;
}

export async function logIterationMetrics(ctx: ServiceContext, input: { iterationId: string; metrics: MetricPointInput[] }) {
  check()
    .metrics(["input", "metrics"], input.metrics, MAX_METRIC_POINTS_PER_CALL)
    .require(input.metrics.every((m) => m.step == null || m.step >= 0), ["input", "metrics"], "steps must be non-negative")
    .done();
  return transaction(ctx.prisma, async (tx) => {
    const iteration = await loadIterationForWrite(ctx, tx, input.iterationId);
    if (iteration.status !== "RUNNING") {
      throw ValidationError.single(["input", "iterationId"], `the iteration is ${iteration.status}; metrics can only be logged while it is RUNNING`);
    }
    await assertMetricNamesWithinCap(tx, iteration.id, input.metrics);
    await tx.metricPoint.createMany({
      data: input.metrics.map((m) => ({ iterationId: iteration.id, name: m.name, value: m.value, step: m.step ?? 0 })),
    });
    audit(tx, ctx, { action: "logIterationMetrics", targetType: "Iteration", targetId: iteration.id, projectId: iteration.projectId, after: { metrics: input.metrics } });
    return iteration;
  });
}

export async function finishIteration(
  ctx: ServiceContext,
  input: { iterationId: string; status?: "COMPLETED" | "FAILED" | null },
) {
  return transaction(ctx.prisma, async (tx) => {
    const iteration = await loadIterationForWrite(ctx, tx, input.iterationId);
    if (iteration.status !== "RUNNING") {
      throw ValidationError.single(["input", "iterationId"], `the iteration already finished as ${iteration.status}`);
    }
    const finished = await tx.iteration.update({
      where: { id: iteration.id },
      data: { status: input.status ?? "COMPLETED", endedAt: new Date() },
    });
    audit(tx, ctx, { action: "finishIteration", targetType: "Iteration", targetId: iteration.id, projectId: iteration.projectId, before: iteration, after: finished });
    return finished;
  });
}

/**
 * An iteration has at most MAX_METRICS_PER_ITERATION metric names (its `metrics` list is read whole). Under the
 * iteration's row lock, so concurrent loggers cannot each add names that together pass the cap.
 */
async function assertMetricNamesWithinCap(tx: Tx, iterationId: string, points: readonly MetricPointInput[]): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM "Iteration" WHERE "id" = ${iterationId} FOR UPDATE`;
  const incoming = new Set(points.map((p) => p.name));
  if (incoming.size === 0) return;
  const existing = await tx.$queryRaw<{ names: bigint }[]>`
    SELECT count(DISTINCT "name") AS names FROM "MetricPoint" WHERE "iterationId" = ${iterationId} AND NOT ("name" = ANY(${[...incoming]}))`;
  const names = Number(existing[0]?.names ?? 0) + incoming.size;
  if (names > MAX_METRICS_PER_ITERATION) {
    throw ValidationError.single(
      ["input", "metrics"],
      `an iteration may have at most ${MAX_METRICS_PER_ITERATION} metrics (this call would make it ${names})`,
    );
  }
}

/** Loads an iteration the viewer may change; iterations of archived experiments (or projects) are read-only. */
async function loadIterationForWrite(ctx: ServiceContext, tx: Tx, ref: string) {
  const notFound = () => new NotFoundError("Iteration", ref);
  const iteration = await tx.iteration.findUnique({
    where: { id: idOf("Iteration", ref) },
    include: { experiment: { select: { id: true, status: true, project: { select: { id: true, status: true } } } } },
  });
  if (!iteration) throw notFound();
  await authorize(tx, ctx.viewer, iteration.projectId, "write", notFound);
  assertNotArchived("Project", iteration.experiment.project);
  assertNotArchived("Experiment", iteration.experiment);
  return iteration;
}
