// Subscriptions over graphql-ws and SSE, served from the durable event log (events/stream.ts).
import { GraphQLError } from "graphql";
import { AuthenticationError, tokenFailure, tokenStillValid } from "../access/authenticate.ts";
import { cachedRoleIn } from "../access/permissions.ts";
import type { SessionEnd, SessionRefusal } from "../access/sessions.ts";
import { decodeGlobalId, encodeGlobalId } from "../domain/ids.ts";
import { EVENT_TYPES, newestEventSeq } from "../events/log.ts";
import { batchedForEvent, sharedForEvent } from "../events/shared.ts";
import { describeLive, streamEvents, type AccessAnswer, type LiveSource } from "../events/stream.ts";
import type { Event } from "../generated/prisma/client.ts";
import type { RequestContext } from "../context.ts";
import { builder } from "./builder.ts";
import { StageEnum } from "./common.ts";
import { TransitionCauseEnum } from "./versions.ts";

export const EventTypeEnum = builder.enumType("EventType", {
  description: "What happened.",
  values: Object.fromEntries(EVENT_TYPES.map((t) => [t, { description: t.toLowerCase().replaceAll("_", " ") }])) as Record<
    (typeof EVENT_TYPES)[number],
    { description: string }
  >,
});

/** Opaque position in the event log; pass the last one you saw as `after` to resume. */
export const eventCursor = (seq: bigint) => encodeGlobalId("Event", seq);

function parseCursor(cursor: string | null | undefined): bigint | null {
  if (cursor == null) return null;
  const decoded = decodeGlobalId(cursor);
  if (decoded?.typename !== "Event" || !/^\d+$/.test(decoded.id)) {
    throw new GraphQLError(`Invalid cursor ${JSON.stringify(cursor)}: pass a cursor received from this subscription`);
  }
  return BigInt(decoded.id);
}

/** A row an event's field loads, loaded once for all the live subscribers selecting it the same way. */
export const sharedEventRow = <T>(event: Event, field: string, query: unknown, load: () => Promise<T>): Promise<T> =>
  sharedForEvent(event, `${field}:${JSON.stringify(query)}`, load);

const eventFields = {
  cursor: (e: Event) => eventCursor(e.seq),
};

export const EventRef = builder.objectRef<Event>("Event").implement({
  description: "One entry of a project's durable event log.",
  fields: (t) => ({
    cursor: t.string({ description: "Resume after this event with `after: cursor`.", resolve: eventFields.cursor }),
    type: t.field({ type: EventTypeEnum, description: "What happened.", resolve: (e) => e.type as never }),
    at: t.expose("at", { type: "DateTime", description: "When it committed." }),
    payload: t.string({ description: "Details as JSON (numbers, stages, names).", resolve: (e) => JSON.stringify(e.payload) }),
    projectId: t.id({ description: "Global id of the project.", resolve: (e) => encodeGlobalId("Project", e.projectId) }),
    modelId: t.id({ nullable: true, description: "Global id of the model, if any.", resolve: (e) => (e.modelId ? encodeGlobalId("Model", e.modelId) : null) }),
    modelVersion: t.prismaField({
      type: "ModelVersion",
      nullable: true,
      description: "The version concerned, if any (as it is now).",
      resolve: (query, e, _args, ctx) =>
        e.modelVersionId ? sharedEventRow(e, "modelVersion", query, () => ctx.prisma.modelVersion.findUnique({ ...query, where: { id: e.modelVersionId! } })) : null,
    }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who caused it.",
      resolve: (query, e, _args, ctx) => (e.actorId ? sharedEventRow(e, "actor", query, () => ctx.prisma.user.findUnique({ ...query, where: { id: e.actorId! } })) : null),
    }),
  }),
});

interface StagePayload {
  number: number;
  fromStage: string;
  toStage: string;
  cause: string;
}

