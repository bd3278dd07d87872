// Every command of the CLI, keyed by its words. One group of commands per file (commands/<noun>.ts); the order
// here is the order of `modelgraph --help`.
import { aliasesCommands } from "./aliases.ts";
import { deploymentsCommands } from "./deployments.ts";
import { downloadCommands } from "./download.ts";
import { experimentsCommands } from "./experiments.ts";
import { membersCommands } from "./members.ts";
import { modelsCommands } from "./models.ts";
import { projectsCommands } from "./projects.ts";
import { registerCommands } from "./register.ts";
import { requestsCommands } from "./requests.ts";
import { runsCommands } from "./runs.ts";
import type { Commands } from "./shared.ts";
import { stagesCommands } from "./stages.ts";
import { tokensCommands } from "./tokens.ts";
import { versionsCommands } from "./versions.ts";
import { watchCommands } from "./watch.ts";
import { whoamiCommands } from "./whoami.ts";

export type { Command, CommandContext, FlagValues } from "./shared.ts";

/** Every command, keyed by its words. */
export const COMMANDS: Commands = {
  ...whoamiCommands,
  ...projectsCommands,
  ...experimentsCommands,
  ...runsCommands,
  ...modelsCommands,
  ...versionsCommands,
  ...registerCommands,
  ...stagesCommands,
  ...requestsCommands,
  ...aliasesCommands,
  ...deploymentsCommands,
  ...downloadCommands,
  ...watchCommands,
  ...membersCommands,
  ...tokensCommands,
};
