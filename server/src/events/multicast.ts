// Live subscriptions share work in two ways.
// - Identical ones (same operation, variables and identity) share one stream: one execution, its per-event access
//   checks and field resolution included, handed to all of them (a fleet of deployers watching one model with one
//   service account); graphql-ws still frames and sends it per subscriber.
// - Ones that differ only in identity share the execution of each event, when their selection reads nothing of the
//   viewer: each keeps its own stream, so its own access check per event (graphql/events.ts stillAllowed) decides
//   whether it gets the event at all, and only then takes the result executed once for that event
//   (shareExecutionsAcrossViewers). A field whose answer depends on who asks declares it (VIEWER_DEPENDENT); a
//   selection reaching one runs per identity. As a backstop, the shared execution watches `ctx.viewer`: a result
//   whose execution read it is handed to nobody else.
//   Live WebSocket ones of that kind follow the feed together (FanOut): one listener, and per event one round of
//   access checks (each member its own, batched into one query each), one execution, one serialisation, and the
//   frame written to each allowed member's socket — no per-subscriber stream, promise chain or JSON.stringify.
//   Identical ones (one identity) are members like any other.
// A subscription with an `after` cursor replays from its own position and shares neither.
import {
  createSourceEventStream,
  execute,
  BREAK,
  Kind,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ExecutionArgs,
  type ExecutionResult,
  type ValueNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Event } from "../generated/prisma/client.ts";
import { liveSourceOf, type AccessAnswer, type LiveSource } from "./stream.ts";

interface Viewerish {
  viewer?: { userId: string; tokenId?: string; isAdmin: boolean };
}

/**
 * Field `extensions` of a field whose answer depends on who asks (the viewer's identity or role): a subscription
 * selecting it never shares its execution across identities.
 */
export const VIEWER_DEPENDENT = Object.freeze({ viewerDependent: true });

/** The operation's document, name and variables, or null when it must run alone (an `after` replay). */
function operationKey(args: ExecutionArgs): string | null {
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  for (const definition of args.document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const defaults = new Map(definition.variableDefinitions?.map((v) => [v.variable.name.value, v.defaultValue]) ?? []);
    const isNull = (value: ValueNode): boolean => {
      if (value.kind === Kind.NULL) return true;
      if (value.kind !== Kind.VARIABLE) return false;
      const name = value.name.value;
      if (name in variables) return variables[name] === null || variables[name] === undefined;
      const fallback = defaults.get(name);
      return !fallback || fallback.kind === Kind.NULL;
    };
    for (const selection of definition.selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) return null; // fragments at the root: not worth analysing
      if (selection.arguments?.some((a) => a.name.value === "after" && !isNull(a.value))) return null;
    }
  }
  return JSON.stringify([print(args.document), args.operationName ?? null, variables]);
}

/** The key under which an operation may share its stream (same identity), or null when it must run alone. */
export function sharingKey(args: ExecutionArgs): string | null {
  const viewer = (args.contextValue as Viewerish | undefined)?.viewer;
  if (!viewer) return null;
  const operation = operationKey(args);
  return operation === null ? null : JSON.stringify([operation, viewer.userId, viewer.tokenId ?? null, viewer.isAdmin]);
}