export const StageChangeRef = builder.objectRef<Event>("StageChangeEvent").implement({
  description: "A version changed stage.",
  fields: (t) => ({
    cursor: t.string({ description: "Resume after this event with `after: cursor`.", resolve: eventFields.cursor }),
    at: t.expose("at", { type: "DateTime", description: "When it committed." }),
    number: t.int({ description: "Version number.", resolve: (e) => (e.payload as unknown as StagePayload).number }),
    fromStage: t.field({ type: StageEnum, description: "Stage before.", resolve: (e) => (e.payload as unknown as StagePayload).fromStage as never }),
    toStage: t.field({ type: StageEnum, description: "Stage after.", resolve: (e) => (e.payload as unknown as StagePayload).toStage as never }),
    cause: t.field({ type: TransitionCauseEnum, description: "Why.", resolve: (e) => (e.payload as unknown as StagePayload).cause as never }),
    model: t.prismaField({
      type: "Model",
      description: "The model.",
      resolve: (query, e, _args, ctx) => sharedEventRow(e, "model", query, () => ctx.prisma.model.findUniqueOrThrow({ ...query, where: { id: e.modelId! } })),
    }),
    modelVersion: t.prismaField({
      type: "ModelVersion",
      description: "The version (as it is now).",
      resolve: (query, e, _args, ctx) =>
        sharedEventRow(e, "modelVersion", query, () => ctx.prisma.modelVersion.findUniqueOrThrow({ ...query, where: { id: e.modelVersionId! } })),
    }),
    actor: t.prismaField({
      type: "User",
      nullable: true,
      description: "Who moved it.",
      resolve: (query, e, _args, ctx) => (e.actorId ? sharedEventRow(e, "actor", query, () => ctx.prisma.user.findUnique({ ...query, where: { id: e.actorId! } })) : null),
    }),
  }),
});

builder.prismaObjectField("Project", "eventCursor", (t) =>
  t.string({
    description:
      "The cursor of the newest event in the log now (a start cursor when there is none). Read it with your initial " +
      "query, then subscribe with `after:` it: you get every event committed since, nothing missed in between.",
    resolve: async (_project, _args, ctx) => eventCursor(await newestEventSeq(ctx.prisma)),
  }),
);

/** Resolves the project of a subscription, refusing (without saying why) one the viewer cannot see. */
async function subscribedProject(ctx: RequestContext, ref: string): Promise<string> {
  const decoded = decodeGlobalId(ref);
  const id = decoded?.typename === "Project" ? decoded.id : null;
  // Admins see every project, so existence is checked too: a mistyped id must not wait silently forever.
  const found = id && (await cachedRoleIn(ctx, id)) !== null && (await ctx.prisma.project.count({ where: { id } })) > 0;
  if (!found) throw new GraphQLError(`Project ${JSON.stringify(ref)} was not found`);
  return id;
}

/** A session refused at a cap (access/sessions.ts SessionLimits): 429 over HTTP (SSE), an operation error on a WebSocket. */
export function tooManySessionsError(refusal: SessionRefusal, status?: number): GraphQLError {
  return new GraphQLError(refusal.message, {
    extensions: { code: "TOO_MANY_SUBSCRIPTIONS", limit: refusal.limit, ...(status ? { http: { status } } : {}) },
  });
}

/** How a subscription whose token stopped working ends: with this error as its last result. */
export function sessionEndedError(reason: SessionEnd): GraphQLError {
  return new GraphQLError(new AuthenticationError(reason).message, { extensions: { code: "UNAUTHENTICATED", reason } });
}

/**
 * Access is re-checked for each live event and each replay page: a member removed meanwhile stops receiving; a
 * token revoked or expired, or a user deactivated, fails the stream with sessionEndedError.
 */
const stillAllowed = (ctx: RequestContext, projectId: string) => async (batchKey: object) => {
  const [failure, member] = await Promise.all([tokenFailureFor(ctx, batchKey), ctx.viewer.isAdmin || isMemberFor(ctx, batchKey, projectId)]);
  if (failure) throw sessionEndedError(failure);
  return member;
};

