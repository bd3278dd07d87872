// The versions table's view as it lives in the URL (so a view can be shared), and how it maps to the API's search:
// `?stage=STAGING&tag=dataset=v2&alias=champion&where=accuracy>0.9&metrics=accuracy,loss&sort=accuracy&dir=asc`.
import type { MetricCondition, ModelVersionFilter, ModelVersionOrder, ModelVersionStage } from "../../graphql/graphql";
import { STAGES } from "../../components/ui/stage";

/** Sort keys that are not metrics; any other `sort` is a metric's name. */
const FIELD_SORTS = { number: "NUMBER", created: "CREATED_AT" } as const;

export interface TableView {
  stage: ModelVersionStage | "";
  tag: string;
  alias: string;
  /** Metric conditions as typed, e.g. `accuracy > 0.9, loss < 0.4`. */
  where: string;
  /** The metric columns (null: the first few the versions carry). */
  metrics: string[] | null;
  sort: string;
  direction: "asc" | "desc";
}

export function viewOf(params: URLSearchParams): TableView {
  const stage = params.get("stage") ?? "";
  const metrics = params.get("metrics");
  return {
    stage: (STAGES as readonly string[]).includes(stage) ? (stage as ModelVersionStage) : "",
    tag: params.get("tag") ?? "",
    alias: params.get("alias") ?? "",
    where: params.get("where") ?? "",
    metrics: metrics === null ? null : metrics.split(",").filter(Boolean),
    sort: params.get("sort") || "number",
    direction: params.get("dir") === "asc" ? "asc" : "desc",
  };
}

/** The URL's query string of a view (defaults left out). */
export function searchOf(view: TableView): string {
  const out = new URLSearchParams();
  if (view.stage) out.set("stage", view.stage);
  if (view.tag) out.set("tag", view.tag);
  if (view.alias) out.set("alias", view.alias);
  if (view.where) out.set("where", view.where);
  if (view.metrics) out.set("metrics", view.metrics.join(","));
  if (view.sort !== "number") out.set("sort", view.sort);
  if (view.direction !== "desc") out.set("dir", view.direction);
  return out.toString();
}

export const isMetricSort = (sort: string) => !(sort in FIELD_SORTS);

export function orderOf(view: TableView): ModelVersionOrder {
  const direction = view.direction === "asc" ? "ASC" : "DESC";
  return isMetricSort(view.sort) ? { metric: view.sort, direction } : { field: FIELD_SORTS[view.sort as keyof typeof FIELD_SORTS], direction };
}

const CONDITION = /^([A-Za-z0-9_.\-/:]+)\s*(>=|<=|>|<|=)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;
const OPERATORS = { ">": ["gt"], ">=": ["gte"], "<": ["lt"], "<=": ["lte"], "=": ["gte", "lte"] } as const;

/** `accuracy > 0.9, loss <= 0.4` as the API's metric conditions, or why it cannot be read. */
export function metricConditions(text: string): { conditions: MetricCondition[] } | { error: string } {
  const conditions: MetricCondition[] = [];
  for (const part of text.split(/,|\band\b/i)) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const match = CONDITION.exec(trimmed);
    if (!match) return { error: `“${trimmed}” is not a metric condition: write NAME OP NUMBER (OP one of > >= < <= =), e.g. accuracy > 0.9.` };
    const [, name, op, number] = match as unknown as [string, string, keyof typeof OPERATORS, string];
    const condition: MetricCondition = { name };
    for (const bound of OPERATORS[op]) condition[bound] = Number(number);
    conditions.push(condition);
  }
  return { conditions };
}

function tagFilter(text: string) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const at = trimmed.indexOf("=");
  return at < 0 ? { key: trimmed, value: "" } : { key: trimmed.slice(0, at).trim(), value: trimmed.slice(at + 1).trim() };
}

/** The API's filter of a view (metric conditions that cannot be read are left out; the form says why). */
export function filterOf(view: TableView): ModelVersionFilter {
  const parsed = metricConditions(view.where);
  return {
    stages: view.stage ? [view.stage] : null,
    tag: tagFilter(view.tag),
    aliases: view.alias ? [view.alias] : null,
    metrics: "conditions" in parsed && parsed.conditions.length ? parsed.conditions : null,
  };
}

export const isFiltered = (view: TableView) => Boolean(view.stage || view.tag || view.alias || view.where);
