// Pure rules on names, descriptions and tags (DESIGN.md §1 "Object rules"). No I/O.
import { ValidationError, type ValidationIssue } from "./errors.ts";

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
export const MAX_DESCRIPTION_LENGTH = 32_768;
export const MAX_TAGS = 64;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 4_096;
export const MAX_METRIC_NAME_LENGTH = 255;
export const MAX_COMMENT_LENGTH = 4_096;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** A deployer's message with a status report (e.g. the error of a failed deployment). */
export const MAX_DEPLOYMENT_MESSAGE_LENGTH = 4_096;
/** One model log line. */
export const MAX_MODEL_LOG_MESSAGE_LENGTH = 4_096;

// Caps per object on the lists a read returns whole (DESIGN.md §1 "Object rules"). They bound what one object
// can make a response or the server's memory carry, and graphql/limits.ts counts these lists at their cap in the
// cost of a query, so the cost check sees the worst case of every object it may reach.
/** Metrics of one model version. */
export const MAX_METRICS_PER_VERSION = 1_000;
/** Distinct metric names of one iteration (each with a history of points). */
export const MAX_METRICS_PER_ITERATION = 1_000;
/** Hyper-parameters of one iteration (same key and value lengths as tags). */
export const MAX_PARAMS = 1_000;
/** Points one logIterationMetrics call may log. */
export const MAX_METRIC_POINTS_PER_CALL = 10_000;
/** Aliases one model may carry (and names it may protect): `model.aliases` returns them whole. */
export const MAX_ALIASES_PER_MODEL = 100;
/** Environments one model may be deployed to (`model.environments` returns them whole). */
export const MAX_ENVIRONMENTS_PER_MODEL = 100;
/** Points of one metric's history returned by one `metricHistory` field (the rest is read with `afterStep`). */
export const MAX_METRIC_HISTORY_PAGE = 1_000;
/** Distinct approvers a promotion policy may ask for. */
export const MAX_POLICY_APPROVALS = 10;
/** Metric gates of one promotion policy, and must-beat-incumbent rules of one (each list). */
export const MAX_POLICY_METRIC_RULES = 32;
/** Promotion policies of one model (one per stage or alias). */
export const MAX_PROMOTION_POLICIES_PER_MODEL = 64;

export interface KeyValue {
  key: string;
  value: string;
}

export interface NamedValue {
  name: string;
  value: number;
}

/** Collects every broken rule of an input, then throws them together so the caller can fix all at once. */
export class Checker {
  readonly issues: ValidationIssue[] = [];

  name(path: string[], value: string | null | undefined): this {
    if (value == null) return this;
    if (!NAME_PATTERN.test(value)) {
      this.issues.push({
        path,
        message:
          value.length > 255
            ? `must be at most 255 characters (got ${value.length})`
            : "must start with a letter or digit and contain only letters, digits, '_' and '-' (pattern ^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$)",
      });
    }
    return this;
  }

  maxLength(path: string[], value: string | null | undefined, max: number): this {
    if (value != null && value.length > max) {
      this.issues.push({ path, message: `must be at most ${max} characters (got ${value.length})` });
    }
    return this;
  }

  description(path: string[], value: string | null | undefined): this {
    return this.maxLength(path, value, MAX_DESCRIPTION_LENGTH);
  }

