// A small Pothos plugin: resolving any field of a DEPRECATED Project, Experiment or Model records a warning,
// which the server returns in `extensions.warnings` ("deprecated objects are usable, reads warn").
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import { encodeGlobalId } from "../domain/ids.ts";
import type { RequestContext } from "../context.ts";

const WATCHED_TYPES = new Set(["Project", "Experiment", "Model"]);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      deprecationWarnings: DeprecationWarningsPlugin<Types>;
    }
  }
}

export class DeprecationWarningsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    const typename = fieldConfig.parentType;
    if (!WATCHED_TYPES.has(typename)) return resolver;
    return (parent, args, context, info) => {
      const row = parent as { id?: string; status?: string; name?: string };
      if (row.status === "DEPRECATED" && row.id) {
        const subjectId = encodeGlobalId(typename, row.id);
        (context as unknown as RequestContext).warnings.set(subjectId, {
          code: "DEPRECATED",
          message: `${typename} ${JSON.stringify(row.name ?? row.id)} is deprecated`,
          subjectId,
        });
      }
      return resolver(parent, args, context, info);
    };
  }
}

SchemaBuilder.registerPlugin("deprecationWarnings", DeprecationWarningsPlugin);
