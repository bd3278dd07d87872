// The web console in a real browser: Debian's Chromium driven by playwright-core, against the real server on PGlite,
// with data built through the public API. One server, one browser, one context per user. Fails on any browser
// console error. Writes the screenshots under docs/console/ and the model page's JavaScript budget.
//
// Without /usr/bin/chromium (CHROMIUM_PATH to override) the tests are skipped with a warning; with CI=true they fail.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../support/server.ts";
import { browserTestsRun, buildConsole, ConsoleBrowser, DOCS, memberToken, modelPath, shot } from "./browser.ts";

/** JavaScript (gzip) the model page may load on its first visit. */
const MODEL_PAGE_JS_BUDGET_BYTES = 300 * 1024;

describe.skipIf(!browserTestsRun)("web console in Chromium", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let browser: ConsoleBrowser;
  const data = {} as {
    project: string;
    model: string;
    experiment: string;
    sha256: string;
    editorToken: string;
    viewerToken: string;
    projectId: string;
    v1: string;
  };

  const newPage = (width?: number, height?: number) => browser.newPage(width, height);
  const signIn = (page: Page, token: string) => browser.signIn(page, token);
  const member = (role: string, extra: Record<string, unknown> = {}) => memberToken(admin, data.projectId, role, extra);
  const modelUrl = () => server.url + modelPath(data.project, data.model);
  const versionOrder = (page: Page) => page.locator("table.versions tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-version"))));

  beforeAll(async () => {
    // The console served is the one of these sources.
    buildConsole();
    server = await startTestServer();
    admin = new GraphQLClient(server.url);

    // A project with a gated model: PRODUCTION needs an approved request.
    const project = (await mutate(admin, "createProject", "CreateProjectInput", { name: uniqueName("vision"), description: "Image models" }, "project { id name }")).project;
    const model = (
      await mutate(
        admin,
        "createModel",
        "CreateModelInput",
        { projectId: project.id, name: "resnet", description: "Image classifier", requireApprovalFor: ["PRODUCTION"], tags: [{ key: "team", value: "vision" }] },
        "model { id name }",
      )
    ).model;
    await mutate(admin, "createModel", "CreateModelInput", { projectId: project.id, name: "detector" }, "model { id }");
    const experiment = await createExperiment(admin, project.id, "resnet-training");
    const run = await createIteration(admin, experiment.id, [{ key: "lr", value: "0.001" }, { key: "epochs", value: "30" }]);
    const resource = await createResource(admin, project.id);
    const v1 = await createVersion(admin, model.id, { metrics: [{ name: "accuracy", value: 0.81 }, { name: "loss", value: 0.52 }] });
    const v2 = await createVersion(admin, model.id, {
      metrics: [{ name: "accuracy", value: 0.93 }, { name: "loss", value: 0.31 }],
      iterationId: run.id,
      resourceId: resource.id,
      parentVersionId: v1.id,
      tags: [{ key: "dataset", value: "v2" }],
    });
    await createVersion(admin, model.id, { metrics: [{ name: "accuracy", value: 0.88 }, { name: "loss", value: 0.4 }] });
    await transition(admin, { modelVersionId: v2.id, stage: "STAGING", expectedStage: "NONE" });
    await transition(admin, { modelVersionId: v1.id, stage: "STAGING", expectedStage: "NONE" });

    data.projectId = project.id;
    Object.assign(data, {
      project: project.name,
      model: model.name,
      experiment: experiment.name,
      sha256: resource.sha256,
      editorToken: await member("EDITOR"),
      viewerToken: await member("VIEWER"),
      v1: v1.id,
    });

    browser = await ConsoleBrowser.launch(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    admin?.close();
    await server?.close();
  });

  it("signs in with a token, and the token is nowhere a script can read", async () => {
    const page = await newPage();
    await page.goto(server.url + "/");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await shot(page, "sign-in");
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    const readable = await page.evaluate(() => JSON.stringify({ cookie: document.cookie, local: { ...localStorage }, session: { ...sessionStorage } }));
    expect(readable).not.toContain("mg_");
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "mg_session")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await page.getByRole("link", { name: data.project }).waitFor();
    await shot(page, "projects");
  });

  it("browses project → model → version, with the version's lineage; the model page's JavaScript stays in budget", async () => {
    const page = await newPage();
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("link", { name: data.project }).click();
    await page.getByRole("link", { name: data.model }).waitFor();
    await shot(page, "models");

    // First load of the model page in a fresh context: every script it loads, gzip-compressed.
    const fresh = await newPage();
    await signIn(fresh, ADMIN_TOKEN);
    const scripts = new Map<string, Promise<Buffer>>();
    fresh.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.set(response.url(), response.body());
    });
    await fresh.context().clearCookies();
    await signIn(fresh, ADMIN_TOKEN);
    await fresh.goto(modelUrl());
    await fresh.locator("table.versions tbody tr").first().waitFor();
    let gzipBytes = 0;
    let rawBytes = 0;
    for (const body of scripts.values()) {
      const bytes = await body;
      rawBytes += bytes.length;
      gzipBytes += gzipSync(bytes).length;
    }
    expect(scripts.size).toBeGreaterThan(0);
    writeFileSync(
      path.join(DOCS, "budget.json"),
      `${JSON.stringify({ page: "model", scripts: scripts.size, rawBytes, gzipBytes, budgetBytes: MODEL_PAGE_JS_BUDGET_BYTES }, null, 2)}\n`,
    );
    expect(gzipBytes).toBeLessThanOrEqual(MODEL_PAGE_JS_BUDGET_BYTES);

    await page.getByRole("link", { name: data.model }).click();
    await page.getByRole("heading", { name: "Versions" }).waitFor();
    expect(await versionOrder(page)).toEqual([3, 2, 1]);
    await shot(page, "model");
    await page.getByRole("link", { name: "v2", exact: true }).click();
    await page.getByRole("heading", { name: /resnet v2/ }).waitFor();
    const lineage = page.getByTestId("lineage-graph");
    await lineage.locator('[data-node-kind="experiment"]').getByText(data.experiment).waitFor();
    await lineage.locator('[data-node-kind="run"]').getByText("Run #1").waitFor();
    await lineage.locator('[data-node-kind="artifact"]').getByText(data.sha256).waitFor();
    await lineage.locator('[data-node-kind="parent"]').getByRole("link", { name: `${data.model} v1` }).waitFor();
    // A deep link opens the same page on its own.
    await page.reload();
    await page.getByRole("heading", { name: /resnet v2/ }).waitFor();

    const narrow = await newPage(390, 844);
    await signIn(narrow, ADMIN_TOKEN);
    await narrow.goto(modelUrl());
    await narrow.locator("table.versions tbody tr").first().waitFor();
    await shot(narrow, "model-narrow");
  });

  it("sorts the versions by a metric, both ways, and keeps the view in the URL", async () => {
    const page = await newPage();
    await signIn(page, ADMIN_TOKEN);
    await page.goto(modelUrl());
    await page.locator("table.versions tbody tr").first().waitFor();
    await page.getByRole("button", { name: "Sort by accuracy" }).click();
    await page.waitForFunction(() => document.querySelector("table.versions tbody tr")?.getAttribute("data-version") === "2");
    expect(await versionOrder(page)).toEqual([2, 3, 1]);
    expect(page.url()).toContain("sort=accuracy");
    await page.getByRole("button", { name: "Sort by accuracy" }).click();
    await page.waitForFunction(() => document.querySelector("table.versions tbody tr")?.getAttribute("data-version") === "1");
    expect(await versionOrder(page)).toEqual([1, 3, 2]);
    await page.reload();
    await page.locator("table.versions tbody tr").first().waitFor();
    expect(await versionOrder(page)).toEqual([1, 3, 2]);
  });

  it("an EDITOR requests PRODUCTION, an ADMIN approves in another context, and the EDITOR's page shows it live", async () => {
    const editor = await newPage();
    await signIn(editor, data.editorToken);
    await editor.goto(modelUrl());
    const row = editor.locator('table.versions tbody tr[data-version="2"]');
    await row.getByLabel("Target stage of v2").selectOption("PRODUCTION");
    await row.getByRole("button", { name: "Request v2 to PRODUCTION" }).click();
    await editor.getByText("Requested PRODUCTION for v2").waitFor();
    expect(await editor.getByTestId("production-version").textContent()).toBe("none");

    const reviewer = await newPage();
    await signIn(reviewer, ADMIN_TOKEN);
    await reviewer.goto(modelUrl());
    const queue = reviewer.locator("ul.queue li").filter({ hasText: "v2" });
    await queue.getByRole("button", { name: "Approve" }).click();
    const approvedAt = Date.now();
    await reviewer.getByText("Request approved.").waitFor();

    // No reload on the editor's side: the project's events refetch its page.
    await editor.waitForFunction(() => document.querySelector('[data-testid="production-version"]')?.textContent === "v2", undefined, { timeout: 10_000 });
    const lagMs = Date.now() - approvedAt;
    await row.getByText("PRODUCTION").waitFor();
    console.info(`[console e2e] approval visible on the editor's page ${lagMs} ms after the click`);
    expect(lagMs).toBeLessThan(5_000);
    await shot(reviewer, "model-after-approval");
  });

  it("a VIEWER sees no action buttons", async () => {
    // A pending request, so the queue has something a viewer must not be able to decide.
    const editor = admin.as(data.editorToken);
    await mutate(editor, "requestModelVersionTransition", "RequestModelVersionTransitionInput", { modelVersionId: data.v1, stage: "PRODUCTION" }, "transitionRequest { id }");
    const page = await newPage();
    await signIn(page, data.viewerToken);
    await page.goto(modelUrl());
    await page.locator("ul.queue li").first().waitFor();
    await page.locator("table.versions tbody tr").first().waitFor();
    for (const name of [/^Move/, /^Request/, "Approve", "Reject", "Cancel request"]) {
      expect(await page.getByRole("button", { name }).count()).toBe(0);
    }
    expect(await page.getByRole("columnheader", { name: "Actions" }).count()).toBe(0);
    expect(await page.locator("table.versions select").count()).toBe(0);
  });

  it("lands on sign-in with a message once the token has expired", async () => {
    // Long enough to sign in and load the page on a loaded machine (the test then waits for the expiry).
    const expiresAt = Date.now() + 12_000;
    const token = await member("EDITOR", { expiresAt: new Date(expiresAt).toISOString() });
    const page = await newPage();
    await signIn(page, token);
    await page.goto(modelUrl());
    await page.locator("table.versions tbody tr").first().waitFor();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByText("The token has expired").waitFor();
    await shot(page, "session-expired");
  });

  it("serves deep links as the app's page with its CSP, hashed assets as immutable, and 404 for unknown files", async () => {
    const page = await fetch(`${server.url}/projects/x/models/y/versions/3`);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self';.*connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())![1]!;
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(`${server.url}/assets/nope-123.js`)).status).toBe(404);
    // Paths of the server's own routes are never the app's page (GraphiQL's namespace: refused before GraphQL runs).
    expect((await fetch(`${server.url}/graphiql-assets/package.json`)).status).toBeGreaterThanOrEqual(400);
  });

  it("logged no error in the browser console", () => {
    expect(browser.errors).toEqual([]);
  });
});