  /** Tags and string maps: bounded count and lengths, non-empty unique keys. */
  keyValues(path: string[], entries: readonly KeyValue[] | null | undefined, max = MAX_TAGS): this {
    if (entries == null) return this;
    if (entries.length > max) {
      this.issues.push({ path, message: `must have at most ${max} entries (got ${entries.length})` });
    }
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      const at = [...path, String(i)];
      if (entry.key.length === 0) this.issues.push({ path: [...at, "key"], message: "must not be empty" });
      this.maxLength([...at, "key"], entry.key, MAX_TAG_KEY_LENGTH);
      this.maxLength([...at, "value"], entry.value, MAX_TAG_VALUE_LENGTH);
      if (seen.has(entry.key)) this.issues.push({ path: [...at, "key"], message: `duplicate key ${JSON.stringify(entry.key)}` });
      seen.add(entry.key);
    });
    return this;
  }

  /** Metrics of a version, or points logged to an iteration: at most `max`, each named and finite. */
  metrics(path: string[], entries: readonly NamedValue[] | null | undefined, max: number): this {
    if (entries == null) return this;
    if (entries.length > max) {
      this.issues.push({ path, message: `must have at most ${max} entries (got ${entries.length})` });
    }
    entries.forEach((entry, i) => {
      const at = [...path, String(i)];
      if (entry.name.length === 0) this.issues.push({ path: [...at, "name"], message: "must not be empty" });
      this.maxLength([...at, "name"], entry.name, MAX_METRIC_NAME_LENGTH);
      if (!Number.isFinite(entry.value)) this.issues.push({ path: [...at, "value"], message: "must be a finite number" });
    });
    return this;
  }

  require(condition: boolean, path: string[], message: string): this {
    if (!condition) this.issues.push({ path, message });
    return this;
  }

  /** Throws a ValidationError with every issue found, if any. */
  done(): void {
    if (this.issues.length > 0) throw new ValidationError(this.issues);
  }
}

export function check(): Checker {
  return new Checker();
}

/** The rules every create/update of a project, experiment or model input obeys (name, description, tags). */
export function checkNamedObjectInput(input: { name?: string | null; description?: string | null; tags?: readonly KeyValue[] | null }): void {
  check()
    .name(["input", "name"], input.name)
    .description(["input", "description"], input.description)
    .keyValues(["input", "tags"], input.tags)
    .done();
}

/** Tags arrive as a list of {key, value}; they are stored as a JSON object. */
export function toMap(entries: readonly KeyValue[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

export function fromMap(map: unknown): KeyValue[] {
  if (map === null || typeof map !== "object") return [];
  return Object.entries(map as Record<string, unknown>).map(([key, value]) => ({ key, value: String(value) }));
}

export function metricsToMap(entries: readonly NamedValue[]): Record<string, number> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

export function metricsFromMap(map: unknown): NamedValue[] {
  if (map === null || typeof map !== "object") return [];
  return Object.entries(map as Record<string, unknown>).map(([name, value]) => ({ name, value: Number(value) }));
}

/**
 * Characters no text column can hold: PostgreSQL rejects U+0000 in text and jsonb, and an unpaired UTF-16
 * surrogate has no UTF-8 encoding (the driver would silently store U+FFFD instead). With the `u` flag a proper
 * surrogate pair is one code point, so `\p{Cs}` only matches unpaired halves.
 */
const UNSTORABLE_TEXT = /[\0\p{Cs}]/u;

/** Why a string cannot be stored as text, or null when it can. */
export function unstorableTextProblem(value: string): string | null {
  const match = UNSTORABLE_TEXT.exec(value);
  if (!match) return null;
  return match[0] === "\0"
    ? `must not contain the NUL character (U+0000), found at offset ${match.index}`
    : `must be valid Unicode: an unpaired UTF-16 surrogate was found at offset ${match.index}`;
}

/**
 * Every string inside an (already coerced) argument value that cannot be stored, with its path: strings,
 * lists and input objects are walked; other values (numbers, booleans, Dates, bigints) hold no text.
 */
export function unstorableTextIssues(value: unknown, path: string[], issues: ValidationIssue[] = []): ValidationIssue[] {
  if (typeof value === "string") {
    const problem = unstorableTextProblem(value);
    if (problem) issues.push({ path, message: problem });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => unstorableTextIssues(item, [...path, String(i)], issues));
  } else if (value !== null && typeof value === "object" && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) unstorableTextIssues(item, [...path, key], issues);
  }
  return issues;
}

/** Coerced input objects have a null prototype (graphql-js), parsed JSON the Object one; Dates and bigints neither. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** How deep `anyOf` may nest in a version filter (a filter with anyOf inside anyOf is depth 3). */
export const MAX_FILTER_DEPTH = 3;
/** How many conditions (tags, metric conditions, anyOf branches, counted through every level) one filter may hold. */
export const MAX_FILTER_CONDITIONS = 64;
