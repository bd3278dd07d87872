// Shared by the CLI's commands: the command type, flag helpers (pure), and resolving names to ids.
import type { ParseArgsConfig } from "node:util";
import type { ModelVersionStage, ResourceFormat } from "../../generated/graphql.ts";
import type { NodeClient } from "../../node/index.ts";
import { ModelgraphError } from "../../errors.ts";
import { isModelUri, ModelUriError, parseModelUri } from "../../model-uri.ts";
import { unwrap } from "../../results.ts";
import type { Model, ModelVersion, Project } from "../../types.ts";
import { UsageError } from "../exit-codes.ts";
import type { TextOut } from "../progress.ts";

/** Parsed flag values of a command. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command runs with. */
export interface CommandContext {
  readonly client: NodeClient;
  readonly values: FlagValues;
  readonly positionals: readonly string[];
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--json`: machine-readable stdout. */
  readonly json: boolean;
  /** `--quiet`: no progress and no informational lines on stderr. */
  readonly quiet: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

/** A CLI command. */
export interface Command {
  /** Usage line after `modelgraph`. */
  readonly usage: string;
  /** One-line description. */
  readonly summary: string;
  /** Example command lines, shown by `modelgraph <command> --help`. */
  readonly examples?: readonly string[];
  /** Its flags (besides the global ones). */
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  /** Allowed number of positional arguments. */
  readonly positionals: readonly [min: number, max: number];
  /** Runs it. */
  run(ctx: CommandContext): Promise<void>;
}

export const STAGES: readonly ModelVersionStage[] = ["NONE", "STAGING", "PRODUCTION", "ARCHIVED"];
export const FORMATS: readonly ResourceFormat[] = ["ONNX", "SAFETENSORS", "TORCHSCRIPT", "PICKLE", "OTHER"];

// ---- flag helpers ----

export function str(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

export function list(ctx: CommandContext, name: string): string[] {
  const value = ctx.values[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

export function required(ctx: CommandContext, name: string, envName?: string): string {
  const value = str(ctx, name) ?? (envName ? ctx.env[envName] : undefined);
  if (!value) throw new UsageError(`--${name} is required${envName ? ` (or set ${envName})` : ""}`);
  return value;
}

export function integer(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function stage(text: string): ModelVersionStage {
  const upper = text.toUpperCase() as ModelVersionStage;
  if (!STAGES.includes(upper)) throw new UsageError(`unknown stage ${JSON.stringify(text)} (one of ${STAGES.join(", ")})`);
  return upper;
}

export function pairs(entries: readonly string[], what: string): { key: string; value: string }[] {
  return entries.map((entry) => {
    const at = entry.indexOf("=");
    if (at <= 0) throw new UsageError(`${what} must be key=value, got ${JSON.stringify(entry)}`);
    return { key: entry.slice(0, at), value: entry.slice(at + 1) };
  });
}

export function metrics(entries: readonly string[]): { name: string; value: number }[] {
  return pairs(entries, "--metric").map(({ key, value }) => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number)) throw new UsageError(`--metric ${key} must be a finite number, got ${JSON.stringify(value)}`);
    return { name: key, value: number };
  });
}

export function limit(ctx: CommandContext): number | undefined {
  const text = str(ctx, "limit");
  return text === undefined ? undefined : integer(text, "--limit");
}

export function info(ctx: CommandContext, line: string): void {
  if (!ctx.quiet) ctx.stderr.write(`${line}\n`);
}

// ---- resolving names ----

/** A project by name, else by global id. */
export async function resolveProject(ctx: CommandContext): Promise<Project> {
  const ref = required(ctx, "project", "MODELGRAPH_PROJECT");
  const byName = await ctx.client.project({ name: ref });
  if (byName) return byName;
  const byId = await ctx.client.project({ id: ref }).catch(() => null);
  if (byId) return byId;
  throw ModelgraphError.notFound("Project", ref);
}

/** A model of the project by name, else by global id. */
export async function resolveModel(ctx: CommandContext, project: Project, options: { create?: boolean } = {}): Promise<Model> {
  const ref = required(ctx, "model", "MODELGRAPH_MODEL");
  const byName = await ctx.client.model({ project: { id: project.id }, name: ref });
  if (byName) return byName;
  const byId = await ctx.client.modelById(ref).catch(() => null);
  if (byId && byId.project.id === project.id) return byId;
  if (options.create) {
    const { model } = unwrap(await ctx.client.createModel({ projectId: project.id, name: ref }), "createModel");
    info(ctx, `created model ${model.name} in project ${project.name}`);
    return model;
  }
  throw ModelgraphError.notFound("Model", ref);
}

/** A version of the model by number, else by global id. */
export async function resolveVersion(ctx: CommandContext, model: Model, ref: string): Promise<ModelVersion> {
  const version = /^\d+$/.test(ref) ? await ctx.client.modelVersion({ modelId: model.id, number: Number(ref) }) : await ctx.client.modelVersionById(ref).catch(() => null);
  if (!version || version.model.id !== model.id) throw ModelgraphError.notFound("ModelVersion", `${model.name} ${ref}`);
  return version;
}

export function versionRef(ctx: CommandContext): string {
  const ref = str(ctx, "version") ?? ctx.positionals[0];
  if (!ref) throw new UsageError("give the version: --version <number or id>");
  return ref;
}

export function describeVersion(model: { name: string }, version: { number: number; stage: string }): string {
  return `${model.name} version ${version.number} (${version.stage})`;
}

// ---- flag sets shared by commands ----

export const projectFlag = { project: { type: "string", short: "p" } } as const;
export const modelFlag = { model: { type: "string", short: "m" } } as const;
export const listFlags = { limit: { type: "string" }, all: { type: "boolean" } } as const;

/** A group of commands keyed by their words (`projects list`, …); commands/index.ts merges the groups. */
export type Commands = Record<string, Command>;


// ---- more pure flag parsers (table-tested in test/sdk/cli-flags.test.ts) ----

export const ROLES = ["VIEWER", "EDITOR", "ADMIN"] as const;
export type RoleName = (typeof ROLES)[number];

/** `viewer` / `EDITOR` → a role. */
export function role(text: string): RoleName {
  const upper = text.toUpperCase() as RoleName;
  if (!ROLES.includes(upper)) throw new UsageError(`unknown role ${JSON.stringify(text)} (one of ${ROLES.join(", ")})`);
  return upper;
}

/** `name=value[@step]` metric points of `runs log-metrics`. */
export function metricPoints(entries: readonly string[]): { name: string; value: number; step?: number }[] {
  return entries.map((entry) => {
    const match = /^([^=]+)=([^@]+)(?:@(\d+))?$/.exec(entry);
    const value = match ? Number(match[2]) : NaN;
    if (!match || match[2]!.trim() === "" || !Number.isFinite(value)) throw new UsageError(`a metric must be name=value[@step] with a finite value, got ${JSON.stringify(entry)}`);
    return match[3] === undefined ? { name: match[1]!, value } : { name: match[1]!, value, step: Number(match[3]) };
  });
}

/** One metric condition of a search: the bounds set on one metric (`{name, gt?, gte?, lt?, lte?}`). */
export interface MetricCondition {
  name: string;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

const COMPARATORS = { ">": "gt", ">=": "gte", "<": "lt", "<=": "lte" } as const;

/**
 * `--metric 'accuracy>0.9' --metric 'loss<=0.2'` → metric conditions, one per metric (bounds on the same metric
 * merge: `acc>0.8` and `acc<0.95` is one condition). Operators: `>`, `>=`, `<`, `<=`.
 */
export function metricConditions(entries: readonly string[]): MetricCondition[] {
  const byName = new Map<string, MetricCondition>();
  for (const entry of entries) {
    const match = /^\s*([^<>=!\s]+)\s*(>=|<=|>|<)\s*(\S+)\s*$/.exec(entry);
    if (!match) throw new UsageError(`--metric must be NAME>VALUE, NAME>=VALUE, NAME<VALUE or NAME<=VALUE, got ${JSON.stringify(entry)}`);
    const [, name, op, text] = match as unknown as [string, string, keyof typeof COMPARATORS, string];
    const value = Number(text);
    if (!Number.isFinite(value)) throw new UsageError(`--metric ${name}: ${JSON.stringify(text)} is not a finite number`);
    const condition = byName.get(name) ?? { name };
    const key = COMPARATORS[op];
    if (condition[key] !== undefined) throw new UsageError(`--metric ${name}${op} is given twice`);
    condition[key] = value;
    byName.set(name, condition);
  }
  return [...byName.values()];
}

/** A metric ordering: `-accuracy` (highest first), `accuracy` or `+accuracy` (lowest first). */
export interface MetricOrder {
  metric: string;
  direction: "ASC" | "DESC";
}

/** `--order -accuracy` → `{metric: "accuracy", direction: "DESC"}`. */
export function metricOrder(text: string): MetricOrder {
  const match = /^([+-]?)([^\s+-][^\s]*)$/.exec(text.trim());
  if (!match) throw new UsageError(`--order must be METRIC (lowest first) or -METRIC (highest first), got ${JSON.stringify(text)}`);
  return { metric: match[2]!, direction: match[1] === "-" ? "DESC" : "ASC" };
}

/** The first `key=value` of a flag, or undefined. */
export function onePair(entries: readonly string[], what: string): { key: string; value: string } | undefined {
  if (entries.length > 1) throw new UsageError(`${what} can be given once (this server matches one tag)`);
  return pairs(entries, what)[0];
}

// ---- more resolving ----

/** An experiment of the project by name (`--experiment`), else by global id. */
export async function resolveExperiment(ctx: CommandContext, project: Project, ref = required(ctx, "experiment", "MODELGRAPH_EXPERIMENT")) {
  const byName = await ctx.client.experiment({ project: { id: project.id }, name: ref });
  if (byName) return byName;
  const byId = await ctx.client.experimentById(ref).catch(() => null);
  if (byId && byId.project.id === project.id) return byId;
  throw ModelgraphError.notFound("Experiment", ref);
}

/** A run (iteration): a global id, or a number of `--experiment` in `--project`. */
export async function resolveRun(ctx: CommandContext, ref: string) {
  if (/^\d+$/.test(ref)) {
    const project = await resolveProject(ctx);
    const experiment = await resolveExperiment(ctx, project);
    const run = await ctx.client.iteration({ experimentId: experiment.id, number: Number(ref) });
    if (!run) throw ModelgraphError.notFound("Iteration", `${experiment.name} #${ref}`);
    return run;
  }
  const run = await ctx.client.iterationById(ref).catch(() => null);
  if (!run) throw ModelgraphError.notFound("Iteration", ref);
  return run;
}

