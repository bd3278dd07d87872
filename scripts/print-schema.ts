// Writes schema.graphql from the code-first schema (sorted), so the public contract is reviewable in diffs.
import fs from "node:fs";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "../server/src/graphql/schema.ts";

const text = `${printSchema(lexicographicSortSchema(schema))}\n`;
fs.writeFileSync(new URL("../schema.graphql", import.meta.url), text);
console.log(`schema.graphql: ${text.split("\n").length} lines`);
