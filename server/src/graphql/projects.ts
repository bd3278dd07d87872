import { visibleProjectWhere } from "../access/permissions.ts";
import { readFirst, readMany } from "../db/sql-reads.ts";
import { decodeGlobalId } from "../domain/ids.ts";
import { NAME_PATTERN } from "../domain/rules.ts";
import { archiveProject, createProject, updateProject } from "../services/projects.ts";
import { builder } from "./builder.ts";
import {
  KeyValueInput,
  KeyValueRef,
  NamedObjectFilter,
  NamedObjectOrder,
  ObjectStatusEnum,
  SettableStatusEnum,
  nameEquals,
  namedObjectWhere,
  orderBy,
  tagsField,
} from "./common.ts";
import { COMMON_ERRORS, NameConflictError } from "./errors.ts";
import { CURSOR_KEY } from "./cursors.ts";
import { ModelVersionFilter, ModelVersionOrder, versionListQuery, VERSION_LIST_CONNECTION } from "./versions.ts";
import { ResourceFilter, resourceWhere } from "./resources.ts";

export const ProjectRef = builder.prismaNode("Project", {
  select: { id: true, name: true, status: true, createdById: true },
  description: "A workspace of models, experiments and artifacts, with its own members.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...visibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique case-insensitively among non-archived projects." }),
    description: t.exposeString("description", { description: "Free text, ≤ 32,768 characters." }),
    status: t.expose("status", { type: ObjectStatusEnum, description: "ACTIVE, DEPRECATED or ARCHIVED." }),
    tags: t.field({ type: [KeyValueRef], description: "Tags.", select: { tags: true }, resolve: (p) => tagsField(p.tags) }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Creation time." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change." }),
    createdBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who created it.",
      resolve: (query, p, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: p.createdById } }),
    }),
    models: t.relatedConnection("models", {
      description: "Models of the project (ACTIVE only unless `filter.status` says otherwise).",
      cursor: "id",
      totalCount: true,
      args: { filter: t.arg({ type: NamedObjectFilter }), orderBy: t.arg({ type: NamedObjectOrder }) },
      query: (args) => ({ where: namedObjectWhere(args.filter), orderBy: orderBy(args.orderBy, "name") }),
    }),
    model: t.prismaField({
      type: "Model",
      nullable: true,
      description: "The non-archived model with this name (case-insensitive).",
      args: { name: t.arg.string({ required: true }) },
      resolve: (query, p, args, ctx) =>
        !NAME_PATTERN.test(args.name)
          ? null
          : ctx.prisma.model.findFirst({
          ...query,
          where: { projectId: p.id, name: nameEquals(args.name), status: { not: "ARCHIVED" } },
        }),
    }),
    experiments: t.relatedConnection("experiments", {
      description: "Experiments of the project (ACTIVE only unless `filter.status` says otherwise).",
      cursor: "id",
      totalCount: true,
      args: { filter: t.arg({ type: NamedObjectFilter }), orderBy: t.arg({ type: NamedObjectOrder }) },
      query: (args) => ({ where: namedObjectWhere(args.filter), orderBy: orderBy(args.orderBy, "name") }),
    }),
    experiment: t.prismaField({
      type: "Experiment",
      nullable: true,
      description: "The non-archived experiment with this name (case-insensitive).",
      args: { name: t.arg.string({ required: true }) },
      resolve: (query, p, args, ctx) =>
        !NAME_PATTERN.test(args.name)
          ? null
          : ctx.prisma.experiment.findFirst({
          ...query,
          where: { projectId: p.id, name: nameEquals(args.name), status: { not: "ARCHIVED" } },
        }),
    }),
    resources: t.relatedConnection("resources", {
      description: "Artifacts of the project, newest first.",
      cursor: "id",
      totalCount: true,
      args: { filter: t.arg({ type: ResourceFilter }) },
      query: (args) => ({ where: resourceWhere(args.filter), orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    }),
    modelVersions: t.relatedConnection("modelVersions", {
      description: "Versions of every model of the project (e.g. all PRODUCTION versions).",
      cursor: "id",
      args: { filter: t.arg({ type: ModelVersionFilter }), orderBy: t.arg({ type: ModelVersionOrder }) },
      extensions: { [CURSOR_KEY]: "mixed" },
      query: (args) => versionListQuery(args),
    }, VERSION_LIST_CONNECTION),
  }),
});

