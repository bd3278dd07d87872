// Deployments and model logs (DESIGN.md §1 "Deployments and model logs"): what deployers report, and the
// operational log of a model. The status machine is domain/deployments.ts.
import { roleIn } from "../access/permissions.ts";
import { environmentNameProblem, FINISHING_STATUSES, OPEN_STATUSES, reportEffect, type DeploymentStatus } from "../domain/deployments.ts";
import { NotFoundError, ValidationError } from "../domain/errors.ts";
import { encodeGlobalId, idOf } from "../domain/ids.ts";
import { check, MAX_DEPLOYMENT_MESSAGE_LENGTH, MAX_ENVIRONMENTS_PER_MODEL, MAX_MODEL_LOG_MESSAGE_LENGTH } from "../domain/rules.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import type { Deployment, ModelLog } from "../generated/prisma/client.ts";
import { appendEvent } from "../events/log.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { loadModelForWrite } from "./models.ts";
import { loadVersionForWrite } from "./versions.ts";

/** Advisory lock keys (first half of the two-key form; the second is a hash of the model and environment). */
const ENVIRONMENT_LOCK = 72707381;
const MODEL_ENVIRONMENTS_LOCK = 72707382;

export interface ReportDeploymentInput {
  modelVersionId: string;
  environment: string;
  status: DeploymentStatus;
  message?: string | null;
}

/** The attempt the report created or updated, and the deployment it retired (the environment's previous live one). */
export interface ReportDeploymentOutcome {
  deployment: Deployment;
  retired: Deployment[];
}

/**
 * Records a deployer's report for a version in an environment: updates the version's open attempt there or starts a
 * new one (domain/deployments.ts). When the version becomes DEPLOYED, the environment's previous DEPLOYED deployment
 * of the model becomes RETIRED in the same transaction. Reports of one model and environment are serialised by a
 * lock, and a partial unique index keeps at most one DEPLOYED deployment per model and environment.
 */
export async function reportDeployment(ctx: ServiceContext, input: ReportDeploymentInput): Promise<ReportDeploymentOutcome> {
  const problem = environmentNameProblem(input.environment);
  check()
    .require(problem === null, ["input", "environment"], problem ?? "")
    .maxLength(["input", "message"], input.message, MAX_DEPLOYMENT_MESSAGE_LENGTH)
    .done();
  const { environment, status } = input;
  return transaction(ctx.prisma, async (tx) => {
    const version = await loadVersionForWrite(ctx, tx, input.modelVersionId, "write");
    await lockEnvironment(tx, version.modelId, environment);
    const open = await tx.deployment.findFirst({
      where: { modelVersionId: version.id, environment, status: { in: [...OPEN_STATUSES] } },
    });
    const effect = reportEffect(open?.status ?? null, status);
    if (effect === "new") await assertRoomForEnvironment(tx, version.modelId, environment);
    // One instant for the whole report (the retirement and the new live deployment), read under the lock.
    const [{ at }] = (await tx.$queryRaw<{ at: Date }[]>`SELECT clock_timestamp()::timestamptz(3) AS at`) as [{ at: Date }];

    const retired: Deployment[] = [];
    let previousLive: { deploymentId: string; modelVersionId: string; number: number } | null = null;
    if (status === "DEPLOYED") {
      const live = await tx.deployment.findFirst({
        where: { modelId: version.modelId, environment, status: "DEPLOYED" },
        include: { modelVersion: { select: { number: true } } },
      });
      if (live) {
        const { modelVersion, ...row } = live;
        previousLive = { deploymentId: encodeGlobalId("Deployment", row.id), modelVersionId: encodeGlobalId("ModelVersion", row.modelVersionId), number: modelVersion.number };
        retired.push(await tx.deployment.update({ where: { id: row.id }, data: { status: "RETIRED", retiredAt: at, updatedAt: at } }));
      }
    }
    const state = {
      status,
      message: input.message ?? null,
      reportedById: ctx.viewer.userId,
      updatedAt: at,
      finishedAt: FINISHING_STATUSES.includes(status) ? at : null,
    };
    const deployment =
      effect === "update"
        ? await tx.deployment.update({ where: { id: open!.id }, data: state })
        : await tx.deployment.create({
            data: { ...state, projectId: version.projectId, modelId: version.modelId, modelVersionId: version.id, environment, startedAt: at },
          });
    appendEvent(tx, {
      projectId: version.projectId,
      type: "DEPLOYMENT_REPORTED",
      actorId: ctx.viewer.userId,
      modelId: version.modelId,
      modelVersionId: version.id,
      payload: {
        deploymentId: encodeGlobalId("Deployment", deployment.id),
        environment,
        status,
        number: version.number,
        modelVersionId: encodeGlobalId("ModelVersion", version.id),
        previousStatus: open?.status ?? null,
        previousLive,
      },
    });
    audit(tx, ctx, {
      action: "reportDeployment",
      targetType: "Deployment",
      targetId: deployment.id,
      projectId: version.projectId,
      before: open ?? undefined,
      after: { ...deployment, retiredDeploymentIds: retired.map((d) => encodeGlobalId("Deployment", d.id)) },
    });
    return { deployment, retired };
  });
}

