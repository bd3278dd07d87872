/**
 * `@modelgraph/sdk` — the typed client for modelgraph, the ML model registry.
 *
 * This is the portable entry (browsers, Deno, Bun, workers): web APIs only. On Node, `@modelgraph/sdk` resolves
 * to `@modelgraph/sdk/node`, which adds file paths and Node streams for artifacts and the `ws` WebSocket.
 *
 * @example
 * ```ts
 * import { createClient, unwrap } from "@modelgraph/sdk";
 * const client = createClient({ url: "https://registry.example.com", token: "mg_…" });
 * const model = await client.model({ project: { name: "vision" }, name: "resnet" });
 * for await (const version of client.paginate.modelVersions({ modelId: model!.id })) console.log(version.number, version.stage);
 * ```
 *
 * @packageDocumentation
 */
import { createClientFor, type ClientOptions, type ModelgraphClient } from "./client.ts";
import { portablePlatform, type DownloadDestination, type UploadSource } from "./platform.ts";

/** A client whose artifacts are Blobs, bytes and web streams (the portable entry). */
export type PortableClient = ModelgraphClient<UploadSource, DownloadDestination>;

/**
 * Creates a client. In browsers the global fetch and WebSocket are used; elsewhere pass `fetch` and
 * `webSocketImpl` if the runtime has no globals.
 */
export function createClient(options: ClientOptions): PortableClient {
  return createClientFor(options, portablePlatform);
}

export * from "./generated/graphql.ts";
export * from "./types.ts";
export * from "./errors.ts";
export * from "./results.ts";
export { Paginator, DEFAULT_PAGE_SIZE, type Connection, type Page, type PageInfo, type PaginateOptions } from "./paginate.ts";
export {
  createClientFor,
  type ClientOptions,
  type ConnectionMethodName,
  type ModelgraphClient,
  type MutationMethods,
  type PaginateMethods,
  type ProjectEventFilter,
  type ProjectRef,
  type QueryMethods,
  type StageChangeFilter,
  type AliasChangeFilter,
  type SubscriptionMethods,
} from "./client.ts";
export { parseModelUri, formatModelUri, isModelUri, ModelUriError, MODEL_URI_SCHEME, MODEL_URI_STAGES, type ModelUri, type ModelUriSelector } from "./model-uri.ts";
export { ResumableSubscription, type ReconnectInfo, type ResumeOptions, type Watch, type WatchOptions } from "./subscriptions.ts";
export { safeFileName, supportsRequestStreams, type DownloadArtifactOptions, type DownloadResult, type ResourceRef, type TransferProgress, type UploadArtifactOptions } from "./artifacts.ts";
export { graphqlEndpoint, type RequestOptions, type ServerWarning, type TokenSource } from "./transport.ts";
export { Sha256, createSha256, type Hasher, type HasherFactory } from "./sha256.ts";
export { verifyWebhookSignature, WEBHOOK_SIGNATURE_TOLERANCE_SECONDS, type WebhookHeaders, type WebhookVerification } from "./webhooks.ts";
export { portablePlatform, blobSource, streamSource, type ByteSink, type ByteSource, type DownloadDestination, type Platform, type UploadSource } from "./platform.ts";