// The same checks for a live event's (or concurrent replay pages') 1,000 subscribers are one query each
// (events/shared.ts), not 1,000.
async function tokenFailureFor(ctx: RequestContext, batchKey: object): Promise<SessionEnd | null> {
  const { tokenId } = ctx.viewer;
  if (!tokenId) return (await tokenStillValid(ctx.prisma, ctx.viewer)) ? null : "revoked";
  const now = Date.now();
  const failure = await batchedForEvent(batchKey, "token", tokenId, (ids) => tokenFailures(ctx.prisma, ids, now));
  return failure === undefined ? "revoked" : failure;
}

/**
 * Why each token found stopped working (null: it works). One statement with one array parameter: Prisma's findMany
 * with `in` binds each id and loads the users apart, which for 1,000 subscribers was most of an event's check.
 */
async function tokenFailures(prisma: RequestContext["prisma"], ids: string[], now: number): Promise<Map<string, SessionEnd | null>> {
  const rows = await prisma.$queryRaw<{ id: string; revokedAt: Date | null; expiresAt: Date | null; deactivatedAt: Date | null }[]>`
    SELECT t."id", t."revokedAt", t."expiresAt", u."deactivatedAt"
    FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."id" = ANY(${ids})`;
  return new Map(rows.map((row) => [row.id, tokenFailure({ ...row, user: { deactivatedAt: row.deactivatedAt } }, now)]));
}

/** Which of `userIds` are members of the project (as tokenFailures: one statement). */
async function membersOf(prisma: RequestContext["prisma"], projectId: string, userIds: string[]): Promise<Map<string, true>> {
  const rows = await prisma.$queryRaw<{ userId: string }[]>`
    SELECT "userId" FROM "Membership" WHERE "projectId" = ${projectId} AND "userId" = ANY(${userIds})`;
  return new Map(rows.map((row) => [row.userId, true]));
}

/** The subscriber each live source describes (for allowedTogether). */
const liveSubscribers = new WeakMap<LiveSource, { ctx: RequestContext; projectId: string }>();

/**
 * stillAllowed for many live subscribers at once (a fan-out's, events/multicast.ts): one statement for their tokens
 * and one per project for their memberships, then each answer as its own check would give it, without a promise
 * per subscriber.
 */
async function allowedTogether(sources: readonly LiveSource[]): Promise<AccessAnswer[]> {
  const subscribers = sources.map((source) => liveSubscribers.get(source)!);
  const { prisma } = subscribers[0]!.ctx;
  const now = Date.now();
  const tokenIds = new Set<string>();
  const usersByProject = new Map<string, Set<string>>();
  for (const { ctx, projectId } of subscribers) {
    if (ctx.viewer.tokenId) tokenIds.add(ctx.viewer.tokenId);
    if (ctx.viewer.isAdmin) continue;
    let users = usersByProject.get(projectId);
    if (!users) usersByProject.set(projectId, (users = new Set()));
    users.add(ctx.viewer.userId);
  }
  const projects = [...usersByProject];
  const [failures, ...memberships] = await Promise.all([
    tokenIds.size > 0 ? tokenFailures(prisma, [...tokenIds], now) : new Map<string, SessionEnd | null>(),
    ...projects.map(([projectId, users]) => membersOf(prisma, projectId, [...users])),
  ]);
  const members = new Map(projects.map(([projectId], i) => [projectId, memberships[i]!]));
  return subscribers.map(({ ctx, projectId }): AccessAnswer => {
    const { tokenId, userId, isAdmin } = ctx.viewer;
    const failure = tokenId ? (failures.has(tokenId) ? failures.get(tokenId)! : "revoked") : null;
    if (failure) return { error: sessionEndedError(failure) };
    return isAdmin || members.get(projectId)!.has(userId);
  });
}

/** Ends the stream at once when the viewer's token stops working on any replica (access/sessions.ts). */
const onRevoked = (ctx: RequestContext) => (fail: (error: Error) => void) =>
  ctx.viewer.tokenId ? ctx.sessions.watch(ctx.viewer.tokenId, (reason) => fail(sessionEndedError(reason))) : () => {};

