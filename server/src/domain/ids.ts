// Opaque global ids (Relay) and event cursors: a short type prefix and the database id in base62, e.g.
// `mv_1BHfu0wxKq4Xl3r9YzAbCd` (at most 26 characters of [A-Za-z0-9_], URL-safe as they are). A UUID is its 128 bits
// in exactly 22 digits; an integer id (event seq, audit entry) in fewer. The GraphQL layer's relay plugin uses
// these same functions, so there is one definition of the format.
import { randomBytes } from "node:crypto";
import { NotFoundError } from "./errors.ts";

/** Every type that has global ids, and its prefix. A prefix is never reused for another type. */
const PREFIX_OF: Readonly<Record<string, string>> = {
  AliasChange: "alc",
  ApiToken: "tok",
  AuditEntry: "aud",
  Deployment: "dep",
  Event: "evt",
  Experiment: "exp",
  Iteration: "itr",
  Model: "mdl",
  ModelLog: "mlg",
  ModelVersion: "mv",
  Project: "prj",
  Resource: "res",
  StageTransition: "stt",
  TransitionRequest: "trq",
  User: "usr",
  Webhook: "whk",
  WebhookDelivery: "whd",
};
const TYPE_OF = new Map(Object.entries(PREFIX_OF).map(([type, prefix]) => [prefix, type]));

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const UUID_DIGITS = 22; // 62^22 > 2^128
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const GLOBAL_ID = /^([a-z]{2,3})_([0-9A-Za-z]{1,22})$/;
const MAX_UUID = (1n << 128n) - 1n;
/** Integer ids are PostgreSQL bigints: at most 11 base62 digits, so never mistaken for a UUID. */
const MAX_INTEGER = (1n << 63n) - 1n;

/** `n` (≥ 0) in base62 digits, left-padded with zeros to `width`. */
export function toBase62(n: bigint, width = 0): string {
  let out = "";
  do {
    out = DIGITS[Number(n % 62n)] + out;
    n /= 62n;
  } while (n > 0n);
  return out.padStart(width, "0");
}

/** The value of base62 digits (the caller checks they are digits). */
export function fromBase62(text: string): bigint {
  let n = 0n;
  for (const c of text) n = n * 62n + BigInt(DIGITS.indexOf(c));
  return n;
}

/** The global id of a row; `id` is a UUID (string) or an integer id. */
export function encodeGlobalId(typename: string, id: string | number | bigint): string {
  const prefix = PREFIX_OF[typename];
  if (!prefix) throw new Error(`no global id prefix for type ${typename}`);
  if (typeof id === "string" && UUID.test(id)) return `${prefix}_${toBase62(BigInt(`0x${id.replaceAll("-", "")}`), UUID_DIGITS)}`;
  const n = typeof id === "string" && /^\d+$/.test(id) ? BigInt(id) : typeof id === "string" ? undefined : BigInt(id);
  if (n === undefined || n < 0n || n > MAX_INTEGER) throw new Error(`${typename} id ${JSON.stringify(String(id))} is neither a UUID nor a bigint`);
  return `${prefix}_${toBase62(n)}`;
}

/** The type and database id a global id names, or null when it is not one of ours. */
export function decodeGlobalId(globalId: string): { typename: string; id: string } | null {
  const match = GLOBAL_ID.exec(globalId);
  const typename = match && TYPE_OF.get(match[1]!);
  if (!match || !typename) return null;
  const body = match[2]!;
  const n = fromBase62(body);
  if (body.length === UUID_DIGITS) {
    if (n > MAX_UUID) return null;
    const hex = n.toString(16).padStart(32, "0");
    return { typename, id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
  }
  // One spelling per id: no leading zeros, within a bigint.
  if ((body.length > 1 && body[0] === "0") || n > MAX_INTEGER) return null;
  return { typename, id: n.toString() };
}

/** The database id inside a global id of the given type; a malformed or foreign id is simply not found. */
export function idOf(typename: string, globalId: string): string {
  const decoded = decodeGlobalId(globalId);
  if (!decoded || decoded.typename !== typename) throw new NotFoundError(typename, globalId);
  return decoded.id;
}

/** A UUIDv7 in text form, as Prisma's `@default(uuid(7))` makes client-side (time-ordered, then random). */
export function uuid7(): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
