// `download`: fetch a version's artifact and verify it.
import { ModelgraphError } from "../../errors.ts";
import type { ModelVersion } from "../../types.ts";
import { UsageError } from "../exit-codes.ts";
import { json } from "../output.ts";
import { ProgressReporter, formatBytes, type ProgressMode } from "../progress.ts";
import { isModelUri } from "../../model-uri.ts";
import { projectFlag, modelFlag, str, stage, resolveProject, resolveModel, resolveVersion, resolveVersionArg, describeVersion, type Commands } from "./shared.ts";

export const downloadCommands: Commands = {
  download: {
    usage: "download (MODEL_URI [DIR] | --project P --model M (--version N | --stage STAGE | --alias NAME) | --resource ID) [--output PATH] [--progress auto|bar|plain|none]",
    summary: "Download a version's artifact and verify its sha256 (nothing is kept if it does not match)",
    examples: [
      "modelgraph download models:/vision/resnet@champion ./model",
      "modelgraph download models:/vision/resnet/PRODUCTION --json | jq -r .path",
      "modelgraph download -p vision -m resnet --version 3 -o ./model",
    ],
    options: {
      ...projectFlag,
      ...modelFlag,
      version: { type: "string", short: "v" },
      stage: { type: "string", short: "s" },
      alias: { type: "string" },
      resource: { type: "string" },
      output: { type: "string", short: "o" },
      progress: { type: "string" },
    },
    positionals: [0, 2],
    async run(ctx) {
      let resourceId = str(ctx, "resource");
      let label = resourceId ?? "";
      const [uri, dir] = ctx.positionals;
      if (uri !== undefined && !isModelUri(uri)) throw new UsageError(`${JSON.stringify(uri)} is not a model URI (models:/<project>/<model>@<alias>, …/<number> or …/<STAGE>)`);
      if (dir !== undefined && str(ctx, "output") !== undefined) throw new UsageError("give the destination once: DIR or --output");
      if (uri !== undefined) {
        if (resourceId) throw new UsageError("give a model URI or --resource, not both");
        const { model, version } = await resolveVersionArg(ctx);
        if (!version.resource) throw ModelgraphError.notFound("Resource", `artifact of ${describeVersion(model, version)} (${uri})`);
        resourceId = version.resource.id;
        label = `${model.name} v${version.number}`;
      } else if (!resourceId && str(ctx, "alias") !== undefined) {
        const { model, version } = await resolveVersionArg(ctx);
        if (!version.resource) throw ModelgraphError.notFound("Resource", `artifact of ${describeVersion(model, version)}`);
        resourceId = version.resource.id;
        label = `${model.name} v${version.number}`;
      }
      if (!resourceId) {
        const project = await resolveProject(ctx);
        const model = await resolveModel(ctx, project);
        let version: ModelVersion | null;
        if (str(ctx, "version")) version = await resolveVersion(ctx, model, str(ctx, "version")!);
        else if (str(ctx, "stage")) {
          const wanted = stage(str(ctx, "stage")!);
          version = await ctx.client.latestModelVersion({ modelId: model.id, stages: [wanted] });
          if (!version) throw ModelgraphError.notFound("ModelVersion", `${model.name} in ${wanted}`);
        } else throw new UsageError("give --version N or --stage STAGE (or --resource ID)");
        if (!version.resource) throw ModelgraphError.notFound("Resource", `artifact of ${describeVersion(model, version)}`);
        resourceId = version.resource.id;
        label = `${model.name} v${version.number}`;
      }
      const progressMode = (str(ctx, "progress") ?? (ctx.quiet ? "none" : "auto")) as ProgressMode;
      const reporter = new ProgressReporter(ctx.stderr, label, progressMode);
      let result;
      try {
        result = await ctx.client.downloadArtifact(resourceId, str(ctx, "output") ?? dir ?? process.cwd(), { onProgress: reporter.update, signal: ctx.signal });
      } finally {
        reporter.finishLine();
      }
      if (ctx.json) return void ctx.stdout.write(json({ path: result.path, sha256: result.sha256, sizeBytes: result.sizeBytes, resource: result.resource }));
      ctx.stdout.write(`${result.path}: ${formatBytes(result.sizeBytes)} sha256 ${result.sha256} (verified)\n`);
    },
  },
};
