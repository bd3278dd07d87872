// Webhooks of a project and their delivery log (visible to the project's ADMINs only: URLs can carry secrets),
// and the mutations that manage them.
import { VIEWER_DEPENDENT } from "../events/multicast.ts";
import { inManagedProjectWhere } from "../access/permissions.ts";
import { encodeGlobalId } from "../domain/ids.ts";
import type { EventType } from "../events/log.ts";
import type { Event } from "../generated/prisma/client.ts";
import { createWebhook, deleteWebhook, updateWebhook } from "../services/webhooks.ts";
import type { RequestContext } from "../context.ts";
import { builder } from "./builder.ts";
import { COMMON_ERRORS } from "./errors.ts";
import { EventRef, EventTypeEnum } from "./events.ts";

export const WebhookDeliveryStatusEnum = builder.enumType("WebhookDeliveryStatus", {
  description: "Where a delivery stands.",
  values: {
    PENDING: { description: "Queued, being sent, or waiting to be retried (see nextAttemptAt)." },
    SUCCEEDED: { description: "The receiver answered 2xx." },
    FAILED: { description: "Every attempt failed; no further retries." },
  } as const,
});

export const WebhookRef = builder.prismaNode("Webhook", {
  description:
    "Sends a project's events as signed HTTP POSTs: header X-Modelgraph-Signature is `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<delivery id>.<t>.<body>\")>`, where the delivery id is header X-Modelgraph-Delivery and t is also in X-Modelgraph-Timestamp. Only public addresses are reached (loopback, private, link-local and other special-purpose addresses are refused unless the server allow-lists them with WEBHOOK_ALLOWED_NETWORKS); redirects are not followed. Retries with exponential back-off; disabled after repeated failures.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, ...inManagedProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    url: t.exposeString("url", { description: "Where events are POSTed." }),
    eventTypes: t.field({
      type: [EventTypeEnum],
      description: "Only these event types are sent; empty means every type.",
      resolve: (w) => w.eventTypes as EventType[],
    }),
    active: t.exposeBoolean("active", { description: "Whether new events are queued and sent. False once disabled." }),
    consecutiveFailures: t.exposeInt("consecutiveFailures", { description: "Failed attempts since the last success." }),
    disabledAt: t.expose("disabledAt", { type: "DateTime", nullable: true, description: "When it was deactivated (by updateWebhook or after repeated failures)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "Creation time." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change." }),
    project: t.relation("project", { description: "The project whose events it sends." }),
    createdBy: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who created it.",
      resolve: (query, w, _args, ctx) => ctx.prisma.user.findUnique({ ...query, where: { id: w.createdById } }),
    }),
    deliveries: t.relatedConnection("deliveries", {
      description: "The delivery log, newest first: one delivery per event, with its attempts.",
      cursor: "id",
      totalCount: true,
      args: { statuses: t.arg({ type: [WebhookDeliveryStatusEnum], description: "Only deliveries in these states." }) },
      query: (args) => ({
        where: args.statuses ? { status: { in: [...args.statuses] } } : {},
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      }),
    }),
  }),
});

builder.prismaNode("WebhookDelivery", {
  description: "One event sent (or to be sent) to one webhook. X-Modelgraph-Delivery carries its id, the same on every attempt.",
  id: { field: "id" },
  findUnique: (id, ctx) => ({ id, webhook: inManagedProjectWhere(ctx.viewer) }),
  fields: (t) => ({
    status: t.expose("status", { type: WebhookDeliveryStatusEnum, description: "PENDING, SUCCEEDED or FAILED." }),
    attempts: t.exposeInt("attempts", { description: "Attempts made so far." }),
    responseCode: t.exposeInt("responseCode", { nullable: true, description: "HTTP status of the last attempt (null: no response)." }),
    lastError: t.exposeString("lastError", {
      nullable: true,
      description:
        "Why the last attempt failed, one of a fixed set (never text from the receiver): `HTTP <status>`, `blocked address: <category>` (e.g. loopback, private, link-local), `DNS lookup failed`, `connection failed`, `TLS error`, `timeout`, `invalid URL`.",
    }),
    nextAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When the next attempt is due, while PENDING.",
      resolve: (d) => (d.status === "PENDING" ? d.nextAttemptAt : null),
    }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true, description: "When the receiver accepted it." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was queued (with its event)." }),
    eventSeq: t.field({ type: "BigInt", description: "The event's position in the log.", resolve: (d) => d.eventSeq }),
    event: t.field({
      type: EventRef,
      description: "The event delivered.",
      resolve: async (d, _args, ctx) => (await loadEvents(ctx, [d.eventSeq])).get(d.eventSeq)!,
    }),
    webhook: t.relation("webhook", { description: "The webhook." }),
  }),
});

