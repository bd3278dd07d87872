// The console's compare page, audit log page and project/model lists in Chromium, against the real server on PGlite,
// with data built through the public API. Fails on any browser console error. Writes docs/console/compare.png and
// docs/console/audit.png.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../support/server.ts";
import { browserTestsRun, buildConsole, ConsoleBrowser, memberToken, modelPath, shot } from "./browser.ts";

describe.skipIf(!browserTestsRun)("compare, audit and model lists in Chromium", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let browser: ConsoleBrowser;
  const data = {} as { project: string; projectId: string; model: string; other: string; editorToken: string; projectAdminToken: string; otherProject: string };

  const compareUrl = (query: string) => `${server.url}${modelPath(data.project, data.model)}/compare?${query}`;
  const row = (page: Page, field: string) => page.locator(`table.compare tbody tr[data-field="${field}"]`);
  /** The texts of a row's cells, one per version column. */
  const cells = (page: Page, field: string) => row(page, field).locator("td").allTextContents();
  const headerVersions = (page: Page) => page.locator("table.compare thead th[data-version]").evaluateAll((ths) => ths.map((th) => Number(th.getAttribute("data-version"))));

  beforeAll(async () => {
    buildConsole();
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    const project = (await mutate(admin, "createProject", "CreateProjectInput", { name: uniqueName("cmp") }, "project { id name }")).project;
    const other = (await mutate(admin, "createProject", "CreateProjectInput", { name: uniqueName("other") }, "project { id name }")).project;
    const model = (await mutate(admin, "createModel", "CreateModelInput", { projectId: project.id, name: "ranker", tags: [{ key: "team", value: "search" }] }, "model { id name }")).model;
    await mutate(admin, "createModel", "CreateModelInput", { projectId: project.id, name: "detector", tags: [{ key: "team", value: "vision" }] }, "model { id }");
    await mutate(admin, "createModel", "CreateModelInput", { projectId: other.id, name: "elsewhere" }, "model { id }");
    const experiment = await createExperiment(admin, project.id, "ranker-training");
    const run1 = await createIteration(admin, experiment.id, [{ key: "lr", value: "0.001" }, { key: "epochs", value: "30" }]);
    const run2 = await createIteration(admin, experiment.id, [{ key: "lr", value: "0.01" }, { key: "epochs", value: "30" }]);
    const artifactA = await createResource(admin, project.id);
    const artifactB = await createResource(admin, project.id);
    await createVersion(admin, model.id, {
      metrics: [{ name: "accuracy", value: 0.81 }, { name: "loss", value: 0.52 }],
      iterationId: run1.id,
      resourceId: artifactA.id,
      tags: [{ key: "dataset", value: "v1" }],
    });
    const v2 = await createVersion(admin, model.id, {
      metrics: [{ name: "accuracy", value: 0.93 }, { name: "loss", value: 0.31 }],
      iterationId: run2.id,
      resourceId: artifactB.id,
      tags: [{ key: "dataset", value: "v2" }],
    });
    const v3 = await createVersion(admin, model.id, {
      metrics: [{ name: "accuracy", value: 0.88 }, { name: "loss", value: 0.4 }, { name: "f1", value: 0.7 }],
      iterationId: run1.id,
      resourceId: artifactA.id,
      tags: [{ key: "dataset", value: "v1" }],
    });
    for (const [stage, expectedStage] of [["STAGING", "NONE"], ["PRODUCTION", "STAGING"]] as const) {
      expect((await transition(admin, { modelVersionId: v2.id, stage, expectedStage })).__typename).toBe("TransitionModelVersionStagePayload");
    }
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: model.id, alias: "champion", modelVersionId: v2.id }, "model { id }");
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId: model.id, alias: "canary", modelVersionId: v3.id }, "model { id }");
    await mutate(admin, "reportDeployment", "ReportDeploymentInput", { modelVersionId: v2.id, environment: "prod-eu", status: "DEPLOYED" }, "deployment { id }");
    Object.assign(data, {
      project: project.name,
      projectId: project.id,
      model: model.name,
      otherProject: other.name,
      editorToken: await memberToken(admin, project.id, "EDITOR"),
      projectAdminToken: await memberToken(admin, project.id, "ADMIN"),
    });
    browser = await ConsoleBrowser.launch(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    admin?.close();
    await server?.close();
  });

  it("compares two versions: deltas, highlighted differences, hide identical, the selection in the URL", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(compareUrl("versions=1,2"));
    await page.getByRole("heading", { name: `Compare versions of ${data.model}` }).waitFor();
    await page.locator("table.compare").waitFor();
    expect(await headerVersions(page)).toEqual([1, 2]);

    // Metrics with deltas against the first version; differing rows and changed cells marked.
    expect(await cells(page, "Metrics/accuracy")).toEqual(["0.81", "0.93+0.12"]);
    expect(await row(page, "Metrics/accuracy").getAttribute("data-differs")).toBe("true");
    expect(await row(page, "Metrics/accuracy").locator("td").nth(1).getAttribute("class")).toContain("changed");
    expect(await row(page, "Metrics/loss").locator("td .delta").textContent()).toBe("−0.21");
    expect(await cells(page, "Params/lr")).toEqual(["0.001", "0.01"]);
    expect(await row(page, "Params/lr").getAttribute("data-differs")).toBe("true");
    expect(await row(page, "Params/epochs").getAttribute("data-differs")).toBe("false");
    expect(await row(page, "Params/epochs").locator("td.changed").count()).toBe(0);
    expect(await cells(page, "Version/Stage")).toEqual(["NONE", "PRODUCTION"]);
    expect(await cells(page, "Version/Aliases")).toEqual(["—", "champion"]);
    expect(await row(page, "Artifact/sha256").getAttribute("data-differs")).toBe("true");
    expect(await row(page, "Run/Experiment").getAttribute("data-differs")).toBe("false");
    expect(await cells(page, "Tags/dataset")).toEqual(["v1", "v2"]);

    // Hide identical: identical rows go, differing ones stay, and the URL says so.
    await page.getByLabel("Hide identical").check();
    await page.waitForURL(/identical=hide/);
    await row(page, "Params/epochs").waitFor({ state: "detached" });
    expect(await row(page, "Run/Experiment").count()).toBe(0);
    expect(await row(page, "Metrics/accuracy").count()).toBe(1);
    expect(await row(page, "Params/lr").count()).toBe(1);
    expect(await page.locator("table.compare tbody tr[data-differs='false']").count()).toBe(0);
    const shared = page.url();
    expect(shared).toContain("versions=1,2");
    await shot(page, "compare");

    // A reload, and another user's fresh context opening the shared URL, show the same view.
    await page.reload();
    await row(page, "Metrics/accuracy").waitFor();
    expect(await page.getByLabel("Hide identical").isChecked()).toBe(true);
    expect(await row(page, "Params/epochs").count()).toBe(0);
    const colleague = await browser.signedInPage(data.editorToken);
    await colleague.goto(shared);
    await row(colleague, "Metrics/accuracy").waitFor();
    expect(await headerVersions(colleague)).toEqual([1, 2]);
    expect(await colleague.getByLabel("Hide identical").isChecked()).toBe(true);
    expect(await row(colleague, "Params/epochs").count()).toBe(0);

    // Unticked, the identical rows are back.
    await page.getByLabel("Hide identical").uncheck();
    await row(page, "Params/epochs").waitFor();
    expect(page.url()).not.toContain("identical=hide");
  });

  it("compares three versions against a chosen baseline; versions are added and removed from the page", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(compareUrl("versions=1,2,3&baseline=2"));
    await page.locator("table.compare").waitFor();
    expect(await headerVersions(page)).toEqual([1, 2, 3]);
    expect(await page.getByLabel("Baseline").inputValue()).toBe("2");
    expect(await cells(page, "Metrics/accuracy")).toEqual(["0.81−0.12", "0.93", "0.88−0.05"]);
    // A metric only one version has: the others show it missing.
    expect(await cells(page, "Metrics/f1")).toEqual(["—", "—", "0.7"]);
    // Against v2, v1 and v3 (same run, same artifact) both differ in lr.
    expect(await row(page, "Params/lr").locator("td.changed").count()).toBe(2);

    await page.getByLabel("Baseline").selectOption("1");
    await page.waitForURL((url) => !url.search.includes("baseline="));
    expect(await cells(page, "Metrics/accuracy")).toEqual(["0.81", "0.93+0.12", "0.88+0.07"]);

    await page.getByRole("button", { name: "Remove v3" }).click();
    await page.waitForURL(/versions=1,2(&|$)/);
    expect(await headerVersions(page)).toEqual([1, 2]);
    // Two is the least: no remove buttons then.
    expect(await page.getByRole("button", { name: /^Remove v/ }).count()).toBe(0);
    await page.getByLabel("Add version").fill("3");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.waitForURL(/versions=1,2,3/);
    await page.locator("table.compare thead th[data-version='3']").waitFor();
    await page.getByLabel("Add version").fill("2");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText("v2 is already compared.").waitFor();

    // A number that is no version: said so, the others still compared.
    await page.goto(compareUrl("versions=1,99,3"));
    await page.getByText("v99 is not a live version").waitFor();
    expect(await headerVersions(page)).toEqual([1, 3]);

    // Usable at 390 px: the table scrolls inside its frame, the page does not.
    const narrow = await browser.signedInPage(ADMIN_TOKEN, 390, 844);
    await narrow.goto(compareUrl("versions=1,2,3"));
    await narrow.locator("table.compare").waitFor();
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it("shows the audit log to an admin, with filters that narrow it, kept in the URL", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log" }).waitFor();
    const entries = page.locator("ol.audit > li");
    await entries.first().waitFor();
    const actions = () => entries.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-action")));
    expect(await actions()).toEqual(expect.arrayContaining(["setModelAlias", "createModelVersion", "createProject"]));

    await page.getByLabel("Project").selectOption(data.project);
    await page.waitForURL(/project=/);
    await page.getByLabel("Action (mutation)").fill("setModelAlias");
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll("ol.audit > li")];
      return items.length > 0 && items.every((li) => li.getAttribute("data-action") === "setModelAlias");
    });
    expect(await actions()).toEqual(["setModelAlias", "setModelAlias"]);
    expect(page.url()).toContain("action=setModelAlias");

    // The newest (canary → v3) as a field diff: the alias row added.
    const newest = entries.first();
    await newest.locator("summary").click();
    const diff = newest.locator("table.json-diff");
    await diff.waitFor();
    expect(await diff.locator("tr.added, tr.changed").count()).toBeGreaterThan(0);
    expect(await diff.textContent()).toContain("canary");
    await shot(page, "audit");

    // A reload keeps the filters; a time range in the future empties the list.
    await page.reload();
    await entries.first().waitFor();
    expect(await page.getByLabel("Action (mutation)").inputValue()).toBe("setModelAlias");
    expect(await actions()).toEqual(["setModelAlias", "setModelAlias"]);
    await page.getByLabel("From (UTC)").fill("2999-01-01T00:00");
    await page.getByText("No entry matches these filters.").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.waitForFunction(() => document.querySelectorAll("ol.audit > li").length > 2);

    // Usable at 390 px.
    const narrow = await browser.signedInPage(ADMIN_TOKEN, 390, 844);
    await narrow.goto(`${server.url}/audit?action=setModelAlias`);
    await narrow.locator("ol.audit > li").first().waitFor();
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  it("a project ADMIN reads their project's entries only", async () => {
    const page = await browser.signedInPage(data.projectAdminToken);
    await page.getByRole("link", { name: "Audit log" }).click();
    const entries = page.locator("ol.audit > li");
    await entries.first().waitFor();
    // No "All projects" for them: their one project is chosen.
    expect(await page.getByLabel("Project").locator("option").allTextContents()).toEqual([data.project]);
    const projects = await entries.evaluateAll((lis) => [...new Set(lis.map((li) => li.querySelector(".audit-head a")?.textContent))]);
    expect(projects).toEqual([data.project]);
  });

  it("a member who is no admin sees the admins-only state, and no link to it", async () => {
    const page = await browser.signedInPage(data.editorToken);
    await page.getByRole("link", { name: data.project }).waitFor();
    expect(await page.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    await page.goto(`${server.url}/audit`);
    await page.getByRole("heading", { name: "Admins only" }).waitFor();
    expect(await page.locator("ol.audit").count()).toBe(0);
  });

  it("the models page shows aliases, production version, version count and live environments; search by name and tag narrows", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(`${server.url}/projects/${encodeURIComponent(data.project)}`);
    const ranker = page.locator(`tbody tr[data-model="${data.model}"]`);
    await ranker.waitFor();
    expect(await ranker.locator("td.aliases .chip").allTextContents()).toEqual(["canary → v3", "champion → v2"]);
    expect(await ranker.getByTestId("production").textContent()).toBe("v2");
    expect(await ranker.getByTestId("version-count").textContent()).toBe("3");
    await ranker.getByText("prod-eu: v2").waitFor();
    const names = () => page.locator("tbody tr[data-model]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-model")).sort());
    expect(await names()).toEqual(["detector", "ranker"]);

    await page.getByLabel("Name contains").fill("detect");
    await page.waitForFunction(() => document.querySelectorAll("tbody tr[data-model]").length === 1);
    expect(await names()).toEqual(["detector"]);
    await page.getByLabel("Name contains").fill("");
    await page.getByLabel("Tag (key=value)").fill("team=search");
    await page.waitForFunction(() => document.querySelector("tbody tr[data-model]")?.getAttribute("data-model") === "ranker" && document.querySelectorAll("tbody tr[data-model]").length === 1);
    expect(page.url()).toContain("tag=team%3Dsearch");
    await page.getByLabel("Tag (key=value)").fill("team=nobody");
    await page.getByText("No model matches the search.").waitFor();
    // The alias chip is a deep link to its version.
    await page.getByLabel("Tag (key=value)").fill("");
    await ranker.getByRole("link", { name: "champion → v2" }).click();
    await page.waitForURL(/\/versions\/2$/);

    // Projects: search by name narrows too.
    await page.goto(`${server.url}/?q=${encodeURIComponent(data.otherProject)}`);
    await page.getByRole("link", { name: data.otherProject }).waitFor();
    expect(await page.getByRole("link", { name: data.project }).count()).toBe(0);
  });

  it("logged no error in the browser console", () => {
    expect(browser.errors).toEqual([]);
  });
});
