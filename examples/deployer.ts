// A deployer: whenever a version of the model is promoted to PRODUCTION (or rolled back into it), report DEPLOYING
// for it in its environment, download its artifact, verify its sha256, switch `<DEPLOY_DIR>/current` to it and report
// DEPLOYED, or report FAILED with the verification error as the message. Each outcome is also added to the model's
// log (addModelLog), so `model.environments` and `model.logs` show what runs where and what went wrong. It remembers the cursor of the last event
// it handled in a state file, so after a restart (crash, redeploy) it resumes exactly where it stopped: promotions
// made while it was down are replayed, none twice. Network drops are retried by the SDK, resuming from the cursor.
//
//   MODELGRAPH_URL=http://localhost:4000 MODELGRAPH_TOKEN=mg_… PROJECT=demo MODEL=churn pnpm exec tsx examples/deployer.ts
//
// With ALIAS=champion it follows the alias instead of PRODUCTION: whatever version @champion is moved to (setModelAlias,
// or an approved alias request) is deployed the same way; the alias moves arrive as MODEL_ALIAS_SET events of the
// project's resumable event stream (the modelAliasChanged events, as projectEvents carries them), so restarts
// resume from the cursor exactly as for stages.
//
// Environment: ENVIRONMENT (the environment it deploys to, default `production`), DEPLOY_DIR (default ./deployments),
// STATE_FILE (default <DEPLOY_DIR>/deployer-state.json), EXIT_AFTER (stop after this many deployment attempts,
// failed ones included; for demos and tests). The token needs the EDITOR role in the project (to report).
import fs from "node:fs/promises";
import path from "node:path";
import { createClient, unwrap, type DeploymentStatus, type ModelVersion, type StageChangeEvent } from "@modelgraph/sdk";

interface State {
  /** Cursor of the last stage change handled; the watch resumes after it. */
  cursor?: string;
  /** The version currently deployed. */
  deployedVersionId?: string;
}

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};
const log = (message: string) => process.stderr.write(`deployer: ${message}\n`);

const deployDir = path.resolve(env("DEPLOY_DIR", "deployments"));
const stateFile = env("STATE_FILE", path.join(deployDir, "deployer-state.json"));
const exitAfter = Number(process.env.EXIT_AFTER ?? Infinity);
const environment = env("ENVIRONMENT", "production");
/** The alias to follow; unset: follow PRODUCTION. */
const alias = process.env.ALIAS || undefined;
await fs.mkdir(deployDir, { recursive: true });

