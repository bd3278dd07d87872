// Experiments: `experiments create|list`.
import { unwrap } from "../../results.ts";
import { json, keyValues, table } from "../output.ts";
import { projectFlag, listFlags, str, list, flag, limit, pairs, resolveProject, type Commands } from "./shared.ts";

export const experimentsCommands: Commands = {
  "experiments create": {
    usage: "experiments create NAME --project P [--description TEXT] [--tag KEY=VALUE]...",
    summary: "Create an experiment (a group of training runs) in a project",
    examples: ["modelgraph experiments create baseline --project fraud", "modelgraph experiments create baseline --project fraud --json | jq -r .id"],
    options: { ...projectFlag, description: { type: "string" }, tag: { type: "string", multiple: true } },
    positionals: [1, 1],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const tags = pairs(list(ctx, "tag"), "--tag");
      const { experiment } = unwrap(
        await ctx.client.createExperiment({ projectId: project.id, name: ctx.positionals[0]!, description: str(ctx, "description"), tags: tags.length ? tags : undefined }),
        "createExperiment",
      );
      if (ctx.json) return void ctx.stdout.write(json(experiment));
      ctx.stdout.write(`created experiment ${experiment.name} in project ${project.name} id ${experiment.id}\n`);
    },
  },

  "experiments list": {
    usage: "experiments list --project P [--all] [--name-contains TEXT] [--limit N]",
    summary: "List the experiments of a project (--all: archived too)",
    examples: ["modelgraph experiments list --project fraud", "modelgraph experiments list --project fraud --json | jq -r '.[].name'"],
    options: { ...projectFlag, ...listFlags, "name-contains": { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const filter = { nameContains: str(ctx, "name-contains"), status: flag(ctx, "all") ? (["ACTIVE", "DEPRECATED", "ARCHIVED"] as const).slice() : undefined };
      const experiments = await ctx.client.paginate.projectExperiments({ project: { id: project.id }, filter }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(experiments));
      ctx.stdout.write(table(["name", "status", "tags", "id"], experiments.map((e) => [e.name, e.status, keyValues(e.tags), e.id])));
    },
  },
};
