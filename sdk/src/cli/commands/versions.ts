// Versions: `versions …` and `compare`.
import { ModelgraphError } from "../../errors.ts";
import { formatNumber, json, keyValues, metricList, table } from "../output.ts";
import { projectFlag, modelFlag, list, stage, limit, resolveProject, resolveModel, resolveVersion, type Commands } from "./shared.ts";

export const versionsCommands: Commands = {
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