/** Whether the document selects a field declared VIEWER_DEPENDENT (anywhere: fragments included). */
function selectsViewerDependentField(args: ExecutionArgs): boolean {
  const typeInfo = new TypeInfo(args.schema);
  let found = false;
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const field = typeInfo.getFieldDef();
        // An unknown field (the document was validated, so only a typename) or one declared viewer-dependent.
        if (field?.extensions?.viewerDependent) {
          found = true;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return found;
}

/** The key under which subscribers of any identity may share each event's execution, or null: each runs its own. */
export function viewerFreeKey(args: ExecutionArgs): string | null {
  const context = args.contextValue as (Viewerish & { origin?: string }) | undefined;
  if (!context?.viewer) return null;
  const operation = operationKey(args);
  // The origin the client reached us by goes into absolute URLs (a resource's downloadUrl): it is part of the key.
  return operation === null || selectsViewerDependentField(args) ? null : JSON.stringify([operation, context.origin ?? null]);
}

interface SharedExecution {
  result: ExecutionResult;
  /** The execution read `ctx.viewer`: its result is the executing subscriber's alone. */
  readViewer: boolean;
}

const executions = new WeakMap<object, Map<string, Promise<SharedExecution>>>();

/**
 * Executes the operation for one event (the source stream's payload) under a context that notes any read of
 * `viewer`; subscribers with the same key and the same event object (the feed hands one to all) reuse it.
 */
function executeShared(args: ExecutionArgs, key: string | null, payload: unknown, onExecuted: () => void): Promise<ExecutionResult> {
  const alone = async () => {
    onExecuted();
    return execute({ ...args, rootValue: payload }) as ExecutionResult | Promise<ExecutionResult>;
  };
  // What the stream yields per subscriber (its failure) is its own.
  if (key === null || typeof payload !== "object" || payload === null) return alone();
  let perEvent = executions.get(payload);
  if (!perEvent) executions.set(payload, (perEvent = new Map()));
  const running = perEvent.get(key);
  if (running) return running.then((shared) => (shared.readViewer ? alone() : shared.result));
  onExecuted();
  const started = executeWatched(args, payload);
  perEvent.set(key, started);
  return started.then((shared) => shared.result);
}

/** Executes the operation for `payload` under a context that notes any read of `viewer`. */
async function executeWatched(args: ExecutionArgs, payload: unknown): Promise<SharedExecution> {
  const context = args.contextValue as object;
  const watched: SharedExecution = { result: { data: null }, readViewer: false };
  // A copy (not a prototype child), so that a resolver spreading the context keeps every property.
  const guarded = Object.defineProperty({ ...context }, "viewer", {
    enumerable: true,
    get() {
      watched.readViewer = true;
      return (context as Viewerish).viewer;
    },
  });
  watched.result = await execute({ ...args, contextValue: guarded, rootValue: payload });
  return watched;
}

/** `source`, each item mapped by `map`; ending it (return) ends the source at once, as graphql's subscribe does. */
function mapStream<T, U>(source: AsyncIterable<T>, map: (item: T) => Promise<U>): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const close = async (): Promise<IteratorResult<U>> => {
    await iterator.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      const next = await iterator.next();
      if (next.done) return { value: undefined, done: true };
      try {
        return { value: await map(next.value), done: false };
      } catch (error) {
        await close();
        throw error;
      }
    },
    return: close,
    async throw(error: unknown) {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Per context allowed to share across identities: how to send it a result's JSON itself (a graphql-ws `next`). */
const viewerFreeContexts = new WeakMap<object, (resultJson: string) => void>();

/**
 * Lets this operation's context share executions across identities (WebSocket subscriptions; SSE stays as it was).
 * `sendNext` writes one result, given as its JSON, as the operation's `next` message: a shared result is serialised
 * once per event, not once per subscriber.
 */
export function allowSharingAcrossViewers(context: object, sendNext: (resultJson: string) => void): void {
  viewerFreeContexts.set(context, sendNext);
}

/**
 * The subscribe of graphql-js (source stream, then one execution per event), sharing each event's execution among
 * the subscribers of the same viewer-free operation (the others execute each event alone). `onExecuted` counts
 * executions (a metric, so that sharing can be seen from outside).
 */
export function shareExecutionsAcrossViewers(onExecuted: () => void): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const sendNext = viewerFreeContexts.get(args.contextValue as object);
      if (!sendNext) return;
      const key = viewerFreeKey(args);
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs);
        if (!isAsyncIterable(source)) return source;
        const live = key === null ? undefined : liveSourceOf(source);
        if (key === null || !live) return mapStream(source, (payload) => executeShared(subscribeArgs, key, payload, onExecuted));
        // Followed by the fan-out instead: its own stream never starts (a generator's body runs at its first next).
        void (source as AsyncGenerator<unknown>).return?.(undefined);
        const fanOut = fanOuts.get(key) ?? new FanOut(key, live, onExecuted);
        return fanOut.join(subscribeArgs, live, sendNext);
      });
    },
  };
}

/**
 * An async iterator fed from outside: what was enqueued, in order, then its end (or a failure thrown to the reader).
 * `return` (the reader leaving) drops what is queued and calls `left`.
 */
