// The model page in Chromium (issue 13, page 2): the versions table on the API's search (server-side metric sort,
// filters by stage, tag, alias and metric condition kept in the URL, 50 a page), compare picks, the metric chart,
// aliases (an EDITOR sets one; a VIEWER sees no controls) and environments. Data through the public API.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../support/server.ts";
import { browserTestsRun, buildConsole, ConsoleBrowser, memberToken, modelPath, shot } from "./browser.ts";

const VERSIONS = 60; // more than one page (50)
/** Distinct accuracies in (0, 1): 37 and 61 are coprime, so n ↦ 37n mod 61 is one-to-one on 1..60. */
const accuracyOf = (n: number) => ((37 * n) % 61) / 61;
const TAGGED = [4, 9, 33];
const STAGED = [12, 40];

describe.skipIf(!browserTestsRun)("model page in Chromium", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let browser: ConsoleBrowser;
  let project = "";
  let model = "";
  let modelId = "";
  let projectId = "";
  const ids = new Map<number, string>();

  const url = (query = "") => server.url + modelPath(project, model) + query;
  const rowNumbers = (page: Page) => page.locator("table.versions tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-version"))));
  /** Waits until the table shows exactly `expected` (in order). */
  async function expectRows(page: Page, expected: number[]) {
    await page.waitForFunction(
      (want) => JSON.stringify([...document.querySelectorAll("table.versions tbody tr")].map((r) => Number(r.getAttribute("data-version")))) === want,
      JSON.stringify(expected),
      { timeout: 10_000 },
    ).catch(() => {});
    expect(await rowNumbers(page)).toEqual(expected);
  }
  const byAccuracyDesc = (numbers: number[]) => [...numbers].sort((a, b) => accuracyOf(b) - accuracyOf(a));
  const all = Array.from({ length: VERSIONS }, (_, i) => i + 1);

  beforeAll(async () => {
    buildConsole();
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    const p = (await mutate(admin, "createProject", "CreateProjectInput", { name: uniqueName("cmodel") }, "project { id name }")).project;
    const m = (await mutate(admin, "createModel", "CreateModelInput", { projectId: p.id, name: "ranker", protectedAliases: ["champion"] }, "model { id name }")).model;
    project = p.name;
    model = m.name;
    modelId = m.id;
    projectId = p.id;
    for (const n of all) {
      const metrics = [{ name: "accuracy", value: accuracyOf(n) }, ...(n % 2 ? [{ name: "loss", value: 1 - accuracyOf(n) }] : [])];
      const tags = TAGGED.includes(n) ? [{ key: "dataset", value: "v2" }] : [];
      ids.set(n, (await createVersion(admin, m.id, { metrics, tags })).id);
    }
    for (const n of STAGED) await transition(admin, { modelVersionId: ids.get(n)!, stage: "STAGING", expectedStage: "NONE" });
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId, alias: "canary", modelVersionId: ids.get(5)! }, "model { id }");
    browser = await ConsoleBrowser.launch(server.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    admin?.close();
    await server?.close();
  });

  it("sorts by a metric in the API's order: the first page holds the best versions of all, not of those loaded", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(url());
    await expectRows(page, all.slice().reverse().slice(0, 50));
    await page.getByText(`50 of ${VERSIONS} versions`).waitFor();
    await page.getByRole("button", { name: "Sort by accuracy" }).click();
    await expectRows(page, byAccuracyDesc(all).slice(0, 50));
    expect(page.url()).toContain("sort=accuracy");
    await page.getByRole("button", { name: "Sort by accuracy" }).click();
    await expectRows(page, byAccuracyDesc(all).reverse().slice(0, 50));
    expect(page.url()).toContain("dir=asc");
    await page.getByRole("button", { name: "Load 10 more" }).click();
    await expectRows(page, byAccuracyDesc(all).reverse());

    // Picks link to the compare page.
    await page.getByLabel("Pick v7 to compare").check();
    await page.getByLabel("Pick v3 to compare").check();
    expect(await page.getByRole("link", { name: "Compare v3, v7" }).getAttribute("href")).toBe(`${modelPath(project, model)}/compare?versions=3,7`);
  });

  it("filters by stage, tag, alias and metric condition through the API, and keeps them in the URL", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(url());
    await page.locator("table.versions tbody tr").first().waitFor();

    await page.getByLabel("Stage", { exact: true }).selectOption("STAGING");
    await expectRows(page, [...STAGED].reverse());
    expect(page.url()).toContain("stage=STAGING");
    await page.getByLabel("Stage", { exact: true }).selectOption("");

    await page.getByLabel("Tag (key=value)").fill("dataset=v2");
    await page.getByLabel("Tag (key=value)").press("Enter");
    await expectRows(page, [...TAGGED].reverse());
    expect(new URL(page.url()).searchParams.get("tag")).toBe("dataset=v2");
    await page.getByRole("button", { name: "Clear filters" }).click();

    await page.locator("#alias-filter").selectOption("canary");
    await expectRows(page, [5]);
    expect(page.url()).toContain("alias=canary");
    await page.getByRole("button", { name: "Clear filters" }).click();

    await page.getByLabel("Metric condition").fill("accuracy > 0.9");
    await page.getByRole("button", { name: "Apply" }).click();
    const best = all.filter((n) => accuracyOf(n) > 0.9).reverse();
    expect(best.length).toBeGreaterThan(2);
    await expectRows(page, best);
    expect(new URL(page.url()).searchParams.get("where")).toBe("accuracy > 0.9");

    // The view is the URL's: a reload (or a shared link) shows the same table.
    await page.goto(url("?where=accuracy%3E0.5&stage=STAGING&sort=accuracy"));
    await expectRows(page, byAccuracyDesc(STAGED.filter((n) => accuracyOf(n) > 0.5)));
    expect(await page.getByLabel("Metric condition").inputValue()).toBe("accuracy>0.5");

    // A condition that cannot be read is refused with a message, the table unchanged.
    await page.getByLabel("Metric condition").fill("accuracy >> high");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("alert").filter({ hasText: "is not a metric condition" }).waitFor();
    expect(new URL(page.url()).searchParams.get("where")).toBe("accuracy>0.5");
  });

  it("charts the chosen metric across the versions in the table", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(url("?metrics=accuracy&sort=accuracy"));
    const chart = page.locator("figure.metric-chart");
    await chart.locator("canvas").waitFor();
    expect(await chart.locator(".u-legend").textContent()).toContain("accuracy");
    expect(await chart.locator(".u-legend").textContent()).not.toContain("loss");
    const top = byAccuracyDesc(all)[0]!;
    expect(await chart.locator(".chart-summary").textContent()).toContain(`(v${top})`);
    await page.getByRole("checkbox", { name: "loss" }).check();
    await page.waitForFunction(() => document.querySelector("figure.metric-chart .u-legend")?.textContent?.includes("loss"));
    expect(page.url()).toContain("metrics=accuracy%2Closs");
    await chart.scrollIntoViewIfNeeded();
    await shot(page, "model-chart");
  });

  it("an EDITOR sets and moves an alias (shown as a chip); a protected one goes through a request", async () => {
    const page = await browser.signedInPage(await memberToken(admin, projectId, "EDITOR"));
    await page.goto(url());
    const aliases = page.locator("section").filter({ has: page.getByRole("heading", { name: "Aliases" }) });
    await aliases.getByLabel("Alias", { exact: true }).fill("candidate");
    await aliases.getByLabel("Version number").fill("50");
    await aliases.getByRole("button", { name: "Set alias" }).click();
    await page.getByText("@candidate now points at v50.").waitFor();
    await page.locator('[data-alias="candidate"]').filter({ hasText: "v50" }).waitFor();
    await page.locator('table.versions tr[data-version="50"] .chip.alias').filter({ hasText: "@candidate" }).waitFor();

    // Moved elsewhere meanwhile: the page follows (live), and the next move is compare-and-set against v49.
    await mutate(admin, "setModelAlias", "SetModelAliasInput", { modelId, alias: "candidate", modelVersionId: ids.get(49)! }, "model { id }");
    await page.locator('[data-alias="candidate"]').filter({ hasText: "v49" }).waitFor();
    await aliases.getByLabel("Alias", { exact: true }).fill("candidate");
    await aliases.getByText("@candidate points at v49 now.").waitFor();
    await aliases.getByLabel("Version number").fill("48");
    await aliases.getByRole("button", { name: "Move alias" }).click();
    await page.getByText("@candidate now points at v48.").waitFor();

    await aliases.getByLabel("Alias", { exact: true }).fill("champion");
    await aliases.getByLabel("Version number").fill("48");
    await aliases.getByRole("button", { name: "Request alias" }).click();
    await page.getByText("Requested @champion → v48").waitFor();
    await page.locator("ul.queue li").filter({ hasText: "@champion" }).waitFor();

    await aliases.getByRole("button", { name: "Remove @candidate" }).click();
    await page.getByText("Removed @candidate.").waitFor();
    await page.locator('[data-alias="candidate"]').waitFor({ state: "detached" });
  });

  it("shows each environment with its live version and last deployment", async () => {
    const report = (n: number, status: string, environment = "prod-eu") =>
      mutate(admin, "reportDeployment", "ReportDeploymentInput", { modelVersionId: ids.get(n)!, environment, status }, "deployment { id }");
    await report(3, "DEPLOYED");
    await report(6, "FAILED");
    await report(11, "DEPLOYED", "staging");
    const page = await browser.signedInPage(ADMIN_TOKEN);
    await page.goto(url());
    const prod = page.locator('[data-environment="prod-eu"]');
    await prod.getByTestId("live-version").filter({ hasText: "v3" }).waitFor();
    expect(await prod.textContent()).toContain("last: v6 FAILED");
    await page.locator('[data-environment="staging"]').getByTestId("live-version").filter({ hasText: "v11" }).waitFor();
  });

  it("a VIEWER sees the aliases but no alias controls", async () => {
    const page = await browser.signedInPage(await memberToken(admin, projectId, "VIEWER"));
    await page.goto(url());
    await page.locator('[data-alias="canary"]').waitFor();
    expect(await page.getByRole("form", { name: "Set or move an alias" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Remove @/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /alias$/ }).count()).toBe(0);
  });

  it("works at 390 px", async () => {
    const page = await browser.signedInPage(ADMIN_TOKEN, 390, 844);
    await page.goto(url("?metrics=accuracy"));
    await page.locator("figure.metric-chart canvas").waitFor();
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 1 && !e.parentElement?.closest(".table-wrap"));
      return { by: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5).map((e) => `${e.tagName}.${e.className}`) };
    });
    expect(overflow).toEqual({ by: 0, wide: [] });
  });

  it("logged no error in the browser console", () => {
    expect(browser.errors).toEqual([]);
  });
});
