// `modelgraph` — the command line of the SDK. Parses arguments, reads the token, runs one command, and turns
// every failure into one line on stderr and its own exit code (exit-codes.ts).
import fs from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createClient } from "../node/index.ts";
import { COMMANDS, type Command } from "./commands/index.ts";
import { describeError, errorLine, ExitCode, MissingTokenError, UsageError, type ExitCodeValue } from "./exit-codes.ts";
import type { TextOut } from "./progress.ts";

/** The CLI's version (the SDK package's). */
export const VERSION = "0.1.0";

/** Default server when neither --url nor MODELGRAPH_URL is given. */
export const DEFAULT_URL = "http://localhost:4000";

const GLOBAL_OPTIONS = {
  url: { type: "string" },
  "token-file": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** Where the CLI reads and writes. */
export interface CliIO {
  readonly stdout: TextOut;
  readonly stderr: TextOut;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborts a running command (SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

function helpText(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(20)} ${c.summary}`);
  return `modelgraph — the modelgraph ML model registry from the command line

Usage: modelgraph <command> [flags]

Commands:
${lines.join("\n")}

Global flags:
  --url URL          server (env MODELGRAPH_URL; default ${DEFAULT_URL})
  --token-file FILE  read the token from FILE (env MODELGRAPH_TOKEN_FILE); else env MODELGRAPH_TOKEN
  --json             machine-readable output on stdout; errors as one JSON line on stderr
  -q, --quiet        no progress or informational lines
  -h, --help         help (also: modelgraph <command> --help)

--project and --model take a name or a global id (env MODELGRAPH_PROJECT, MODELGRAPH_MODEL).

Exit codes: 0 ok, 1 error, 2 usage, 3 bad token, 4 server unreachable, 5 not found, 6 invalid input,
7 stage conflict (stale or not allowed), 8 forbidden, 9 approval required, 10 checksum mismatch,
11 rate limited (too many failed authentications; retry later), 130 interrupted.
`;
}

/** Finds the command named by the leading positional words (`projects list`, `register`, …). */
function findCommand(words: readonly string[]): { name: string; command: Command; rest: string[] } | undefined {
  for (const length of [2, 1]) {
    const name = words.slice(0, length).join(" ");
    const command = COMMANDS[name];
    if (command && words.length >= length) return { name, command, rest: words.slice(length) };
  }
  return undefined;
}

/** The token: --token-file, else MODELGRAPH_TOKEN, else MODELGRAPH_TOKEN_FILE. */
async function readToken(tokenFile: string | undefined, env: CliIO["env"]): Promise<string> {
  const file = tokenFile ?? (env.MODELGRAPH_TOKEN ? undefined : env.MODELGRAPH_TOKEN_FILE);
  if (file) {
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (error) {
      throw new MissingTokenError(`cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const token = text.trim();
    if (!token) throw new MissingTokenError(`the token file ${file} is empty`);
    return token;
  }
  const token = env.MODELGRAPH_TOKEN?.trim();
  if (!token) throw new MissingTokenError("no token: set MODELGRAPH_TOKEN, or MODELGRAPH_TOKEN_FILE / --token-file");
  return token;
}

/**
 * `--order -accuracy` → `--order=-accuracy`: a string flag's value may start with `-` when it is not itself a flag
 * of the command (parseArgs would refuse it as ambiguous).
 */
export function joinDashValues(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>): string[] {
  const isFlag = (token: string) => {
    if (token.startsWith("--")) return token === "--" || token.slice(2).split("=")[0]! in options;
    return token.length === 2 && Object.values(options).some((o) => o.short === token[1]);
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = argv[i + 1];
    const name = token.startsWith("--") && !token.includes("=") ? token.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next !== undefined && next.startsWith("-") && next.length > 1 && !isFlag(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIO): Promise<ExitCodeValue> {
  let jsonOutput = argv.includes("--json");
  try {
    const loose = parseArgs({ args: [...argv], options: GLOBAL_OPTIONS, allowPositionals: true, strict: false });
    const found = findCommand(loose.positionals);
    // Without a command, --version is the CLI's; with one, it is the command's (a model version).
    if (!found && loose.values.version) {
      io.stdout.write(`${VERSION}\n`);
      return ExitCode.OK;
    }
    if (!found) {
      if (loose.values.help || loose.positionals.length === 0) {
        io.stdout.write(helpText());
        return loose.positionals.length === 0 && !loose.values.help ? ExitCode.USAGE : ExitCode.OK;
      }
      throw new UsageError(`unknown command ${JSON.stringify(loose.positionals.join(" "))}; run modelgraph --help`);
    }
    const { command, name } = found;
    if (loose.values.help) {
      const examples = command.examples?.length ? `\nExamples:\n${command.examples.map((e) => `  ${e}`).join("\n")}\n` : "";
      io.stdout.write(`Usage: modelgraph ${command.usage}\n\n${command.summary}\n${examples}\nGlobal flags: --json (stable JSON on stdout, ids included), --url, --token-file, --quiet; modelgraph --help lists exit codes.\n`);
      return ExitCode.OK;
    }
    let parsed;
    try {
      const options = { ...GLOBAL_OPTIONS, ...command.options };
      parsed = parseArgs({ args: joinDashValues(argv, options), options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.split("\n")[0]} (usage: modelgraph ${command.usage.split(" [")[0]} …)`);
    }
    const positionals = parsed.positionals.slice(name.split(" ").length);
    const [min, max] = command.positionals;
    if (positionals.length < min || positionals.length > max) {
      throw new UsageError(`${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"} (usage: modelgraph ${command.usage})`);
    }
    const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
    jsonOutput = values.json === true;
    const token = await readToken(values["token-file"] as string | undefined, io.env);
    const url = (values.url as string | undefined) ?? io.env.MODELGRAPH_URL ?? DEFAULT_URL;
    const client = createClient({
      url,
      token,
      headers: { "user-agent": `modelgraph-cli/${VERSION}` },
      onWarning: (warning) => {
        if (values.quiet !== true) io.stderr.write(`modelgraph: warning: ${warning.message}\n`);
      },
    });
    try {
      await command.run({
        client,
        values,
        positionals,
        stdout: io.stdout,
        stderr: io.stderr,
        env: io.env,
        json: jsonOutput,
        quiet: values.quiet === true,
        signal: io.signal ?? new AbortController().signal,
      });
    } finally {
      await client.close();
    }
    return ExitCode.OK;
  } catch (error) {
    const report = io.signal?.aborted ? { ...describeError(io.signal.reason), kind: "interrupted", exitCode: ExitCode.INTERRUPTED } : describeError(error);
    io.stderr.write(jsonOutput ? `${JSON.stringify({ error: report })}\n` : `${errorLine(report)}\n`);
    if (report.exitCode === ExitCode.ERROR && io.env.MODELGRAPH_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return report.exitCode;
  }
}

/** The process entry: runs with process.argv, stops cleanly on SIGINT/SIGTERM, exits with the code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => controller.abort(Object.assign(new Error(`stopped by ${signal}`), { name: "Interrupted" }));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const code = await run(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal });
  // Let stdout drain (it may be a pipe) before exiting.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
}
