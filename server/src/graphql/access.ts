// Users, API tokens, project members, the audit log, and what the viewer may do.
import { VIEWER_DEPENDENT } from "../events/multicast.ts";
import { GraphQLError } from "graphql";
import { can } from "../access/permissions.ts";
import { ForbiddenError } from "../domain/errors.ts";
import { decodeGlobalId, encodeGlobalId } from "../domain/ids.ts";
import {
  addProjectMember,
  createApiToken,
  createUser,
  deactivateUser,
  reactivateUser,
  removeProjectMember,
  revokeApiToken,
  updateProjectMember,
} from "../services/users.ts";
import { builder } from "./builder.ts";
import { COMMON_ERRORS, NameConflictError } from "./errors.ts";
import { UserRef } from "./users.ts";
import { CURSOR_KEY } from "./cursors.ts";

export const RoleEnum = builder.enumType("Role", {
  description: "A member's role in a project.",
  values: {
    VIEWER: { description: "Reads everything in the project." },
    EDITOR: { description: "Also creates and updates: versions, iterations, uploads, transitions without approval." },
    ADMIN: { description: "Also deletes, approves, and manages members and webhooks." },
  } as const,
});

builder.prismaNode("ApiToken", {
  description: "An API token. Its secret is shown only when created.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...(ctx.viewer.isAdmin ? {} : { userId: ctx.viewer.userId }) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "What it is for." }),
    prefix: t.exposeString("prefix", { description: "The first characters of the secret, to tell tokens apart." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Creation time." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "Expiry, if any." }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true, description: "Last use (to the minute)." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true, description: "When revoked." }),
    user: t.relation("user", { description: "Whose token it is." }),
  }),
});

