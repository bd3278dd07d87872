// The comparison as rows: one per field (stage, each metric, each param, each tag, the artifact's facts …), a value
// per version, whether the versions differ there, and, for metrics, each version's delta against the baseline.
import { formatMetric, formatTime } from "../../components/ui/format";
import type { CompareVersionFragment } from "../../graphql/graphql";

export type Section = "Version" | "Metrics" | "Params" | "Tags" | "Run" | "Artifact";
export const SECTIONS: readonly Section[] = ["Version", "Metrics", "Params", "Tags", "Run", "Artifact"];

export interface Cell {
  /** What is shown; "—" for a missing value. */
  text: string;
  /** Whether the value is absent (compared as absent, not as "—"). */
  missing: boolean;
  /** Metrics: value − baseline's value, when both exist and this is not the baseline. */
  delta?: number;
  /** Whether this cell differs from the baseline's. */
  changed: boolean;
}

export interface Row {
  section: Section;
  label: string;
  cells: Cell[];
  /** Whether the versions do not all agree on this field. */
  differs: boolean;
}

const MISSING = "—";

/** Binary size in a readable unit, exact bytes kept for the title. */
export function formatBytes(bytes: string): string {
  const n = Number(bytes);
  if (!Number.isFinite(n)) return bytes;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatDelta(delta: number): string {
  if (delta === 0) return "±0";
  return `${delta > 0 ? "+" : "−"}${formatMetric(Math.abs(delta))}`;
}

type Version = CompareVersionFragment;

/** Sorted union of the keys `pick` gives for each version. */
function keysOf(versions: Version[], pick: (v: Version) => readonly string[]): string[] {
  return [...new Set(versions.flatMap(pick))].sort((a, b) => a.localeCompare(b));
}

function row(section: Section, label: string, values: (string | null)[], baseline: number, numbers?: (number | null)[]): Row {
  const base = values[baseline] ?? null;
  const cells = values.map((value, i): Cell => {
    const cell: Cell = { text: value ?? MISSING, missing: value === null, changed: i !== baseline && value !== base };
    const n = numbers?.[i];
    const b = numbers?.[baseline];
    if (i !== baseline && n !== null && n !== undefined && b !== null && b !== undefined) cell.delta = n - b;
    return cell;
  });
  return { section, label, cells, differs: new Set(values).size > 1 };
}

/** A tag's shown value: a key-only tag reads "(set)", an absent one null. */
const tagValue = (tag: { value: string } | undefined) => (tag ? tag.value || "(set)" : null);

/** Every row of the comparison of `versions` (two or more), deltas and changes against `versions[baseline]`. */
export function compareRows(versions: Version[], baseline: number): Row[] {
  const rows: Row[] = [];
  const each = (pick: (v: Version) => string | null) => versions.map(pick);

  rows.push(row("Version", "Stage", each((v) => v.stage), baseline));
  rows.push(row("Version", "Aliases", each((v) => (v.aliases.length ? [...v.aliases].sort().join(", ") : null)), baseline));
  rows.push(row("Version", "Registered", each((v) => formatTime(v.createdAt)), baseline));
  rows.push(row("Version", "Description", each((v) => v.description || null), baseline));

  for (const name of keysOf(versions, (v) => v.metrics.map((m) => m.name))) {
    const numbers = versions.map((v) => v.metrics.find((m) => m.name === name)?.value ?? null);
    rows.push(
      row(
        "Metrics",
        name,
        numbers.map((n) => (n === null ? null : formatMetric(n))),
        baseline,
        numbers,
      ),
    );
  }
  for (const key of keysOf(versions, (v) => v.iteration?.params.map((p) => p.key) ?? [])) {
    rows.push(row("Params", key, each((v) => v.iteration?.params.find((p) => p.key === key)?.value ?? null), baseline));
  }
  for (const key of keysOf(versions, (v) => v.tags.map((t) => t.key))) {
    rows.push(row("Tags", key, each((v) => tagValue(v.tags.find((t) => t.key === key))), baseline));
  }
  rows.push(row("Run", "Experiment", each((v) => v.iteration?.experiment.name ?? null), baseline));
  rows.push(row("Run", "Run", each((v) => (v.iteration ? `#${v.iteration.number} (${v.iteration.status})` : null)), baseline));
  rows.push(row("Artifact", "Name", each((v) => v.resource?.name ?? null), baseline));
  rows.push(row("Artifact", "Format", each((v) => v.resource?.format ?? null), baseline));
  rows.push(row("Artifact", "Size", each((v) => (v.resource ? formatBytes(v.resource.sizeBytes) : null)), baseline));
  rows.push(row("Artifact", "sha256", each((v) => v.resource?.sha256 ?? null), baseline));
  return rows;
}
