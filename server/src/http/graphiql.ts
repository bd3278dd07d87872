// GraphiQL served whole by this server. Yoga's default page loads its script, stylesheet and editor workers from a
// public CDN, so an offline or air-gapped deployment showed a blank "Loading…" page. The same prebuilt bundle ships
// in @graphql-yoga/graphiql: the page below references only its files, served here under ASSET_PREFIX.
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import type http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { GraphiQLOptions } from "graphql-yoga";

const packageJson = createRequire(import.meta.url).resolve("@graphql-yoga/graphiql/package.json");
const DIST = path.join(path.dirname(packageJson), "dist");
const { version: VERSION } = createRequire(import.meta.url)("@graphql-yoga/graphiql/package.json") as { version: string };

/** The version is in the path, so a new bundle is a new URL and the old one may be cached for good. */
export const ASSET_PREFIX = `/graphiql-assets/${VERSION}/`;

/** The files a page may load: nothing else under DIST is served (no path from the request reaches the disk). */
const ASSETS: Record<string, { file: string; type: string }> = {
  "graphiql.css": { file: "graphiql.css", type: "text/css; charset=utf-8" },
  "yoga-graphiql.umd.js": { file: "yoga-graphiql.umd.js", type: "text/javascript; charset=utf-8" },
  "editor.worker.js": { file: "monacoeditorwork/editor.worker.bundle.js", type: "text/javascript; charset=utf-8" },
  "json.worker.js": { file: "monacoeditorwork/json.worker.bundle.js", type: "text/javascript; charset=utf-8" },
  // The package's own file name has the double dot.
  "graphql.worker.js": { file: "monacoeditorwork/graphql.worker..bundle.js", type: "text/javascript; charset=utf-8" },
};

const asset = (name: keyof typeof ASSETS & string) => `${ASSET_PREFIX}${name}`;

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Yoga's `renderGraphiQL`: its default page with same-origin URLs. Monaco's workers are fetched and started from
 * blob: URLs as the default page does (a worker script must otherwise be same-origin with the page, which it now is
 * anyway); the favicon is inline so the browser asks nobody for one.
 */
export function renderGraphiQL(options: GraphiQLOptions): string {
  const title = escapeHtml(options.title ?? "GraphiQL");
  const workers = { editorWorkerService: asset("editor.worker.js"), json: asset("json.worker.js"), graphql: asset("graphql.worker.js") };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset("graphiql.css")}">
</head><body id="body" class="no-focus-outline"><noscript>You need to enable JavaScript to run this app.</noscript><div id="root">Loading ${title}...</div>
<script>
const workerUrls = ${scriptJson(workers)};
const workers = {};
function prepareWorkers() {
  return Promise.all(Object.entries(workerUrls).map(async ([label, url]) => {
    const source = await (await fetch(url)).text();
    workers[label] = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  }));
}
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_, label) => workers[label] };
</script>
<script src="${asset("yoga-graphiql.umd.js")}"></script>
<script>prepareWorkers().finally(() => YogaGraphiQL.renderYogaGraphiQL(root, ${scriptJson(options)}));</script>
</body></html>`;
}

/** Serves GraphiQL's assets; returns false for any other path. */
export async function handleGraphiQLAssets(req: http.IncomingMessage, res: http.ServerResponse, enabled: boolean): Promise<boolean> {
  const pathname = (req.url ?? "").split("?")[0] ?? "";
  if (!pathname.startsWith(ASSET_PREFIX)) return false;
  const entry = enabled ? ASSETS[pathname.slice(ASSET_PREFIX.length)] : undefined;
  if (!entry || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(entry ? 405 : 404, entry ? { allow: "GET, HEAD" } : {});
    res.end();
    return true;
  }
  const file = path.join(DIST, entry.file);
  const { size } = await fs.stat(file);
  res.writeHead(200, {
    "content-type": entry.type,
    "content-length": size,
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") {
    res.end();
    return true;
  }
  await pipeline(createReadStream(file), res);
  return true;
}
