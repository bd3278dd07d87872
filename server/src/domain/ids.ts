// Opaque global ids (Relay): base64 of "<Type>:<database id>". The GraphQL layer's relay plugin uses these
// same functions, so there is one definition of the format.
import { NotFoundError } from "./errors.ts";
import { unstorableTextProblem } from "./rules.ts";

export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  return Buffer.from(`${typename}:${String(id)}`, "utf8").toString("base64");
}

export function decodeGlobalId(globalId: string): { typename: string; id: string } | null {
  if (!/^[A-Za-z0-9+/]+=*$/.test(globalId)) return null;
  const text = Buffer.from(globalId, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) return null;
  // Base64 can carry a NUL, which no id has and PostgreSQL refuses in a query: such an id names nothing.
  if (unstorableTextProblem(text) !== null) return null;
  return { typename: text.slice(0, colon), id: text.slice(colon + 1) };
}

/** The database id inside a global id of the given type; a malformed or foreign id is simply not found. */
export function idOf(typename: string, globalId: string): string {
  const decoded = decodeGlobalId(globalId);
  if (!decoded || decoded.typename !== typename) throw new NotFoundError(typename, globalId);
  return decoded.id;
}