/** Serialises the reports of one model and environment for the rest of the transaction. */
async function lockEnvironment(tx: Tx, modelId: string, environment: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ENVIRONMENT_LOCK}::int4, hashtext(${modelId} || '/' || ${environment}))`;
}

/**
 * A model has at most MAX_ENVIRONMENTS_PER_MODEL environments (`model.environments` returns them whole). Checked
 * when a report would add one, under a per-model lock taken after the environment's (so always in that order).
 */
async function assertRoomForEnvironment(tx: Tx, modelId: string, environment: string): Promise<void> {
  const known = await tx.deployment.findFirst({ where: { modelId, environment }, select: { id: true } });
  if (known) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${MODEL_ENVIRONMENTS_LOCK}::int4, hashtext(${modelId}))`;
  const [{ count }] = (await tx.$queryRaw<{ count: number }[]>`
    SELECT count(DISTINCT "environment")::int AS count FROM "Deployment" WHERE "modelId" = ${modelId}`) as [{ count: number }];
  if (count >= MAX_ENVIRONMENTS_PER_MODEL) {
    throw ValidationError.single(["input", "environment"], `a model can be deployed to at most ${MAX_ENVIRONMENTS_PER_MODEL} environments`);
  }
}

export interface AddModelLogInput {
  modelId: string;
  modelVersionId?: string | null;
  message: string;
  success: boolean;
}

/** Appends an operational log line to a model (optionally about one of its versions). Log lines are never edited. */
export async function addModelLog(ctx: ServiceContext, input: AddModelLogInput): Promise<ModelLog> {
  check()
    .require(input.message.trim().length > 0, ["input", "message"], "must not be empty")
    .maxLength(["input", "message"], input.message, MAX_MODEL_LOG_MESSAGE_LENGTH)
    .done();
  return transaction(ctx.prisma, async (tx) => {
    const model = await loadModelForWrite(ctx, tx, input.modelId, "write");
    let version: { id: string; number: number } | null = null;
    if (input.modelVersionId != null) {
      const ref = input.modelVersionId;
      const row = await tx.modelVersion.findUnique({ where: { id: idOf("ModelVersion", ref) }, select: { id: true, number: true, modelId: true, projectId: true, deletedAt: true } });
      if (!row || row.deletedAt || (await roleIn(tx, ctx.viewer, row.projectId)) === null) throw new NotFoundError("ModelVersion", ref);
      if (row.modelId !== model.id) throw ValidationError.single(["input", "modelVersionId"], "must be a version of the model");
      version = row;
    }
    const log = await tx.modelLog.create({
      data: { projectId: model.projectId, modelId: model.id, modelVersionId: version?.id ?? null, message: input.message, success: input.success, actorId: ctx.viewer.userId },
    });
    appendEvent(tx, {
      projectId: model.projectId,
      type: "MODEL_LOG_ADDED",
      actorId: ctx.viewer.userId,
      modelId: model.id,
      modelVersionId: version?.id,
      payload: { logId: encodeGlobalId("ModelLog", log.id), success: log.success, message: log.message, number: version?.number ?? null },
    });
    audit(tx, ctx, { action: "addModelLog", targetType: "ModelLog", targetId: log.id, projectId: model.projectId, after: log });
    return log;
  });
}
