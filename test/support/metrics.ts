// Reads a server's GET /metrics and parses the Prometheus text format, checking its syntax on the way.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  text: string;
  /** Sum of the samples named `name` whose labels include `labels` (undefined when there is none). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

// NaN in any case, as Prometheus reads it (prom-client writes "Nan", e.g. for an event-loop lag with no sample yet).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;

/** Parses exposition text; throws on any line that is not a comment, a blank line or a well-formed sample. */
export function parseMetrics(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      helps.add(line.split(" ")[2]!);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type!)) throw new Error(`bad TYPE line: ${line}`);
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`malformed sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (match[3]) {
      let consumed = 0;
      for (const m of match[3].matchAll(LABEL)) {
        labels[m[1]!] = m[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
        consumed += m[0].length;
      }
      if (consumed !== match[3].length) throw new Error(`malformed labels: ${JSON.stringify(line)}`);
    }
    const value = match[4] === "+Inf" ? Infinity : match[4] === "-Inf" ? -Infinity : Number(match[4]);
    samples.push({ name: match[1]!, labels, value });
  }
  // Every sample belongs to a family with TYPE and HELP (histogram samples carry a suffix).
  for (const sample of samples) {
    const family = types.has(sample.name) ? sample.name : sample.name.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(family) || !helps.has(family)) throw new Error(`sample ${sample.name} has no # TYPE / # HELP`);
  }
  return {
    samples,
    types,
    text,
    value(name, labels = {}) {
      const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
    },
  };
}

export async function scrape(baseUrl: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(new URL("/metrics", baseUrl), { headers, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status} ${text.slice(0, 300)}`);
  if (!/^text\/plain; version=0\.0\.4/.test(response.headers.get("content-type") ?? "")) throw new Error(`content-type ${response.headers.get("content-type")}`);
  return parseMetrics(text);
}

/** Polls the metrics until `check` holds (values that change asynchronously: gauges, feed, webhooks). */
export async function scrapeUntil(baseUrl: string, check: (s: Scrape) => boolean, what: string, timeoutMs = 20_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(baseUrl);
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`metrics: ${what} not reached in ${timeoutMs} ms:\n${s.text.split("\n").filter((l) => !l.startsWith("#") && !l.includes("_bucket")).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
