// Projects: `projects create|list|show`.
import { ModelgraphError } from "../../errors.ts";
import { unwrap } from "../../results.ts";
import { UsageError } from "../exit-codes.ts";
import { json, keyValues, table } from "../output.ts";
import { listFlags, str, list, flag, limit, pairs, type Commands } from "./shared.ts";

export const projectsCommands: Commands = {
  "projects create": {
    usage: "projects create NAME [--description TEXT] [--tag KEY=VALUE]...",
    summary: "Create a project (you become its ADMIN)",
    examples: ["modelgraph projects create fraud --description 'Fraud models' --tag team=risk", "modelgraph projects create fraud --json | jq -r .id"],
    options: { description: { type: "string" }, tag: { type: "string", multiple: true } },
    positionals: [1, 1],
    async run(ctx) {
      const tags = pairs(list(ctx, "tag"), "--tag");
      const { project } = unwrap(await ctx.client.createProject({ name: ctx.positionals[0]!, description: str(ctx, "description"), tags: tags.length ? tags : undefined }), "createProject");
      if (ctx.json) return void ctx.stdout.write(json(project));
      ctx.stdout.write(`created project ${project.name} id ${project.id}\n`);
    },
  },

  "projects list": {
    usage: "projects list [--all] [--name-contains TEXT] [--limit N]",
    summary: "List the projects you can see (--all: deprecated and archived too)",
    examples: ["modelgraph projects list", "modelgraph projects list --name-contains fraud --json | jq -r '.[].name'"],
    options: { ...listFlags, "name-contains": { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const filter = { nameContains: str(ctx, "name-contains"), status: flag(ctx, "all") ? (["ACTIVE", "DEPRECATED", "ARCHIVED"] as const).slice() : undefined };
      const projects = await ctx.client.paginate.projects({ filter }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(projects));
      ctx.stdout.write(table(["name", "status", "role", "id"], projects.map((p) => [p.name, p.status, p.viewerRole, p.id])));
    },
  },

  "projects show": {
    usage: "projects show [NAME | ID] (or --project P)",
    summary: "Show one project: status, your role, tags",
    examples: ["modelgraph projects show fraud", "modelgraph projects show fraud --json | jq .viewerRole"],
    options: { project: { type: "string", short: "p" } },
    positionals: [0, 1],
    async run(ctx) {
      const ref = ctx.positionals[0] ?? str(ctx, "project") ?? ctx.env.MODELGRAPH_PROJECT;
      if (!ref) throw new UsageError("give the project: projects show NAME (or --project, MODELGRAPH_PROJECT)");
      const project = (await ctx.client.project({ name: ref })) ?? (await ctx.client.project({ id: ref }).catch(() => null));
      if (!project) throw ModelgraphError.notFound("Project", ref);
      if (ctx.json) return void ctx.stdout.write(json(project));
      ctx.stdout.write(`${project.name} (${project.status}) id ${project.id}\nyour role: ${project.viewerRole ?? "-"}\ndescription: ${project.description || "-"}\ntags: ${keyValues(project.tags) || "-"}\n`);
    },
  },
};
