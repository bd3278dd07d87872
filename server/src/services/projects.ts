import { authorize, authorizeCreateProject, type Action } from "../access/permissions.ts";
import { NotFoundError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { checkNamedObjectInput, toMap, type KeyValue } from "../domain/rules.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { assertNotArchived, withNameGuard } from "./named-objects.ts";

export interface CreateProjectInput {
  name: string;
  description?: string | null;
  tags?: KeyValue[] | null;
}

export async function createProject(ctx: ServiceContext, input: CreateProjectInput) {
  checkNamedObjectInput(input);
  authorizeCreateProject(ctx.viewer);
  return withNameGuard("Project", input.name, () =>
    transaction(ctx.prisma, async (tx) => {
      const project = await tx.project.create({
        data: {
          name: input.name,
          description: input.description ?? "",
          tags: toMap(input.tags ?? []),
          createdById: ctx.viewer.userId,
        },
      });
      // The creator administers the project they created.
      await tx.membership.create({ data: { projectId: project.id, userId: ctx.viewer.userId, role: "ADMIN" } });
      audit(tx, ctx, { action: "createProject", targetType: "Project", targetId: project.id, projectId: project.id, after: project });
      return project;
    }),
  );
}

export interface UpdateProjectInput {
  id: string;
  name?: string | null;
  description?: string | null;
  tags?: KeyValue[] | null;
  status?: "ACTIVE" | "DEPRECATED" | null;
}

export async function updateProject(ctx: ServiceContext, input: UpdateProjectInput) {
  checkNamedObjectInput(input);
  return withNameGuard("Project", input.name, () =>
    transaction(ctx.prisma, async (tx) => {
      const project = await loadProjectForWrite(ctx, tx, input.id, "write");
      const updated = await tx.project.update({
        where: { id: project.id },
        data: {
          name: input.name ?? undefined,
          description: input.description ?? undefined,
          tags: input.tags ? toMap(input.tags) : undefined,
          status: input.status ?? undefined,
        },
      });
      audit(tx, ctx, { action: "updateProject", targetType: "Project", targetId: project.id, projectId: project.id, before: project, after: updated });
      return updated;
    }),
  );
}

export async function archiveProject(ctx: ServiceContext, input: { id: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.id, "delete");
    const archived = await tx.project.update({ where: { id: project.id }, data: { status: "ARCHIVED" } });
    audit(tx, ctx, { action: "archiveProject", targetType: "Project", targetId: project.id, projectId: project.id, before: project, after: archived });
    return archived;
  });
}

/** Loads a project the viewer may change; `ref` is the global id the caller passed. */
export async function loadProjectForWrite(ctx: ServiceContext, tx: Tx, ref: string, action: Action) {
  const notFound = () => new NotFoundError("Project", ref);
  const project = await tx.project.findUnique({ where: { id: idOf("Project", ref) } });
  if (!project) throw notFound();
  await authorize(tx, ctx.viewer, project.id, action, notFound);
  assertNotArchived("Project", project);
  return project;
}
