// Writes sdk/src/generated/persisted-operations.json: every SDK operation document, exactly as the SDK sends it
// (graphql's `print` of the generated document), keyed by the sha256 hex of that text. Point the server's
// GRAPHQL_PERSISTED_OPERATIONS at this file to accept the SDK's operations and nothing else. Run by `pnpm generate`.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { print, type DocumentNode } from "graphql";
import * as generated from "../sdk/src/generated/graphql.ts";

const target = fileURLToPath(new URL("../sdk/src/generated/persisted-operations.json", import.meta.url));

const documents = Object.entries(generated as Record<string, unknown>)
  .filter((entry): entry is [string, DocumentNode] => entry[0].endsWith("Document") && (entry[1] as DocumentNode)?.kind === "Document")
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([, document]) => print(document));

const manifest = Object.fromEntries(documents.map((text) => [createHash("sha256").update(text).digest("hex"), text]));
fs.writeFileSync(target, `${JSON.stringify(manifest, null, 2)}\n`);
