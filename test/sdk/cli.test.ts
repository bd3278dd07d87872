// The `modelgraph` CLI as a pipeline runs it: a child process (through its bin shim) talking to a real server.
// Registers a 50 MB file with a progress display and promotes it; each failure a pipeline acts on gives one line
// on stderr and its own exit code.
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap, type ModelVersion, type StageChangeEvent } from "@modelgraph/sdk";
import { ExitCode } from "../../sdk/src/cli/exit-codes.ts";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { START_CURSOR } from "../support/subscriptions.ts";
import { projectWithModel, runCli, startSdkServer, unique, unusedPort, type SdkFixture } from "./support.ts";

const MB = 1_000_000;

describe.skipIf(!databaseAvailable)("modelgraph CLI", () => {
  let fx: SdkFixture;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    fx = await startSdkServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-cli-"));
    env = { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    await fx?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Asserts a failed run printed exactly one line on stderr and exited with `code`. */
  function expectOneLineFailure(result: { code: number | null; stderr: string }, code: number, pattern: RegExp) {
    expect(result.code, result.stderr).toBe(code);
    const lines = result.stderr.split("\n").filter(Boolean);
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^modelgraph: /);
    expect(lines[0]).toMatch(pattern);
  }

  it("registers a 50 MB file with a progress display, then promotes it with a second command", async () => {
    const { project } = unwrap(await fx.client.createProject({ name: unique("cli") }));
    const file = path.join(dir, "classifier.onnx");
    const bytes = randomBytes(50 * MB);
    await fs.writeFile(file, bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");

    const register = await runCli(
      ["register", file, "--project", project.name, "--model", "classifier", "--format", "onnx", "--metric", "accuracy=0.93", "--metric", "f1=0.88", "--tag", "commit=4f2a9c1", "--stage", "STAGING", "--json"],
      env,
      { timeoutMs: 120_000 },
    );
    expect(register.code, register.stderr).toBe(0);
    // Not a terminal: one progress line per 10 % of each phase (a redrawn bar on a TTY).
    const uploading = register.stderr.split("\n").filter((l) => l.startsWith("uploading classifier.onnx:"));
    expect(uploading.length).toBeGreaterThanOrEqual(10);
    expect(uploading.at(-1)).toMatch(/100% 50\.0 MB\/50\.0 MB/);
    expect(register.stderr).toMatch(/^hashing classifier\.onnx: /m);
    expect(register.stderr).toMatch(/created model classifier/);
    const version = JSON.parse(register.stdout) as ModelVersion;
    expect(version).toMatchObject({ number: 1, stage: "STAGING", tags: [{ key: "commit", value: "4f2a9c1" }] });
    expect(Object.fromEntries(version.metrics.map((m) => [m.name, m.value]))).toEqual({ accuracy: 0.93, f1: 0.88 });
    expect(version.resource).toMatchObject({ sha256, sizeBytes: String(50 * MB), format: "ONNX", status: "READY" });

    const promote = await runCli(["promote", "--project", project.name, "--model", "classifier", "--version", "1"], env);
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toBe("classifier version 1: STAGING -> PRODUCTION\n");
    const model = await fx.client.model({ project: { id: project.id }, name: "classifier" });
    expect((await fx.client.productionModelVersion({ modelId: model!.id }))?.number).toBe(1);

    // The same file again with a redrawn progress bar, and its version listed.
    const bar = await runCli(["register", file, "--project", project.name, "--model", "classifier", "--progress", "bar", "--parent", "1", "--quiet"], env, { timeoutMs: 120_000 });
    expect(bar.code, bar.stderr).toBe(0);
    expect(bar.stdout).toMatch(/^registered classifier version 2 \(NONE\): 50\.0 MB sha256 [0-9a-f]{64} id /);
    const list = await runCli(["versions", "list", "--project", project.name, "--model", "classifier", "--json"], env);
    expect((JSON.parse(list.stdout) as ModelVersion[]).map((v) => [v.number, v.stage, v.parentVersion?.number ?? null])).toEqual([
      [2, "NONE", 1],
      [1, "PRODUCTION", null],
    ]);
  });

  it("shows a redrawn progress bar when asked", async () => {
    const { project } = unwrap(await fx.client.createProject({ name: unique("bar") }));
    const file = path.join(dir, "small.bin");
    await fs.writeFile(file, randomBytes(2 * MB));
    const result = await runCli(["register", file, "--project", project.name, "--model", "m", "--progress", "bar"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/\ruploading small\.bin \[#{24}\] 100% 2\.00 MB\/2\.00 MB/);
  });

  it("a bad token: one line, exit code 3", async () => {
    const result = await runCli(["projects", "list"], { ...env, MODELGRAPH_TOKEN: "mg_this_is_not_a_valid_token_at_all_0000" });
    expectOneLineFailure(result, ExitCode.AUTH, /^modelgraph: authentication failed: AuthenticationError: The token is not valid$/);

    const missing = await runCli(["projects", "list"], { MODELGRAPH_URL: fx.server.url });
    expectOneLineFailure(missing, ExitCode.AUTH, /no token/);

    const json = await runCli(["whoami", "--json"], { ...env, MODELGRAPH_TOKEN: "mg_this_is_not_a_valid_token_at_all_0000" });
    expect(json.code).toBe(ExitCode.AUTH);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { type: "AuthenticationError", kind: "authentication failed", exitCode: 3 } });
  });

  it("an unreachable server: one line, exit code 4", async () => {
    const port = await unusedPort();
    const result = await runCli(["projects", "list"], { ...env, MODELGRAPH_URL: `http://127.0.0.1:${port}` });
    expectOneLineFailure(result, ExitCode.UNREACHABLE, /^modelgraph: server unreachable: NetworkError: cannot reach http:\/\/127\.0\.0\.1:\d+\/graphql: .*ECONNREFUSED/);
    const watch = await runCli(["watch", "--project", "p"], { ...env, MODELGRAPH_URL: `http://127.0.0.1:${port}` });
    expect(watch.code).toBe(ExitCode.UNREACHABLE);
  });

  it("a stage conflict (stale expected stage, or a move the stage machine forbids): one line, exit code 7", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const v1 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "STAGING" }));
    const args = ["--project", project.name, "--model", model.name, "--version", "1"];

    const stale = await runCli(["promote", ...args, "--stage", "PRODUCTION", "--expected-stage", "NONE"], env);
    expectOneLineFailure(stale, ExitCode.STAGE_CONFLICT, /^modelgraph: stage conflict: StaleStageError: /);
    const staleJson = await runCli(["promote", ...args, "--expected-stage", "NONE", "--json"], env);
    expect(JSON.parse(staleJson.stderr)).toMatchObject({ error: { type: "StaleStageError", exitCode: 7, details: { expectedStage: "NONE", actualStage: "STAGING" } } });

    unwrap(await fx.client.createModelVersion({ modelId: model.id }));
    const invalid = await runCli(["promote", "--project", project.name, "--model", model.name, "--version", "2", "--stage", "PRODUCTION"], env);
    expectOneLineFailure(invalid, ExitCode.STAGE_CONFLICT, /InvalidStageTransitionError/);
    expect((await fx.client.modelVersion({ modelId: model.id, number: 1 }))?.stage).toBe("STAGING");
  });

  it("not found (5), invalid input (6), usage (2) and approval required (9) each have their own code", async () => {
    const { project, model } = await projectWithModel(fx.client, { requireApprovalFor: ["PRODUCTION"] });
    const notFound = await runCli(["versions", "list", "--project", project.name, "--model", "no-such-model"], env);
    expectOneLineFailure(notFound, ExitCode.NOT_FOUND, /NotFoundError: Model "no-such-model" was not found/);
    const missingVersion = await runCli(["promote", "--project", project.name, "--model", model.name, "--version", "42"], env);
    expect(missingVersion.code).toBe(ExitCode.NOT_FOUND);

    const file = path.join(dir, "tiny.bin");
    await fs.writeFile(file, "tiny");
    const invalid = await runCli(["register", file, "--project", project.name, "--model", "not a valid name!"], env);
    expectOneLineFailure(invalid, ExitCode.VALIDATION, /ValidationError/);

    const usage = await runCli(["promote", "--project", project.name, "--bogus"], env);
    expectOneLineFailure(usage, ExitCode.USAGE, /usage: UsageError: Unknown option '--bogus'/);
    expect((await runCli(["register", file, "--project", project.name, "--model", model.name, "--metric", "acc=high"], env)).code).toBe(ExitCode.USAGE);

    const v1 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "STAGING" }));
    const gated = await runCli(["promote", "--project", project.name, "--model", model.name, "--version", "1"], env);
    expectOneLineFailure(gated, ExitCode.APPROVAL_REQUIRED, /ApprovalRequiredError/);
  });

  it("reads the token from a file (MODELGRAPH_TOKEN_FILE or --token-file) and lists projects and models", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const tokenFile = path.join(dir, "token");
    await fs.writeFile(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const projects = await runCli(["projects", "list", "--name-contains", project.name], { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN_FILE: tokenFile });
    expect(projects.code, projects.stderr).toBe(0);
    expect(projects.stdout).toMatch(new RegExp(`^NAME +STATUS +ROLE +ID\\n${project.name} +ACTIVE +ADMIN +${project.id}\\n$`));
    const models = await runCli(["models", "list", "--project", project.name, "--json", "--token-file", tokenFile], { MODELGRAPH_URL: fx.server.url });
    expect((JSON.parse(models.stdout) as { name: string }[]).map((m) => m.name)).toEqual([model.name]);
    const unreadable = await runCli(["whoami", "--token-file", path.join(dir, "nope")], { MODELGRAPH_URL: fx.server.url });
    expectOneLineFailure(unreadable, ExitCode.AUTH, /cannot read the token file .*ENOENT/);
  });

  it("downloads (verified), compares and rolls back", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const projectArgs = ["--project", project.name, "--model", model.name];
    const files = [];
    for (const [i, accuracy] of [0.8, 0.9].entries()) {
      const file = path.join(dir, `v${i + 1}.bin`);
      await fs.writeFile(file, randomBytes(100_000));
      files.push(file);
      const result = await runCli(["register", file, ...projectArgs, "--metric", `accuracy=${accuracy}`, "--stage", "STAGING", "-q"], env);
      expect(result.code, result.stderr).toBe(0);
    }
    for (const version of ["1", "2"]) expect((await runCli(["promote", ...projectArgs, "--version", version, "-q"], env)).code).toBe(0);

    const out = path.join(dir, "downloaded.bin");
    const download = await runCli(["download", ...projectArgs, "--stage", "PRODUCTION", "--output", out], env);
    expect(download.code, download.stderr).toBe(0);
    expect(download.stdout).toMatch(/downloaded\.bin: 100\.0 KB sha256 [0-9a-f]{64} \(verified\)/);
    expect(await fs.readFile(out)).toEqual(await fs.readFile(files[1]!));

    const compare = await runCli(["compare", ...projectArgs, "1", "2", "--json"], env);
    expect(compare.code, compare.stderr).toBe(0);
    const comparison = JSON.parse(compare.stdout) as { metrics: { name: string; delta: number }[]; sameResource: boolean };
    expect(comparison.metrics[0]!.name).toBe("accuracy");
    expect(comparison.metrics[0]!.delta).toBeCloseTo(0.1);
    expect(comparison.sameResource).toBe(false);
    const table = await runCli(["compare", ...projectArgs, "1", "2"], env);
    expect(table.stdout).toMatch(/accuracy +0\.8 +0\.9 +\+0\.1/);

    const rollback = await runCli(["rollback", ...projectArgs], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toBe(`${model.name} version 1: ARCHIVED -> PRODUCTION (rollback)\n${model.name} version 2: archived\n`);
  });

  it("watch streams stage changes as JSON lines and resumes from its cursor file", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const [v1, v2] = [unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion, unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion];
    const cursorFile = path.join(dir, `${model.name}.cursor`);
    const watchArgs = ["watch", "--project", project.name, "--model", model.name, "--cursor-file", cursorFile, "--json"];

    const first = runCli([...watchArgs, "--after", START_CURSOR, "--count", "2"], env);
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "STAGING" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "PRODUCTION" }));
    const firstResult = await first;
    expect(firstResult.code, firstResult.stderr).toBe(0);
    const events = firstResult.stdout.trim().split("\n").map((line) => JSON.parse(line) as StageChangeEvent);
    expect(events.map((e) => `${e.number}:${e.toStage}`)).toEqual(["1:STAGING", "1:PRODUCTION"]);
    expect((await fs.readFile(cursorFile, "utf8")).trim()).toBe(events[1]!.cursor);

    // Restarted: resumes from the cursor file, so only what happened since arrives.
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2.id, stage: "STAGING" }));
    const second = await runCli([...watchArgs, "--count", "1"], env);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as StageChangeEvent).number).toBe(2);
    expect(second.stderr).toMatch(/resuming/);
  });
});
