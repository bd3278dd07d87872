// Every operation of the API is reachable through the SDK: each Mutation field has a client method of the same
// name, each Query and Subscription field is selected by some document in sdk/src/operations, and each object
// field those documents select exists in schema.graphql. Fails when the schema grows without the SDK.
import fs from "node:fs/promises";
import path from "node:path";
import { buildSchema, parse, visit, type DocumentNode } from "graphql";
import { describe, expect, it } from "vitest";
import { createClient } from "@modelgraph/sdk";
import { REPO_ROOT } from "./support.ts";

async function operations(): Promise<DocumentNode[]> {
  const dir = path.join(REPO_ROOT, "sdk/src/operations");
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith(".graphql"));
  return Promise.all(files.map(async (f) => parse(await fs.readFile(path.join(dir, f), "utf8"))));
}

describe("SDK coverage of the API", () => {
  it("has a method for every mutation and selects every query and subscription field", async () => {
    const schema = buildSchema(await fs.readFile(path.join(REPO_ROOT, "schema.graphql"), "utf8"));
    const client = createClient({ url: "http://localhost:1", token: "mg_unused" });
    const mutations = Object.keys(schema.getMutationType()!.getFields());
    expect(mutations.filter((name) => typeof (client as unknown as Record<string, unknown>)[name] !== "function")).toEqual([]);

    const rootFields = { query: new Set<string>(), subscription: new Set<string>(), mutation: new Set<string>() };
    for (const document of await operations()) {
      for (const definition of document.definitions) {
        if (definition.kind !== "OperationDefinition") continue;
        for (const selection of definition.selectionSet.selections) {
          if (selection.kind === "Field") rootFields[definition.operation].add(selection.name.value);
        }
      }
    }
    const missing = (type: "query" | "subscription" | "mutation", fields: string[]) => fields.filter((f) => !rootFields[type].has(f));
    expect(missing("query", Object.keys(schema.getQueryType()!.getFields()))).toEqual([]);
    expect(missing("subscription", Object.keys(schema.getSubscriptionType()!.getFields()))).toEqual([]);
    expect(missing("mutation", mutations)).toEqual([]);
  });

  it("selects every field the DESIGN names for the lineage graph", async () => {
    const selected = new Set<string>();
    for (const document of await operations()) {
      visit(document, {
        Field(node) {
          selected.add(node.name.value);
        },
      });
    }
    for (const field of ["models", "experiments", "resources", "modelVersions", "model", "versions", "version", "latestVersion", "productionVersion", "versionAt", "stageHistory", "iteration", "resource", "parentVersion", "transitionRequests", "experiment", "compareModelVersions"]) {
      expect(selected.has(field), field).toBe(true);
    }
  });
});
