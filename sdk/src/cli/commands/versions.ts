// Versions: `versions …` and `compare`.
import { ModelgraphError } from "../../errors.ts";
import type { ModelVersionStage } from "../../generated/graphql.ts";
import { UsageError } from "../exit-codes.ts";
import { formatNumber, json, keyValues, metricList, table } from "../output.ts";
import { projectFlag, modelFlag, stage, limit, metricConditions, metricOrder, onePair, type FlagValues, type MetricCondition, type MetricOrder, resolveProject, resolveModel, resolveVersion, type Commands } from "./shared.ts";

export const versionsCommands: Commands = {
  "versions list": {
    usage: "versions list --project P --model M [--stage STAGE]... [--tag KEY=VALUE] [--alias NAME]... [--env ENV] [--metric 'NAME>VALUE']... [--order [-]METRIC] [--limit N]",
    summary: "List (search) the versions of a model: newest first, or by a metric (--order -accuracy: highest first; versions without it last)",
    examples: [
      "modelgraph versions list -p fraud -m classifier --stage STAGING --stage PRODUCTION",
      "modelgraph versions list -p fraud -m classifier --tag commit=4f2a9c1 --json | jq -r '.[].number'",
      "modelgraph versions list -p fraud -m classifier --metric 'accuracy>0.9' --order -accuracy --limit 1",
      "modelgraph versions list -p fraud -m classifier --alias champion --alias canary",
      "modelgraph versions list -p fraud -m classifier --env prod",
    ],
    options: {
      ...projectFlag,
      ...modelFlag,
      stage: { type: "string", multiple: true },
      tag: { type: "string", multiple: true },
      alias: { type: "string", multiple: true },
      env: { type: "string" },
      metric: { type: "string", multiple: true },
      order: { type: "string" },
      limit: { type: "string" },
    },
    positionals: [0, 0],
    async run(ctx) {
      const search = versionSearch(ctx.values);
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const filter = {
        stages: search.stages.length ? search.stages : undefined,
        tag: search.tag,
        aliases: search.aliases.length ? search.aliases : undefined,
        environment: search.environment,
        metrics: search.metrics.length ? search.metrics : undefined,
      };
      const hasFilter = Object.values(filter).some((v) => v !== undefined);
      const orderBy = search.order ? { metric: search.order.metric, direction: search.order.direction } : undefined;
      const versions = await ctx.client.paginate
        .modelVersions({ modelId: model.id, filter: hasFilter ? filter : undefined, orderBy }, { limit: limit(ctx), signal: ctx.signal })
        .all();
      if (ctx.json) return void ctx.stdout.write(json(versions));
      ctx.stdout.write(
        table(
          ["version", "stage", "created", "metrics", "tags", "sha256", "id"],
          versions.map((v) => [v.number, v.stage, v.createdAt.slice(0, 19).replace("T", " "), metricList(v.metrics), keyValues(v.tags), v.resource?.sha256.slice(0, 12), v.id]),
        ),
      );
    },
  },

  "versions show": {
    usage: "versions show VERSION --project P --model M   (VERSION: a number of the model, or a global id)",
    summary: "Show one version: stage, metrics, tags, artifact, run",
    examples: ["modelgraph versions show 3 -p fraud -m classifier", "modelgraph versions show 3 -p fraud -m classifier --json | jq -r .resource.sha256"],
    options: { ...projectFlag, ...modelFlag },
    positionals: [1, 1],
    async run(ctx) {
      const ref = ctx.positionals[0]!;
      let version;
      if (/^\d+$/.test(ref)) version = await resolveVersion(ctx, await resolveModel(ctx, await resolveProject(ctx)), ref);
      else {
        version = await ctx.client.modelVersionById(ref).catch(() => null);
        if (!version) throw ModelgraphError.notFound("ModelVersion", ref);
      }
      if (ctx.json) return void ctx.stdout.write(json(version));
      ctx.stdout.write(
        [
          `${version.model.name} version ${version.number} (${version.stage}) id ${version.id}`,
          `created ${version.createdAt}${version.createdBy ? ` by ${version.createdBy.name}` : ""}`,
          `description: ${version.description || "-"}`,
          `metrics: ${metricList(version.metrics) || "-"}`,
          `tags: ${keyValues(version.tags) || "-"}`,
          `artifact: ${version.resource ? `${version.resource.name} sha256 ${version.resource.sha256} id ${version.resource.id}` : "-"}`,
          `run: ${version.iteration ? `#${version.iteration.number} id ${version.iteration.id}` : "-"}`,
        ].join("\n") + "\n",
      );
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
};

/** The search flags of `versions list`, parsed and validated (pure; table-tested). */
export interface VersionSearch {
  stages: ModelVersionStage[];
  tag: { key: string; value: string } | undefined;
  metrics: MetricCondition[];
  order: MetricOrder | undefined;
  aliases: string[];
  environment: string | undefined;
}

/** Parses `--stage`, `--tag`, `--alias`, `--env`, `--metric 'NAME>VALUE'` and `--order [-]METRIC`; a UsageError when one is malformed. */
export function versionSearch(values: FlagValues): VersionSearch {
  const strings = (name: string) => {
    const value = values[name];
    return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === "string");
  };
  const order = strings("order")[0];
  return {
    stages: strings("stage").map(stage),
    tag: onePair(strings("tag"), "--tag"),
    metrics: metricConditions(strings("metric")),
    order: order === undefined ? undefined : metricOrder(order),
    aliases: strings("alias"),
    environment: strings("env")[0],
  };
}
