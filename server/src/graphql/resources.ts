import { inVisibleProjectWhere } from "../access/permissions.ts";
import { encodeGlobalId } from "../domain/ids.ts";
import { createResourceUpload, RESOURCE_FORMATS } from "../services/resources.ts";
import { builder } from "./builder.ts";
import { COMMON_ERRORS, CrossProjectLineageError } from "./errors.ts";
import { ModelVersionFilter, ModelVersionOrder, modelVersionWhere, versionOrderBy } from "./versions.ts";

export const ResourceStatusEnum = builder.enumType("ResourceStatus", {
  description: "State of an artifact.",
  values: {
    PENDING: { description: "Declared; bytes not yet verified." },
    READY: { description: "Bytes stored and verified." },
    FAILED: { description: "Verification failed; nothing stored." },
  } as const,
});

export const ResourceFormatEnum = builder.enumType("ResourceFormat", {
  description: "Serialization format of a model artifact.",
  values: Object.fromEntries(RESOURCE_FORMATS.map((f) => [f, { description: f.toLowerCase() }])) as Record<
    (typeof RESOURCE_FORMATS)[number],
    { description: string }
  >,
});

export const ResourceFilter = builder.inputType("ResourceFilter", {
  description: "Filters artifacts.",
  fields: (t) => ({
    status: t.field({ type: [ResourceStatusEnum], description: "Only these statuses (default: all)." }),
    sha256: t.string({ description: "Only artifacts with these bytes." }),
    nameContains: t.string({ description: "Case-insensitive substring of the name." }),
  }),
});

export function resourceWhere(filter: { status?: readonly ("PENDING" | "READY" | "FAILED")[] | null; sha256?: string | null; nameContains?: string | null } | null | undefined) {
  return {
    deletedAt: null,
    ...(filter?.status ? { status: { in: [...filter.status] } } : {}),
    ...(filter?.sha256 ? { sha256: filter.sha256 } : {}),
    ...(filter?.nameContains ? { name: { contains: filter.nameContains, mode: "insensitive" as const } } : {}),
  };
}

export const ResourceRef = builder.prismaNode("Resource", {
  description: "An artifact: the bytes of a model, content-addressed in its project.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inVisibleProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "File name." }),
    contentType: t.exposeString("contentType", { description: "MIME type." }),
    format: t.expose("format", { type: ResourceFormatEnum, description: "Serialization format." }),
    sizeBytes: t.expose("sizeBytes", { type: "BigInt", description: "Size in bytes." }),
    sha256: t.exposeString("sha256", { description: "Hex sha256 of the bytes." }),
    status: t.expose("status", { type: ResourceStatusEnum, description: "PENDING, READY or FAILED." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When declared." }),
    readyAt: t.expose("readyAt", { type: "DateTime", nullable: true, description: "When verified." }),
    project: t.relation("project", { description: "The owning project." }),
    iteration: t.relation("iteration", { nullable: true, description: "The training run that produced it." }),
    downloadPath: t.string({
      nullable: true,
      description: "Server path to stream the bytes from (GET, with Range), once READY.",
      resolve: (r) => (r.status === "READY" ? `/artifacts/${encodeGlobalId("Resource", r.id)}` : null),
    }),
    modelVersions: t.relatedConnection("modelVersions", {
      description: "Versions using this artifact.",
      cursor: "id",
      totalCount: true,
      args: { filter: t.arg({ type: ModelVersionFilter }), orderBy: t.arg({ type: ModelVersionOrder }) },
      query: (args) => ({ where: modelVersionWhere(args.filter), orderBy: versionOrderBy(args.orderBy) }),
    }),
  }),
});

const CreateResourceUploadInput = builder.inputType("CreateResourceUploadInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The project." }),
    name: t.string({ required: true, description: "File name." }),
    sizeBytes: t.field({ type: "BigInt", required: true, description: "Exact size of the bytes." }),
    sha256: t.string({ required: true, description: "Hex sha256 of the bytes (verified on completion)." }),
    contentType: t.string({ description: "MIME type (default application/octet-stream)." }),
    format: t.field({ type: ResourceFormatEnum, description: "Serialization format (default OTHER)." }),
    iterationId: t.id({ description: "The training run that produced it (same project)." }),
  }),
});

builder.mutationField("createResourceUpload", (t) =>
  t.field({
    type: builder.objectRef<{ resource: { id: string } }>("CreateResourceUploadPayload").implement({
      description: "The declared (PENDING) resource and where to send its bytes.",
      fields: (f) => ({
        resource: f.field({ type: ResourceRef, description: "The resource.", resolve: (p) => p.resource as never }),
        uploadUrl: f.string({
          description: "Server path to PUT the bytes to.",
          resolve: (p) => `/artifacts/${encodeGlobalId("Resource", p.resource.id)}`,
        }),
      }),
    }),
    description: "Declares an artifact (name, size, sha256); the bytes follow.",
    args: { input: t.arg({ type: CreateResourceUploadInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, CrossProjectLineageError] },
    resolve: async (_root, { input }, ctx) => ({ resource: await createResourceUpload(ctx, input, ctx.config.artifactUploadTtlSeconds) }),
  }),
);
