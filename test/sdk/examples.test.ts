// The runnable examples run as documented (child processes through tsx) against a real server: the training
// pipeline registers versions with lineage; the deployer deploys PRODUCTION promotions (verified downloads) and,
// after a restart, resumes from its saved cursor and deploys what was promoted while it was down; it reports each
// deployment (DEPLOYING → DEPLOYED, or FAILED when the downloaded bytes do not verify) and logs it on the model.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap, type NodeClient } from "@modelgraph/sdk";
import { encodeGlobalId } from "../../server/src/domain/ids.ts";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { eventually, REPO_ROOT, startSdkServer, unique, type SdkFixture } from "./support.ts";

interface Running {
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
  kill(): void;
}

function runExample(file: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "examples", file)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const running: Running = {
    stdout: "",
    stderr: "",
    exited: new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    }),
    kill: () => child.kill("SIGTERM"),
  };
  child.stdout.setEncoding("utf8").on("data", (c: string) => (running.stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (running.stderr += c));
  return running;
}

/** The statuses reported for a project (DEPLOYMENT_REPORTED events, from the start of its log), as "v<number> <status>". */
async function reportedStatuses(client: NodeClient, projectId: string, count: number): Promise<string[]> {
  const events = client.projectEvents({ projectId, types: ["DEPLOYMENT_REPORTED"] }, { after: encodeGlobalId("Event", 0) });
  const seen: string[] = [];
  for await (const event of events) {
    const payload = JSON.parse(event.payload) as { number: number; status: string };
    seen.push(`v${payload.number} ${payload.status}`);
    if (seen.length >= count) break;
  }
  return seen;
}