/** What a stream yields last when it failed: the subscription field's resolver throws its error. */
class StreamFailure {
  constructor(readonly error: GraphQLError) {}
}

/**
 * The stream, ending with a last result carrying the error when it fails with a GraphQLError: the same visible
 * end on WebSocket and SSE (an error thrown by a stream would cut an SSE response without saying why).
 */
async function* endingWithError(stream: AsyncGenerator<Event>): AsyncGenerator<Event | StreamFailure> {
  try {
    yield* stream;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    yield new StreamFailure(error);
  }
}

/** The subscription fields' resolver: the event, or the error the stream ended with. */
function resolveStreamed(value: Event): Event {
  const streamed = value as Event | StreamFailure;
  if (streamed instanceof StreamFailure) throw streamed.error;
  return streamed;
}

async function isMemberFor(ctx: RequestContext, batchKey: object, projectId: string): Promise<boolean> {
  const member = await batchedForEvent(batchKey, `member:${projectId}`, ctx.viewer.userId, (userIds) => membersOf(ctx.prisma, projectId, userIds));
  return member !== undefined;
}

/**
 * The `subscribe` and `resolve` of a subscription over one project's event log: replays what came after `after`,
 * then continues live, with the access re-checks and the error ending of every subscription. `acceptOf` turns the
 * field's arguments into the filter of the events it wants.
 */
export function projectEventStream<Args>(acceptOf: (args: Args) => (event: Event) => boolean) {
  return {
    subscribe: async (_root: unknown, args: Args & { projectId: string | number; after?: string | null }, ctx: RequestContext) => {
      const projectId = await subscribedProject(ctx, String(args.projectId));
      const options = { projectId, after: parseCursor(args.after), accept: acceptOf(args), allowed: stillAllowed(ctx, projectId), onRevoked: onRevoked(ctx) };
      const stream = endingWithError(streamEvents(ctx.prisma, ctx.feed, options)) as AsyncGenerator<Event>;
      // A live one may be followed together with other subscribers of the same operation (events/multicast.ts),
      // ending as endingWithError would.
      if (options.after !== null) return stream;
      const ending = (error: unknown) => (error instanceof GraphQLError ? new StreamFailure(error) : undefined);
      const live: LiveSource = { feed: ctx.feed, options, ending, allowedTogether };
      liveSubscribers.set(live, { ctx, projectId });
      return describeLive(stream, live);
    },
    resolve: resolveStreamed,
  };
}

builder.subscriptionField("projectEvents", (t) =>
  t.field({
    type: EventRef,
    description: "Every event of a project. With `after`, first replays what you missed, then continues live.",
    args: {
      projectId: t.arg.id({ required: true }),
      types: t.arg({ type: [EventTypeEnum], description: "Only these types." }),
      after: t.arg.string({ description: "The cursor of the last event you saw." }),
    },
    ...projectEventStream((args: { types?: readonly string[] | null }) => {
      const types = args.types ? new Set<string>(args.types) : null;
      return (e) => !types || types.has(e.type);
    }),
  }),
);

builder.subscriptionField("modelVersionStageChanged", (t) =>
  t.field({
    type: StageChangeRef,
    description: "Stage changes of a project's versions (optionally one model, some target stages). Resumable with `after`.",
    args: {
      projectId: t.arg.id({ required: true }),
      modelId: t.arg.id({ description: "Only this model." }),
      stages: t.arg({ type: [StageEnum], description: "Only moves into these stages." }),
      after: t.arg.string({ description: "The cursor of the last event you saw." }),
    },
    ...projectEventStream((args: { modelId?: string | null; stages?: readonly string[] | null }) => {
      const modelId = args.modelId ? decodeGlobalId(args.modelId)?.id ?? "" : null;
      const stages = args.stages ? new Set<string>(args.stages) : null;
      return (e) =>
        e.type === "MODEL_VERSION_STAGE_CHANGED" &&
        (!modelId || e.modelId === modelId) &&
        (!stages || stages.has((e.payload as unknown as StagePayload).toStage));
    }),
  }),
);