async function readState(): Promise<State> {
  return JSON.parse(await fs.readFile(stateFile, "utf8").catch(() => "{}")) as State;
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
async function saveState(state: State): Promise<void> {
  await fs.writeFile(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
  await fs.rename(`${stateFile}.tmp`, stateFile);
}

const client = createClient({
  url: env("MODELGRAPH_URL", "http://localhost:4000"),
  token: process.env.MODELGRAPH_TOKEN ?? (await fs.readFile(env("MODELGRAPH_TOKEN_FILE"), "utf8")).trim(),
});
const project = await client.project({ name: env("PROJECT", "demo") });
if (!project) throw new Error(`project ${env("PROJECT", "demo")} not found`);
const model = await client.model({ project: { id: project.id }, name: env("MODEL", "churn") });
if (!model) throw new Error(`model ${env("MODEL", "churn")} not found`);

const state = await readState();
let deployments = 0;
let stopping = false;

/** Tells the registry where this deployment stands (a refusal, e.g. a VIEWER token, stops the deployer). */
async function report(version: ModelVersion, status: DeploymentStatus, message?: string): Promise<void> {
  unwrap(await client.reportDeployment({ modelVersionId: version.id, environment, status, message }));
}

/** Adds a line to the model's operational log. */
async function logLine(version: ModelVersion, message: string, success: boolean): Promise<void> {
  unwrap(await client.addModelLog({ modelId: model!.id, modelVersionId: version.id, message, success }));
}

/** Downloads (verified) and activates a version, reporting each step; skips one already deployed. */
async function deploy(version: ModelVersion, why: string): Promise<void> {
  if (version.id === state.deployedVersionId) return;
  if (!version.resource) {
    log(`${model!.name} v${version.number} has no artifact; nothing to deploy`);
    return;
  }
  const resource = version.resource;
  deployments++;
  await report(version, "DEPLOYING", `downloading ${resource.name} (${why})`);
  const target = path.join(deployDir, `${model!.name}-v${version.number}-${resource.name}`);
  let sha256: string;
  try {
    // Throws ArtifactIntegrityError (and leaves nothing behind) if the bytes do not match the registered sha256.
    ({ sha256 } = await client.downloadArtifact(resource, target));
  } catch (error) {
    const reason = (error as Error).message;
    await report(version, "FAILED", reason);
    await logLine(version, `deploying v${version.number} to ${environment} failed: ${reason}`, false);
    log(`failed to deploy ${model!.name} v${version.number} (${why}): ${reason}`);
    return;
  }
  const link = path.join(deployDir, "current");
  await fs.rm(`${link}.new`, { force: true });
  await fs.symlink(path.basename(target), `${link}.new`);
  await fs.rename(`${link}.new`, link);
  state.deployedVersionId = version.id;
  await report(version, "DEPLOYED", `sha256 ${sha256} verified`);
  await logLine(version, `deployed v${version.number} to ${environment} (${why})`, true);
  log(`deployed ${model!.name} v${version.number} (${why}), sha256 ${sha256}`);
}

// Handlers run one at a time, in order (the first sync included).
let queue: Promise<void> = Promise.resolve();
const serially = (task: () => Promise<void>) => (queue = queue.then(task));

let connected: () => void = () => {};
const firstConnection = new Promise<void>((resolve) => (connected = resolve));
const common = {
  after: state.cursor,
  onReconnect: ({ reason, delayMs }: { reason: string; delayMs: number }) => log(`connection lost (${reason}); resuming in ${delayMs} ms`),
  onConnected: () => connected(),
};
const watch = alias
  ? client.watchProjectEvents({
      projectId: project.id,
      types: ["MODEL_ALIAS_SET"],
      ...common,
      onEvent: (event) =>
        serially(async () => {
          const payload = (typeof event.payload === "string" ? JSON.parse(event.payload) : event.payload) as { alias?: string; toVersionId?: string | null };
          if (event.modelId === model.id && payload.alias === alias) {
            // The event names where the alias went then; deploy where it points now (a later event follows if it moved).
            const current = await client.modelVersionByAlias({ modelId: model.id, alias });
            if (current && current.id === payload.toVersionId) await deploy(current, `@${alias} set at ${event.at}`);
          }
          state.cursor = event.cursor;
          await saveState(state);
          if (deployments >= exitAfter) void stop();
        }),
    })
  : client.watchStageChanges({
  projectId: project.id,
  modelId: model.id,
  stages: ["PRODUCTION"],
  onEvent: (event: StageChangeEvent) =>
    serially(async () => {
      // The event carries the version as it is now: if it left PRODUCTION since, a later event says so.
      if (event.modelVersion.stage === "PRODUCTION") await deploy(event.modelVersion, `${event.cause.toLowerCase()} at ${event.at}`);
      state.cursor = event.cursor;
      await saveState(state);
      if (deployments >= exitAfter) void stop();
    }),
  ...common,
});
log(`${state.cursor ? `resuming after ${state.cursor}` : "first start: watching from now on"} (following ${alias ? `@${alias}` : "PRODUCTION"})`);

// First start: once the subscription is on its way, deploy what is in PRODUCTION now; later promotions arrive
// through the watch. (Without a cursor there is no position in the log to replay from, so a promotion in the
// instant before the server has registered the subscription could be missed; restarts resume exactly.)
if (!state.cursor) {
  await Promise.race([firstConnection, watch.done]);
  await serially(async () => {
    const current = alias ? await client.modelVersionByAlias({ modelId: model.id, alias }) : await client.productionModelVersion({ modelId: model.id });
    if (current) await deploy(current, alias ? `@${alias} at start` : "in PRODUCTION at start");
    await saveState(state);
    if (deployments >= exitAfter) void stop();
  });
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await watch.close();
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

try {
  await watch.done;
} catch (error) {
  log(`stopped: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await queue.catch(() => {});
  await client.close();
}