// ---- model URIs ----

/**
 * The version a command names: a model URI given as the first argument (`models:/vision/resnet@champion`), else
 * `--project`, `--model` and `--version N` (or `--alias NAME` / `--stage STAGE` where the command has them).
 */
export async function resolveVersionArg(ctx: CommandContext, options: { positional?: number } = {}): Promise<{ model: Model; version: ModelVersion; uri?: string }> {
  const first = ctx.positionals[options.positional ?? 0];
  if (first !== undefined && isModelUri(first)) {
    let parsed;
    try {
      parsed = parseModelUri(first);
    } catch (error) {
      // A malformed URI on the command line is a bad command line (exit 2), with the parser's reason.
      if (error instanceof ModelUriError) throw new UsageError(error.error.message);
      throw error;
    }
    const version = await ctx.client.resolveModelUri(parsed);
    const model = await ctx.client.modelById(version.model.id);
    if (!model) throw ModelgraphError.notFound("Model", first);
    return { model, version, uri: first };
  }
  const project = await resolveProject(ctx);
  const model = await resolveModel(ctx, project);
  const alias = str(ctx, "alias");
  const stageText = str(ctx, "stage");
  if (alias !== undefined) {
    const version = await ctx.client.modelVersionByAlias({ modelId: model.id, alias });
    if (!version) throw ModelgraphError.notFound("ModelVersion", `${model.name}@${alias}`);
    return { model, version };
  }
  if (str(ctx, "version") === undefined && stageText !== undefined) {
    const wanted = stage(stageText);
    const version = await ctx.client.latestModelVersion({ modelId: model.id, stages: [wanted] });
    if (!version) throw ModelgraphError.notFound("ModelVersion", `${model.name} in ${wanted}`);
    return { model, version };
  }
  const ref = str(ctx, "version");
  if (!ref) throw new UsageError("name the version: a model URI (models:/<project>/<model>@<alias>, …/<number>, …/<STAGE>) or --project, --model and --version N");
  return { model, version: await resolveVersion(ctx, model, ref) };
}