/** Files of the filesystem artifact store of a server's data directory. */
async function storedObjects(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "artifacts", "objects");
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe.skipIf(!databaseAvailable)("examples", () => {
  let fx: SdkFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await startSdkServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-examples-"));
  });
  afterAll(async () => {
    await fx?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("train-and-register registers versions with lineage; the deployer deploys promotions and resumes after a restart", async () => {
    const env = { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN, PROJECT: unique("demo"), MODEL: "churn", EPOCHS: "3" };
    const train = async () => {
      const run = runExample("train-and-register.ts", env);
      expect(await run.exited, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as { id: string; number: number; stage: string; sha256: string; parent: number | null };
    };
    const promote = async (id: string) => unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: id, stage: "PRODUCTION" }));

    const v1 = await train();
    expect(v1).toMatchObject({ number: 1, stage: "STAGING", parent: null });
    const lineage = await fx.client.modelVersionLineage(v1.id);
    expect(lineage?.iteration?.params.map((p) => p.key).sort()).toEqual(["batch_size", "epochs", "learning_rate"]);
    expect(lineage?.resource?.iteration?.id).toBe(lineage?.iteration?.id);
    await promote(v1.id);

    const deployDir = path.join(dir, "deployments");
    const deployerEnv = { ...env, DEPLOY_DIR: deployDir };
    const sha256Of = async (file: string) => createHash("sha256").update(await fs.readFile(file)).digest("hex");

    // First start: deploys what is in PRODUCTION, then a promotion made while it runs.
    const first = runExample("deployer.ts", { ...deployerEnv, EXIT_AFTER: "2" });
    await eventually(() => (first.stderr.includes("deployed churn v1") ? true : undefined), 60_000, "the first deployment");
    // Started without a cursor, the deployer watches "from now": give the server a moment to register it.
    await new Promise((r) => setTimeout(r, 500));
    expect(await sha256Of(path.join(deployDir, "current"))).toBe(v1.sha256);
    // The registry knows: v1 went DEPLOYING → DEPLOYED in "production", and is live there.
    const project = (await fx.client.project({ name: env.PROJECT }))!;
    const modelId = (await fx.client.modelVersionById(v1.id))!.model.id;
    expect(await reportedStatuses(fx.client, project.id, 2)).toEqual(["v1 DEPLOYING", "v1 DEPLOYED"]);
    let environments = await fx.client.modelEnvironments({ modelId });
    expect(environments.map((e) => [e.name, e.liveVersion?.id, e.lastDeployment.status])).toEqual([["production", v1.id, "DEPLOYED"]]);
    const v2 = await train();
    expect(v2.parent).toBe(1);
    await promote(v2.id);
    expect(await first.exited, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/deployed churn v2 \(manual at /);
    expect(await sha256Of(path.join(deployDir, "current"))).toBe(v2.sha256);
    environments = await fx.client.modelEnvironments({ modelId });
    expect(environments.map((e) => [e.name, e.liveVersion?.id])).toEqual([["production", v2.id]]);
    const deployments = await fx.client.deployments({ modelId, filter: { environment: "production" } });
    expect(deployments.nodes.map((d) => [d.modelVersion.number, d.status])).toEqual([
      [2, "DEPLOYED"],
      [1, "RETIRED"],
    ]);

    // While the deployer is down: a rollback to v1. The restarted deployer replays it from its cursor.
    unwrap(await fx.client.rollbackModel({ modelId: (await fx.client.modelVersionById(v1.id))!.model.id }));
    const second = runExample("deployer.ts", { ...deployerEnv, EXIT_AFTER: "1" });
    expect(await second.exited, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/resuming after /);
    expect(second.stderr).toMatch(/deployed churn v1 \(rollback at /);
    expect(second.stderr).not.toMatch(/deployed churn v2/);
    expect(await sha256Of(path.join(deployDir, "current"))).toBe(v1.sha256);
    const state = JSON.parse(await fs.readFile(path.join(deployDir, "deployer-state.json"), "utf8")) as { cursor: string; deployedVersionId: string };
    expect(state.deployedVersionId).toBe(v1.id);
    expect((await fx.client.modelEnvironments({ modelId })).map((e) => [e.name, e.liveVersion?.id])).toEqual([["production", v1.id]]);
    const logs = await fx.client.modelLogs({ modelId });
    expect(logs.nodes.map((l) => [l.success, l.modelVersion?.number])).toEqual([
      [true, 1],
      [true, 2],
      [true, 1],
    ]);
  });

  it("with ALIAS=champion the deployer follows the alias: deploys where @champion points at start, then each move of it", async () => {
    const env = { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN, PROJECT: unique("alias"), MODEL: "churn", EPOCHS: "2" };
    const train = async () => {
      const run = runExample("train-and-register.ts", env);
      expect(await run.exited, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as { id: string; sha256: string };
    };
    const v1 = await train();
    const v2 = await train();
    const modelId = (await fx.client.modelVersionById(v1.id))!.model.id;
    const setChampion = async (id: string) => unwrap(await fx.client.setModelAlias({ modelId, alias: "champion", modelVersionId: id }));
    await setChampion(v1.id);

    const deployDir = path.join(dir, "alias-deployments");
    const sha256Of = async (file: string) => createHash("sha256").update(await fs.readFile(file)).digest("hex");
    const deployer = runExample("deployer.ts", { ...env, DEPLOY_DIR: deployDir, ENVIRONMENT: "canary", ALIAS: "champion", EXIT_AFTER: "2" });
    await eventually(() => (deployer.stderr.includes("deployed churn v1") ? true : undefined), 60_000, "the deployment of @champion at start");
    expect(deployer.stderr).toMatch(/following @champion/);
    // v2 is in STAGING, not PRODUCTION: only the alias move makes the deployer deploy it.
    await new Promise((r) => setTimeout(r, 500));
    await setChampion(v2.id);
    expect(await deployer.exited, deployer.stderr).toBe(0);
    expect(deployer.stderr).toMatch(/deployed churn v2 \(@champion set at /);
    expect(await sha256Of(path.join(deployDir, "current"))).toBe(v2.sha256);

    const project = (await fx.client.project({ name: env.PROJECT }))!;
    expect(await reportedStatuses(fx.client, project.id, 4)).toEqual(["v1 DEPLOYING", "v1 DEPLOYED", "v2 DEPLOYING", "v2 DEPLOYED"]);
    const environments = await fx.client.modelEnvironments({ modelId });
    expect(environments.map((e) => [e.name, e.liveVersion?.id, e.lastDeployment.status])).toEqual([["canary", v2.id, "DEPLOYED"]]);
  });

  it("the deployer reports FAILED, with the reason, when the downloaded bytes do not match the registered sha256", async () => {
    const env = { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN, PROJECT: unique("corrupt"), MODEL: "churn", EPOCHS: "2" };
    const run = runExample("train-and-register.ts", env);
    expect(await run.exited, run.stderr).toBe(0);
    const v1 = JSON.parse(run.stdout) as { id: string; sha256: string };
    // Fault injection on storage: the stored object of v1's artifact loses its integrity (same size, other bytes).
    const sha256Of = async (file: string) => createHash("sha256").update(await fs.readFile(file)).digest("hex");
    const objects = await storedObjects(fx.server.dataDir);
    const stored = (await Promise.all(objects.map(async (file) => ((await sha256Of(file)) === v1.sha256 ? file : null)))).find(Boolean);
    expect(stored, "the artifact's file in the filesystem store").toBeTruthy();
    const bytes = await fs.readFile(stored!);
    bytes[0] = bytes[0]! ^ 0xff;
    await fs.writeFile(stored!, bytes);

    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "PRODUCTION" }));
    const deployDir = path.join(dir, "corrupt-deployments");
    const deployer = runExample("deployer.ts", { ...env, DEPLOY_DIR: deployDir, ENVIRONMENT: "prod-eu", EXIT_AFTER: "1" });
    expect(await deployer.exited, deployer.stderr).toBe(0);
    expect(deployer.stderr).toMatch(/failed to deploy churn v1 .*does not match/);
    await expect(fs.lstat(path.join(deployDir, "current"))).rejects.toThrow();

    const project = (await fx.client.project({ name: env.PROJECT }))!;
    const modelId = (await fx.client.modelVersionById(v1.id))!.model.id;
    expect(await reportedStatuses(fx.client, project.id, 2)).toEqual(["v1 DEPLOYING", "v1 FAILED"]);
    const [environment] = await fx.client.modelEnvironments({ modelId });
    expect([environment?.name, environment?.liveVersion, environment?.lastDeployment.status]).toEqual(["prod-eu", null, "FAILED"]);
    expect(environment?.lastDeployment.message).toContain(`does not match ${v1.sha256}`);
    const failedLogs = await fx.client.modelLogs({ modelId, filter: { success: false } });
    expect(failedLogs.nodes.map((l) => l.message)).toEqual([expect.stringContaining("deploying v1 to prod-eu failed: ")]);
  });
});
