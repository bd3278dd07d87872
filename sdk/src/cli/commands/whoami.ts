// `whoami`.
import { json } from "../output.ts";
import type { Commands } from "./shared.ts";

export const whoamiCommands: Commands = {
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
};
