// The metrics of a modelgraph process, on prom-client. This module adds what the server needs on top of it:
//   - a bound on the series of each metric (label values such as operation names are chosen by clients),
//   - counters and gauges read at scrape time from counts kept elsewhere,
//   - Node's default collectors (process_*, nodejs_*) once per process, shared by every app the process runs.
import client from "prom-client";

type Labels = Record<string, string>;

/** Distinct label sets a metric keeps; past it, new sets are folded into one `"other"` series (bounded memory). */
export const MAX_SERIES = 500;

/** Readings of a metric taken at scrape time. */
export type Reading = { labels?: Labels; value: number }[];

/** Maps a label set to itself while the metric has room for it, else to the all-`"other"` set. */
function seriesLimit(labelNames: readonly string[]): (labels: Labels) => Labels {
  if (labelNames.length === 0) return (labels) => labels;
  const seen = new Set<string>();
  const other = Object.fromEntries(labelNames.map((name) => [name, "other"]));
  return (labels) => {
    let key = "";
    for (const name of labelNames) key += `${labels[name] ?? ""}\u0000`;
    if (seen.has(key)) return labels;
    if (seen.size < MAX_SERIES) {
      seen.add(key);
      return labels;
    }
    return other;
  };
}

let processRegistry: client.Registry | undefined;

/** Node's default collectors (event-loop lag, GC, heap, CPU, handles): one set per process, since they describe it. */
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The metrics of one app; `render()` is the body of GET /metrics. */
export class Registry {
  readonly contentType = client.Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly own = new client.Registry();

  constructor() {
    processMetrics();
  }

  counter(name: string, help: string, labelNames: readonly string[] = []) {
    const metric = new client.Counter({ name, help, labelNames, registers: [this.own] });
    const fold = seriesLimit(labelNames);
    return { inc: (labels: Labels = {}, by = 1) => metric.inc(fold(labels), by) };
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []) {
    const metric = new client.Gauge({ name, help, labelNames, registers: [this.own] });
    const fold = seriesLimit(labelNames);
    return {
      set: (labels: Labels, value: number) => metric.set(fold(labels), value),
      inc: (labels: Labels = {}, by = 1) => metric.inc(fold(labels), by),
      dec: (labels: Labels = {}, by = 1) => metric.dec(fold(labels), by),
    };
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    const metric = new client.Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.own] });
    const fold = seriesLimit(labelNames);
    return { observe: (labels: Labels, value: number) => metric.observe(fold(labels), value) };
  }

  /** A gauge whose values are read at each scrape. */
  gaugeReading(name: string, help: string, labelNames: readonly string[], read: () => Reading | Promise<Reading>): void {
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [this.own],
      async collect() {
        for (const { labels = {}, value } of await read()) this.set(labels, value);
      },
    });
  }

  /** A counter whose totals are kept elsewhere (they must only grow) and read at each scrape. */
  counterReading(name: string, help: string, labelNames: readonly string[], read: () => Reading): void {
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [this.own],
      collect() {
        this.reset();
        for (const { labels = {}, value } of read()) this.inc(labels, value);
      },
    });
  }

  async render(): Promise<string> {
    return client.Registry.merge([processMetrics(), this.own]).metrics();
  }
}

/**
 * A reading that needs I/O (a count query): bounded by `timeoutMs`; a failure or a timeout reports the last value
 * read, so a slow database never stalls a scrape.
 */
export function readWithTimeout(read: () => Promise<number>, timeoutMs = 1_000): () => Promise<Reading> {
  let last = 0;
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([read().then((value) => void (last = value), () => {}), timeout]).finally(() => clearTimeout(timer));
    return [{ value: last }];
  };
}
