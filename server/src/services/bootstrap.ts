import type { Viewer } from "../access/viewer.ts";
import type { Prisma } from "../db/database.ts";

export const LOCAL_ADMIN_NAME = "admin";

/**
 * Ensures the instance has its administrator and returns it as a viewer. Until API tokens exist
 * (access issue), every request acts as this user.
 */
export async function ensureLocalAdmin(prisma: Prisma): Promise<Viewer> {
  const existing = await prisma.user.findFirst({ where: { isAdmin: true }, orderBy: { createdAt: "asc" } });
  const admin =
    existing ??
    (await prisma.user.create({ data: { name: LOCAL_ADMIN_NAME, displayName: "Administrator", isAdmin: true } }));
  return { userId: admin.id, name: admin.name, isAdmin: true };
}
