// Stage changes: `promote`, `rollback`.
import { unwrap } from "../../results.ts";
import { json } from "../output.ts";
import { projectFlag, modelFlag, str, flag, stage, resolveProject, resolveModel, resolveVersion, versionRef, type Commands } from "./shared.ts";

export const stagesCommands: Commands = {
  promote: {
    usage: "promote --project P --model M --version N [--stage STAGE] [--expected-stage STAGE] [--archive-existing] [--comment TEXT]",
    summary: "Move a version to a stage (default PRODUCTION; the PRODUCTION incumbent is archived)",
    options: {
      ...projectFlag,
      ...modelFlag,
      version: { type: "string", short: "v" },
      stage: { type: "string", short: "s" },
      "expected-stage": { type: "string" },
      "archive-existing": { type: "boolean" },
      comment: { type: "string" },
    },
    positionals: [0, 1],
    async run(ctx) {
      const target = stage(str(ctx, "stage") ?? "PRODUCTION");
      const expected = str(ctx, "expected-stage") ? stage(str(ctx, "expected-stage")!) : undefined;
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const version = await resolveVersion(ctx, model, versionRef(ctx));
      const payload = unwrap(
        await ctx.client.transitionModelVersionStage({
          modelVersionId: version.id,
          stage: target,
          expectedStage: expected,
          archiveExisting: flag(ctx, "archive-existing") || undefined,
          comment: str(ctx, "comment"),
        }),
        "transitionModelVersionStage",
      );
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name} version ${payload.modelVersion.number}: ${payload.transition.fromStage} -> ${payload.transition.toStage}\n`);
      for (const archived of payload.archivedVersions) ctx.stdout.write(`${model.name} version ${archived.number}: archived\n`);
    },
  },

  rollback: {
    usage: "rollback --project P --model M [--to VERSION] [--comment TEXT]",
    summary: "Return a previous PRODUCTION version to PRODUCTION (default: the one that left it last)",
    options: { ...projectFlag, ...modelFlag, to: { type: "string" }, comment: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const to = str(ctx, "to");
      const toVersionId = to ? (await resolveVersion(ctx, model, to)).id : undefined;
      const payload = unwrap(await ctx.client.rollbackModel({ modelId: model.id, toVersionId, comment: str(ctx, "comment") }), "rollbackModel");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name} version ${payload.modelVersion.number}: ${payload.transition.fromStage} -> PRODUCTION (rollback)\n`);
      for (const archived of payload.archivedVersions) ctx.stdout.write(`${model.name} version ${archived.number}: archived\n`);
    },
  },
};
