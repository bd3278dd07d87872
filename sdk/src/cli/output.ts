// Output of the CLI: aligned tables for people, JSON for scripts (stdout), diagnostics on stderr.

/** Renders rows as left-aligned columns under upper-case headers. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === "" ? "-" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? "").padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** `key=value, …` for tags and params. */
export function keyValues(entries: readonly { key: string; value: string }[]): string {
  return entries.map((e) => `${e.key}=${e.value}`).join(",");
}

/** `name=value, …` for metrics. */
export function metricList(metrics: readonly { name: string; value: number }[]): string {
  return metrics.map((m) => `${m.name}=${formatNumber(m.value)}`).join(",");
}

/** A number with at most 6 significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return "-";
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** JSON for stdout: pretty for one object, compact for a stream of events (one per line). */
export function json(value: unknown, compact = false): string {
  return `${compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`;
}