builder.prismaObjectField("Project", "webhooks", (t) =>
  t.relatedConnection("webhooks", {
    description: "Webhooks of the project (visible to its ADMINs; empty for others).",
    extensions: VIEWER_DEPENDENT,
    cursor: "id",
    totalCount: true,
    query: (_args, ctx) => ({ where: inManagedProjectWhere(ctx.viewer), orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  }),
);

/**
 * The events of a page of deliveries in one statement: the calls made while GraphQL resolves one list are
 * gathered and answered together (deliveries reference events by seq, without a relation).
 */
const pendingEventLoads = new WeakMap<RequestContext, { seqs: Set<bigint>; result: Promise<Map<bigint, Event>> }>();

function loadEvents(ctx: RequestContext, seqs: bigint[]): Promise<Map<bigint, Event>> {
  let batch = pendingEventLoads.get(ctx);
  if (!batch) {
    const wanted = new Set<bigint>();
    const result = new Promise<Map<bigint, Event>>((resolve, reject) =>
      setImmediate(() => {
        pendingEventLoads.delete(ctx);
        ctx.prisma.event
          .findMany({ where: { seq: { in: [...wanted] } } })
          .then((rows) => resolve(new Map(rows.map((e) => [e.seq, e]))), reject);
      }),
    );
    batch = { seqs: wanted, result };
    pendingEventLoads.set(ctx, batch);
  }
  for (const seq of seqs) batch.seqs.add(seq);
  return batch.result;
}

// ---- mutations ----

const WebhookPayload = (name: string) =>
  builder.objectRef<{ webhook: { id: string } }>(name).implement({
    description: "The webhook after the change.",
    fields: (t) => ({ webhook: t.field({ type: WebhookRef, description: "The webhook.", resolve: (p) => p.webhook as never }) }),
  });

const CreateWebhookInput = builder.inputType("CreateWebhookInput", {
  fields: (t) => ({
    projectId: t.id({ required: true, description: "The project whose events to send." }),
    url: t.string({
      required: true,
      description: "An http:// or https:// URL (≤ 2,048 characters) that receives POSTs; not an internal address (loopback, private, link-local…) unless allow-listed.",
    }),
    eventTypes: t.field({ type: [EventTypeEnum], description: "Only these types (default: every type)." }),
    secret: t.string({ description: "Signing secret (16 to 255 characters); default: a generated one, returned once." }),
  }),
});

builder.mutationField("createWebhook", (t) =>
  t.field({
    type: builder.objectRef<{ webhook: { id: string }; secret: string | null }>("CreateWebhookPayload").implement({
      description: "The webhook and, this once, its generated secret.",
      fields: (f) => ({
        webhook: f.field({ type: WebhookRef, description: "The webhook.", resolve: (p) => p.webhook as never }),
        secret: f.exposeString("secret", {
          nullable: true,
          description: "The generated signing secret, shown only now: store it to verify signatures. Null when you chose the secret.",
        }),
      }),
    }),
    description: "Adds a webhook to a project (project ADMIN). Events committed from now on are delivered to it.",
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => createWebhook(ctx, input, ctx.config.webhooks.allowedNetworks),
  }),
);

const UpdateWebhookInput = builder.inputType("UpdateWebhookInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The webhook." }),
    url: t.string({ description: "New URL (http or https)." }),
    eventTypes: t.field({ type: [EventTypeEnum], description: "Replaces the filter; [] means every type." }),
    active: t.boolean({ description: "False pauses it (pending deliveries wait); true resumes it, resets its failure count and retries what is pending now." }),
  }),
});

builder.mutationField("updateWebhook", (t) =>
  t.field({
    type: WebhookPayload("UpdateWebhookPayload"),
    description: "Changes a webhook's URL, event types or activity (project ADMIN).",
    args: { input: t.arg({ type: UpdateWebhookInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: async (_root, { input }, ctx) => ({ webhook: await updateWebhook(ctx, input, ctx.config.webhooks.allowedNetworks) }),
  }),
);

const DeleteWebhookInput = builder.inputType("DeleteWebhookInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The webhook." }) }),
});

builder.mutationField("deleteWebhook", (t) =>
  t.field({
    type: builder.objectRef<{ id: string; projectId: string }>("DeleteWebhookPayload").implement({
      description: "What was deleted.",
      fields: (f) => ({
        deletedWebhookId: f.id({ description: "Global id of the deleted webhook.", resolve: (p) => encodeGlobalId("Webhook", p.id) }),
        project: f.prismaField({
          type: "Project",
          description: "Its project.",
          resolve: (query, p, _args, ctx) => ctx.prisma.project.findUniqueOrThrow({ ...query, where: { id: p.projectId } }),
        }),
      }),
    }),
    description: "Deletes a webhook and its delivery log (project ADMIN); nothing more is sent to it.",
    args: { input: t.arg({ type: DeleteWebhookInput, required: true }) },
    errors: { types: [...COMMON_ERRORS] },
    resolve: (_root, { input }, ctx) => deleteWebhook(ctx, input),
  }),
);
