// The chosen metrics across the versions in the table (those loaded, filters applied), by version number, drawn with
// uPlot (≈ 20 kB gzip, loaded lazily after the table). A summary line per metric says the same in words.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ConsoleVersionRowFragment } from "../../graphql/graphql";
import { formatMetric } from "../../components/ui/format";

const COLORS = ["#2f5fd0", "#c2410c", "#1a7f37", "#7c3aed", "#b42318", "#0e7490", "#a16207", "#be185d"];

type Row = Pick<ConsoleVersionRowFragment, "number" | "metrics">;

/** x: version numbers ascending; one series per metric (null where a version lacks it). */
function seriesOf(versions: readonly Row[], metrics: readonly string[]): uPlot.AlignedData {
  const sorted = [...versions].sort((a, b) => a.number - b.number);
  return [sorted.map((v) => v.number), ...metrics.map((name) => sorted.map((v) => v.metrics.find((m) => m.name === name)?.value ?? null))];
}

function summary(versions: readonly Row[], name: string): string {
  const points = versions.flatMap((v) => {
    const value = v.metrics.find((m) => m.name === name)?.value;
    return value === undefined ? [] : [{ number: v.number, value }];
  });
  if (!points.length) return `${name}: no version shown has it.`;
  const best = points.reduce((a, b) => (b.value > a.value ? b : a));
  const worst = points.reduce((a, b) => (b.value < a.value ? b : a));
  return `${name}: ${points.length} versions, highest ${formatMetric(best.value)} (v${best.number}), lowest ${formatMetric(worst.value)} (v${worst.number}).`;
}

export default function MetricChart({ versions, metrics }: { versions: readonly Row[]; metrics: readonly string[] }) {
  const box = useRef<HTMLDivElement>(null);
  const key = metrics.join("\u0000");
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: false } },
        axes: [{ label: "version" }, {}],
        series: [
          { label: "version", value: (_u, v) => (v == null ? "—" : `v${v}`) },
          ...metrics.map((name, i) => ({
            label: name,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: true,
            points: { show: versions.length <= 200 },
            value: (_u: uPlot, v: number | null) => formatMetric(v ?? undefined),
          })),
        ],
      },
      seriesOf(versions, metrics),
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
    // `key` stands for `metrics` (a new array on every render of the table).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [versions, key]);
  return (
    <figure className="metric-chart" aria-labelledby="metric-chart-title">
      <figcaption id="metric-chart-title">
        <h3>Metrics across versions</h3>
        <span className="meta">The {versions.length} versions in the table, by number.</span>
      </figcaption>
      <div ref={box} className="chart-box" aria-hidden="true" />
      <ul className="chart-summary">
        {metrics.map((name) => (
          <li key={name}>{summary(versions, name)}</li>
        ))}
      </ul>
    </figure>
  );
}
