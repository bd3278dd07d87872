// DESIGN "Ids": every id and cursor is at most 40 characters of [A-Za-z0-9_-]. The shared test clients (the raw
// GraphQL client and the SDK's fetch in test/sdk/support.ts) check every response with this, so every test
// checks it on whatever it reads.
import { expect } from "vitest";

const SHAPE = /^[A-Za-z0-9_-]+$/;
export const MAX_ID_LENGTH = 40;

/** Keys whose values are ids or cursors: `id`, `…Id`, `cursor`, `…Cursor` (startCursor, endCursor …). */
export const isIdLikeKey = (key: string) => key === "id" || /[a-z]Id$/.test(key) || key === "cursor" || /[a-z]Cursor$/.test(key);

/** Fails the test when an id-like field anywhere in `value` is too long or not URL-safe. */
export function assertShortIds(value: unknown, path: string[] = []): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertShortIds(item, [...path, String(i)]));
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, item] of Object.entries(value)) {
    if (isIdLikeKey(key) && (typeof item === "string" || typeof item === "number")) {
      const text = String(item);
      expect(text.length <= MAX_ID_LENGTH && SHAPE.test(text), `${[...path, key].join(".")} = ${JSON.stringify(text)}: ids and cursors are ≤ ${MAX_ID_LENGTH} characters of [A-Za-z0-9_-]`).toBe(true);
    } else {
      assertShortIds(item, [...path, key]);
    }
  }
}

/** A fetch that checks the ids and cursors of every JSON GraphQL response it sees (for SDK clients). */
export const idCheckingFetch: typeof globalThis.fetch = async (input, init) => {
  const response = await globalThis.fetch(input, init);
  if ((response.headers.get("content-type") ?? "").includes("json")) {
    const body = (await response.clone().json().catch(() => null)) as { data?: unknown } | null;
    if (body?.data) assertShortIds(body.data, ["data"]);
  }
  return response;
};
