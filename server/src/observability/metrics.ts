// A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with labels,
// plus gauges read at scrape time. Written by hand: the format is simple and the server needs no client library.

type Labels = Record<string, string>;

/** Distinct label sets a metric keeps; past it, new sets are folded into one `"other"` series (bounded memory). */
const MAX_SERIES = 500;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface ValueSeries {
  labels: Labels;
  value: number;
}

abstract class Metric<S extends { labels: Labels }> {
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  abstract readonly type: "counter" | "gauge" | "histogram";

  /** The series of `labels`, created on first use (label names fixed, values bounded by MAX_SERIES). */
  protected seriesFor(labels: Labels, create: (labels: Labels) => S): S {
    const normalized: Labels = {};
    for (const name of this.labelNames) normalized[name] = labels[name] ?? "";
    let key = JSON.stringify(normalized);
    let found = this.series.get(key);
    if (!found && this.series.size >= MAX_SERIES) {
      for (const name of this.labelNames) normalized[name] = "other";
      key = JSON.stringify(normalized);
      found = this.series.get(key);
    }
    if (!found) {
      found = create(normalized);
      this.series.set(key, found);
    }
    return found;
  }

  abstract samples(): string[];

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.samples()];
    return lines.join("\n");
  }
}

type Reading = { labels?: Labels; value: number }[];

export class Counter extends Metric<ValueSeries> {
  readonly type = "counter" as const;
  private collector: (() => Reading) | undefined;

  inc(labels: Labels = {}, by = 1): void {
    this.seriesFor(labels, (l) => ({ labels: l, value: 0 })).value += by;
  }

  /** Reads the total(s) at scrape time from a count kept elsewhere (which must only grow). */
  collect(read: () => Reading): this {
    this.collector = read;
    return this;
  }

  samples(): string[] {
    if (this.collector) {
      for (const { labels = {}, value } of this.collector()) this.seriesFor(labels, (l) => ({ labels: l, value: 0 })).value = value;
    }
    return [...this.series.values()].map((s) => `${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
}

/** A gauge set by the code, or read from `collect` at each scrape. */
export class Gauge extends Metric<ValueSeries> {
  readonly type = "gauge" as const;
  private collector: (() => Reading) | undefined;

  set(labels: Labels, value: number): void {
    this.seriesFor(labels, (l) => ({ labels: l, value: 0 })).value = value;
  }

  inc(labels: Labels = {}, by = 1): void {
    this.seriesFor(labels, (l) => ({ labels: l, value: 0 })).value += by;
  }

  dec(labels: Labels = {}, by = 1): void {
    this.inc(labels, -by);
  }

  /** Reads the value(s) at scrape time instead (replaces what set/inc stored). */
  collect(read: () => Reading): this {
    this.collector = read;
    return this;
  }

  samples(): string[] {
    if (this.collector) {
      for (const { labels = {}, value } of this.collector()) this.set(labels, value);
    }
    return [...this.series.values()].map((s) => `${this.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
}

interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramSeries> {
  readonly type = "histogram" as const;

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  observe(labels: Labels, value: number): void {
    const s = this.seriesFor(labels, (l) => ({ labels: l, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  samples(): string[] {
    const lines: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: formatValue(le) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: "+Inf" })} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

/** The metrics of one process; `render()` is the body of GET /metrics. */
export class Registry {
  private readonly metrics: { name: string; render(): string }[] = [];
  private readonly refreshers: (() => Promise<void>)[] = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Work done before each scrape (e.g. a count query); bounded by `timeoutMs`, a failure keeps the last value. */
  beforeScrape(refresh: () => Promise<void>): void {
    this.refreshers.push(refresh);
  }

  private add<M extends { name: string; render(): string }>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  async render(timeoutMs = 1_000): Promise<string> {
    await Promise.all(
      this.refreshers.map((refresh) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
        return Promise.race([refresh().catch(() => {}), timeout]).finally(() => clearTimeout(timer));
      }),
    );
    return `${this.metrics.map((m) => m.render()).join("\n")}\n`;
  }
}
