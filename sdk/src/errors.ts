// Everything the SDK throws. Two families:
// - ModelgraphError: an expected failure the API returned as data (a mutation's error branch, a read of
//   something that does not exist), carrying the GraphQL typename and that error's fields;
// - TransportError and its subclasses: the request did not get a usable answer (bad token, unreachable
//   server, a server fault, an invalid operation).
// Local artifact checks add ArtifactIntegrityError and ArtifactNotReadyError.
import type { ErrorFieldsFragment } from "./generated/graphql.ts";

/** Every expected error a mutation can return, as selected by the SDK: a union discriminated on `__typename`. */
export type ErrorResult = ErrorFieldsFragment;

/** The typename of any expected error: `"ValidationError" | "NotFoundError" | "StaleStageError" | …`. */
export type ErrorTypename = ErrorResult["__typename"];

/** The error object of one typename, e.g. `ErrorOfType<"StaleStageError">` has `expectedStage` and `actualStage`. */
export type ErrorOfType<N extends ErrorTypename> = Extract<ErrorResult, { __typename: N }>;

/**
 * An expected failure returned by the API as data: a mutation's error branch (thrown by `unwrap`), or a read
 * whose parent object does not exist (thrown as a `NotFoundError`). `typename` says which rule was broken and
 * `error` carries that error type's fields.
 *
 * @example
 * ```ts
 * try {
 *   unwrap(await client.transitionModelVersionStage({ modelVersionId, stage: "PRODUCTION", expectedStage: "STAGING" }));
 * } catch (e) {
 *   if (e instanceof ModelgraphError && e.is("StaleStageError")) console.log("moved meanwhile to", e.error.actualStage);
 *   else throw e;
 * }
 * ```
 */
export class ModelgraphError<E extends ErrorResult = ErrorResult> extends Error {
  override name = "ModelgraphError";
  /** The GraphQL typename of the error, e.g. `"StaleStageError"`. */
  readonly typename: E["__typename"];
  /** The error object as returned by the API (its `__typename`, `message` and type-specific fields). */
  readonly error: E;
  /** The operation that returned it, when known (e.g. `"transitionModelVersionStage"`). */
  readonly operation: string | undefined;

  constructor(error: E, operation?: string) {
    super(`${error.__typename}: ${error.message}`);
    this.typename = error.__typename;
    this.error = error;
    this.operation = operation;
  }

  /** Narrows to one error type, so its fields are typed: `if (e.is("ValidationError")) e.error.issues`. */
  is<N extends ErrorTypename>(typename: N): this is ModelgraphError<ErrorOfType<N>> {
    return this.typename === typename;
  }

  /** A `NotFoundError` for a read whose object is missing or not visible to the caller. */
  static notFound(kind: string, ref: string, operation?: string): ModelgraphError<ErrorOfType<"NotFoundError">> {
    return new ModelgraphError({ __typename: "NotFoundError", message: `${kind} ${JSON.stringify(ref)} was not found`, kind, ref }, operation);
  }
}

/** The request got no usable answer from the API. Subclasses say why; `cause` keeps the underlying error. */
export class TransportError extends Error {
  override name = "TransportError";
  /** The URL that was requested. */
  readonly url: string;
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;

  constructor(message: string, url: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.url = url;
    this.status = options.status;
  }
}

/** Why authentication failed: no/invalid/revoked/expired token, or too many failed attempts from this client. */
export type AuthenticationFailure = "unauthenticated" | "rate_limited";

/**
 * The server refused the token (HTTP 401, a GraphQL `UNAUTHENTICATED` error, or graphql-ws close 4403), or
 * rate-limited this client after repeated failed authentications (HTTP 429, `RATE_LIMITED`, graphql-ws close
 * 4429). Retrying with the same token will not help; after a rate limit, wait `retryAfterSeconds`.
 */
