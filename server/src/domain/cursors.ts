// Connection cursors: a compact, URL-safe spelling of a position in an ordered list (the sort key and the id of a
// row), at most 40 characters of [A-Za-z0-9_-]. Cursors are opaque to clients; `decodeCursor` is the one reader,
// and anything it does not recognise is an InvalidCursorError (a client mistake, never a server error).
//
// A cursor is a list of parts joined by `_`; each part is a tag letter and a payload of base62 digits:
//   u  a UUID (22 digits)           i  a bigint ≥ 0            n  a safe integer ≥ 0
//   f  any other finite number (its 64 IEEE-754 bits, 11 digits) d  an instant (milliseconds since 1970, ≥ 0)
//   z  null (no payload)
// Two UUIDs do not fit in 40 characters: lists are keyed by one UUID (plus, at most, a sort value).
import { DomainError } from "./errors.ts";
import { fromBase62, toBase62 } from "./ids.ts";

/** The longest cursor we hand out or accept. */
export const MAX_CURSOR_LENGTH = 40;

export type CursorPart = string | number | bigint | Date | null;

/** A cursor that this server did not hand out (or not for this list). */
export class InvalidCursorError extends DomainError {
  override name = "InvalidCursorError";
  constructor(public readonly cursor: string) {
    super(`Invalid cursor ${JSON.stringify(cursor.slice(0, 64))}: pass a cursor received from this list`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PART = /^([uinfdz])([0-9A-Za-z]*)$/;
const UUID_DIGITS = 22;
const FLOAT_DIGITS = 11;
const MAX_UUID = (1n << 128n) - 1n;
const MAX_BIGINT = (1n << 63n) - 1n;
const MAX_BITS = (1n << 64n) - 1n;

function encodePart(part: CursorPart): string {
  if (part === null) return "z";
  if (part instanceof Date) return `d${toBase62(BigInt(part.getTime()))}`;
  if (typeof part === "bigint") return `i${toBase62(part)}`;
  if (typeof part === "number") {
    if (Number.isSafeInteger(part) && part >= 0 && !Object.is(part, -0)) return `n${toBase62(BigInt(part))}`;
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, part);
    return `f${toBase62(view.getBigUint64(0), FLOAT_DIGITS)}`;
  }
  if (UUID.test(part)) return `u${toBase62(BigInt(`0x${part.replaceAll("-", "")}`), UUID_DIGITS)}`;
  throw new Error(`cannot put ${JSON.stringify(part)} in a cursor (only UUIDs, numbers, instants)`);
}

/** The cursor of a position; throws (a bug) if it would not fit in MAX_CURSOR_LENGTH. */
export function encodeCursor(parts: readonly CursorPart[]): string {
  const text = parts.map(encodePart).join("_");
  if (parts.length === 0 || text.length > MAX_CURSOR_LENGTH) throw new Error(`cursor ${text} is empty or longer than ${MAX_CURSOR_LENGTH}`);
  return text;
}

function decodePart(text: string, cursor: string): CursorPart {
  const match = PART.exec(text);
  if (!match) throw new InvalidCursorError(cursor);
  const [, tag, digits] = match as unknown as [string, string, string];
  const n = digits.length > 0 ? fromBase62(digits) : null;
  // One spelling per value: no leading zeros where the width is free, payload present exactly when needed.
  const canonical = (width: number) => n !== null && (width > 0 ? digits.length === width : digits.length === 1 || digits[0] !== "0");
  switch (tag) {
    case "z":
      if (digits) break;
      return null;
    case "u": {
      if (!canonical(UUID_DIGITS) || n! > MAX_UUID) break;
      const hex = n!.toString(16).padStart(32, "0");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case "i":
      if (!canonical(0) || n! > MAX_BIGINT) break;
      return n!;
    case "n":
      if (!canonical(0) || n! > BigInt(Number.MAX_SAFE_INTEGER)) break;
      return Number(n!);
    case "d":
      if (!canonical(0) || n! > 8_640_000_000_000_000n) break;
      return new Date(Number(n!));
    case "f": {
      if (!canonical(FLOAT_DIGITS) || n! > MAX_BITS) break;
      const view = new DataView(new ArrayBuffer(8));
      view.setBigUint64(0, n!);
      const value = view.getFloat64(0);
      if (!Number.isFinite(value)) break;
      return value;
    }
  }
  throw new InvalidCursorError(cursor);
}

/** The parts of a cursor this server handed out; anything else is an InvalidCursorError. */
export function decodeCursor(cursor: unknown): CursorPart[] {
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError(String(cursor));
  return cursor.split("_").map((part) => decodePart(part, cursor));
}
