// `watch`: stream stage changes.
import fs from "node:fs/promises";
import type { StageChangeEvent } from "../../types.ts";
import { json } from "../output.ts";
import { projectFlag, modelFlag, str, list, integer, stage, info, resolveProject, resolveModel, type Commands } from "./shared.ts";

export const watchCommands: Commands = {
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
