// An audit entry's before/after as a field-by-field diff: both JSON documents flattened to paths
// (`tags[0].key`), each path marked added, removed, changed or same.

export type Change = "added" | "removed" | "changed" | "same";

export interface DiffLine {
  path: string;
  before?: string;
  after?: string;
  change: Change;
}

function parse(text: string | null): { ok: true; value: unknown } | { ok: false } {
  if (text === null) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Leaves of a JSON value by path; an empty object or array is a leaf of its own. */
function flatten(value: unknown, prefix: string, into: Map<string, string>): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    if (value.length === 0) into.set(prefix || "(value)", "[]");
    value.forEach((item, i) => flatten(item, `${prefix}[${i}]`, into));
  } else if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) into.set(prefix || "(value)", "{}");
    for (const [key, item] of entries) flatten(item, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into.set(prefix || "(value)", JSON.stringify(value));
  }
}

/** The diff of two JSON texts (either may be null: a creation has no before, a deletion no after); null if one is not JSON. */
export function jsonDiff(before: string | null, after: string | null): DiffLine[] | null {
  const a = parse(before);
  const b = parse(after);
  if (!a.ok || !b.ok) return null;
  const left = new Map<string, string>();
  const right = new Map<string, string>();
  flatten(a.value, "", left);
  flatten(b.value, "", right);
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
  return paths.map((path): DiffLine => {
    const l = left.get(path);
    const r = right.get(path);
    const change: Change = l === undefined ? "added" : r === undefined ? "removed" : l === r ? "same" : "changed";
    return { path, before: l, after: r, change };
  });
}
