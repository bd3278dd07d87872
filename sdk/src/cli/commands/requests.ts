// Transition requests (reviews of a stage change that needs approval): `requests create|list|approve|reject|cancel`.
import { unwrap } from "../../results.ts";
import type { TransitionRequest } from "../../types.ts";
import { UsageError } from "../exit-codes.ts";
import { json, table } from "../output.ts";
import { projectFlag, modelFlag, str, list, limit, stage, resolveProject, resolveModel, resolveVersion, versionRef, type Command, type Commands } from "./shared.ts";

const STATUSES = ["PENDING", "APPROVED", "REJECTED", "CANCELLED"] as const;

function requestLine(r: TransitionRequest): string {
  return `request ${r.id}: ${r.modelVersion.model.name} version ${r.modelVersion.number} -> ${r.toStage} (${r.status})`;
}

/** approve / reject / cancel: the same shape, one mutation each. */
function decide(verb: "approve" | "reject" | "cancel", summary: string): Command {
  return {
    usage: `requests ${verb} REQUEST_ID [--comment TEXT]`,
    summary,
    examples: [`modelgraph requests ${verb} "$REQUEST" --comment 'checked the eval report'`],
    options: { comment: { type: "string" } },
    positionals: [1, 1],
    async run(ctx) {
      const input = { requestId: ctx.positionals[0]!, comment: str(ctx, "comment") };
      const payload =
        verb === "approve"
          ? unwrap(await ctx.client.approveTransitionRequest(input), "approveTransitionRequest")
          : verb === "reject"
            ? unwrap(await ctx.client.rejectTransitionRequest(input), "rejectTransitionRequest")
            : unwrap(await ctx.client.cancelTransitionRequest(input), "cancelTransitionRequest");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${requestLine(payload.transitionRequest)}; ${payload.modelVersion.model.name} version ${payload.modelVersion.number} is ${payload.modelVersion.stage}\n`);
    },
  };
}

export const requestsCommands: Commands = {
  "requests create": {
    usage: "requests create --project P --model M --version N --stage STAGE [--comment TEXT]",
    summary: "Ask for a stage change that needs approval (an ADMIN approves it with requests approve)",
    examples: ["REQUEST=$(modelgraph requests create -p fraud -m classifier --version 3 --stage PRODUCTION --json | jq -r .transitionRequest.id)"],
    options: { ...projectFlag, ...modelFlag, version: { type: "string", short: "v" }, stage: { type: "string", short: "s" }, comment: { type: "string" } },
    positionals: [0, 1],
    async run(ctx) {
      const target = stage(str(ctx, "stage") ?? "PRODUCTION");
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const version = await resolveVersion(ctx, model, versionRef(ctx));
      const payload = unwrap(await ctx.client.requestModelVersionTransition({ modelVersionId: version.id, stage: target, comment: str(ctx, "comment") }), "requestModelVersionTransition");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${requestLine(payload.transitionRequest)}\n`);
    },
  },

  "requests list": {
    usage: "requests list --project P [--model M] [--status PENDING|APPROVED|REJECTED|CANCELLED]... [--limit N]",
    summary: "List transition requests of a project, newest first (--status PENDING: the review queue)",
    examples: ["modelgraph requests list -p fraud --status PENDING", "modelgraph requests list -p fraud --status PENDING --json | jq -r '.[].id'"],
    options: { ...projectFlag, ...modelFlag, status: { type: "string", multiple: true }, limit: { type: "string" } },
    positionals: [0, 0],
    async run(ctx) {
      const statuses = list(ctx, "status").map((s) => s.toUpperCase()) as (typeof STATUSES)[number][];
      for (const s of statuses) if (!STATUSES.includes(s)) throw new UsageError(`unknown --status ${s} (one of ${STATUSES.join(", ")})`);
      const project = await resolveProject(ctx);
      const model = str(ctx, "model") || ctx.env.MODELGRAPH_MODEL ? await resolveModel(ctx, project) : undefined;
      const filter = { modelId: model?.id, statuses: statuses.length ? statuses : undefined };
      const requests = await ctx.client.paginate.projectTransitionRequests({ project: { id: project.id }, filter, direction: "DESC" }, { limit: limit(ctx), signal: ctx.signal }).all();
      if (ctx.json) return void ctx.stdout.write(json(requests));
      ctx.stdout.write(
        table(
          ["model", "version", "to", "status", "requested by", "id"],
          requests.map((r) => [r.modelVersion.model.name, r.modelVersion.number, r.toStage, r.status, r.requestedBy?.name, r.id]),
        ),
      );
    },
  },

  "requests approve": decide("approve", "Approve a pending request: the version moves to the requested stage"),
  "requests reject": decide("reject", "Reject a pending request"),
  "requests cancel": decide("cancel", "Cancel your own pending request"),
};
