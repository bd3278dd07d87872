// The schema builder and its plugins. It defines no types: feature files do (see schema.ts).
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import { decodeGlobalId, encodeGlobalId } from "../domain/ids.ts";
import type { RequestContext } from "../context.ts";
import "./deprecation-warnings.ts";
import "./text-inputs.ts";
import "./selected-columns.ts";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export const builder = new SchemaBuilder<{
  Context: RequestContext;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: false;
  Scalars: {
    ID: { Input: string; Output: string | number | bigint };
    DateTime: { Input: Date; Output: Date };
    BigInt: { Input: bigint; Output: bigint | number };
  };
}>({
  // Order matters (the first plugin's resolver wrapper is the outermost): the errors plugin wraps the text check,
  // so its ValidationError becomes a union member; deprecation warnings see every field of a watched row, and
  // selectedColumns answers from the row before the prisma plugin would reload it.
  plugins: [ErrorsPlugin, "storableTextInputs", "deprecationWarnings", "selectedColumns", PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    maxConnectionSize: MAX_PAGE_SIZE,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    encodeGlobalID: (typename, id) => encodeGlobalId(typename, id),
    decodeGlobalID: (globalID) => {
      const decoded = decodeGlobalId(globalID);
      // An undecodable id, or one naming no node type, names no object: node(id) answers null. The relay plugin
      // throws on a type name it cannot load, so such ids become an id no row has, of a node type.
      return decoded && isNodeType(decoded.typename) ? decoded : { typename: "User", id: "" };
    },
    defaultConnectionTypeOptions: {},
    nodesOnConnection: {},
  },
  errors: {
    directResult: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${fieldName.charAt(0).toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
});

// node(id) answers null for an id that names no row the viewer may see. The prisma plugin loads nodes with
// findUniqueOrThrow unless a node is `nullable`, which turned such ids into (masked) errors: default it here,
// for every node type.
const prismaNode = builder.prismaNode.bind(builder);
builder.prismaNode = ((type: never, options: { nullable?: boolean }) =>
  prismaNode(type, { nullable: true, ...options } as never)) as unknown as typeof builder.prismaNode;

/** Whether node(id) can load objects of this type (a registered object type with a node loader). */
function isNodeType(typename: string): boolean {
  try {
    const options = builder.configStore.getTypeConfig(typename, "Object").pothosOptions as Record<string, unknown>;
    return ["loadOne", "loadMany", "loadWithoutCache", "loadManyWithoutCache"].some((key) => typeof options[key] === "function");
  } catch {
    return false;
  }
}
