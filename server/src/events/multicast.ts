// Identical live subscriptions share one execution. Subscribers whose operation, variables and identity are the
// same compute identical results for every event (a fleet of deployers watching one model with one service
// account), so one stream is executed — its per-event access checks and field resolution included — and each
// result is handed to all of them; graphql-ws still frames and sends it per subscriber. A subscription with an
// `after` cursor replays from its own position and is never shared.
import { Kind, print, type ExecutionArgs, type ValueNode } from "graphql";

interface Viewerish {
  viewer?: { userId: string; tokenId?: string; isAdmin: boolean };
}

/** The key under which an operation may share its stream, or null when it must run alone. */
export function sharingKey(args: ExecutionArgs): string | null {
  const viewer = (args.contextValue as Viewerish | undefined)?.viewer;
  if (!viewer) return null;
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
  return JSON.stringify([print(args.document), args.operationName ?? null, variables, viewer.userId, viewer.tokenId ?? null, viewer.isAdmin]);
}

/** One subscriber's view of a shared stream: what arrived since it joined, in order. */
class Member implements AsyncIterableIterator<unknown> {
  private readonly items: unknown[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly group: Group) {}

  push(item: unknown): void {
    this.items.push(item);
    this.notify();
  }

  end(failure?: { error: unknown }): void {
    this.ended = true;
    this.failure = failure ?? null;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
    this.wake = null;
  }

  async next(): Promise<IteratorResult<unknown>> {
    while (this.items.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.items.length > 0) return { value: this.items.shift(), done: false };
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      throw error;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.items.length = 0;
    this.end();
    this.group.leave(this);
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<unknown>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
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
  if (key === null) return subscribe();
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
