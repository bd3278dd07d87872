// Webhooks of a project: create, update, delete (project ADMINs). Deliveries are queued by the event log
// (events/log.ts) and sent by the delivery worker (events/webhooks.ts).
import { authorize } from "../access/permissions.ts";
import { NotFoundError } from "../domain/errors.ts";
import { idOf } from "../domain/ids.ts";
import { check } from "../domain/rules.ts";
import type { Network } from "../domain/networks.ts";
import { generateWebhookSecret, webhookSecretProblem, webhookUrlProblem } from "../domain/webhooks.ts";
import { transaction, type Tx } from "../db/transaction.ts";
import type { EventType } from "../events/log.ts";
import { lockEventLog } from "../events/log.ts";
import { audit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { assertNotArchived } from "./named-objects.ts";
import { loadProjectForWrite } from "./projects.ts";

export interface CreateWebhookInput {
  projectId: string;
  url: string;
  /** Only these event types; empty or absent: every type. */
  eventTypes?: readonly EventType[] | null;
  /** The signing secret; absent: one is generated and returned once. */
  secret?: string | null;
}

/**
 * Creates a webhook. Returns the generated secret (once) when the caller did not choose one. `allowedNetworks`
 * (WEBHOOK_ALLOWED_NETWORKS) lets a URL name an internal address.
 */
export async function createWebhook(ctx: ServiceContext, input: CreateWebhookInput, allowedNetworks: readonly Network[]) {
  const urlProblem = webhookUrlProblem(input.url, allowedNetworks);
  const secretProblem = input.secret == null ? null : webhookSecretProblem(input.secret);
  check()
    .require(urlProblem === null, ["input", "url"], urlProblem ?? "")
    .require(secretProblem === null, ["input", "secret"], secretProblem ?? "")
    .done();
  const generatedSecret = input.secret == null ? generateWebhookSecret() : null;
  return transaction(ctx.prisma, async (tx) => {
    const project = await loadProjectForWrite(ctx, tx, input.projectId, "manage");
    const webhook = await tx.webhook.create({
      data: {
        projectId: project.id,
        url: input.url,
        secret: input.secret ?? generatedSecret!,
        eventTypes: [...new Set(input.eventTypes ?? [])],
        createdById: ctx.viewer.userId,
      },
    });
    audit(tx, ctx, { action: "createWebhook", targetType: "Webhook", targetId: webhook.id, projectId: project.id, after: webhook });
    return { webhook, secret: generatedSecret };
  });
}

export interface UpdateWebhookInput {
  id: string;
  url?: string | null;
  /** Replaces the filter; an empty list means every type. */
  eventTypes?: readonly EventType[] | null;
  active?: boolean | null;
}

/**
 * Changes a webhook. Re-activating one (e.g. after it was disabled for failing) resets its failure count and
 * makes its pending deliveries due now, so what queued up meanwhile is delivered without waiting for back-off.
 */
export async function updateWebhook(ctx: ServiceContext, input: UpdateWebhookInput, allowedNetworks: readonly Network[]) {
  const urlProblem = input.url == null ? null : webhookUrlProblem(input.url, allowedNetworks);
  check().require(urlProblem === null, ["input", "url"], urlProblem ?? "").done();
  return transaction(ctx.prisma, async (tx) => {
    const webhook = await loadWebhookForManage(ctx, tx, input.id);
    const reactivating = input.active === true && !webhook.active;
    const deactivating = input.active === false && webhook.active;
    const updated = await tx.webhook.update({
      where: { id: webhook.id },
      data: {
        url: input.url ?? undefined,
        eventTypes: input.eventTypes ? [...new Set(input.eventTypes)] : undefined,
        active: input.active ?? undefined,
        ...(reactivating ? { consecutiveFailures: 0, disabledAt: null } : {}),
        ...(deactivating ? { disabledAt: new Date() } : {}),
      },
    });
    if (reactivating) {
      await tx.webhookDelivery.updateMany({ where: { webhookId: webhook.id, status: "PENDING" }, data: { nextAttemptAt: new Date() } });
    }
    audit(tx, ctx, { action: "updateWebhook", targetType: "Webhook", targetId: webhook.id, projectId: webhook.projectId, before: webhook, after: updated });
    return updated;
  });
}

/** Deletes a webhook and its delivery log; deliveries in flight are dropped. */
export async function deleteWebhook(ctx: ServiceContext, input: { id: string }) {
  return transaction(ctx.prisma, async (tx) => {
    const webhook = await loadWebhookForManage(ctx, tx, input.id);
    await lockEventLog(tx); // no event may queue a delivery for it meanwhile
    await tx.webhookDelivery.deleteMany({ where: { webhookId: webhook.id } });
    await tx.webhook.delete({ where: { id: webhook.id } });
    audit(tx, ctx, { action: "deleteWebhook", targetType: "Webhook", targetId: webhook.id, projectId: webhook.projectId, before: webhook });
    return webhook;
  });
}

/** Loads a webhook the viewer may manage (ADMIN of its project, not archived); else not found or forbidden. */
async function loadWebhookForManage(ctx: ServiceContext, tx: Tx, ref: string) {
  const notFound = () => new NotFoundError("Webhook", ref);
  const webhook = await tx.webhook.findUnique({ where: { id: idOf("Webhook", ref) }, include: { project: { select: { id: true, status: true } } } });
  if (!webhook) throw notFound();
  await authorize(tx, ctx.viewer, webhook.projectId, "manage", notFound);
  assertNotArchived("Project", webhook.project);
  const { project: _project, ...row } = webhook;
  return row;
}
