// API token format and hashing. A token is `mg_` + 43 base64url characters (32 random bytes); only its
// sha256 is stored. Pure functions, no I/O.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const TOKEN_PREFIX = "mg_";
const TOKEN_PATTERN = /^mg_[A-Za-z0-9_-]{20,200}$/;

/** A new random secret token. */
export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** Hex sha256 of a token: what the database stores and looks tokens up by. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time comparison of two hex hashes. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The part of a token shown in lists so people can tell tokens apart (never enough to use it). */
export function displayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}
