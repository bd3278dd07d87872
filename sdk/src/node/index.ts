/**
 * `@modelgraph/sdk/node` — the Node entry (what `@modelgraph/sdk` resolves to on Node): the portable client plus
 * file paths and Node streams for artifacts, native sha256, and the `ws` WebSocket for subscriptions.
 *
 * @example
 * ```ts
 * import { createClient } from "@modelgraph/sdk";
 * const client = createClient({ url: process.env.MODELGRAPH_URL!, token: process.env.MODELGRAPH_TOKEN! });
 * const resource = await client.uploadArtifact("model.onnx", { projectId, format: "ONNX", onProgress: (p) => console.error(p.bytes) });
 * await client.downloadArtifact(resource, "/srv/models/");
 * ```
 *
 * @packageDocumentation
 */
import { createClientFor, type ClientOptions, type ModelgraphClient } from "../client.ts";
import { nodePlatform, type NodeDownloadDestination, type NodeUploadSource } from "./platform.ts";

export * from "../index.ts";
export { createNodeSha256, fileSource, nodePlatform, type NodeDownloadDestination, type NodeUploadSource } from "./platform.ts";

/** A client whose artifacts are file paths, Node streams, Blobs or web streams. */
export type NodeClient = ModelgraphClient<NodeUploadSource, NodeDownloadDestination>;

/** Creates a client for Node: global fetch, `ws` for subscriptions (unless given), files and streams for artifacts. */
export function createClient(options: ClientOptions): NodeClient {
  return createClientFor(options, nodePlatform);
}
