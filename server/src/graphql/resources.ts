import { inVisibleProjectWhere } from "../access/permissions.ts";
import { encodeGlobalId } from "../domain/ids.ts";
import { completeResourceUpload, createResourceUpload, deleteResource, RESOURCE_FORMATS } from "../services/resources.ts";
import type { PresignedUpload } from "../storage/store.ts";
import type { RequestContext } from "../context.ts";
import { builder } from "./builder.ts";
import { nameContains } from "./common.ts";
import { ChecksumMismatchError, COMMON_ERRORS, CrossProjectLineageError, ResourceInUseError } from "./errors.ts";
import { CURSOR_KEY } from "./cursors.ts";
import { ModelVersionFilter, ModelVersionOrder, versionListQuery, VERSION_LIST_CONNECTION } from "./versions.ts";

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
    ...(filter?.nameContains ? { name: nameContains(filter.nameContains) } : {}),
  };
}

export const ResourceRef = builder.prismaNode("Resource", {
  select: { id: true },
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
    failureReason: t.exposeString("failureReason", { nullable: true, description: "Why verification failed (FAILED only)." }),
    downloadUrl: t.string({
      nullable: true,
      description: "Where to GET the bytes once READY: a presigned object-storage URL, or this server's streaming route (Range, ETag).",
      select: { status: true, deletedAt: true, storageKey: true, name: true, contentType: true },
      resolve: (r, _args, ctx) => (r.status === "READY" && !r.deletedAt ? downloadUrl(ctx, r) : null),
    }),
    modelVersions: t.relatedConnection("modelVersions", {
      description: "Versions using this artifact.",
      cursor: "id",
      args: { filter: t.arg({ type: ModelVersionFilter }), orderBy: t.arg({ type: ModelVersionOrder }) },
      extensions: { [CURSOR_KEY]: "mixed" },
      query: (args) => versionListQuery(args),
    }, VERSION_LIST_CONNECTION),
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

/** How long presigned download URLs stay valid. */
const DOWNLOAD_URL_TTL_SECONDS = 3600;

function artifactUrl(ctx: RequestContext, id: string): string {
  return `${ctx.origin}/artifacts/${encodeURIComponent(encodeGlobalId("Resource", id))}`;
}

function downloadUrl(ctx: RequestContext, r: { id: string; storageKey: string | null; name: string; contentType: string }): Promise<string> | string {
  if (ctx.store.presignDownload && r.storageKey) return ctx.store.presignDownload(r.storageKey, DOWNLOAD_URL_TTL_SECONDS, r.name, r.contentType);
  return artifactUrl(ctx, r.id);
}

const PresignedPartRef = builder.objectRef<{ partNumber: number; url: string }>("PresignedPart").implement({
  description: "Where to PUT one part of a multipart upload.",
  fields: (t) => ({
    partNumber: t.exposeInt("partNumber", { description: "1-based part number." }),
    url: t.exposeString("url", { description: "Presigned PUT URL." }),
  }),
});

const PresignedUploadRef = builder.objectRef<PresignedUpload>("PresignedUpload").implement({
  description: "Send the bytes straight to object storage, then call completeResourceUpload.",
  fields: (t) => ({
    url: t.exposeString("url", { nullable: true, description: "One PUT of the whole object (small objects)." }),
    uploadId: t.exposeString("uploadId", { nullable: true, description: "Multipart upload id (large objects)." }),
    partSize: t.exposeInt("partSize", { nullable: true, description: "Bytes per part; the last part may be shorter." }),
    parts: t.field({ type: [PresignedPartRef], description: "One URL per part, in order.", resolve: (p) => p.parts }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", description: "When the URLs stop working." }),
  }),
});

builder.mutationField("createResourceUpload", (t) =>
  t.field({
    type: builder.objectRef<{ resource: { id: string }; presignedUpload: PresignedUpload | null }>("CreateResourceUploadPayload").implement({
      description: "The declared (PENDING) resource and where to send its bytes.",
      fields: (f) => ({
        resource: f.field({ type: ResourceRef, description: "The resource.", resolve: (p) => p.resource as never }),
        uploadUrl: f.string({
          description: "PUT the bytes here (streamed through the server, verified on arrival; works on every backend).",
          resolve: (p, _args, ctx) => artifactUrl(ctx, p.resource.id),
        }),
        presignedUpload: f.field({
          type: PresignedUploadRef,
          nullable: true,
          description: "On S3 storage: presigned URLs to upload directly (then call completeResourceUpload).",
          resolve: (p) => p.presignedUpload,
        }),
      }),
    }),
    description: "Declares an artifact (name, size, sha256); the bytes follow to `uploadUrl` or the presigned URLs.",
    args: { input: t.arg({ type: CreateResourceUploadInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, CrossProjectLineageError] },
    resolve: (_root, { input }, ctx) => createResourceUpload(ctx, input),
  }),
);

const ResourcePayload = (name: string) =>
  builder.objectRef<{ resource: { id: string } }>(name).implement({
    description: "The resource after the change.",
    fields: (t) => ({ resource: t.field({ type: ResourceRef, description: "The resource.", resolve: (p) => p.resource as never }) }),
  });

const CompleteResourceUploadInput = builder.inputType("CompleteResourceUploadInput", {
  fields: (t) => ({ resourceId: t.id({ required: true, description: "The resource whose bytes were sent." }) }),
});

builder.mutationField("completeResourceUpload", (t) =>
  t.field({
    type: ResourcePayload("CompleteResourceUploadPayload"),
    description: "Verifies the uploaded bytes (size and sha256) and makes the resource READY; a mismatch makes it FAILED.",
    args: { input: t.arg({ type: CompleteResourceUploadInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, ChecksumMismatchError] },
    resolve: async (_root, { input }, ctx) => ({ resource: await completeResourceUpload(ctx, input) }),
  }),
);

const DeleteResourceInput = builder.inputType("DeleteResourceInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The resource (no live version may reference it)." }) }),
});

builder.mutationField("deleteResource", (t) =>
  t.field({
    type: ResourcePayload("DeleteResourcePayload"),
    description: "Deletes a resource; its bytes are removed unless another resource of the project has the same content.",
    args: { input: t.arg({ type: DeleteResourceInput, required: true }) },
    errors: { types: [...COMMON_ERRORS, ResourceInUseError] },
    resolve: async (_root, { input }, ctx) => ({ resource: await deleteResource(ctx, input) }),
  }),
);
