// Models: `models …`.
import { json, table } from "../output.ts";
import { projectFlag, listFlags, flag, limit, resolveProject, type Commands } from "./shared.ts";

export const modelsCommands: Commands = {
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
};
