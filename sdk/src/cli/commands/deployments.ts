// Deployments and model logs: `deployments report|list|envs`, `logs add|list` — what a deployer reports.
import type { DeploymentStatus } from "../../generated/graphql.ts";
import { unwrap } from "../../results.ts";
import { UsageError } from "../exit-codes.ts";
import { json, table } from "../output.ts";
import { projectFlag, modelFlag, str, flag, limit, resolveProject, resolveModel, resolveVersion, resolveVersionArg, type CommandContext, type Commands } from "./shared.ts";

const REPORTABLE: readonly DeploymentStatus[] = ["PENDING", "DEPLOYING", "DEPLOYED", "FAILED"];
const STATUSES: readonly DeploymentStatus[] = [...REPORTABLE, "RETIRED"];

function deploymentStatus(text: string, allowed: readonly DeploymentStatus[]): DeploymentStatus {
  const upper = text.toUpperCase() as DeploymentStatus;
  if (!allowed.includes(upper)) throw new UsageError(`unknown deployment status ${JSON.stringify(text)} (one of ${allowed.join(", ")})`);
  return upper;
}

const time = (iso: string | null | undefined) => (iso ? iso.slice(0, 19).replace("T", " ") : null);

/** `--success` / `--failure`: exactly one for `logs add`, at most one (a filter) for `logs list`. */
function successFlag(ctx: CommandContext, mandatory: boolean): boolean | undefined {
  const success = flag(ctx, "success");
  const failure = flag(ctx, "failure");
  if (success && failure) throw new UsageError("give --success or --failure, not both");
  if (!success && !failure) {
    if (mandatory) throw new UsageError("say whether it succeeded: --success or --failure");
    return undefined;
  }
  return success;
}

const versionFlags = { ...projectFlag, ...modelFlag, version: { type: "string", short: "v" }, alias: { type: "string" }, stage: { type: "string", short: "s" } } as const;

export const deploymentsCommands: Commands = {
  "deployments report": {
    usage: "deployments report (MODEL_URI | --project P --model M (--version N | --alias NAME | --stage STAGE)) --env ENV --status PENDING|DEPLOYING|DEPLOYED|FAILED [--message TEXT]",
    summary: "Report a deployment attempt of a version to an environment (DEPLOYED makes it live there)",
    examples: [
      "modelgraph deployments report models:/vision/resnet@champion --env prod --status DEPLOYING",
      "modelgraph deployments report models:/vision/resnet@champion --env prod --status DEPLOYED",
      "modelgraph deployments report -p vision -m resnet --version 4 --env prod --status FAILED --message 'health check timed out'",
    ],
    options: { ...versionFlags, env: { type: "string", short: "e" }, status: { type: "string" }, message: { type: "string" } },
    positionals: [0, 1],
    async run(ctx) {
      const environment = str(ctx, "env");
      if (!environment) throw new UsageError("--env is required (the environment, e.g. prod)");
      const statusText = str(ctx, "status");
      if (!statusText) throw new UsageError(`--status is required (one of ${REPORTABLE.join(", ")})`);
      const status = deploymentStatus(statusText, REPORTABLE);
      const { model, version } = await resolveVersionArg(ctx);
      const payload = unwrap(await ctx.client.reportDeployment({ modelVersionId: version.id, environment, status, message: str(ctx, "message") }), "reportDeployment");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name} version ${version.number} in ${environment}: ${payload.deployment.status}\n`);
      for (const retired of payload.retired) ctx.stdout.write(`${model.name} version ${retired.modelVersion.number} in ${environment}: RETIRED\n`);
    },
  },

  "deployments list": {
    usage: "deployments list --project P --model M [--env ENV] [--status STATUS] [--version N] [--limit N]",
    summary: "List a model's deployment attempts, newest first",
    examples: ["modelgraph deployments list -p vision -m resnet --env prod --json | jq -r '.[0].status'"],
    options: { ...projectFlag, ...modelFlag, env: { type: "string", short: "e" }, status: { type: "string" }, version: { type: "string", short: "v" }, limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const versionText = str(ctx, "version");
      const statusText = str(ctx, "status");
      const filter = {
        environment: str(ctx, "env"),
        status: statusText === undefined ? undefined : deploymentStatus(statusText, STATUSES),
        modelVersionId: versionText === undefined ? undefined : (await resolveVersion(ctx, model, versionText)).id,
      };
      const deployments = await ctx.client.paginate.deployments({ modelId: model.id, filter }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(deployments));
      ctx.stdout.write(
        table(
          ["env", "version", "status", "started", "updated", "message", "by", "id"],
          deployments.map((d) => [d.environment, d.modelVersion.number, d.status, time(d.startedAt), time(d.updatedAt), d.message, d.reportedBy?.name, d.id]),
        ),
      );
    },
  },

  "deployments envs": {
    usage: "deployments envs --project P --model M",
    summary: "Each environment of a model: the version live there and the latest attempt",
    options: { ...projectFlag, ...modelFlag },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const environments = await ctx.client.modelEnvironments({ modelId: model.id });
      if (ctx.json) return void ctx.stdout.write(json(environments));
      ctx.stdout.write(
        table(
          ["env", "live", "last attempt", "status", "updated"],
          environments.map((e) => [e.name, e.liveVersion?.number, e.lastDeployment?.modelVersion.number, e.lastDeployment?.status, time(e.lastDeployment?.updatedAt)]),
        ),
      );
    },
  },

  "logs add": {
    usage: "logs add MESSAGE (--success | --failure) --project P --model M [--version N | --alias NAME | --stage STAGE]",
    summary: "Add an operational log line to a model (optionally about one version), with a success flag",
    examples: ["modelgraph logs add 'canary healthy for 1h' --success -p vision -m resnet --alias canary"],
    options: { ...versionFlags, success: { type: "boolean" }, failure: { type: "boolean" } },
    positionals: [1, 1],
    async run(ctx) {
      const message = ctx.positionals[0]!;
      const success = successFlag(ctx, true)!;
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const aboutVersion = str(ctx, "version") !== undefined || str(ctx, "alias") !== undefined || str(ctx, "stage") !== undefined;
      // resolveVersionArg reads --project/--model again (cheap) and --version/--alias/--stage; positional 1 is never a URI here.
      const modelVersionId = aboutVersion ? (await resolveVersionArg(ctx, { positional: 1 })).version.id : undefined;
      const payload = unwrap(await ctx.client.addModelLog({ modelId: model.id, modelVersionId, message, success }), "addModelLog");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name}${payload.log.modelVersion ? ` version ${payload.log.modelVersion.number}` : ""}: logged (${success ? "success" : "failure"}) id ${payload.log.id}\n`);
    },
  },

  "logs list": {
    usage: "logs list --project P --model M [--version N] [--success | --failure] [--limit N]",
    summary: "List a model's log lines, newest first",
    options: { ...projectFlag, ...modelFlag, version: { type: "string", short: "v" }, success: { type: "boolean" }, failure: { type: "boolean" }, limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const success = successFlag(ctx, false);
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const versionText = str(ctx, "version");
      const filter = { success, modelVersionId: versionText === undefined ? undefined : (await resolveVersion(ctx, model, versionText)).id };
      const logs = await ctx.client.paginate.modelLogs({ modelId: model.id, filter }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(logs));
      ctx.stdout.write(table(["at", "version", "ok", "message", "by"], logs.map((l) => [time(l.at), l.modelVersion?.number, l.success ? "yes" : "no", l.message, l.actor?.name])));
    },
  },
};
