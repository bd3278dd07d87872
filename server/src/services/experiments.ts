import { authorize, type Action } from "../access/permissions.ts";
import { NotFoundError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { checkNamedObjectInput, toMap, type KeyValue } from "../domain/rules.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { assertNotArchived, withNameGuard } from "./named-objects.ts";
import { loadProjectForWrite } from "./projects.ts";

export interface CreateExperimentInput {
  projectId: string;
  name: string;
  description?: string | null;
  tags?: KeyValue[] | null;
}

export async function createExperiment(ctx: ServiceContext, input: CreateExperimentInput) {
  checkNamedObjectInput(input);
  return withNameGuard("Experiment", input.name, () =>
    transaction(ctx.prisma, async (tx) => {
      const project = await loadProjectForWrite(ctx, tx, input.projectId, "write");
      const experiment = await tx.experiment.create({
        data: {
          projectId: project.id,
          name: input.name,
          description: input.description ?? "",
          tags: toMap(input.tags ?? []),
          createdById: ctx.viewer.userId,
        },
      });
      audit(tx, ctx, { action: "createExperiment", targetType: "Experiment", targetId: experiment.id, projectId: project.id, after: experiment });
      return experiment;
    }),
  );
}

export interface UpdateExperimentInput {
  id: string;
  name?: string | null;
  description?: string | null;
  tags?: KeyValue[] | null;
  status?: "ACTIVE" | "DEPRECATED" | null;
}

export async function updateExperiment(ctx: ServiceContext, input: UpdateExperimentInput) {
  checkNamedObjectInput(input);
  return withNameGuard("Experiment", input.name, () =>
    transaction(ctx.prisma, async (tx) => {
      const experiment = await loadExperimentForWrite(ctx, tx, input.id, "write");
      const { project: _project, ...before } = experiment;
      const updated = await tx.experiment.update({
        where: { id: experiment.id },
        data: {
          name: input.name ?? undefined,
          description: input.description ?? undefined,
          tags: input.tags ? toMap(input.tags) : undefined,
          status: input.status ?? undefined,
        },
      });
      audit(tx, ctx, { action: "updateExperiment", targetType: "Experiment", targetId: experiment.id, projectId: experiment.projectId, before, after: updated });
      return updated;
    }),
  );
}

export async function archiveExperiment(ctx: ServiceContext, input: { id: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const experiment = await loadExperimentForWrite(ctx, tx, input.id, "delete");
    const archived = await tx.experiment.update({ where: { id: experiment.id }, data: { status: "ARCHIVED" } });
    audit(tx, ctx, { action: "archiveExperiment", targetType: "Experiment", targetId: experiment.id, projectId: experiment.projectId, after: archived });
    return archived;
  });
}

/** Loads an experiment the viewer may change; archived experiments and projects are read-only. */
export async function loadExperimentForWrite(ctx: ServiceContext, tx: Tx, ref: string, action: Action) {
  const notFound = () => new NotFoundError("Experiment", ref);
  const experiment = await tx.experiment.findUnique({
    where: { id: idOf("Experiment", ref) },
    include: { project: { select: { status: true, name: true, id: true } } },
  });
  if (!experiment) throw notFound();
  await authorize(tx, ctx.viewer, experiment.projectId, action, notFound);
  assertNotArchived("Project", experiment.project);
  assertNotArchived("Experiment", experiment);
  return experiment;
}