builder.prismaObjectField("User", "tokens", (t) =>
  t.relatedConnection("tokens", {
    description: "API tokens of the user (only your own, unless you are an instance admin).",
    cursor: "id",
    totalCount: true,
    query: (_args, ctx) => ({
      where: ctx.viewer.isAdmin ? {} : { userId: ctx.viewer.userId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    }),
  }),
);

export const MemberRef = builder.prismaObject("Membership", {
  name: "ProjectMember",
  description: "A user's role in a project.",
  fields: (t) => ({
    role: t.expose("role", { type: RoleEnum, description: "The role." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Member since." }),
    user: t.relation("user", { description: "The member." }),
    project: t.relation("project", { description: "The project." }),
  }),
});

builder.prismaObjectField("Project", "members", (t) =>
  t.relatedConnection("members", {
    description: "Who has access, and with which role.",
    cursor: "id",
    totalCount: true,
    query: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
  }),
);

builder.prismaObjectField("Project", "viewerRole", (t) =>
  t.field({
    type: RoleEnum,
    nullable: true,
    description: "Your role here (instance admins act as ADMIN).",
    extensions: VIEWER_DEPENDENT,
    resolve: async (p, _args, ctx) => {
      if (ctx.viewer.isAdmin) return "ADMIN";
      const m = await ctx.prisma.membership.findUnique({ where: { projectId_userId: { projectId: p.id, userId: ctx.viewer.userId } } });
      return m?.role ?? null;
    },
  }),
);

/** `viewerCan…` fields, so a UI knows which actions to offer. */
function viewerCan(typename: "Project" | "Model" | "ModelVersion", fields: Record<string, { action: Parameters<typeof can>[2]; description: string }>) {
  for (const [name, { action, description }] of Object.entries(fields)) {
    builder.prismaObjectField(typename, name, (t) =>
      t.boolean({
        description,
        extensions: VIEWER_DEPENDENT,
        // A project is its own scope; a model or version is checked against its project.
        select: (typename === "Project" ? { id: true } : { projectId: true }) as never,
        resolve: (row, _args, ctx) => can(ctx, (row as { projectId?: string; id: string }).projectId ?? row.id, action),
      }),
    );
  }
}

viewerCan("Project", {
  viewerCanUpdate: { action: "write", description: "Whether you may create and update things in this project." },
  viewerCanArchive: { action: "delete", description: "Whether you may archive the project or delete things in it." },
  viewerCanManageMembers: { action: "manage", description: "Whether you may manage members and webhooks." },
});
viewerCan("Model", {
  viewerCanUpdate: { action: "write", description: "Whether you may update the model and register versions." },
  viewerCanTransition: { action: "transition", description: "Whether you may move versions (where no approval is needed)." },
  viewerCanApprove: { action: "approve", description: "Whether you may approve transition requests and change the approval policy." },
  viewerCanArchive: { action: "delete", description: "Whether you may archive the model." },
});
viewerCan("ModelVersion", {
  viewerCanUpdate: { action: "write", description: "Whether you may update this version." },
  viewerCanTransition: { action: "transition", description: "Whether you may move it (where no approval is needed)." },
  viewerCanApprove: { action: "approve", description: "Whether you may approve requests for it." },
  viewerCanDelete: { action: "delete", description: "Whether you may delete it." },
});

// ---- audit log ----

const AuditEntryRef = builder.prismaObject("AuditEntry", {
  description: "One successful mutation.",
  fields: (t) => ({
    id: t.id({ description: "Entry id.", resolve: (e) => encodeGlobalId("AuditEntry", e.id) }),
    action: t.exposeString("action", { description: "The mutation, e.g. createModelVersion." }),
    targetType: t.exposeString("targetType", { nullable: true, description: "Type of the changed object." }),
    targetId: t.exposeString("targetId", { nullable: true, description: "Global id of the changed object." }),
    projectId: t.string({ nullable: true, description: "Global id of its project.", resolve: (e) => (e.projectId ? encodeGlobalId("Project", e.projectId) : null) }),
    before: t.string({ nullable: true, description: "The object before (JSON).", resolve: (e) => (e.before == null ? null : JSON.stringify(e.before)) }),
    after: t.string({ nullable: true, description: "The object after (JSON).", resolve: (e) => (e.after == null ? null : JSON.stringify(e.after)) }),
    requestId: t.exposeString("requestId", { nullable: true, description: "Request id (X-Request-Id)." }),
    at: t.expose("at", { type: "DateTime", description: "When." }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who did it.",
      resolve: (query, e, _args, ctx) => (e.actorId ? ctx.prisma.user.findUnique({ ...query, where: { id: e.actorId } }) : null),
    }),
  }),
});

const AuditFilter = builder.inputType("AuditLogFilter", {
  description: "Filters the audit log.",
  fields: (t) => ({
    projectId: t.id({ description: "Entries of this project (required unless you are an instance admin)." }),
    actorId: t.id({ description: "Entries by this user." }),
    action: t.string({ description: "Entries of this mutation." }),
    targetId: t.id({ description: "Entries about this object." }),
    after: t.field({ type: "DateTime", description: "At or after." }),
    before: t.field({ type: "DateTime", description: "Before." }),
  }),
});

builder.queryField("auditLog", (t) =>
  t.prismaConnection({
    type: "AuditEntry",
    description: "Who changed what, newest first. Instance admins see everything; project ADMINs their project's entries.",
    cursor: "id",
    extensions: { [CURSOR_KEY]: "bigint" },
    args: { filter: t.arg({ type: AuditFilter }) },
    resolve: async (query, _root, { filter }, ctx) => {
      const projectId = filter?.projectId ? decodeGlobalId(filter.projectId)?.id ?? "" : null;
      if (!ctx.viewer.isAdmin) {
        if (!projectId || !(await can(ctx, projectId, "manage"))) {
          // A read has no result union: refused as a top-level error (a DomainError would be masked as a bug). The same
          // answer for a project you are not in as for one that does not exist, so it reveals nothing.
          const forbidden = new ForbiddenError("read the audit log", "ADMIN");
          throw new GraphQLError(forbidden.message, { extensions: { code: "FORBIDDEN", type: forbidden.name, requiredRole: forbidden.requiredRole } });
        }
      }
      return ctx.prisma.auditEntry.findMany({
        ...query,
        where: {
          ...(projectId ? { projectId } : {}),
          ...(filter?.actorId ? { actorId: decodeGlobalId(filter.actorId)?.id ?? "" } : {}),
          ...(filter?.action ? { action: filter.action } : {}),
          ...(filter?.targetId ? { targetId: filter.targetId } : {}),
          ...(filter?.after || filter?.before ? { at: { ...(filter.after ? { gte: filter.after } : {}), ...(filter.before ? { lt: filter.before } : {}) } } : {}),
        },
        orderBy: { id: "desc" },
      });
    },
  }),
);
void AuditEntryRef;

// ---- mutations ----

const UserPayload = builder.objectRef<{ user: { id: string } }>("CreateUserPayload").implement({
  description: "The new user.",
  fields: (t) => ({ user: t.field({ type: UserRef, description: "The user.", resolve: (p) => p.user as never }) }),
});

const CreateUserInput = builder.inputType("CreateUserInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "Login name, unique case-insensitively." }),
    displayName: t.string({ description: "Name to show." }),
    isAdmin: t.boolean({ description: "Make an instance administrator." }),
  }),
});

builder.mutationField("createUser", (t) =>
  t.field({
    type: UserPayload,
    description: "Creates a user or service account (instance admins only); give it a token with createApiToken.",
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ user: await createUser(ctx, input) }),
  }),
);

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "What the token is for." }),
    userId: t.id({ description: "A service account's id (instance admins only); default: you." }),
    expiresAt: t.field({
      type: "DateTime",
      description:
        "When it stops working (default: never, or the expiry of the token you call with, if it has one: a token cannot outlive the token that created it).",
    }),
  }),
});

