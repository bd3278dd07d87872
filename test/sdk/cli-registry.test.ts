// The registry side of the CLI, driven through the real `modelgraph` bin against a real server: model URIs in
// `download` (and `deployments report`), `alias set|rm|list` with compare-and-set and the protected-alias gate
// mapped to their exit codes, `versions list` searching by metric, alias and environment, ordered by a metric,
// `deployments report|list|envs` and `logs add|list`. Every `--json` output parses.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unwrap } from "@modelgraph/sdk";
import { ExitCode } from "../../sdk/src/cli/exit-codes.ts";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { runCli, startSdkServer, unique, type SdkFixture } from "./support.ts";

describe.skipIf(!databaseAvailable)("modelgraph CLI: aliases, model URIs, search, deployments, logs", () => {
  let fx: SdkFixture;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    fx = await startSdkServer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "modelgraph-cli-registry-"));
    env = { MODELGRAPH_URL: fx.server.url, MODELGRAPH_TOKEN: ADMIN_TOKEN };
  });
  afterAll(async () => {
    await fx?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function cli<T = any>(args: string[]): Promise<T> {
    const result = await runCli([...args, "--json"], env, { timeoutMs: 60_000 });
    expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  }

  async function cliFails(args: string[], code: number) {
    const result = await runCli([...args, "--json"], env, { timeoutMs: 60_000 });
    expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(code);
    const lines = result.stderr.split("\n").filter(Boolean);
    return JSON.parse(lines.at(-1)!).error as { type: string; message: string; exitCode: number; details?: Record<string, any> };
  }

  it("resolves model URIs, moves aliases, searches, and reports deployments and logs", { timeout: 600_000 }, async () => {
    const projectName = unique("reg");
    const { project } = unwrap(await fx.client.createProject({ name: projectName }));
    const p = ["--project", projectName];
    const m = [...p, "--model", "classifier"];
    const file = path.join(dir, "model.onnx");
    const versions: any[] = [];
    for (const [weights, accuracy] of [["weights v1", "0.91"], ["weights v2", "0.95"], ["weights v3", "0.85"]] as const) {
      await fs.writeFile(file, weights);
      versions.push(await cli(["register", file, ...m, "--metric", `accuracy=${accuracy}`, "--progress", "none"]));
    }
    const [v1, v2, v3] = versions;
    const base = `models:/${projectName}/classifier`;

    // alias set with compare-and-set: --expected none creates, a stale --expected exits 7 with StaleAliasError.
    const set = await cli(["alias", "set", "champion", ...m, "--version", "2", "--expected", "none", "--comment", "best so far"]);
    expect(set).toMatchObject({ modelAlias: { name: "champion", version: { id: v2.id, number: 2 } }, previousVersion: null, change: { comment: "best so far" } });
    const stale = await cliFails(["alias", "set", "champion", ...m, "--version", "1", "--expected", "none"], ExitCode.STAGE_CONFLICT);
    expect(stale).toMatchObject({ type: "StaleAliasError", details: { actualVersionId: v2.id } });
    const moved = await runCli(["alias", "set", "champion", ...m, "--version", "1", "--expected", "2"], env);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toBe("classifier@champion: version 2 -> version 1\n");
    expect(await cli(["alias", "list", ...m])).toMatchObject({ aliases: [{ name: "champion", protected: false, version: { id: v1.id } }], protectedAliases: [] });
    expect((await cliFails(["alias", "set", "latest", ...m, "--version", "1"], ExitCode.USAGE)).message).toMatch(/latest is reserved/);

    // download by model URI: @alias, /<number>, @latest, into a directory given as the second argument.
    const out = path.join(dir, "out");
    await fs.mkdir(out);
    const byAlias = await cli(["download", `${base}@champion`, out, "--progress", "none"]);
    expect(byAlias.path).toBe(path.join(out, "model.onnx"));
    expect(await fs.readFile(byAlias.path, "utf8")).toBe("weights v1");
    expect(byAlias.resource.id).toBe(v1.resource.id);
    expect((await cli(["download", `${base}/2`, "--output", path.join(dir, "v2.onnx"), "--progress", "none"])).resource.id).toBe(v2.resource.id);
    expect(await fs.readFile(path.join(dir, "v2.onnx"), "utf8")).toBe("weights v2");
    expect((await cli(["download", `${base}@latest`, "-o", path.join(dir, "latest.onnx"), "--progress", "none"])).resource.id).toBe(v3.resource.id);
    const missing = await cliFails(["download", `${base}/PRODUCTION`, out], ExitCode.NOT_FOUND); // no version in PRODUCTION
    expect(missing).toMatchObject({ type: "NotFoundError", details: { ref: `${base}/PRODUCTION` } });
    expect((await cliFails(["download", `${base}/production`, out], ExitCode.USAGE)).message).toMatch(/upper case: PRODUCTION/);
    expect((await cliFails(["download", "vision/resnet@champion", out], ExitCode.USAGE)).message).toMatch(/not a model URI/);

    // A protected alias cannot be moved directly: ApprovalRequiredError, exit 9.
    const { model } = await fx.client.model({ project: { id: project.id }, name: "classifier" }).then((found) => ({ model: found! }));
    unwrap(await fx.client.updateModel({ id: model.id, protectedAliases: ["prod"] }));
    expect(await cliFails(["alias", "set", "prod", ...m, "--version", "2"], ExitCode.APPROVAL_REQUIRED)).toMatchObject({ type: "ApprovalRequiredError" });

    // alias rm with compare-and-set.
    expect(await cliFails(["alias", "rm", "champion", ...m, "--expected", "2"], ExitCode.STAGE_CONFLICT)).toMatchObject({ type: "StaleAliasError" });
    expect(await cli(["alias", "rm", "champion", ...m, "--expected", "1"])).toMatchObject({ alias: "champion", previousVersion: { id: v1.id } });
    expect((await cli(["alias", "list", ...m])).aliases).toEqual([]);

    // versions list: metric conditions, ordered by a metric, by alias.
    const numbers = async (args: string[]) => (await cli<any[]>(["versions", "list", ...m, ...args])).map((v) => v.number);
    expect(await numbers(["--metric", "accuracy>0.9", "--order", "-accuracy"])).toEqual([2, 1]);
    expect(await numbers(["--order", "accuracy"])).toEqual([3, 1, 2]);
    expect(await numbers(["--metric", "accuracy>=0.85", "--metric", "accuracy<0.95", "--order", "-accuracy", "--limit", "1"])).toEqual([1]);
    unwrap(await fx.client.setModelAlias({ modelId: model.id, alias: "canary", modelVersionId: v3.id }));
    expect(await numbers(["--alias", "canary"])).toEqual([3]);

    // deployments: a URI names the version; DEPLOYED makes it live in the environment.
    expect((await cli(["deployments", "report", `${base}/2`, "--env", "prod", "--status", "DEPLOYING"])).deployment).toMatchObject({ status: "DEPLOYING", environment: "prod", modelVersion: { id: v2.id } });
    expect((await cli(["deployments", "report", `${base}/2`, "--env", "prod", "--status", "deployed", "--message", "rolled out"])).deployment).toMatchObject({ status: "DEPLOYED", message: "rolled out" });
    expect((await cli(["deployments", "report", ...m, "--alias", "canary", "--env", "canary", "--status", "FAILED", "--message", "health check"])).deployment).toMatchObject({
      status: "FAILED",
      modelVersion: { id: v3.id },
    });
    expect(await cliFails(["deployments", "report", `${base}/2`, "--env", "prod", "--status", "RETIRED"], ExitCode.USAGE)).toMatchObject({ type: "UsageError" });
    const prod = await cli<any[]>(["deployments", "list", ...m, "--env", "prod"]);
    expect(prod.map((d) => [d.modelVersion.number, d.status])).toEqual([[2, "DEPLOYED"]]);
    expect((await cli<any[]>(["deployments", "list", ...m, "--status", "FAILED"])).map((d) => d.environment)).toEqual(["canary"]);
    const envs = await cli<any[]>(["deployments", "envs", ...m]);
    expect(Object.fromEntries(envs.map((e) => [e.name, e.liveVersion?.number ?? null]))).toEqual({ prod: 2, canary: null });
    expect(await numbers(["--env", "prod"])).toEqual([2]);

    // logs: a success flag is required; list filters by it.
    expect((await cli(["logs", "add", "serving fine", "--success", ...m, "--version", "2"])).log).toMatchObject({ message: "serving fine", success: true, modelVersion: { id: v2.id } });
    expect((await cli(["logs", "add", "canary crashed", "--failure", ...m])).log).toMatchObject({ success: false, modelVersion: null });
    expect((await cliFails(["logs", "add", "no flag", ...m], ExitCode.USAGE)).message).toMatch(/--success or --failure/);
    expect((await cli<any[]>(["logs", "list", ...m, "--failure"])).map((l) => l.message)).toEqual(["canary crashed"]);
    expect((await cli<any[]>(["logs", "list", ...m])).map((l) => l.message)).toEqual(["canary crashed", "serving fine"]);
  });
});
