// Short connection cursors (DESIGN "Ids"): every cursor a client sees is domain/cursors.ts's compact form (≤ 40
// characters of [A-Za-z0-9_-]), whoever built the connection.
//
// The prisma plugin builds most connections and spells its cursors `base64("GPC:" + tagged value)` (~56 characters
// for a UUID), with no option to change the encoding. So its cursors are translated at the schema's edges, in one
// place and for every connection, none listed by hand:
// - out: the resolvers of every `*Edge.cursor` and `PageInfo.startCursor/endCursor` re-spell a prisma cursor in the
//   compact form (a compact cursor passes unchanged);
// - in: before execution, the `after`/`before` arguments of every connection field (literals and variables) are
//   decoded and re-spelled the prisma way. It has to happen before execution: the prisma plugin reads the
//   arguments of nested connections while resolving their parent. A cursor that does not decode refuses the
//   operation with one BAD_USER_INPUT error.
// The prisma plugin's lists here are keyed by a UUID `id`, except those whose field says otherwise with the
// CURSOR_KEY extension: "bigint" (the audit log), or "own" for connections that page themselves (the version
// search), whose cursors are checked the same way but passed on as they are, for the resolver to decode.
// A cursor of the wrong kind for its list is refused like a malformed one.
import { decodeBase64, decodeCursorChunk, encodeBase64, encodeCursorChunk } from "@pothos/core";
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLObjectType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ExecutionArgs,
  type GraphQLField,
  type GraphQLSchema,
  type ValueNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { decodeCursor, encodeCursor, InvalidCursorError, type CursorPart } from "../domain/cursors.ts";
import { badUserInput } from "./text-inputs.ts";

/**
 * Field extension naming what a connection's cursors hold: "uuid" (the default), "bigint", "own", or "mixed" (a
 * version list: the prisma plugin's when ordered by a field, its own when ordered by a metric — a one-part cursor
 * is translated, a longer one passed on).
 */
export const CURSOR_KEY = "cursorKey";
export type CursorKey = "uuid" | "bigint" | "own" | "mixed";

const PRISMA_PREFIX = "GPC:";

/** The compact form of a prisma-plugin cursor; any other value (already compact, or null) is returned as is. */
export function compactCursor(cursor: unknown): unknown {
  if (typeof cursor !== "string" || !cursor.startsWith("R1BDO")) return cursor; // base64 of "GPC:"
  const decoded = decodeBase64(cursor);
  if (!decoded.startsWith(PRISMA_PREFIX)) return cursor;
  const value = decodeCursorChunk(decoded.slice(PRISMA_PREFIX.length));
  return encodeCursor((Array.isArray(value) ? value : [value]) as CursorPart[]);
}

/** The prisma plugin's spelling of a compact cursor of a list keyed by `key`; an InvalidCursorError if it is not one. */
export function prismaCursor(cursor: string, key: Exclude<CursorKey, "own">): string {
  const parts = decodeCursor(cursor);
  if (parts.length !== 1 || typeof parts[0] !== (key === "uuid" ? "string" : "bigint")) throw new InvalidCursorError(cursor);
  return encodeBase64(`${PRISMA_PREFIX}${encodeCursorChunk(parts[0])}`);
}

/** What a mixed list's resolver receives, read back: the compact cursor (or, from a field order, the row's UUID). */
export function unwrapPrismaCursor(cursor: string): string {
  try {
    const decoded = decodeBase64(cursor);
    const value = decoded.startsWith(PRISMA_PREFIX) ? decodeCursorChunk(decoded.slice(PRISMA_PREFIX.length)) : null;
    if (typeof value === "string") return value;
  } catch {
    // not ours
  }
  throw new InvalidCursorError(cursor);
}

