import { ValidationError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { check } from "../domain/rules.ts";
import { transaction } from "../db/transaction.ts";
import type { ServiceContext } from "./context.ts";
import { loadProjectForWrite } from "./projects.ts";
import { CrossProjectLineageError, NotFoundError } from "../domain/errors.ts";

export const RESOURCE_FORMATS = ["ONNX", "SAFETENSORS", "TORCHSCRIPT", "PICKLE", "OTHER"] as const;
export type ResourceFormat = (typeof RESOURCE_FORMATS)[number];

export interface CreateResourceUploadInput {
  projectId: string;
  name: string;
  sizeBytes: bigint;
  sha256: string;
  contentType?: string | null;
  format?: ResourceFormat | null;
  iterationId?: string | null;
}

/** Declares an artifact: a PENDING resource that becomes READY once its bytes are verified. */
export async function createResourceUpload(ctx: ServiceContext, input: CreateResourceUploadInput, ttlSeconds: number) {
  check()
    .require(input.name.length > 0 && input.name.length <= 1024, ["input", "name"], "must be 1 to 1,024 characters")
    .require(/^[0-9a-f]{64}$/.test(input.sha256), ["input", "sha256"], "must be 64 lowercase hexadecimal characters")
    .require(input.sizeBytes >= 0n, ["input", "sizeBytes"], "must not be negative")
    .maxLength(["input", "contentType"], input.contentType, 255)
    .done();
  return transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.projectId, "write");
    let iterationId: string | null = null;
    if (input.iterationId != null) {
      const iteration = await tx.iteration.findUnique({ where: { id: idOf("Iteration", input.iterationId) }, select: { id: true, projectId: true } });
      if (!iteration) throw new NotFoundError("Iteration", input.iterationId);
      if (iteration.projectId !== project.id) throw new CrossProjectLineageError("iterationId");
      iterationId = iteration.id;
    }
    if (input.sizeBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw ValidationError.single(["input", "sizeBytes"], "is too large");
    }
    return tx.resource.create({
      data: {
        projectId: project.id,
        iterationId,
        name: input.name,
        sizeBytes: input.sizeBytes,
        sha256: input.sha256,
        contentType: input.contentType ?? "application/octet-stream",
        format: input.format ?? "OTHER",
        createdById: ctx.viewer.userId,
        expiresAt: new Date(Date.now() + ttlSeconds * 1000),
      },
    });
  });
}
