// `register`: upload an artifact and register it as the next version.
import fs from "node:fs/promises";
import path from "node:path";
import { ModelgraphError } from "../../errors.ts";
import { unwrap } from "../../results.ts";
import type { ResourceFormat } from "../../generated/graphql.ts";
import { UsageError } from "../exit-codes.ts";
import { json } from "../output.ts";
import { ProgressReporter, formatBytes, type ProgressMode } from "../progress.ts";
import { projectFlag, modelFlag, FORMATS, str, list, flag, integer, stage, pairs, metrics, resolveProject, resolveModel, resolveVersion, describeVersion, type Commands } from "./shared.ts";

export const registerCommands: Commands = {
  register: {
    usage:
      "register FILE --project P --model M [--metric NAME=VALUE]... [--tag KEY=VALUE]... [--iteration ID | --experiment NAME --iteration N] [--parent VERSION] [--description TEXT] [--format FORMAT] [--name NAME] [--sha256 HEX] [--idempotency-key KEY] [--stage STAGE (if it cannot move: exit 7/8/9, the version created is named)] [--no-create-model] [--progress auto|bar|plain|none]",
    summary: "Upload a model file (with progress) and register it as the next version of a model",
    examples: [
      "modelgraph register model.onnx -p fraud -m classifier --format onnx --metric accuracy=0.93 --tag commit=$(git rev-parse --short HEAD) --iteration \"$RUN\"",
      "modelgraph register model.onnx -p fraud -m classifier --stage STAGING --json | jq -r .id",
    ],
    options: {
      ...projectFlag,
      ...modelFlag,
      metric: { type: "string", multiple: true },
      tag: { type: "string", multiple: true },
      iteration: { type: "string" },
      experiment: { type: "string" },
      parent: { type: "string" },
      description: { type: "string" },
      format: { type: "string" },
      "content-type": { type: "string" },
      name: { type: "string" },
      sha256: { type: "string" },
      "idempotency-key": { type: "string" },
      stage: { type: "string" },
      "no-create-model": { type: "boolean" },
      progress: { type: "string" },
    },
    positionals: [1, 1],
    async run(ctx) {
      const file = ctx.positionals[0]!;
      const stat = await fs.stat(file).catch(() => null);
      if (!stat?.isFile()) throw new UsageError(`${file} is not a readable file`);
      const format = str(ctx, "format")?.toUpperCase() as ResourceFormat | undefined;
      if (format && !FORMATS.includes(format)) throw new UsageError(`unknown --format ${format} (one of ${FORMATS.join(", ")})`);
      const metricInputs = metrics(list(ctx, "metric"));
      const tags = pairs(list(ctx, "tag"), "--tag");
      const targetStage = str(ctx, "stage") ? stage(str(ctx, "stage")!) : undefined;
      const progressMode = (str(ctx, "progress") ?? (ctx.quiet ? "none" : "auto")) as ProgressMode;
      if (!["auto", "bar", "plain", "none"].includes(progressMode)) throw new UsageError("--progress must be auto, bar, plain or none");

      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project, { create: !flag(ctx, "no-create-model") });
      let iterationId: string | undefined;
      const iteration = str(ctx, "iteration");
      const experimentName = str(ctx, "experiment");
      if (experimentName) {
        if (!iteration) throw new UsageError("--experiment needs --iteration <number>");
        const experiment = await ctx.client.experiment({ project: { id: project.id }, name: experimentName });
        if (!experiment) throw ModelgraphError.notFound("Experiment", experimentName);
        const run = await ctx.client.iteration({ experimentId: experiment.id, number: integer(iteration, "--iteration") });
        if (!run) throw ModelgraphError.notFound("Iteration", `${experimentName} #${iteration}`);
        iterationId = run.id;
      } else if (iteration) {
        iterationId = iteration;
      }
      const parentRef = str(ctx, "parent");
      const parentVersionId = parentRef ? (/^\d+$/.test(parentRef) ? (await resolveVersion(ctx, model, parentRef)).id : parentRef) : undefined;

      const reporter = new ProgressReporter(ctx.stderr, path.basename(file), progressMode);
      let resource;
      try {
        resource = await ctx.client.uploadArtifact(file, {
          projectId: project.id,
          name: str(ctx, "name"),
          sha256: str(ctx, "sha256"),
          format,
          contentType: str(ctx, "content-type"),
          iterationId,
          onProgress: reporter.update,
          signal: ctx.signal,
        });
      } finally {
        reporter.finishLine();
      }
      const { modelVersion } = unwrap(
        await ctx.client.createModelVersion({
          modelId: model.id,
          resourceId: resource.id,
          iterationId,
          parentVersionId,
          description: str(ctx, "description"),
          metrics: metricInputs.length ? metricInputs : undefined,
          tags: tags.length ? tags : undefined,
          idempotencyKey: str(ctx, "idempotency-key"),
        }),
        "createModelVersion",
      );
      let registered = modelVersion;
      if (targetStage && targetStage !== "NONE") {
        const moved = await ctx.client.transitionModelVersionStage({ modelVersionId: modelVersion.id, stage: targetStage, expectedStage: "NONE" });
        if (moved.__typename !== "TransitionModelVersionStagePayload") {
          // The version exists (stage NONE): say which one, so the pipeline can request approval or retry the move.
          // --json: the version on stdout as on success; the error line (with details.registeredVersion) on stderr.
          if (ctx.json) ctx.stdout.write(json(modelVersion));
          const registeredVersion = { id: modelVersion.id, number: modelVersion.number, stage: modelVersion.stage };
          throw new ModelgraphError(
            { ...moved, message: `registered ${describeVersion(model, modelVersion)} id ${modelVersion.id}, but did not move it to ${targetStage}: ${moved.message}`, registeredVersion } as unknown as typeof moved,
            "transitionModelVersionStage",
          );
        }
        registered = moved.modelVersion;
      }
      if (ctx.json) return void ctx.stdout.write(json(registered));
      ctx.stdout.write(`registered ${describeVersion(model, registered)}: ${formatBytes(Number(resource.sizeBytes))} sha256 ${resource.sha256} id ${registered.id}\n`);
    },
  },
};
