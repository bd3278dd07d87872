// The CLI's commands, each a thin layer over the SDK: resolve names to ids, call the client, print a table or JSON.
import fs from "node:fs/promises";
import path from "node:path";
import type { ParseArgsConfig } from "node:util";
import type { ModelVersionStage, ResourceFormat } from "../generated/graphql.ts";
import type { NodeClient } from "../node/index.ts";
import { ModelgraphError } from "../errors.ts";
import { unwrap } from "../results.ts";
import type { Model, ModelVersion, Project, StageChangeEvent } from "../types.ts";
import { UsageError } from "./exit-codes.ts";
import { formatNumber, json, keyValues, metricList, table } from "./output.ts";
import { ProgressReporter, formatBytes, type ProgressMode, type TextOut } from "./progress.ts";

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
  /** Its flags (besides the global ones). */
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  /** Allowed number of positional arguments. */
  readonly positionals: readonly [min: number, max: number];
  /** Runs it. */
  run(ctx: CommandContext): Promise<void>;
}

const STAGES: readonly ModelVersionStage[] = ["NONE", "STAGING", "PRODUCTION", "ARCHIVED"];
const FORMATS: readonly ResourceFormat[] = ["ONNX", "SAFETENSORS", "TORCHSCRIPT", "PICKLE", "OTHER"];

// ---- flag helpers ----

function str(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === "string" ? value : undefined;
}

function list(ctx: CommandContext, name: string): string[] {
  const value = ctx.values[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}

function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

function required(ctx: CommandContext, name: string, envName?: string): string {
  const value = str(ctx, name) ?? (envName ? ctx.env[envName] : undefined);
  if (!value) throw new UsageError(`--${name} is required${envName ? ` (or set ${envName})` : ""}`);
  return value;
}

function integer(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function stage(text: string): ModelVersionStage {
  const upper = text.toUpperCase() as ModelVersionStage;
  if (!STAGES.includes(upper)) throw new UsageError(`unknown stage ${JSON.stringify(text)} (one of ${STAGES.join(", ")})`);
  return upper;
}

function pairs(entries: readonly string[], what: string): { key: string; value: string }[] {
  return entries.map((entry) => {
    const at = entry.indexOf("=");
    if (at <= 0) throw new UsageError(`${what} must be key=value, got ${JSON.stringify(entry)}`);
    return { key: entry.slice(0, at), value: entry.slice(at + 1) };
  });
}

function metrics(entries: readonly string[]): { name: string; value: number }[] {
  return pairs(entries, "--metric").map(({ key, value }) => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number)) throw new UsageError(`--metric ${key} must be a finite number, got ${JSON.stringify(value)}`);
    return { name: key, value: number };
  });
}

function limit(ctx: CommandContext): number | undefined {
  const text = str(ctx, "limit");
  return text === undefined ? undefined : integer(text, "--limit");
}

function info(ctx: CommandContext, line: string): void {
  if (!ctx.quiet) ctx.stderr.write(`${line}\n`);
}

// ---- resolving names ----

/** A project by name, else by global id. */
async function resolveProject(ctx: CommandContext): Promise<Project> {
  const ref = required(ctx, "project", "MODELGRAPH_PROJECT");
  const byName = await ctx.client.project({ name: ref });
  if (byName) return byName;
  const byId = await ctx.client.project({ id: ref }).catch(() => null);
  if (byId) return byId;
  throw ModelgraphError.notFound("Project", ref);
}

