// Reads select only the columns a request asks for (types declared with `select: { id: true, … }`): the prisma
// plugin then adds each exposed column, and each field's own `select`, to the query only when the field is asked
// for, instead of every column of every row (lineage: JSON tags/metrics/params and timestamps nobody asked for
// were fetched and mapped for every version, iteration and artifact).
//
// The catch this small plugin removes: on a row the plugin did not load itself (a mutation's payload, a row a
// service returned) such a field has no recorded selection, and the prisma plugin would reload the row with one
// more statement although the row holds the column. A field that selects plain columns and returns no prisma
// object answers from the row whenever the row has them (as it did before), and goes through the prisma plugin
// (which loads them) only when it does not. It must wrap the prisma plugin: it is listed before it.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import { defaultFieldResolver, type GraphQLFieldResolver } from "graphql";

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      selectedColumns: SelectedColumnsPlugin<Types>;
    }
  }
}

export class SelectedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    const columns = this.plainColumns(fieldConfig);
    if (!columns) return resolver;
    const own = (fieldConfig.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, Types["Context"], object>;
    if (columns.length === 1) {
      const [column] = columns as [string];
      return (parent, args, context, info) => ((parent as Record<string, unknown>)[column] !== undefined ? own : resolver)(parent, args, context, info);
    }
    return (parent, args, context, info) =>
      (columns.every((column) => (parent as Record<string, unknown>)[column] !== undefined) ? own : resolver)(parent, args, context, info);
  }

  /** The columns a field selects, if it selects only columns, takes no arguments and returns no prisma object. */
  private plainColumns(fieldConfig: PothosOutputFieldConfig<Types>): string[] | null {
    const select = (fieldConfig.extensions as Record<string, unknown> | undefined)?.pothosPrismaSelect;
    if (fieldConfig.kind !== "PrismaObject" || !select || typeof select !== "object" || Object.keys(fieldConfig.args).length > 0) return null;
    const entries = Object.entries(select as Record<string, unknown>);
    if (entries.length === 0 || !entries.every(([, value]) => value === true)) return null;
    const type = fieldConfig.type.kind === "List" ? fieldConfig.type.type : fieldConfig.type;
    if (type.kind === "Object" || type.kind === "Interface") {
      const config = this.buildCache.getTypeConfig(type.ref);
      if ((config.extensions as Record<string, unknown> | undefined)?.pothosPrismaModel) return null;
    }
    return entries.map(([name]) => name);
  }
}

SchemaBuilder.registerPlugin("selectedColumns", SelectedColumnsPlugin);
