// Working with mutation results. Every mutation returns `${Mutation}Payload | ErrorA | ErrorB …`, a union
// discriminated on `__typename`: read the payload only after ruling the errors out, which TypeScript checks.
import { ModelgraphError, type ErrorResult } from "./errors.ts";

/** Anything discriminated on `__typename` (every mutation result). */
export interface Typed {
  /** The GraphQL type of the object. */
  readonly __typename: string;
}

/** The success branch of a mutation result: the member whose typename ends in `Payload`. */
export type PayloadOf<R extends Typed> = Extract<R, { __typename: `${string}Payload` }>;

/** The error branches of a mutation result: every member but the payload. */
export type ErrorsOf<R extends Typed> = Exclude<R, { __typename: `${string}Payload` }>;

/** One handler per member of a result union, keyed by typename; see {@link match}. */
export type Handlers<R extends Typed, T> = { [N in R["__typename"]]: (value: Extract<R, { __typename: N }>) => T };

/** True for the payload branch: narrows `result` to it. */
export function isPayload<R extends Typed>(result: R): result is PayloadOf<R> {
  return result.__typename.endsWith("Payload");
}

/** True for an error branch: narrows `result` to the error members. */
export function isError<R extends Typed>(result: R): result is ErrorsOf<R> {
  return !isPayload(result);
}

/**
 * Returns the payload, or throws a {@link ModelgraphError} carrying the error branch (typename and fields).
 * For scripts that treat every expected failure as fatal; handle branches with {@link match} otherwise.
 *
 * @example
 * ```ts
 * const { project } = unwrap(await client.createProject({ name: "vision" }));
 * ```
 */
export function unwrap<R extends Typed>(result: R, operation?: string): PayloadOf<R> {
  if (isPayload(result)) return result;
  throw new ModelgraphError(result as unknown as ErrorResult, operation);
}

/**
 * Calls the handler of the result's typename and returns its value. Every member of the union needs a handler:
 * leaving out an error branch is a compile error, and so is a handler for a type the mutation cannot return.
 *
 * @example
 * ```ts
 * const message = match(await client.transitionModelVersionStage(input), {
 *   TransitionModelVersionStagePayload: (p) => `now ${p.modelVersion.stage}`,
 *   StaleStageError: (e) => `moved meanwhile to ${e.actualStage}`,
 *   InvalidStageTransitionError: (e) => e.message,
 *   ApprovalRequiredError: (e) => `needs approval for ${e.stage}`,
 *   ArchivedObjectError: (e) => e.message,
 *   ForbiddenError: (e) => e.message,
 *   NotFoundError: (e) => e.message,
 *   ValidationError: (e) => e.issues.map((i) => i.message).join("; "),
 * });
 * ```
 */
export function match<R extends Typed, T>(result: R, handlers: Handlers<R, T>): T {
  const handler = (handlers as unknown as Record<string, ((value: R) => T) | undefined>)[result.__typename];
  if (!handler) throw new TypeError(`no handler for ${result.__typename}`);
  return handler(result);
}

/**
 * For the `default` branch of a `switch` on `__typename`: compiles only when every member was handled, and
 * throws at run time if a server newer than the SDK returns a type it does not know.
 *
 * @example
 * ```ts
 * switch (result.__typename) {
 *   case "CreateProjectPayload": return result.project;
 *   case "NameConflictError": …
 *   default: return assertNever(result);
 * }
 * ```
 */
export function assertNever(value: never): never {
  throw new TypeError(`unexpected result ${JSON.stringify((value as { __typename?: string } | null)?.__typename ?? value)}`);
}