builder.mutationField("createApiToken", (t) =>
  t.field({
    type: builder.objectRef<{ apiToken: { id: string }; secret: string }>("CreateApiTokenPayload").implement({
      description: "The token and, this once, its secret.",
      fields: (f) => ({
        apiToken: f.prismaField({
          type: "ApiToken",
          description: "The token.",
          resolve: (query, p, _args, ctx) => ctx.prisma.apiToken.findUniqueOrThrow({ ...query, where: { id: p.apiToken.id } }),
        }),
        token: f.exposeString("secret", { description: "The secret (mg_…). Shown only now: store it safely." }),
      }),
    }),
    description: "Creates an API token.",
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => createApiToken(ctx, input),
  }),
);

const RevokeApiTokenInput = builder.inputType("RevokeApiTokenInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The token." }) }),
});

builder.mutationField("revokeApiToken", (t) =>
  t.field({
    type: builder.objectRef<{ id: string }>("RevokeApiTokenPayload").implement({
      description: "The revoked token.",
      fields: (f) => ({
        apiToken: f.prismaField({
          type: "ApiToken",
          description: "The token.",
          resolve: (query, p, _args, ctx) => ctx.prisma.apiToken.findUniqueOrThrow({ ...query, where: { id: p.id } }),
        }),
      }),
    }),
    description: "Revokes one of your tokens (instance admins: anyone's), and the tokens created with it, transitively; their subscriptions end at once.",
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => revokeApiToken(ctx, input),
  }),
);

const UserIdInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({ userId: t.id({ required: true, description: "The user." }) }),
  });

const UserChangePayload = (name: string) =>
  builder.objectRef<{ id: string }>(name).implement({
    description: "The user after the change.",
    fields: (f) => ({
      user: f.prismaField({
        type: "User",
        description: "The user.",
        resolve: (query, p, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.id } }),
      }),
    }),
  });

builder.mutationField("deactivateUser", (t) =>
  t.field({
    type: UserChangePayload("DeactivateUserPayload"),
    description:
      "Deactivates a user (instance admins only; not yourself): none of their tokens authenticate any more, and their open subscriptions end at once on every replica.",
    args: { input: t.arg({ type: UserIdInput("DeactivateUserInput"), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => deactivateUser(ctx, input),
  }),
);

builder.mutationField("reactivateUser", (t) =>
  t.field({
    type: UserChangePayload("ReactivateUserPayload"),
    description: "Reactivates a deactivated user (instance admins only): their tokens that are neither revoked nor expired work again.",
    args: { input: t.arg({ type: UserIdInput("ReactivateUserInput"), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => reactivateUser(ctx, input),
  }),
);

const MemberPayload = (name: string) =>
  builder.objectRef<{ projectId: string; userId: string }>(name).implement({
    description: "The project and the member after the change.",
    fields: (t) => ({
      project: t.prismaField({
        type: "Project",
        description: "The project.",
        resolve: (query, p, _args, ctx) => ctx.prisma.project.findUniqueOrThrow({ ...query, where: { id: p.projectId } }),
      }),
      user: t.prismaField({
        type: "User",
        description: "The user.",
        resolve: (query, p, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: p.userId } }),
      }),
    }),
  });

const MemberInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      projectId: t.id({ required: true, description: "The project." }),
      userId: t.id({ required: true, description: "The user." }),
      role: t.field({ type: RoleEnum, required: true, description: "Their role." }),
    }),
  });

builder.mutationField("addProjectMember", (t) =>
  t.field({
    type: MemberPayload("AddProjectMemberPayload"),
    description: "Gives a user a role in a project (project ADMIN).",
    args: { input: t.arg({ type: MemberInput("AddProjectMemberInput"), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => addProjectMember(ctx, input),
  }),
);

builder.mutationField("updateProjectMember", (t) =>
  t.field({
    type: MemberPayload("UpdateProjectMemberPayload"),
    description: "Changes a member's role (a project keeps at least one ADMIN).",
    args: { input: t.arg({ type: MemberInput("UpdateProjectMemberInput"), required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => updateProjectMember(ctx, input),
  }),
);

const RemoveProjectMemberInput = builder.inputType("RemoveProjectMemberInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The project." }),
    userId: t.id({ required: true, description: "The member." }),
  }),
});

builder.mutationField("removeProjectMember", (t) =>
  t.field({
    type: MemberPayload("RemoveProjectMemberPayload"),
    description: "Removes a member (a project keeps at least one ADMIN).",
    args: { input: t.arg({ type: RemoveProjectMemberInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => removeProjectMember(ctx, input),
  }),
);