builder.queryField("projects", (t) =>
  t.prismaConnection({
    type: "Project",
    description: "Projects you can see (ACTIVE only unless `filter.status` says otherwise).",
    cursor: "id",
    args: { filter: t.arg({ type: NamedObjectFilter }), orderBy: t.arg({ type: NamedObjectOrder }) },
    resolve: (query, _root, args, ctx) =>
      readMany(ctx, "project", {
        ...query,
        where: { ...namedObjectWhere(args.filter), ...visibleProjectWhere(ctx.viewer) },
        orderBy: orderBy(args.orderBy, "name"),
      }),
    totalCount: (_root, args, ctx) =>
      ctx.prisma.project.count({ where: { ...namedObjectWhere(args.filter), ...visibleProjectWhere(ctx.viewer) } }),
  }),
);

const ProjectBy = builder.inputType("ProjectBy", {
  description: "Find a project by exactly one of id or name.",
  isOneOf: true,
  fields: (t) => ({
    id: t.id({ description: "Global id (finds archived projects too)." }),
    name: t.string({ description: "Name, case-insensitive (archived projects are not found by name)." }),
  }),
});

builder.queryField("project", (t) =>
  t.prismaField({
    type: "Project",
    nullable: true,
    description: "One project, by id or by name.",
    args: { by: t.arg({ type: ProjectBy, required: true }) },
    resolve: (query, _root, { by }, ctx) => {
      if (by.id != null) {
        const decoded = decodeGlobalId(by.id);
        if (decoded?.typename !== "Project") return null;
        return readFirst(ctx, "project", { ...query, where: { id: decoded.id, ...visibleProjectWhere(ctx.viewer) } });
      }
      // No object has a name outside the pattern: such a lookup is answered without asking the database.
      if (!NAME_PATTERN.test(by.name ?? "")) return null;
      return readFirst(ctx, "project", {
        ...query,
        where: {
          name: nameEquals(by.name ?? ""),
          status: { not: "ARCHIVED" },
          ...visibleProjectWhere(ctx.viewer),
        },
      });
    },
  }),
);

// ---- mutations ----

const CreateProjectInput = builder.inputType("CreateProjectInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "Pattern ^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$, unique case-insensitively." }),
    description: t.string({ description: "≤ 32,768 characters." }),
    tags: t.field({ type: [KeyValueInput], description: "≤ 64 tags." }),
  }),
});

const ProjectPayload = (name: string) =>
  builder.objectRef<{ project: { id: string } }>(name).implement({
    description: "The project after the change.",
    fields: (t) => ({ project: t.field({ type: ProjectRef, description: "The project.", resolve: (p) => p.project as never }) }),
  });

builder.mutationField("createProject", (t) =>
  t.field({
    type: ProjectPayload("CreateProjectPayload"),
    description: "Creates a project; you become its ADMIN.",
    args: { input: t.arg({ type: CreateProjectInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ project: await createProject(ctx, input) }),
  }),
);

const UpdateProjectInput = builder.inputType("UpdateProjectInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The project." }),
    name: t.string({ description: "New name (renaming keeps the id)." }),
    description: t.string({ description: "New description." }),
    tags: t.field({ type: [KeyValueInput], description: "Replaces all tags." }),
    status: t.field({ type: SettableStatusEnum, description: "Deprecate or un-deprecate." }),
  }),
});

builder.mutationField("updateProject", (t) =>
  t.field({
    type: ProjectPayload("UpdateProjectPayload"),
    description: "Renames, re-describes, re-tags or (un)deprecates a project.",
    args: { input: t.arg({ type: UpdateProjectInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, NameConflictError] },
    resolve: async (_root, { input }, ctx) => ({ project: await updateProject(ctx, input) }),
  }),
);

const ArchiveProjectInput = builder.inputType("ArchiveProjectInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The project." }) }),
});

builder.mutationField("archiveProject", (t) =>
  t.field({
    type: ProjectPayload("ArchiveProjectPayload"),
    description: "Archives a project: read-only, hidden from lists, its name free again.",
    args: { input: t.arg({ type: ArchiveProjectInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ project: await archiveProject(ctx, input) }),
  }),
);