abstract class FedIterator<T> implements AsyncIterableIterator<T> {
  protected readonly items: T[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;

  protected enqueue(item: T): void {
    this.items.push(item);
    this.notify();
  }

  protected close(failure?: { error: unknown }): void {
    this.ended = true;
    this.failure = failure ?? null;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  /** The reader is gone: stop feeding this iterator. */
  protected abstract left(): void;

  async next(): Promise<IteratorResult<T>> {
    while (this.items.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.items.length > 0) return { value: this.items.shift()!, done: false };
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      throw error;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.left();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** One subscriber of a fan-out: the stream graphql-ws iterates, fed (or bypassed, with sendNext) by the FanOut. */
class FanMember extends FedIterator<ExecutionResult> {
  /** Events up to this seq are not this subscriber's: it joined after the feed had handed them out. */
  last: bigint;
  /** No more deliveries: it ended, failed or left. */
  stopped = false;
  private readonly unwatch: () => void;

  constructor(
    private readonly fanOut: FanOut,
    readonly args: ExecutionArgs,
    readonly live: LiveSource,
    private readonly sendNext: (resultJson: string) => void,
  ) {
    super();
    this.last = live.feed.seq;
    this.unwatch = live.options.onRevoked?.((error) => this.fail(error)) ?? (() => {});
  }

  /** One event's result; `json` is its serialisation, or null (a result with errors goes through graphql-ws). */
  deliver(result: ExecutionResult, json: string | null): void {
    if (this.stopped) return;
    // Straight to the socket unless earlier results still wait for graphql-ws to take them (order is kept).
    if (json !== null && this.items.length === 0) this.sendNext(json);
    else this.enqueue(result);
  }

  /** Its access check said no: the stream ends (graphql-ws completes it). */
  end(): void {
    if (this.stop()) this.close();
  }

  /** Its check failed, or its token stopped working: it ends with its last result, as its own stream would. */
  fail(error: unknown): void {
    if (!this.stop()) return;
    const last = this.live.ending(error);
    if (last === undefined) return this.close({ error });
    this.fanOut.onExecuted();
    Promise.resolve(execute({ ...this.args, rootValue: last })).then(
      (result) => {
        this.enqueue(result);
        this.close();
      },
      (failure: unknown) => this.close({ error: failure }),
    );
  }

  /** Ends the stream by throwing `error` to graphql-ws. */
  abort(error: unknown): void {
    if (this.stop()) this.close({ error });
  }

  /** Stops deliveries and leaves the fan-out; false if it had already stopped. */
  private stop(): boolean {
    if (this.stopped) return false;
    this.stopped = true;
    this.unwatch();
    this.fanOut.leave(this);
    return true;
  }

  protected left(): void {
    this.stop();
    this.close();
  }
}

const fanOuts = new Map<string, FanOut>();

/**
 * The live subscribers of one viewer-free operation (one key of viewerFreeKey: same document, variables, origin,
 * hence the same project and filter), of any identities, following the feed together. Events are handled one at a
 * time, in seq order: the access of each member due is checked (all together: one query for their tokens, one for
 * their memberships), the event is executed once for those allowed and its JSON sent to each of them.
 */
class FanOut {
  private readonly members = new Set<FanMember>();
  private readonly pending: Event[] = [];
  private draining = false;
  private readonly stopListening: () => void;

  constructor(
    private readonly key: string,
    live: LiveSource,
    readonly onExecuted: () => void,
  ) {
    fanOuts.set(key, this);
    const { projectId, accept } = live.options;
    this.stopListening = live.feed.listen((event) => {
      if (event.projectId !== projectId || !accept(event)) return;
      this.pending.push(event);
      if (!this.draining) void this.drain();
    });
  }

  join(args: ExecutionArgs, live: LiveSource, sendNext: (resultJson: string) => void): FanMember {
    const member = new FanMember(this, args, live, sendNext);
    this.members.add(member);
    return member;
  }

  leave(member: FanMember): void {
    this.members.delete(member);
    if (this.members.size > 0) return;
    this.stopListening();
    this.pending.length = 0;
    if (fanOuts.get(this.key) === this) fanOuts.delete(this.key);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let event = this.pending.shift(); event; event = this.pending.shift()) await this.deliver(event);
    } finally {
      this.draining = false;
    }
  }

  private async deliver(event: Event): Promise<void> {
    const due = [...this.members].filter((member) => event.seq > member.last);
    if (due.length === 0) return;
    for (const member of due) member.last = event.seq;
    // Executed while the checks run (its result goes only to members they allow): one round trip less per event.
    const first = due[0]!;
    this.onExecuted();
    const execution = executeWatched(first.args, event);
    try {
      // Each member's own check, all answered together (a failed query fails each of them, as their own would).
      const answers = await first.live
        .allowedTogether(due.map((member) => member.live))
        .catch((error: unknown) => due.map((): AccessAnswer => ({ error })));
      const receivers: FanMember[] = [];
      due.forEach((member, i) => {
        const answer = answers[i]!;
        if (answer === true) receivers.push(member);
        else if (answer === false) member.end();
        else member.fail(answer.error);
      });
      const shared = await execution;
      if (!shared.readViewer) {
        const json = shared.result.errors ? null : JSON.stringify(shared.result);
        for (const member of receivers) member.deliver(shared.result, json);
        return;
      }
      // The execution read the viewer after all: its result is `first`'s alone, the others execute their own.
      if (receivers.includes(first)) first.deliver(shared.result, shared.result.errors ? null : JSON.stringify(shared.result));
      const others = receivers.filter((member) => member !== first && !member.stopped);
      const results = await Promise.all(
        others.map((member) => {
          this.onExecuted();
          return execute({ ...member.args, rootValue: event }) as ExecutionResult | Promise<ExecutionResult>;
        }),
      );
      others.forEach((member, i) => member.deliver(results[i]!, results[i]!.errors ? null : JSON.stringify(results[i])));
    } catch (error) {
      // An execution that threw (not one with errors): each member due fails with it, as its own stream would.
      for (const member of due) member.abort(error);
    }
  }
}

/** One subscriber's view of a shared stream: what arrived since it joined, in order. */
class Member extends FedIterator<unknown> {
  constructor(private readonly group: Group) {
    super();
  }

  push(item: unknown): void {
    this.enqueue(item);
  }

  end(failure?: { error: unknown }): void {
    this.close(failure);
  }

  protected left(): void {
    this.close();
    this.group.leave(this);
  }
}

const groups = new Map<string, Group>();
const starting = new Map<string, Promise<Group | null>>();

/** One executed stream and the subscribers it feeds; ends (for everyone) when its stream ends. */
class Group {
  readonly members = new Set<Member>();
  private finished = false;

  constructor(
    private readonly key: string,
    private readonly source: AsyncIterator<unknown>,
  ) {
    groups.set(key, this);
    void this.pump();
  }

  join(): Member {
    const member = new Member(this);
    this.members.add(member);
    return member;
  }

  leave(member: Member): void {
    this.members.delete(member);
    if (this.members.size === 0 && !this.finished) {
      this.finish();
      void this.source.return?.();
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const next = await this.source.next();
        if (next.done) break;
        for (const member of this.members) member.push(next.value);
      }
      this.finish();
    } catch (error) {
      this.finish({ error });
    }
  }

  private finish(failure?: { error: unknown }): void {
    if (this.finished) return;
    this.finished = true;
    if (groups.get(this.key) === this) groups.delete(this.key);
    for (const member of this.members) member.end(failure);
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === "object" && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";

/**
 * Subscribes through `subscribe`, or joins the running stream of an identical live subscription. What
 * `subscribe` returns that is not a stream (an error result) is returned as is, and not shared.
 */
export async function shareIdenticalSubscriptions<R>(args: ExecutionArgs, subscribe: () => R | Promise<R>): Promise<R> {
  const key = sharingKey(args);
  // A viewer-free WebSocket operation is shared by its fan-out, whose members write their own frames.
  if (key === null || (viewerFreeContexts.has(args.contextValue as object) && viewerFreeKey(args) !== null)) return subscribe();
  for (;;) {
    const running = groups.get(key);
    if (running) return running.join() as R;
    const pending = starting.get(key);
    if (!pending) break;
    if (!(await pending)) return subscribe(); // the first one failed to start: run alone
  }
  let resolveStart!: (group: Group | null) => void;
  starting.set(key, new Promise<Group | null>((resolve) => (resolveStart = resolve)));
  try {
    const result = await subscribe();
    if (!isAsyncIterable(result)) {
      resolveStart(null);
      return result;
    }
    const group = new Group(key, result[Symbol.asyncIterator]());
    resolveStart(group);
    return group.join() as R;
  } catch (error) {
    resolveStart(null);
    throw error;
  } finally {
    starting.delete(key);
  }
}