/** A model of the project by name, else by global id. */
async function resolveModel(ctx: CommandContext, project: Project, options: { create?: boolean } = {}): Promise<Model> {
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
async function resolveVersion(ctx: CommandContext, model: Model, ref: string): Promise<ModelVersion> {
  const version = /^\d+$/.test(ref) ? await ctx.client.modelVersion({ modelId: model.id, number: Number(ref) }) : await ctx.client.modelVersionById(ref).catch(() => null);
  if (!version || version.model.id !== model.id) throw ModelgraphError.notFound("ModelVersion", `${model.name} ${ref}`);
  return version;
}

function versionRef(ctx: CommandContext): string {
  const ref = str(ctx, "version") ?? ctx.positionals[0];
  if (!ref) throw new UsageError("give the version: --version <number or id>");
  return ref;
}

function describeVersion(model: { name: string }, version: { number: number; stage: string }): string {
  return `${model.name} version ${version.number} (${version.stage})`;
}

// ---- commands ----

const projectFlag = { project: { type: "string", short: "p" } } as const;
const modelFlag = { model: { type: "string", short: "m" } } as const;
const listFlags = { limit: { type: "string" }, all: { type: "boolean" } } as const;

/** Every command, keyed by its words. */
export const COMMANDS: Record<string, Command> = {
  whoami: {
    usage: "whoami",
    summary: "Show who the token belongs to",
    options: {},
    positionals: [0, 0],
    async run(ctx) {
      const viewer = await ctx.client.viewer();
      ctx.stdout.write(ctx.json ? json(viewer) : `${viewer.name}${viewer.isAdmin ? " (instance admin)" : ""}\n`);
    },
  },

  "projects list": {
    usage: "projects list [--all] [--name-contains TEXT] [--limit N]",
    summary: "List the projects you can see (--all: deprecated and archived too)",
    options: { ...listFlags, "name-contains": { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const filter = { nameContains: str(ctx, "name-contains"), status: flag(ctx, "all") ? (["ACTIVE", "DEPRECATED", "ARCHIVED"] as const).slice() : undefined };
      const projects = await ctx.client.paginate.projects({ filter }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(projects));
      ctx.stdout.write(table(["name", "status", "role", "id"], projects.map((p) => [p.name, p.status, p.viewerRole, p.id])));
    },
  },

  "models list": {
    usage: "models list --project P [--all] [--limit N]",
    summary: "List the models of a project with their PRODUCTION and latest versions",
    options: { ...projectFlag, ...listFlags },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const filter = flag(ctx, "all") ? { status: (["ACTIVE", "DEPRECATED", "ARCHIVED"] as const).slice() } : undefined;
      const models = await ctx.client.paginate.projectModelsOverview({ project: { id: project.id }, filter }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(models));
      ctx.stdout.write(
        table(
          ["name", "status", "production", "latest", "approval", "id"],
          models.map((m) => [m.name, m.status, m.productionVersion?.number, m.latestVersion ? `${m.latestVersion.number} (${m.latestVersion.stage})` : null, m.requireApprovalFor.join(","), m.id]),
        ),
      );
    },
  },

  "versions list": {
    usage: "versions list --project P --model M [--stage STAGE]... [--limit N]",
    summary: "List the versions of a model, newest first",
    options: { ...projectFlag, ...modelFlag, stage: { type: "string", multiple: true }, limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const stages = list(ctx, "stage").map(stage);
      const versions = await ctx.client.paginate.modelVersions({ modelId: model.id, filter: stages.length ? { stages } : undefined }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(versions));
      ctx.stdout.write(
        table(
          ["version", "stage", "created", "metrics", "tags", "sha256", "id"],
          versions.map((v) => [v.number, v.stage, v.createdAt.slice(0, 19).replace("T", " "), metricList(v.metrics), keyValues(v.tags), v.resource?.sha256.slice(0, 12), v.id]),
        ),
      );
    },
  },

  register: {
    usage:
      "register FILE --project P --model M [--metric NAME=VALUE]... [--tag KEY=VALUE]... [--iteration ID | --experiment NAME --iteration N] [--parent VERSION] [--description TEXT] [--format FORMAT] [--name NAME] [--sha256 HEX] [--idempotency-key KEY] [--stage STAGE] [--no-create-model] [--progress auto|bar|plain|none]",
    summary: "Upload a model file (with progress) and register it as the next version of a model",
    options: {
      ...projectFlag,
      ...modelFlag,
      metric: { type: "string", multiple: true },
      tag: { type: "string", multiple: true },
      iteration: { type: "string" },
      experiment: { type: "string" },
      parent: { type: "string" },
      description: { type: "string" },
      format: { type: "string" },
      "content-type": { type: "string" },
      name: { type: "string" },
      sha256: { type: "string" },
      "idempotency-key": { type: "string" },
      stage: { type: "string" },
      "no-create-model": { type: "boolean" },
      progress: { type: "string" },
    },
    positionals: [1, 1],
    async run(ctx) {
      const file = ctx.positionals[0]!;
      const stat = await fs.stat(file).catch(() => null);
      if (!stat?.isFile()) throw new UsageError(`${file} is not a readable file`);
      const format = str(ctx, "format")?.toUpperCase() as ResourceFormat | undefined;
      if (format && !FORMATS.includes(format)) throw new UsageError(`unknown --format ${format} (one of ${FORMATS.join(", ")})`);
      const metricInputs = metrics(list(ctx, "metric"));
      const tags = pairs(list(ctx, "tag"), "--tag");
      const targetStage = str(ctx, "stage") ? stage(str(ctx, "stage")!) : undefined;
      const progressMode = (str(ctx, "progress") ?? (ctx.quiet ? "none" : "auto")) as ProgressMode;
      if (!["auto", "bar", "plain", "none"].includes(progressMode)) throw new UsageError("--progress must be auto, bar, plain or none");

      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project, { create: !flag(ctx, "no-create-model") });
      let iterationId: string | undefined;
      const iteration = str(ctx, "iteration");
      const experimentName = str(ctx, "experiment");
      if (experimentName) {
        if (!iteration) throw new UsageError("--experiment needs --iteration <number>");
        const experiment = await ctx.client.experiment({ project: { id: project.id }, name: experimentName });
        if (!experiment) throw ModelgraphError.notFound("Experiment", experimentName);
        const run = await ctx.client.iteration({ experimentId: experiment.id, number: integer(iteration, "--iteration") });
        if (!run) throw ModelgraphError.notFound("Iteration", `${experimentName} #${iteration}`);
        iterationId = run.id;
      } else if (iteration) {
        iterationId = iteration;
      }
      const parentRef = str(ctx, "parent");
      const parentVersionId = parentRef ? (/^\d+$/.test(parentRef) ? (await resolveVersion(ctx, model, parentRef)).id : parentRef) : undefined;

      const reporter = new ProgressReporter(ctx.stderr, path.basename(file), progressMode);
      let resource;
      try {
        resource = await ctx.client.uploadArtifact(file, {
          projectId: project.id,
          name: str(ctx, "name"),
          sha256: str(ctx, "sha256"),
          format,
          contentType: str(ctx, "content-type"),
          iterationId,
          onProgress: reporter.update,
          signal: ctx.signal,
        });
      } finally {
        reporter.finishLine();
      }
      const { modelVersion } = unwrap(
        await ctx.client.createModelVersion({
          modelId: model.id,
          resourceId: resource.id,
          iterationId,
          parentVersionId,
          description: str(ctx, "description"),
          metrics: metricInputs.length ? metricInputs : undefined,
          tags: tags.length ? tags : undefined,
          idempotencyKey: str(ctx, "idempotency-key"),
        }),
        "createModelVersion",
      );
      let registered = modelVersion;
      if (targetStage && targetStage !== "NONE") {
        registered = unwrap(await ctx.client.transitionModelVersionStage({ modelVersionId: modelVersion.id, stage: targetStage, expectedStage: "NONE" }), "transitionModelVersionStage").modelVersion;
      }
      if (ctx.json) return void ctx.stdout.write(json(registered));
      ctx.stdout.write(`registered ${describeVersion(model, registered)}: ${formatBytes(Number(resource.sizeBytes))} sha256 ${resource.sha256} id ${registered.id}\n`);
    },
  },

  promote: {
    usage: "promote --project P --model M --version N [--stage STAGE] [--expected-stage STAGE] [--archive-existing] [--comment TEXT]",
    summary: "Move a version to a stage (default PRODUCTION; the PRODUCTION incumbent is archived)",
    options: {
      ...projectFlag,
      ...modelFlag,
      version: { type: "string", short: "v" },
      stage: { type: "string", short: "s" },
      "expected-stage": { type: "string" },
      "archive-existing": { type: "boolean" },
      comment: { type: "string" },
    },
    positionals: [0, 1],
    async run(ctx) {
      const target = stage(str(ctx, "stage") ?? "PRODUCTION");
      const expected = str(ctx, "expected-stage") ? stage(str(ctx, "expected-stage")!) : undefined;
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const version = await resolveVersion(ctx, model, versionRef(ctx));
      const payload = unwrap(
        await ctx.client.transitionModelVersionStage({
          modelVersionId: version.id,
          stage: target,
          expectedStage: expected,
          archiveExisting: flag(ctx, "archive-existing") || undefined,
          comment: str(ctx, "comment"),
        }),
        "transitionModelVersionStage",
      );
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name} version ${payload.modelVersion.number}: ${payload.transition.fromStage} -> ${payload.transition.toStage}\n`);
      for (const archived of payload.archivedVersions) ctx.stdout.write(`${model.name} version ${archived.number}: archived\n`);
    },
  },

  rollback: {
    usage: "rollback --project P --model M [--to VERSION] [--comment TEXT]",
    summary: "Return a previous PRODUCTION version to PRODUCTION (default: the one that left it last)",
    options: { ...projectFlag, ...modelFlag, to: { type: "string" }, comment: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const to = str(ctx, "to");
      const toVersionId = to ? (await resolveVersion(ctx, model, to)).id : undefined;
      const payload = unwrap(await ctx.client.rollbackModel({ modelId: model.id, toVersionId, comment: str(ctx, "comment") }), "rollbackModel");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name} version ${payload.modelVersion.number}: ${payload.transition.fromStage} -> PRODUCTION (rollback)\n`);
      for (const archived of payload.archivedVersions) ctx.stdout.write(`${model.name} version ${archived.number}: archived\n`);
    },
  },

  download: {
    usage: "download (--project P --model M (--version N | --stage STAGE) | --resource ID) [--output PATH] [--progress auto|bar|plain|none]",
    summary: "Download a version's artifact and verify its sha256 (nothing is kept if it does not match)",
    options: {
      ...projectFlag,
      ...modelFlag,
      version: { type: "string", short: "v" },
      stage: { type: "string", short: "s" },
      resource: { type: "string" },
      output: { type: "string", short: "o" },
      progress: { type: "string" },
    },
    positionals: [0, 0],
    async run(ctx) {
      let resourceId = str(ctx, "resource");
      let label = resourceId ?? "";
      if (!resourceId) {
        const project = await resolveProject(ctx);
        const model = await resolveModel(ctx, project);
        let version: ModelVersion | null;
        if (str(ctx, "version")) version = await resolveVersion(ctx, model, str(ctx, "version")!);
        else if (str(ctx, "stage")) {
          const wanted = stage(str(ctx, "stage")!);
          version = await ctx.client.latestModelVersion({ modelId: model.id, stages: [wanted] });
          if (!version) throw ModelgraphError.notFound("ModelVersion", `${model.name} in ${wanted}`);
        } else throw new UsageError("give --version N or --stage STAGE (or --resource ID)");
        if (!version.resource) throw ModelgraphError.notFound("Resource", `artifact of ${describeVersion(model, version)}`);
        resourceId = version.resource.id;
        label = `${model.name} v${version.number}`;
      }
      const progressMode = (str(ctx, "progress") ?? (ctx.quiet ? "none" : "auto")) as ProgressMode;
      const reporter = new ProgressReporter(ctx.stderr, label, progressMode);
      let result;
      try {
        result = await ctx.client.downloadArtifact(resourceId, str(ctx, "output") ?? process.cwd(), { onProgress: reporter.update, signal: ctx.signal });
      } finally {
        reporter.finishLine();
      }
      if (ctx.json) return void ctx.stdout.write(json({ path: result.path, sha256: result.sha256, sizeBytes: result.sizeBytes, resource: result.resource }));
      ctx.stdout.write(`${result.path}: ${formatBytes(result.sizeBytes)} sha256 ${result.sha256} (verified)\n`);
    },
  },

  compare: {
    usage: "compare --project P --model M A B",
    summary: "Compare two versions (numbers of the model, or global ids): metric deltas, parameter and tag changes",
    options: { ...projectFlag, ...modelFlag },
    positionals: [2, 2],
    async run(ctx) {
      const [a, b] = ctx.positionals as [string, string];
      let ids: [string, string] = [a, b];
      if (/^\d+$/.test(a) || /^\d+$/.test(b)) {
        const project = await resolveProject(ctx);
        const model = await resolveModel(ctx, project);
        ids = [(await resolveVersion(ctx, model, a)).id, (await resolveVersion(ctx, model, b)).id];
      }
      const comparison = await ctx.client.compareModelVersions({ a: ids[0], b: ids[1] });
      if (!comparison) throw ModelgraphError.notFound("ModelVersion", `${a} or ${b}`);
      if (ctx.json) return void ctx.stdout.write(json(comparison));
      const name = (v: { number: number; model: { name: string } }) => `${v.model.name} v${v.number}`;
      ctx.stdout.write(`a: ${name(comparison.a)} (${comparison.a.stage})   b: ${name(comparison.b)} (${comparison.b.stage})   same artifact: ${comparison.sameResource ? "yes" : "no"}\n\n`);
      ctx.stdout.write(table(["metric", "a", "b", "delta"], comparison.metrics.map((m) => [m.name, formatNumber(m.a), formatNumber(m.b), m.delta === null ? null : `${m.delta > 0 ? "+" : ""}${formatNumber(m.delta)}`])));
      if (comparison.paramChanges.length) ctx.stdout.write(`\n${table(["param", "a", "b"], comparison.paramChanges.map((c) => [c.key, c.a, c.b]))}`);
      if (comparison.tagChanges.length) ctx.stdout.write(`\n${table(["tag", "a", "b"], comparison.tagChanges.map((c) => [c.key, c.a, c.b]))}`);
    },
  },

  watch: {
    usage: "watch --project P [--model M] [--stage STAGE]... [--after CURSOR] [--cursor-file FILE] [--count N]",
    summary: "Stream stage changes; reconnects and resumes from the last cursor (saved to --cursor-file after each event)",
    options: {
      ...projectFlag,
      ...modelFlag,
      stage: { type: "string", multiple: true },
      after: { type: "string" },
      "cursor-file": { type: "string" },
      count: { type: "string" },
    },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = str(ctx, "model") || ctx.env.MODELGRAPH_MODEL ? await resolveModel(ctx, project) : undefined;
      const stages = list(ctx, "stage").map(stage);
      const cursorFile = str(ctx, "cursor-file");
      const count = str(ctx, "count") === undefined ? Infinity : integer(str(ctx, "count")!, "--count");
      let after = str(ctx, "after");
      if (!after && cursorFile) after = (await fs.readFile(cursorFile, "utf8").catch(() => "")).trim() || undefined;
      info(ctx, `watching ${project.name}${model ? `/${model.name}` : ""}${stages.length ? ` into ${stages.join(",")}` : ""}${after ? " (resuming)" : ""}`);
      const changes = ctx.client.stageChanges(
        { projectId: project.id, modelId: model?.id, stages: stages.length ? stages : undefined },
        {
          after,
          signal: ctx.signal,
          retryInitialConnection: false,
          onReconnect: (r) => info(ctx, `modelgraph: connection lost (${r.reason}); reconnecting in ${r.delayMs} ms`),
        },
      );
      let seen = 0;
      for await (const event of changes) {
        ctx.stdout.write(ctx.json ? json(event, true) : eventLine(event));
        if (cursorFile) await writeAtomically(cursorFile, `${event.cursor}\n`);
        if (++seen >= count) break;
      }
      changes.close();
    },
  },
};

/** One human-readable line per stage change. */
function eventLine(event: StageChangeEvent): string {
  return `${event.at} ${event.model.name} v${event.number} ${event.fromStage} -> ${event.toStage} (${event.cause}${event.actor ? ` by ${event.actor.name}` : ""}) cursor=${event.cursor}\n`;
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, content);
  await fs.rename(temporary, file);
}
