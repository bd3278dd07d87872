// The console's browser harness: Debian's Chromium driven by playwright-core, against a real server. Every e2e file
// of the console uses it: one browser per file, one context per user, every browser console error recorded (each
// file ends with a test that there were none), screenshots written under docs/console/.
//
// Without /usr/bin/chromium (CHROMIUM_PATH to override) the console's tests are skipped with a warning; with CI=true
// they fail. They run in the pglite project only (the console does not depend on the database kind).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { GraphQLClient } from "../support/client.ts";
import { mutate, uniqueName } from "../support/fixtures.ts";
import { dbKind } from "../support/server.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const DOCS = path.join(ROOT, "docs", "console");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && dbKind === "pglite") {
  if (process.env.CI) throw new Error(`Chromium is required on CI but ${CHROMIUM} is missing (apt-get install -y chromium)`);
  console.warn(`[modelgraph tests] ${CHROMIUM} is missing: the console's browser tests are skipped (apt-get install -y chromium)`);
}

/** Whether this file's browser tests run (`describe.skipIf(!browserTestsRun)`). */
export const browserTestsRun = chromiumAvailable && dbKind === "pglite";

/** Builds the console from these sources unless the build is current (the server serves what is built). */
export function buildConsole(): void {
  const build = spawnSync(process.execPath, ["scripts/build-console.mjs", "--if-stale"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) throw new Error("the console build failed");
  mkdirSync(DOCS, { recursive: true });
}

/** One Chromium, its contexts, and every error its pages logged. */
export class ConsoleBrowser {
  readonly errors: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  private constructor(
    private readonly browser: Browser,
    readonly serverUrl: string,
  ) {}

  static async launch(serverUrl: string): Promise<ConsoleBrowser> {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    return new ConsoleBrowser(browser, serverUrl);
  }

  /** A new browser context (its own cookies) with a page that records console errors. */
  async newPage(width = 1280, height = 860): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width, height } });
    this.contexts.push(context);
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") this.errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => this.errors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  /** Signs `page` in with `token` through the sign-in form. */
  async signIn(page: Page, token: string): Promise<void> {
    await page.goto(this.serverUrl + "/");
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
  }

  /** A page of a new context, signed in as `token`. */
  async signedInPage(token: string, width?: number, height?: number): Promise<Page> {
    const page = await this.newPage(width, height);
    await this.signIn(page, token);
    return page;
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => {});
    await this.browser.close();
  }
}

/** Writes a screenshot of `page` to docs/console/NAME.png (shown in the README). */
export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(DOCS, `${name}.png`) });

/** A new user with `role` in the project, and a token of theirs (`extra`: more CreateApiTokenInput fields). */
export async function memberToken(admin: GraphQLClient, projectId: string, role: string, extra: Record<string, unknown> = {}): Promise<string> {
  const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName(role.toLowerCase()) }, "user { id }")).user;
  await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId, userId: user.id, role }, "project { id }");
  return (await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "console", userId: user.id, ...extra }, "token")).token as string;
}

/** The console's path of a model (deep link). */
export const modelPath = (project: string, model: string) => `/projects/${encodeURIComponent(project)}/models/${encodeURIComponent(model)}`;
