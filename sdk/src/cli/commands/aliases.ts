// Aliases: `alias set|rm|list` — named pointers to one version of a model (`champion`), moved with compare-and-set.
import { ModelgraphError } from "../../errors.ts";
import { unwrap } from "../../results.ts";
import type { Model } from "../../types.ts";
import { UsageError } from "../exit-codes.ts";
import { json, table } from "../output.ts";
import { projectFlag, modelFlag, str, resolveProject, resolveModel, resolveVersion, type CommandContext, type Commands } from "./shared.ts";

/** `--expected`: a version (number or id) the alias must point at now, or `none` (it must not exist yet). */
async function expectedVersionId(ctx: CommandContext, model: Model): Promise<string | null | undefined> {
  const text = str(ctx, "expected");
  if (text === undefined) return undefined;
  if (text === "none") return null;
  return (await resolveVersion(ctx, model, text)).id;
}

const aliasName = (ctx: CommandContext) => {
  const name = ctx.positionals[0]!;
  if (name === "latest") throw new UsageError("latest is reserved: it always names the highest-numbered live version and cannot be set or removed");
  return name;
};

export const aliasesCommands: Commands = {
  "alias set": {
    usage: "alias set NAME --project P --model M --version N [--expected N|none] [--comment TEXT]",
    summary: "Point an alias at a version (compare-and-set with --expected; a protected alias needs an approved request)",
    examples: [
      "modelgraph alias set champion -p vision -m resnet --version 3",
      "modelgraph alias set champion -p vision -m resnet --version 4 --expected 3 --comment 'beats v3 on accuracy'",
      "modelgraph alias set canary -p vision -m resnet --version 4 --expected none",
    ],
    options: { ...projectFlag, ...modelFlag, version: { type: "string", short: "v" }, expected: { type: "string" }, comment: { type: "string" } },
    positionals: [1, 1],
    async run(ctx) {
      const alias = aliasName(ctx);
      const versionText = str(ctx, "version");
      if (!versionText) throw new UsageError("give the version the alias points at: --version <number or id>");
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const version = await resolveVersion(ctx, model, versionText);
      const payload = unwrap(
        await ctx.client.setModelAlias({ modelId: model.id, alias, modelVersionId: version.id, expectedVersionId: await expectedVersionId(ctx, model), comment: str(ctx, "comment") }),
        "setModelAlias",
      );
      if (ctx.json) return void ctx.stdout.write(json(payload));
      const from = payload.previousVersion ? `version ${payload.previousVersion.number}` : "nothing";
      ctx.stdout.write(`${model.name}@${alias}: ${from} -> version ${payload.modelAlias.version.number}\n`);
    },
  },

  "alias rm": {
    usage: "alias rm NAME --project P --model M [--expected N]",
    summary: "Remove an alias (with --expected: only if it still points at that version)",
    examples: ["modelgraph alias rm canary -p vision -m resnet --expected 4"],
    options: { ...projectFlag, ...modelFlag, expected: { type: "string" } },
    positionals: [1, 1],
    async run(ctx) {
      const alias = aliasName(ctx);
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const expected = await expectedVersionId(ctx, model);
      if (expected === null) throw new UsageError("--expected none makes no sense for rm: give the version the alias points at");
      const payload = unwrap(await ctx.client.removeModelAlias({ modelId: model.id, alias, expectedVersionId: expected }), "removeModelAlias");
      if (ctx.json) return void ctx.stdout.write(json(payload));
      ctx.stdout.write(`${model.name}@${alias}: removed (was version ${payload.previousVersion?.number ?? "-"})\n`);
    },
  },

  "alias list": {
    usage: "alias list --project P --model M",
    summary: "List a model's aliases, the version each points at, and which are protected",
    examples: ["modelgraph alias list -p vision -m resnet --json | jq -r '.aliases[] | \"\\(.name) \\(.version.number)\"'"],
    options: { ...projectFlag, ...modelFlag },
    positionals: [0, 0],
    async run(ctx) {
      const project = await resolveProject(ctx);
      const model = await resolveModel(ctx, project);
      const result = await ctx.client.modelAliases({ modelId: model.id });
      if (!result) throw ModelgraphError.notFound("Model", model.id);
      if (ctx.json) return void ctx.stdout.write(json(result));
      ctx.stdout.write(
        table(
          ["alias", "version", "stage", "protected", "set", "by"],
          result.aliases.map((a) => [a.name, a.version.number, a.version.stage, a.protected ? "yes" : "no", a.setAt.slice(0, 19).replace("T", " "), a.setBy?.name]),
        ),
      );
      const unset = result.protectedAliases.filter((name) => !result.aliases.some((a) => a.name === name));
      if (unset.length) ctx.stdout.write(`protected, not set: ${unset.join(", ")}\n`);
    },
  },
};
