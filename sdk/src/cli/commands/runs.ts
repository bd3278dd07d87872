// Training runs (iterations of an experiment): `runs create|list|show|log-metrics|finish`.
// A RUN is a global id, or a run number with --project and --experiment.
import { unwrap } from "../../results.ts";
import type { Iteration } from "../../types.ts";
import { UsageError } from "../exit-codes.ts";
import { formatNumber, json, keyValues, table } from "../output.ts";
import { projectFlag, str, list, limit, pairs, metricPoints, resolveProject, resolveExperiment, resolveRun, type Commands } from "./shared.ts";

const runFlags = { ...projectFlag, experiment: { type: "string", short: "e" } } as const;

function runLine(run: Iteration): string {
  return `${run.experiment.name} run ${run.number} (${run.status}) id ${run.id}`;
}

/** The latest value of each metric (the highest step; the API returns every point). */
function latestMetrics(run: Iteration): { name: string; value: number; step: number }[] {
  const latest = new Map<string, { name: string; value: number; step: number }>();
  for (const m of run.metrics) if ((latest.get(m.name)?.step ?? -Infinity) <= m.step) latest.set(m.name, { name: m.name, value: m.value, step: m.step });
  return [...latest.values()];
}

export const runsCommands: Commands = {
  "runs create": {
    usage: "runs create --project P --experiment E [--param KEY=VALUE]... [--tag KEY=VALUE]...",
    summary: "Start a training run (RUNNING) in an experiment, with its parameters (fixed once set)",
    examples: ["modelgraph runs create -p fraud -e baseline --param lr=0.01 --param epochs=20", "RUN=$(modelgraph runs create -p fraud -e baseline --param lr=0.01 --json | jq -r .id)"],
    options: { ...runFlags, param: { type: "string", multiple: true }, tag: { type: "string", multiple: true } },
    positionals: [0, 0],
    async run(ctx) {
      const params = pairs(list(ctx, "param"), "--param");
      const tags = pairs(list(ctx, "tag"), "--tag");
      const project = await resolveProject(ctx);
      const experiment = await resolveExperiment(ctx, project);
      const { iteration } = unwrap(
        await ctx.client.createIteration({ experimentId: experiment.id, params: params.length ? params : undefined, tags: tags.length ? tags : undefined }),
        "createIteration",
      );
      if (ctx.json) return void ctx.stdout.write(json(iteration));
      ctx.stdout.write(`started ${runLine(iteration)}\n`);
    },
  },

  "runs list": {
    usage: "runs list --project P --experiment E [--status RUNNING|COMPLETED|FAILED]... [--limit N]",
    summary: "List the runs of an experiment, newest first",
    examples: ["modelgraph runs list -p fraud -e baseline --status COMPLETED"],
    options: { ...runFlags, status: { type: "string", multiple: true }, limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const statuses = list(ctx, "status").map((s) => s.toUpperCase());
      for (const s of statuses) if (!["RUNNING", "COMPLETED", "FAILED"].includes(s)) throw new UsageError(`unknown --status ${s} (one of RUNNING, COMPLETED, FAILED)`);
      const project = await resolveProject(ctx);
      const experiment = await resolveExperiment(ctx, project);
      const runs = await ctx.client.paginate
        .experimentIterations({ experimentId: experiment.id, status: statuses.length ? (statuses as ("RUNNING" | "COMPLETED" | "FAILED")[]) : undefined, direction: "DESC" }, { limit: limit(ctx), signal: ctx.signal })
        .all();
      if (ctx.json) return void ctx.stdout.write(json(runs));
      ctx.stdout.write(
        table(
          ["run", "status", "started", "params", "metrics", "id"],
          runs.map((r) => [r.number, r.status, r.startedAt.slice(0, 19).replace("T", " "), keyValues(r.params), latestMetrics(r).map((m) => `${m.name}=${formatNumber(m.value)}`).join(","), r.id]),
        ),
      );
    },
  },

  "runs show": {
    usage: "runs show RUN [--project P --experiment E]",
    summary: "Show a run: status, parameters, latest metrics",
    examples: ["modelgraph runs show 3 -p fraud -e baseline", "modelgraph runs show \"$RUN\" --json | jq '.metrics'"],
    options: { ...runFlags },
    positionals: [1, 1],
    async run(ctx) {
      const run = await resolveRun(ctx, ctx.positionals[0]!);
      if (ctx.json) return void ctx.stdout.write(json(run));
      ctx.stdout.write(`${runLine(run)}\nstarted ${run.startedAt}${run.endedAt ? `, ended ${run.endedAt}` : ""}\nparams: ${keyValues(run.params) || "-"}\ntags: ${keyValues(run.tags) || "-"}\n`);
      const latest = latestMetrics(run);
      if (latest.length) ctx.stdout.write(table(["metric", "value", "step"], latest.map((m) => [m.name, formatNumber(m.value), m.step])));
    },
  },

  "runs log-metrics": {
    usage: "runs log-metrics RUN NAME=VALUE[@STEP]... [--project P --experiment E]",
    summary: "Record metric points of a running run (STEP optional)",
    examples: ["modelgraph runs log-metrics \"$RUN\" loss=0.41@1 loss=0.32@2 accuracy=0.91@2"],
    options: { ...runFlags },
    positionals: [2, 1000],
    async run(ctx) {
      const points = metricPoints(ctx.positionals.slice(1));
      const run = await resolveRun(ctx, ctx.positionals[0]!);
      const { iteration } = unwrap(await ctx.client.logIterationMetrics({ iterationId: run.id, metrics: points }), "logIterationMetrics");
      if (ctx.json) return void ctx.stdout.write(json(iteration));
      ctx.stdout.write(`logged ${points.length} metric point${points.length === 1 ? "" : "s"} to ${runLine(iteration)}\n`);
    },
  },

  "runs finish": {
    usage: "runs finish RUN [--status COMPLETED|FAILED] [--project P --experiment E]",
    summary: "End a run (default COMPLETED)",
    examples: ["modelgraph runs finish \"$RUN\"", "modelgraph runs finish 3 -p fraud -e baseline --status FAILED"],
    options: { ...runFlags, status: { type: "string" } },
    positionals: [1, 1],
    async run(ctx) {
      const status = (str(ctx, "status") ?? "COMPLETED").toUpperCase();
      if (status !== "COMPLETED" && status !== "FAILED") throw new UsageError("--status must be COMPLETED or FAILED");
      const run = await resolveRun(ctx, ctx.positionals[0]!);
      const { iteration } = unwrap(await ctx.client.finishIteration({ iterationId: run.id, status }), "finishIteration");
      if (ctx.json) return void ctx.stdout.write(json(iteration));
      ctx.stdout.write(`finished ${runLine(iteration)}\n`);
    },
  },
};
