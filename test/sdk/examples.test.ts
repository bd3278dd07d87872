// The runnable examples run as documented (child processes through tsx) against a real server: the training
// pipeline registers versions with lineage; the deployer deploys PRODUCTION promotions (verified downloads) and,
// after a restart, resumes from its saved cursor and deploys what was promoted while it was down.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@modelgraph/sdk";
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
    const v2 = await train();
    expect(v2.parent).toBe(1);
    await promote(v2.id);
    expect(await first.exited, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/deployed churn v2 \(manual at /);
    expect(await sha256Of(path.join(deployDir, "current"))).toBe(v2.sha256);

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
  });
});
