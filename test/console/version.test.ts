// The console's version page in a real browser (Debian's Chromium through playwright-core), against the real server
// on PGlite, with data built through the public API: the lineage graph (experiment → run → version → artifact,
// parent and child) and its links, the artifact's download, what blocks PRODUCTION, the stage and alias timeline,
// deployments and logs, live updates, a narrow screen. Fails on any browser console error.
import { createHash } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../support/server.ts";
import { browserTestsRun, buildConsole, ConsoleBrowser, modelPath, shot } from "./browser.ts";

describe.skipIf(!browserTestsRun)("console version page in Chromium", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let browser: ConsoleBrowser;
  const data = {} as { project: string; model: string; modelId: string; experiment: string; sha256: string; v2: string };

  const versionUrl = (number: number) => `${server.url}${modelPath(data.project, data.model)}/versions/${number}`;
  const openVersion = async (number: number, width?: number, height?: number) => {
    const page = await browser.signedInPage(ADMIN_TOKEN, width, height);
    await page.goto(versionUrl(number));
    await page.getByRole("heading", { name: new RegExp(`${data.model} v${number}`) }).waitFor();
    return page;
  };
  const graph = (page: Page) => page.getByTestId("lineage-graph");

  beforeAll(async () => {
    buildConsole();
    server = await startTestServer();
    admin = new GraphQLClient(server.url);

    const project = (await mutate(admin, "createProject", "CreateProjectInput", { name: uniqueName("nlp") }, "project { id name }")).project;
    const model = (await mutate(admin, "createModel", "CreateModelInput", { projectId: project.id, name: "bert", description: "Text encoder" }, "model { id name }")).model;
    const experiment = await createExperiment(admin, project.id, "bert-finetune");
    const run = await createIteration(admin, experiment.id, [
      { key: "lr", value: "0.0003" },
      { key: "batch", value: "64" },
    ]);
    await mutate(admin, "logIterationMetrics", "LogIterationMetricsInput", { iterationId: run.id, metrics: [{ name: "val_loss", value: 0.42, step: 7 }] }, "iteration { id }");
    const bytes = Buffer.from(`bert weights ${uniqueName("w")}`);
    const resource = await createResource(admin, project.id, { bytes });
    const v1 = await createVersion(admin, model.id, { metrics: [{ name: "accuracy", value: 0.88 }, { name: "loss", value: 0.45 }] });
    const v2 = await createVersion(admin, model.id, {
      description: "Fine-tuned on the v2 corpus",
      metrics: [{ name: "accuracy", value: 0.93 }, { name: "loss", value: 0.31 }],
      iterationId: run.id,
      resourceId: resource.id,
      parentVersionId: v1.id,
    });
    await createVersion(admin, model.id, { parentVersionId: v2.id, metrics: [{ name: "accuracy", value: 0.9 }] });

    // PRODUCTION: accuracy ≥ 0.95 (v2 fails it) and loss ≤ 0.5 (v2 passes); the alias `champion` needs an artifact.
    await mutate(
      admin,
      "setPromotionPolicy",
      "SetPromotionPolicyInput",
      { modelId: model.id, stage: "PRODUCTION", metricGates: [{ metric: "accuracy", min: 0.95 }, { metric: "loss", max: 0.5 }] },
      "promotionPolicy { stage }",
    );
    await mutate(admin, "setPromotionPolicy", "SetPromotionPolicyInput", { modelId: model.id, alias: "champion", requireResource: true }, "promotionPolicy { alias }");

    expect((await transition(admin, { modelVersionId: v2.id, stage: "STAGING", expectedStage: "NONE", comment: "ready for the canary" })).__typename).toBe(
      "TransitionModelVersionStagePayload",
    );
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: model.id, alias: "candidate", modelVersionId: v1.id }, "modelAlias { name }");
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: model.id, alias: "candidate", modelVersionId: v2.id, comment: "beats v1 offline" }, "modelAlias { name }");
    await mutate(admin, "reportDeployment", "ReportDeploymentInput", { modelVersionId: v2.id, environment: "staging-eu", status: "DEPLOYED", message: "rolled out to 3 pods" }, "deployment { id }");
    await mutate(admin, "addModelLog", "AddModelLogInput", { modelId: model.id, modelVersionId: v2.id, success: false, message: "health check timed out" }, "log { id }");

    Object.assign(data, { project: project.name, model: model.name, modelId: model.id, experiment: experiment.name, sha256: resource.sha256, v2: v2.id });
    browser = await ConsoleBrowser.launch(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    admin?.close();
    await server?.close();
  });

  it("draws the lineage as a graph: experiment, run with params and metrics, the parent, the artifact with its sha256, the child", async () => {
    const page = await openVersion(2);
    const g = graph(page);
    await g.locator('[data-node-kind="version"]').getByText(`${data.model} v2`).waitFor();
    await g.locator('[data-node-kind="experiment"]').getByText(data.experiment).waitFor();
    const run = g.locator('[data-node-kind="run"]');
    await run.getByText("Run #1").waitFor();
    await run.getByText("lr=0.0003").waitFor();
    await run.getByText("val_loss 0.42 (step 7)").waitFor();
    await g.locator('[data-node-kind="artifact"]').getByText(data.sha256).waitFor();
    await g.locator('[data-node-kind="parent"]').getByRole("link", { name: `${data.model} v1` }).waitFor();
    await g.locator('[data-node-kind="child"]').getByRole("link", { name: `${data.model} v3` }).waitFor();
    // Laid out, not stacked: experiment → run → version → artifact, left to right; edges drawn.
    const x = async (kind: string) => (await g.locator(`[data-node-kind="${kind}"]`).boundingBox())!.x;
    const [experiment, run_, version, artifact] = [await x("experiment"), await x("run"), await x("version"), await x("artifact")];
    expect(experiment).toBeLessThan(run_);
    expect(run_).toBeLessThan(version);
    expect(version).toBeLessThan(artifact);
    expect(await g.locator(".react-flow__edge").count()).toBe(5);
    await shot(page, "version");
  });

  it("links the artifact node to the server's artifact route, which serves its bytes", async () => {
    const page = await openVersion(2);
    const link = graph(page).locator('[data-node-kind="artifact"]').getByRole("link", { name: "Download model.onnx" });
    const href = (await link.getAttribute("href"))!;
    expect(href.startsWith(`${server.url}/artifacts/`)).toBe(true);
    // As the link is followed in this browser: with the page's session cookie, no token.
    const response = await page.request.get(href);
    expect(response.status()).toBe(200);
    expect(createHash("sha256").update(await response.body()).digest("hex")).toBe(data.sha256);
  });

  it("opens the parent when its node is clicked, and the parent's graph shows v2 as a child", async () => {
    const page = await openVersion(2);
    await graph(page).locator('[data-node-kind="parent"]').click();
    await page.getByRole("heading", { name: new RegExp(`${data.model} v1`) }).waitFor();
    expect(page.url()).toBe(versionUrl(1));
    await graph(page).locator('[data-node-kind="child"]').getByText(`${data.model} v2`).waitFor();
    // v1 has no run: no experiment or run nodes.
    expect(await graph(page).locator('[data-node-kind="run"], [data-node-kind="experiment"]').count()).toBe(0);
  });

  it("lists what blocks PRODUCTION, rule by rule with actual and required values, and the alias target's check", async () => {
    const page = await openVersion(2);
    const production = page.locator('[data-target="PRODUCTION"]');
    await production.getByText("1 rule blocks v2 from PRODUCTION.").waitFor();
    const accuracy = production.locator('tr[data-rule="METRIC_GATE"][data-metric="accuracy"]');
    expect(await accuracy.getAttribute("data-passed")).toBe("false");
    expect(await accuracy.locator("td").allTextContents()).toEqual(["0.93", "≥ 0.95", "fail"]);
    const loss = production.locator('tr[data-rule="METRIC_GATE"][data-metric="loss"]');
    expect(await loss.getAttribute("data-passed")).toBe("true");
    expect(await loss.locator("td").allTextContents()).toEqual(["0.31", "≤ 0.5", "pass"]);
    const champion = page.locator('[data-target="alias:champion"]');
    await champion.getByText("Nothing blocks v2 from alias “champion”.").waitFor();
    expect(await champion.locator('tr[data-rule="REQUIRE_RESOURCE"]').getAttribute("data-passed")).toBe("true");
  });

  it("shows the stage and alias moves as a timeline, the deployments and the logs", async () => {
    const page = await openVersion(2);
    const stage = page.locator('ol.timeline li[data-entry="stage"]');
    await stage.filter({ hasText: "ready for the canary" }).waitFor();
    expect(await stage.count()).toBe(1);
    expect(await stage.textContent()).toMatch(/NONE → STAGING.*by admin.*manual/);
    const alias = page.locator('ol.timeline li[data-entry="alias"]');
    await alias.filter({ hasText: "moved here from v1" }).filter({ hasText: "beats v1 offline" }).waitFor();
    // The alias set on v1 before is not a move of v2's.
    expect(await alias.count()).toBe(1);
    const deployment = page.locator('table.deployments tr[data-environment="staging-eu"]');
    expect(await deployment.getAttribute("data-status")).toBe("DEPLOYED");
    await deployment.getByText("rolled out to 3 pods").waitFor();
    await page.locator('ol.logs li[data-success="false"]').getByText("health check timed out").waitFor();
  });

  it("updates live: an alias moved and a deployment reported elsewhere show without a reload", async () => {
    const page = await openVersion(2);
    await page.locator("ol.timeline li").first().waitFor();
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: data.modelId, alias: "canary", modelVersionId: data.v2, comment: "live test" }, "modelAlias { name }");
    await mutate(admin, "reportDeployment", "ReportDeploymentInput", { modelVersionId: data.v2, environment: "prod-us", status: "FAILED", message: "image pull failed" }, "deployment { id }");
    await page.locator('ol.timeline li[data-entry="alias"]').filter({ hasText: "live test" }).waitFor({ timeout: 10_000 });
    await page.locator('table.deployments tr[data-environment="prod-us"][data-status="FAILED"]').waitFor({ timeout: 10_000 });
    await page.getByRole("heading", { name: /v2/ }).getByText("@canary").waitFor();
  });

  it("shows a list instead of the graph on a narrow screen, with nothing wider than the screen; the toggle does the same on a wide one", async () => {
    const narrow = await openVersion(2, 390, 844);
    const list = narrow.locator("ol.lineage");
    await list.locator('[data-node-kind="artifact"]').getByText(data.sha256).waitFor();
    await list.locator('[data-node-kind="parent"]').getByRole("link", { name: `${data.model} v1` }).waitFor();
    await list.locator('[data-node-kind="run"]').getByText("lr=0.0003").waitFor();
    expect(await graph(narrow).count()).toBe(0);
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(narrow, "version-narrow");

    const wide = await openVersion(2);
    await graph(wide).waitFor();
    await wide.getByRole("button", { name: "Show as list" }).click();
    await wide.locator('ol.lineage [data-node-kind="experiment"]').getByText(data.experiment).waitFor();
    expect(await graph(wide).count()).toBe(0);
  });

  it("says so for a version that does not exist and for a malformed number", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(versionUrl(99));
    await page.getByRole("alert").getByText(`No version 99 of “${data.model}”`).waitFor();
    await page.goto(`${server.url}${modelPath(data.project, data.model)}/versions/two`);
    await page.getByRole("alert").getByText("“two” is not a version number.").waitFor();
  });

  it("logged no error in the browser console", () => {
    expect(browser.errors).toEqual([]);
  });
});
