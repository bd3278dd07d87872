/** A short, locale-independent date-time (UTC) for tables. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A metric value with at most 4 significant decimals. */
export function formatMetric(value: number | undefined): string {
  if (value === undefined) return "—";
  return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, "");
}

export const tagText = (tags: readonly { key: string; value: string }[]) => tags.map((t) => (t.value ? `${t.key}=${t.value}` : t.key));