export class AuthenticationError extends TransportError {
  override name = "AuthenticationError";
  /** `unauthenticated` (bad, revoked or expired token) or `rate_limited`. */
  readonly reason: AuthenticationFailure;
  /** For `rate_limited`: seconds until the server accepts attempts again (its Retry-After), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    message: string,
    url: string,
    options: { status?: number; reason?: AuthenticationFailure; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, url, options);
    this.reason = options.reason ?? "unauthenticated";
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The server could not be reached or the connection broke (DNS, refused, reset, timed out). */
export class NetworkError extends TransportError {
  override name = "NetworkError";
  /** True when the SDK gave up waiting (`timeoutMs`). */
  readonly timedOut: boolean;

  constructor(message: string, url: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, url, options);
    this.timedOut = options.timedOut ?? false;
  }
}

/** The server answered with an HTTP error that is not about authentication (5xx, or a non-GraphQL body). */
export class ServerError extends TransportError {
  override name = "ServerError";
  /** The start of the response body, for diagnostics. */
  readonly body: string;

  constructor(message: string, url: string, options: { status: number; body?: string; cause?: unknown }) {
    super(message, url, options);
    this.body = options.body ?? "";
  }
}

/** One top-level GraphQL error as sent by the server. */
export interface GraphQLErrorEntry {
  /** What went wrong. Unexpected server errors are masked as "Unexpected error.". */
  readonly message: string;
  /** Where in the response, when about a field. */
  readonly path?: readonly (string | number)[];
  /** Machine-readable details, e.g. `{ code: "UNAUTHENTICATED" }`. */
  readonly extensions?: Record<string, unknown>;
}

/**
 * The server answered with top-level GraphQL errors: the operation is invalid for this schema (e.g. an SDK
 * older than the server), an argument was rejected (e.g. a malformed cursor), or the server hit a bug.
 */
export class GraphQLRequestError extends TransportError {
  override name = "GraphQLRequestError";
  /** The errors as sent. */
  readonly errors: readonly GraphQLErrorEntry[];
  /** Partial data, if the server sent any. */
  readonly data: unknown;

  constructor(errors: readonly GraphQLErrorEntry[], url: string, options: { status?: number; data?: unknown } = {}) {
    super(errors.map((e) => e.message).join("; ") || "GraphQL request failed", url, options);
    this.errors = errors;
    this.data = options.data;
  }
}

/**
 * Bytes did not match their sha256 or size: a download whose content differs from the resource's checksum
 * (nothing is left at the destination path), or an upload source that changed while it was being sent.
 */
export class ArtifactIntegrityError extends Error {
  override name = "ArtifactIntegrityError";
  /** The declared sha256 (hex). */
  readonly expectedSha256: string;
  /** The sha256 of the bytes that were read (hex). */
  readonly actualSha256: string;
  /** The declared size, when known. */
  readonly expectedSize: number | undefined;
  /** The number of bytes that were read. */
  readonly actualSize: number;

  constructor(what: string, expected: { sha256: string; size?: number }, actual: { sha256: string; size: number }) {
    const sizeNote = expected.size !== undefined && expected.size !== actual.size ? `, ${actual.size} bytes instead of ${expected.size}` : "";
    super(`${what}: sha256 ${actual.sha256} does not match ${expected.sha256}${sizeNote}`);
    this.expectedSha256 = expected.sha256;
    this.actualSha256 = actual.sha256;
    this.expectedSize = expected.size;
    this.actualSize = actual.size;
  }
}

/** The artifact has no bytes to download yet (PENDING) or failed verification (FAILED). */
export class ArtifactNotReadyError extends Error {
  override name = "ArtifactNotReadyError";
  /** The resource's global id. */
  readonly resourceId: string;
  /** Its status: `PENDING` or `FAILED`. */
  readonly status: string;

  constructor(resourceId: string, status: string) {
    super(`resource ${resourceId} is ${status}, not READY: it has no verified bytes to download`);
    this.resourceId = resourceId;
    this.status = status;
  }
}
