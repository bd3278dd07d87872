// The version's lineage as nodes and edges, independent of how it is drawn: the graph (lineage-graph.tsx, loaded
// lazily) and the list (lineage-list.tsx, narrow screens) both render these, so they always show the same things.
import { formatMetric } from "../../components/ui/format";
import type { ConsoleVersionQuery } from "../../graphql/graphql";

type Version = NonNullable<NonNullable<NonNullable<ConsoleVersionQuery["project"]>["model"]>["version"]>;

export type LineageKind = "experiment" | "run" | "version" | "artifact" | "parent" | "child";

export interface LineageNode {
  id: string;
  kind: LineageKind;
  /** What the node is called, e.g. `resnet v2`. */
  title: string;
  /** One line each: status, params, metrics, size, sha256… */
  lines: string[];
  /** The console page of the node (versions). */
  href?: string;
  /** A download (artifacts): a plain link, not a console route. */
  download?: { href: string; label: string };
  /** The sha256 of an artifact, shown in full. */
  sha256?: string;
}

export interface LineageEdge {
  id: string;
  source: string;
  target: string;
  label: string;
}

export interface Lineage {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

/** A byte count (BigInt as a string) for people: `1.4 MB (1,432,112 bytes)`. */
export function formatBytes(size: string): string {
  const n = Number(size);
  const exact = `${n.toLocaleString("en-US")} bytes`;
  if (n < 1024) return exact;
  const units = ["kB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${exact})`;
}

export const KIND_LABEL: Record<LineageKind, string> = {
  experiment: "Experiment",
  run: "Run",
  version: "This version",
  artifact: "Artifact",
  parent: "Parent version",
  child: "Child version",
};

/** `versionHref(model, number)`: the console's path of a version. */
export function buildLineage(modelName: string, v: Version, versionHref: (model: string, number: number) => string): Lineage {
  const self: LineageNode = {
    id: v.id,
    kind: "version",
    title: `${modelName} v${v.number}`,
    lines: [v.stage, ...v.metrics.slice(0, 4).map((m) => `${m.name} ${formatMetric(m.value)}`)],
  };
  const nodes: LineageNode[] = [self];
  const edges: LineageEdge[] = [];
  const edge = (source: string, target: string, label: string) => edges.push({ id: `${source}->${target}`, source, target, label });

  if (v.iteration) {
    const run = v.iteration;
    nodes.push({ id: run.experiment.id, kind: "experiment", title: run.experiment.name, lines: [] });
    nodes.push({
      id: run.id,
      kind: "run",
      title: `Run #${run.number}`,
      lines: [
        run.status.toLowerCase(),
        ...run.params.map((p) => `${p.key}=${p.value}`),
        ...run.metrics.map((m) => `${m.name} ${formatMetric(m.value)} (step ${m.step})`),
      ],
    });
    edge(run.experiment.id, run.id, "run");
    edge(run.id, v.id, "produced");
  }
  if (v.parentVersion) {
    const p = v.parentVersion;
    nodes.push({ id: p.id, kind: "parent", title: `${p.model.name} v${p.number}`, lines: [p.stage], href: versionHref(p.model.name, p.number) });
    edge(p.id, v.id, "derived");
  }
  if (v.resource) {
    const r = v.resource;
    nodes.push({
      id: r.id,
      kind: "artifact",
      title: r.name,
      lines: [`${r.format.toLowerCase()}, ${formatBytes(r.sizeBytes)}`, ...(r.status === "READY" ? [] : [r.status.toLowerCase()])],
      sha256: r.sha256,
      download: r.downloadUrl ? { href: r.downloadUrl, label: `Download ${r.name}` } : undefined,
    });
    edge(v.id, r.id, "artifact");
  }
  for (const c of v.childVersions.nodes) {
    nodes.push({ id: c.id, kind: "child", title: `${c.model.name} v${c.number}`, lines: [c.stage], href: versionHref(c.model.name, c.number) });
    edge(v.id, c.id, "derived");
  }
  return { nodes, edges };
}
