// Projects: `projects …`.
import { json, table } from "../output.ts";
import { listFlags, str, flag, limit, type Commands } from "./shared.ts";

export const projectsCommands: Commands = {
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
};
