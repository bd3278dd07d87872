// Project members: `members add|update|remove|list`. A member is a user id (`tokens list` / `whoami --json` show ids).
import { unwrap } from "../../results.ts";
import { json, table } from "../output.ts";
import { projectFlag, required, role, limit, resolveProject, type Commands } from "./shared.ts";

const memberFlags = { ...projectFlag, user: { type: "string", short: "u" }, role: { type: "string", short: "r" } } as const;

export const membersCommands: Commands = {
  "members add": {
    usage: "members add --project P --user USER_ID --role VIEWER|EDITOR|ADMIN",
    summary: "Give a user a role in a project",
    examples: ["modelgraph members add -p fraud --user usr_2nWbq… --role EDITOR"],
    options: memberFlags,
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const payload = unwrap(await ctx.client.addProjectMember({ projectId: project.id, userId: required(ctx, "user"), role: role(required(ctx, "role")) }), "addProjectMember");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${required(ctx, "user")} is ${role(required(ctx, "role"))} in ${project.name}\n`);
    },
  },

  "members update": {
    usage: "members update --project P --user USER_ID --role VIEWER|EDITOR|ADMIN",
    summary: "Change a member's role",
    examples: ["modelgraph members update -p fraud --user usr_2nWbq… --role ADMIN"],
    options: memberFlags,
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const payload = unwrap(await ctx.client.updateProjectMember({ projectId: project.id, userId: required(ctx, "user"), role: role(required(ctx, "role")) }), "updateProjectMember");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${required(ctx, "user")} is ${role(required(ctx, "role"))} in ${project.name}\n`);
    },
  },

  "members remove": {
    usage: "members remove --project P --user USER_ID",
    summary: "Remove a member from a project",
    examples: ["modelgraph members remove -p fraud --user usr_2nWbq…"],
    options: { ...projectFlag, user: { type: "string", short: "u" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const payload = unwrap(await ctx.client.removeProjectMember({ projectId: project.id, userId: required(ctx, "user") }), "removeProjectMember");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`removed ${required(ctx, "user")} from ${project.name}\n`);
    },
  },

  "members list": {
    usage: "members list --project P [--limit N]",
    summary: "List a project's members and their roles",
    examples: ["modelgraph members list -p fraud", "modelgraph members list -p fraud --json | jq -r '.[] | \"\\(.user.name) \\(.role)\"'"],
    options: { ...projectFlag, limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const members = await ctx.client.paginate.projectMembers({ project: { id: project.id } }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(members));
      ctx.stdout.write(table(["user", "role", "since", "id"], members.map((m) => [m.user.name, m.role, m.createdAt.slice(0, 10), m.user.id])));
    },
  },
};