/** Wraps the cursor fields of every edge type and of PageInfo so they answer compact cursors. */
export function compactConnectionCursors(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    const names = type.name === "PageInfo" ? ["startCursor", "endCursor"] : type.name.endsWith("Edge") ? ["cursor"] : [];
    for (const name of names) {
      const field = type.getFields()[name];
      if (!field) continue;
      const resolve = field.resolve;
      field.resolve = (source, args, context, info) => {
        const value = resolve ? resolve(source, args, context, info) : (source as Record<string, unknown>)[name];
        return value instanceof Promise ? value.then(compactCursor) : compactCursor(value);
      };
    }
  }
  return schema;
}

const isConnectionField = (field: GraphQLField<unknown, unknown> | null | undefined): field is GraphQLField<unknown, unknown> =>
  !!field && getNamedType(field.type).name.endsWith("Connection") && getNullableType(field.type) instanceof GraphQLObjectType;

/**
 * The operation with every connection cursor argument re-spelled for the prisma plugin, or the first invalid
 * cursor. Variables are copied, never changed in place; the document is rebuilt (the parsed one is cached).
 */
function translate(args: ExecutionArgs): { document: ExecutionArgs["document"]; variableValues: Record<string, unknown> } | GraphQLError {
  const variables: Record<string, unknown> = { ...(args.variableValues ?? {}) };
  const translated = new Set<string>();
  let invalid: { error: InvalidCursorError; argument: string } | null = null;
  const typeInfo = new TypeInfo(args.schema);
  const convert = (value: string, key: CursorKey): string => {
    if (key === "uuid" || key === "bigint") return prismaCursor(value, key);
    const parts = decodeCursor(value);
    if (key === "own") return value;
    // The prisma plugin parses a mixed list's cursor whatever its order: a longer one travels as an opaque string.
    return parts.length === 1 ? prismaCursor(value, "uuid") : encodeBase64(`${PRISMA_PREFIX}${encodeCursorChunk(value)}`);
  };
  const document = visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (node.name.value !== "after" && node.name.value !== "before") return;
        const field = typeInfo.getFieldDef();
        if (!isConnectionField(field)) return;
        const own = (field.extensions?.[CURSOR_KEY] ?? "uuid") as CursorKey;
        try {
          if (node.value.kind === Kind.STRING) {
            const value: ValueNode = { ...node.value, value: convert(node.value.value, own) };
            return { ...node, value };
          }
          if (node.value.kind === Kind.VARIABLE) {
            const name = node.value.name.value;
            const value = variables[name];
            if (typeof value === "string" && !translated.has(name)) {
              variables[name] = convert(value, own);
              translated.add(name);
            }
          }
        } catch (error) {
          if (!(error instanceof InvalidCursorError)) throw error;
          invalid ??= { error, argument: node.name.value };
        }
        return undefined;
      },
    }),
  );
  const refusal = invalid as { error: InvalidCursorError; argument: string } | null; // set inside the visitor
  return refusal ? badUserInput([{ path: [refusal.argument], message: refusal.error.message }]) : { document, variableValues: variables };
}

/**
 * Whether a document has any `after`/`before` argument, per parsed document (Yoga hands the same DocumentNode for
 * the same text). Most reads page without cursors; they skip translate's walk with type info on every execution.
 */
const mentionsCursors = new WeakMap<ExecutionArgs["document"], boolean>();
function hasCursorArguments(document: ExecutionArgs["document"]): boolean {
  let found = mentionsCursors.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Argument(node) {
        if (node.name.value === "after" || node.name.value === "before") found = true;
      },
    });
    mentionsCursors.set(document, found);
  }
  return found;
}

/** The envelop side: translates (or refuses) connection cursor arguments before execution. */
export function connectionCursorArgumentsPlugin(): Plugin {
  const hook = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: never) => void }) => {
    if (!hasCursorArguments(args.document)) return;
    const result = translate(args);
    if (result instanceof GraphQLError) {
      setResultAndStopExecution({ errors: [result] } as never);
      return;
    }
    args.document = result.document;
    args.variableValues = result.variableValues;
  };
  return { onExecute: hook, onSubscribe: hook };
}
