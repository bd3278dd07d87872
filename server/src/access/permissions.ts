// The one place that decides who may do what. Services call `authorize` before writing; reads take their
// `where` from the visibility fragments below, so no query can forget them.
import { ForbiddenError, NotFoundError } from "../domain/errors.ts";
import type { Role } from "../generated/prisma/enums.ts";
import type { Prisma } from "../db/database.ts";
import type { Tx } from "../db/transaction.ts";
import type { Viewer } from "./viewer.ts";

/** Actions on a project's objects, each mapped to the least role that may perform it (DESIGN.md §3). */
export const REQUIRED_ROLE = {
  read: "VIEWER",
  write: "EDITOR",
  transition: "EDITOR",
  delete: "ADMIN",
  approve: "ADMIN",
  manage: "ADMIN",
} as const satisfies Record<string, Role>;

export type Action = keyof typeof REQUIRED_ROLE;

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

/** Prisma `where` for the projects the viewer may see. */
export function visibleProjectWhere(viewer: Viewer) {
  return viewer.isAdmin ? {} : { members: { some: { userId: viewer.userId } } };
}

/** Prisma `where` for objects that carry a `projectId` (experiments, models, versions, iterations, resources). */
export function inVisibleProjectWhere(viewer: Viewer) {
  return viewer.isAdmin ? {} : { project: visibleProjectWhere(viewer) };
}

/** Prisma `where` for objects that carry a `projectId` and only the project's ADMINs may see (webhooks). */
export function inManagedProjectWhere(viewer: Viewer) {
  return viewer.isAdmin ? {} : { project: { members: { some: { userId: viewer.userId, role: REQUIRED_ROLE.manage } } } };
}

/** The viewer's role in a project, or null when the project is invisible to them. */
export async function roleIn(db: Prisma | Tx, viewer: Viewer, projectId: string): Promise<Role | null> {
  if (viewer.isAdmin) return "ADMIN";
  const membership = await db.membership.findUnique({
    where: { projectId_userId: { projectId, userId: viewer.userId } },
    select: { role: true },
  });
  return membership?.role ?? null;
}

/**
 * Throws unless the viewer may perform `action` in the project. A project the viewer cannot see is
 * reported as not found (named by what the caller passed), so nothing leaks about it.
 */
export async function authorize(
  db: Prisma | Tx,
  viewer: Viewer,
  projectId: string,
  action: Action,
  notFound: () => NotFoundError,
): Promise<void> {
  assertRole(await roleIn(db, viewer, projectId), action, notFound);
}

/**
 * `authorize` for a role the caller has already read (with the object it guards, in one statement): null means the
 * project is invisible to the viewer. An instance admin is ADMIN everywhere, whatever was read.
 */
export function assertRole(role: Role | null, action: Action, notFound: () => NotFoundError, viewer?: Viewer): void {
  if (viewer?.isAdmin) role = "ADMIN";
  if (role === null) throw notFound();
  const required = REQUIRED_ROLE[action];
  if (RANK[role] < RANK[required]) throw new ForbiddenError(action, required);
}

/** Creating projects is reserved to instance admins. */
export function authorizeCreateProject(viewer: Viewer): void {
  if (!viewer.isAdmin) throw new ForbiddenError("create projects", "instance admin");
}

const roleCache = new WeakMap<object, Map<string, Promise<Role | null>>>();

/** The viewer's role in a project, memoised for the life of one request context. */
export function cachedRoleIn(ctx: { prisma: Prisma; viewer: Viewer }, projectId: string): Promise<Role | null> {
  let perRequest = roleCache.get(ctx);
  if (!perRequest) roleCache.set(ctx, (perRequest = new Map()));
  let role = perRequest.get(projectId);
  if (!role) perRequest.set(projectId, (role = roleIn(ctx.prisma, ctx.viewer, projectId)));
  return role;
}

/** Whether the viewer may perform `action` in the project (for `viewerCan…` fields; never throws). */
export async function can(ctx: { prisma: Prisma; viewer: Viewer }, projectId: string, action: Action): Promise<boolean> {
  const role = await cachedRoleIn(ctx, projectId);
  return role !== null && RANK[role] >= RANK[REQUIRED_ROLE[action]];
}
