// The whole workflow from the command line, as a pipeline or an operator runs it (no GraphQL): the real `modelgraph`
// bin as a child process against a real server. project → experiment → run (params, metrics, finish) → register
// (into a run) → versions list/show → promote → approval request/approve → members → tokens; every `--json`
// output parses and carries ids; typed failures exit with their own code; `register --stage` that cannot move
// names the version it created.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@modelgraph/sdk";
import { ExitCode } from "../../sdk/src/cli/exit-codes.ts";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { runCli, startSdkServer, unique, type SdkFixture } from "./support.ts";

describe.skipIf(!databaseAvailable)("modelgraph CLI: the whole workflow", () => {
  let fx: SdkFixture;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    fx = await startSdkServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-cli-workflow-"));
    env = { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    await fx?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI with --json, expects exit 0 and returns the parsed stdout. */
  async function cli<T = any>(args: string[], extraEnv: Record<string, string> = {}): Promise<T> {
    const result = await runCli([...args, "--json"], { ...env, ...extraEnv }, { timeoutMs: 60_000 });
    expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  }

  /** Runs the CLI with --json, expects `code` and returns the parsed error line of stderr. */
  async function cliFails(args: string[], code: number, extraEnv: Record<string, string> = {}) {
    const result = await runCli([...args, "--json"], { ...env, ...extraEnv }, { timeoutMs: 60_000 });
    expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(code);
    const lines = result.stderr.split("\n").filter(Boolean);
    return { error: JSON.parse(lines.at(-1)!).error as { type: string; message: string; exitCode: number; details?: Record<string, any> }, stdout: result.stdout };
  }

  it("creates, runs, registers, promotes, reviews and shares, with --json everywhere", { timeout: 600_000 }, async () => {
    const name = unique("wf");
    const project = await cli(["projects", "create", name, "--description", "fraud models", "--tag", "team=risk"]);
    expect(project).toMatchObject({ name, description: "fraud models", tags: [{ key: "team", value: "risk" }], viewerRole: "ADMIN" });
    expect(project.id).toMatch(/^\S+$/);
    expect(await cli(["projects", "show", name])).toMatchObject({ id: project.id, name });
    expect((await cli<any[]>(["projects", "list", "--name-contains", name])).map((p) => p.id)).toEqual([project.id]);
    await cliFails(["projects", "create", name], ExitCode.VALIDATION); // NameConflictError

    const p = ["--project", name];
    const experiment = await cli(["experiments", "create", "baseline", ...p]);
    expect(experiment).toMatchObject({ name: "baseline", project: { id: project.id } });
    expect((await cli<any[]>(["experiments", "list", ...p])).map((e) => e.id)).toEqual([experiment.id]);

    const run = await cli(["runs", "create", ...p, "--experiment", "baseline", "--param", "lr=0.01", "--param", "epochs=20"]);
    expect(run).toMatchObject({ number: 1, status: "RUNNING", params: expect.arrayContaining([{ key: "lr", value: "0.01" }, { key: "epochs", value: "20" }]) });
    const logged = await cli(["runs", "log-metrics", run.id, "loss=0.41@1", "loss=0.32@2", "accuracy=0.93@2"]);
    expect(logged.metrics).toEqual(expect.arrayContaining([expect.objectContaining({ name: "loss", value: 0.32, step: 2 }), expect.objectContaining({ name: "accuracy", value: 0.93, step: 2 })]));
    // A run number with --project/--experiment is the same run as its id.
    expect(await cli(["runs", "show", "1", ...p, "--experiment", "baseline"])).toMatchObject({ id: run.id, number: 1 });
    expect(await cli(["runs", "finish", run.id])).toMatchObject({ id: run.id, status: "COMPLETED" });
    expect((await cli<any[]>(["runs", "list", ...p, "--experiment", "baseline", "--status", "COMPLETED"])).map((r) => r.id)).toEqual([run.id]);
    const badMetric = await runCli(["runs", "log-metrics", run.id, "loss"], env);
    expect(badMetric.code).toBe(ExitCode.USAGE);

    // Register two versions of a new model, the first into the run.
    const file = path.join(dir, "model.onnx");
    await fs.writeFile(file, "weights v1");
    const v1 = await cli(["register", file, ...p, "--model", "classifier", "--metric", "accuracy=0.93", "--tag", "commit=aaa111", "--iteration", run.id, "--progress", "none"]);
    expect(v1).toMatchObject({ number: 1, stage: "NONE", iteration: { id: run.id } });
    await fs.writeFile(file, "weights v2");
    const v2 = await cli(["register", file, ...p, "--model", "classifier", "--metric", "accuracy=0.95", "--tag", "commit=bbb222", "--stage", "STAGING", "--progress", "none"]);
    expect(v2).toMatchObject({ number: 2, stage: "STAGING" });

    const m = [...p, "--model", "classifier"];
    expect((await cli<any[]>(["versions", "list", ...m])).map((v) => v.number)).toEqual([2, 1]);
    expect((await cli<any[]>(["versions", "list", ...m, "--stage", "staging"])).map((v) => v.id)).toEqual([v2.id]);
    expect((await cli<any[]>(["versions", "list", ...m, "--tag", "commit=aaa111"])).map((v) => v.id)).toEqual([v1.id]);
    expect(await cli(["versions", "show", "2", ...m])).toMatchObject({ id: v2.id, stage: "STAGING", metrics: [expect.objectContaining({ name: "accuracy", value: 0.95 })] });
    expect(await cli(["versions", "show", v1.id])).toMatchObject({ id: v1.id, number: 1 });
    await cliFails(["versions", "show", "9", ...m], ExitCode.NOT_FOUND);
    // Typed search flags are validated now (a malformed one is a usage error before any request).
    expect((await runCli(["versions", "list", ...m, "--metric", "accuracy=0.9"], env)).code).toBe(ExitCode.USAGE);

    // Promote with an optimistic check: stale expected stage → 7; right one → moved.
    const stale = await cliFails(["promote", ...m, "--version", "2", "--stage", "PRODUCTION", "--expected-stage", "NONE"], ExitCode.STAGE_CONFLICT);
    expect(stale.error).toMatchObject({ type: "StaleStageError", exitCode: 7 });
    const promoted = await cli(["promote", ...m, "--version", "2", "--stage", "PRODUCTION", "--expected-stage", "STAGING", "--comment", "eval ok"]);
    expect(promoted).toMatchObject({ modelVersion: { id: v2.id, stage: "PRODUCTION" }, transition: { fromStage: "STAGING", toStage: "PRODUCTION" } });

    // A model whose STAGING needs approval: register --stage creates the version but cannot move it, and says which.
    unwrap(await fx.client.createModel({ projectId: project.id, name: "gated", requireApprovalFor: ["STAGING"] }));
    const g = [...p, "--model", "gated"];
    const invalid = await cliFails(["register", file, ...g, "--stage", "PRODUCTION", "--progress", "none"], ExitCode.STAGE_CONFLICT);
    expect(invalid.error.type).toBe("InvalidStageTransitionError");
    expect(invalid.error.message).toMatch(/^registered gated version 1 \(NONE\) id \S+, but did not move it to PRODUCTION: /);
    const gated = await cliFails(["register", file, ...g, "--stage", "STAGING", "--progress", "none"], ExitCode.APPROVAL_REQUIRED);
    expect(gated.error.type).toBe("ApprovalRequiredError");
    expect(gated.error.message).toMatch(/^registered gated version 2 \(NONE\) id \S+, but did not move it to STAGING: /);
    expect(gated.error.details?.registeredVersion).toMatchObject({ number: 2, stage: "NONE" });
    expect(JSON.parse(gated.stdout)).toMatchObject({ id: gated.error.details!.registeredVersion.id, number: 2 });
    const human = await runCli(["register", file, ...g, "--stage", "STAGING", "--progress", "none"], env);
    expect(human.code).toBe(ExitCode.APPROVAL_REQUIRED);
    expect(human.stderr).toMatch(/^modelgraph: approval required: ApprovalRequiredError: registered gated version 3 \(NONE\) id \S+, but did not move it to STAGING/m);

    // So: request, list the queue; another ADMIN of the project (made one, with a token, by the CLI) approves.
    const { user: reviewer } = unwrap(await fx.client.createUser({ name: unique("reviewer") }));
    await cli(["members", "add", ...p, "--user", reviewer.id, "--role", "ADMIN"]);
    const reviewerToken = (await cli(["tokens", "create", "reviewer", "--user", reviewer.id])).token as string;
    const asReviewer = { MODELGRAPH_TOKEN: reviewerToken };
    const requested = await cli(["requests", "create", ...g, "--version", "1", "--stage", "STAGING", "--comment", "please"]);
    expect(requested.transitionRequest).toMatchObject({ status: "PENDING", toStage: "STAGING" });
    const queue = await cli<any[]>(["requests", "list", ...p, "--status", "PENDING"]);
    expect(queue.map((r) => r.id)).toEqual([requested.transitionRequest.id]);
    const approved = await cli(["requests", "approve", requested.transitionRequest.id, "--comment", "ok"], asReviewer);
    expect(approved).toMatchObject({ transitionRequest: { status: "APPROVED" }, modelVersion: { number: 1, stage: "STAGING" } });
    const second = await cli(["requests", "create", ...g, "--version", "2", "--stage", "STAGING"]);
    expect(await cli(["requests", "reject", second.transitionRequest.id], asReviewer)).toMatchObject({ transitionRequest: { status: "REJECTED" } });
    // Cancelling a decided request is refused (a typed error, not a success).
    const cancel = await runCli(["requests", "cancel", second.transitionRequest.id, "--json"], env);
    expect(cancel.code, cancel.stderr).not.toBe(0);
    expect(JSON.parse(cancel.stderr.trim().split("\n").at(-1)!).error.type).toMatch(/Error$/);

    // Members and tokens: a new user becomes EDITOR, then VIEWER; a viewer's token is refused a promotion (8).
    const { user } = unwrap(await fx.client.createUser({ name: unique("alice") }));
    expect(await cli(["members", "add", ...p, "--user", user.id, "--role", "editor"])).toHaveProperty("project.id", project.id);
    expect(await cli(["members", "update", ...p, "--user", user.id, "--role", "VIEWER"])).toHaveProperty("project.id", project.id);
    const members = await cli<any[]>(["members", "list", ...p]);
    expect(members.find((x) => x.user.id === user.id)).toMatchObject({ role: "VIEWER" });
    const token = await cli(["tokens", "create", "alice-ci", "--user", user.id]);
    expect(token.token).toMatch(/^\S{20,}$/);
    expect(token.apiToken).toMatchObject({ name: "alice-ci", user: { id: user.id } });
    const forbidden = await cliFails(["promote", ...m, "--version", "1", "--stage", "STAGING"], ExitCode.FORBIDDEN, { MODELGRAPH_TOKEN: token.token });
    expect(forbidden.error.type).toBe("ForbiddenError");
    const mine = await cli<any[]>(["tokens", "list"], { MODELGRAPH_TOKEN: token.token });
    expect(mine.map((t) => t.id)).toContain(token.apiToken.id);
    expect(await cli(["tokens", "revoke", token.apiToken.id])).toMatchObject({ id: token.apiToken.id, revokedAt: expect.any(String) });
    await cliFails(["whoami"], ExitCode.AUTH, { MODELGRAPH_TOKEN: token.token });
    await cli(["members", "remove", ...p, "--user", user.id]);
    expect((await cli<any[]>(["members", "list", ...p])).map((x) => x.user.id)).not.toContain(user.id);
  });

  it("every command has --help with a usage line, and the groups are listed", async () => {
    const top = await runCli(["--help"], env);
    for (const name of ["projects create", "experiments create", "runs log-metrics", "versions show", "requests approve", "members add", "tokens revoke"]) expect(top.stdout).toContain(name);
    const help = await runCli(["runs", "log-metrics", "--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: modelgraph runs log-metrics RUN NAME=VALUE\[@STEP\]/);
    expect(help.stdout).toMatch(/Examples:\n {2}modelgraph runs log-metrics/);
  });
});
