// Users, API tokens and project memberships.
import { displayPrefix, generateToken, hashToken } from "../access/tokens.ts";
import { ForbiddenError, NameConflictError, NotFoundError, ValidationError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { check } from "../domain/rules.ts";
import { isUniqueViolation, markAccessChanged, transaction, type Tx } from "../db/transaction.ts";
import type { Role } from "../generated/prisma/enums.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadProjectForWrite } from "./projects.ts";

export interface CreateUserInput {
  name: string;
  displayName?: string | null;
  isAdmin?: boolean | null;
}

/** Creates a user (a person or a service account). Instance admins only. */
export async function createUser(ctx: ServiceContext, input: CreateUserInput) {
  check().name(["input", "name"], input.name).maxLength(["input", "displayName"], input.displayName, 255).done();
  if (!ctx.viewer.isAdmin) throw new ForbiddenError("create users", "instance admin");
  try {
    return await transaction(ctx.prisma, async (tx) => {
      const user = await tx.user.create({ data: { name: input.name, displayName: input.displayName ?? null, isAdmin: input.isAdmin ?? false } });
      audit(tx, ctx, { action: "createUser", targetType: "User", targetId: user.id, after: user });
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new NameConflictError("User", input.name);
    throw error;
  }
}

export interface CreateApiTokenInput {
  name: string;
  /** Another user (a service account): instance admins only. Default: yourself. */
  userId?: string | null;
  expiresAt?: Date | null;
}

/**
 * Creates a token. The secret is returned here once and never again; only its hash is stored. The token the caller
 * authenticated with is recorded as its parent: the new one may not outlive it (no expiry given: it inherits the
 * parent's) and is revoked with it.
 */
export async function createApiToken(ctx: ServiceContext, input: CreateApiTokenInput) {
  check()
    .require(input.name.trim().length > 0 && input.name.length <= 255, ["input", "name"], "must be 1 to 255 characters")
    .require(!input.expiresAt || input.expiresAt.getTime() > Date.now(), ["input", "expiresAt"], "must be in the future")
    .done();
  const userId = input.userId ? idOf("User", input.userId) : ctx.viewer.userId;
  if (userId !== ctx.viewer.userId && !ctx.viewer.isAdmin) throw new ForbiddenError("create tokens for other users", "instance admin");
  return transaction(ctx.prisma, async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new NotFoundError("User", input.userId ?? userId);
    const parent = ctx.viewer.tokenId ? await tx.apiToken.findUnique({ where: { id: ctx.viewer.tokenId }, select: { id: true, expiresAt: true } }) : null;
    if (parent?.expiresAt && input.expiresAt && input.expiresAt > parent.expiresAt) {
      throw ValidationError.single(
        ["input", "expiresAt"],
        `must not be later than the expiry of the token creating it (${parent.expiresAt.toISOString()}): a token cannot outlive the token that created it`,
      );
    }
    const secret = generateToken();
    const apiToken = await tx.apiToken.create({
      data: {
        userId,
        name: input.name,
        prefix: displayPrefix(secret),
        tokenHash: hashToken(secret),
        expiresAt: input.expiresAt ?? parent?.expiresAt ?? null,
        parentTokenId: parent?.id ?? null,
      },
    });
    audit(tx, ctx, { action: "createApiToken", targetType: "ApiToken", targetId: apiToken.id, after: apiToken });
    return { apiToken, secret };
  });
}

/**
 * Revokes a token: your own, or anyone's for instance admins. Revoking twice is harmless. The tokens created with
 * it (and those created with them, transitively) are revoked in the same transaction, each audited. Their open
 * subscriptions end, on every replica, once this commits.
 */
export async function revokeApiToken(ctx: ServiceContext, input: { id: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const token = await tx.apiToken.findUnique({ where: { id: idOf("ApiToken", input.id) } });
    if (!token || (token.userId !== ctx.viewer.userId && !ctx.viewer.isAdmin)) throw new NotFoundError("ApiToken", input.id);
    const now = new Date();
    const revoked = token.revokedAt ? token : await tx.apiToken.update({ where: { id: token.id }, data: { revokedAt: now } });
    audit(tx, ctx, { action: "revokeApiToken", targetType: "ApiToken", targetId: token.id, before: token, after: revoked });
    // Descendants, level by level; already revoked ones are walked through too (their children may not be).
    const seen = new Set([token.id]);
    for (let frontier = [token.id]; frontier.length > 0; ) {
      const children = await tx.apiToken.findMany({ where: { parentTokenId: { in: frontier }, id: { notIn: [...seen] } } });
      frontier = children.map((child) => child.id);
      for (const child of children) {
        seen.add(child.id);
        if (child.revokedAt) continue;
        const after = await tx.apiToken.update({ where: { id: child.id }, data: { revokedAt: now } });
        audit(tx, ctx, { action: "revokeApiToken", targetType: "ApiToken", targetId: child.id, before: child, after: { ...after, revokedWith: token.id } });
      }
    }
    markAccessChanged(tx);
    return revoked;
  });
}

/** Serialises deactivations, so two admins deactivating each other cannot leave the instance without one. */
const DEACTIVATION_LOCK = 72707372;

/**
 * Deactivates a user (instance admins only): none of their tokens authenticate any more, and their open
 * subscriptions end on every replica once this commits. An admin cannot deactivate themselves, nor the last
 * active instance admin. Deactivating twice is harmless.
 */
export async function deactivateUser(ctx: ServiceContext, input: { userId: string }) {
  if (!ctx.viewer.isAdmin) throw new ForbiddenError("deactivate users", "instance admin");
  const userId = idOf("User", input.userId);
  if (userId === ctx.viewer.userId) throw ValidationError.single(["input", "userId"], "you cannot deactivate yourself (an instance must keep an active admin)");
  return transaction(ctx.prisma, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${DEACTIVATION_LOCK})`;
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new NotFoundError("User", input.userId);
    // The caller may have been deactivated by a concurrent request since it authenticated.
    const others = await tx.user.count({ where: { isAdmin: true, deactivatedAt: null, id: { not: user.id } } });
    if (user.isAdmin && others === 0) throw ValidationError.single(["input", "userId"], "the last active instance admin cannot be deactivated");
    const after = user.deactivatedAt ? user : await tx.user.update({ where: { id: user.id }, data: { deactivatedAt: new Date() } });
    audit(tx, ctx, { action: "deactivateUser", targetType: "User", targetId: user.id, before: user, after });
    markAccessChanged(tx);
    return after;
  });
}

/** Reactivates a deactivated user (instance admins only): their tokens that are neither revoked nor expired work again. */
export async function reactivateUser(ctx: ServiceContext, input: { userId: string }) {
  if (!ctx.viewer.isAdmin) throw new ForbiddenError("reactivate users", "instance admin");
  return transaction(ctx.prisma, async (tx) => {
    const user = await tx.user.findUnique({ where: { id: idOf("User", input.userId) } });
    if (!user) throw new NotFoundError("User", input.userId);
    const after = user.deactivatedAt ? await tx.user.update({ where: { id: user.id }, data: { deactivatedAt: null } }) : user;
    audit(tx, ctx, { action: "reactivateUser", targetType: "User", targetId: user.id, before: user, after });
    return after;
  });
}

export interface MemberInput {
  projectId: string;
  userId: string;
  role: Role;
}

export async function addProjectMember(ctx: ServiceContext, input: MemberInput) {
  return transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.projectId, "manage");
    const user = await tx.user.findUnique({ where: { id: idOf("User", input.userId) } });
    if (!user) throw new NotFoundError("User", input.userId);
    const existing = await tx.membership.findUnique({ where: { projectId_userId: { projectId: project.id, userId: user.id } } });
    if (existing) throw ValidationError.single(["input", "userId"], `the user is already a member (${existing.role}); use updateProjectMember`);
    const membership = await tx.membership.create({ data: { projectId: project.id, userId: user.id, role: input.role } });
    audit(tx, ctx, { action: "addProjectMember", targetType: "Project", targetId: project.id, projectId: project.id, after: membership });
    return membership;
  });
}

export async function updateProjectMember(ctx: ServiceContext, input: MemberInput) {
  return transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.projectId, "manage");
    const membership = await loadMembership(tx, project.id, input.userId);
    if (membership.role === "ADMIN" && input.role !== "ADMIN") await assertAnotherAdmin(tx, project.id, membership.userId);
    const updated = await tx.membership.update({
      where: { projectId_userId: { projectId: project.id, userId: membership.userId } },
      data: { role: input.role },
    });
    audit(tx, ctx, { action: "updateProjectMember", targetType: "Project", targetId: project.id, projectId: project.id, before: membership, after: updated });
    return updated;
  });
}

export async function removeProjectMember(ctx: ServiceContext, input: { projectId: string; userId: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.projectId, "manage");
    const membership = await loadMembership(tx, project.id, input.userId);
    if (membership.role === "ADMIN") await assertAnotherAdmin(tx, project.id, membership.userId);
    await tx.membership.delete({ where: { projectId_userId: { projectId: project.id, userId: membership.userId } } });
    audit(tx, ctx, { action: "removeProjectMember", targetType: "Project", targetId: project.id, projectId: project.id, before: membership });
    return membership;
  });
}

async function loadMembership(tx: Tx, projectId: string, userRef: string) {
  const userId = idOf("User", userRef);
  const membership = await tx.membership.findUnique({ where: { projectId_userId: { projectId, userId } } });
  if (!membership) throw new NotFoundError("ProjectMember", userRef);
  return membership;
}

/** A project always keeps at least one ADMIN. */
async function assertAnotherAdmin(tx: Tx, projectId: string, leavingUserId: string) {
  const others = await tx.membership.count({ where: { projectId, role: "ADMIN", userId: { not: leavingUserId } } });
  if (others === 0) throw ValidationError.single(["input", "userId"], "a project must keep at least one ADMIN");
}

