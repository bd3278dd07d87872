// A client refused after too many failed authentications (HTTP 429) is told so apart from a bad token: the CLI
// exits with its own code (RATE_LIMITED) and says when to retry, and the SDK's AuthenticationError carries the
// server's Retry-After seconds, on HTTP and on graphql-ws. A valid token from the same address still works.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, createClient } from "@modelgraph/sdk";
import { ExitCode } from "../../sdk/src/cli/exit-codes.ts";
import { databaseAvailable } from "../support/server.ts";
import { runCli, startSdkServer, unique, type SdkFixture } from "./support.ts";

const LIMIT = 3;
const WINDOW_SECONDS = 600;

describe.skipIf(!databaseAvailable)("rate-limited authentication in the CLI and SDK", () => {
  let fx: SdkFixture;
  let attempts = 0;
  /** A well-formed token nobody has, another each time (a token that keeps failing is also limited by itself). */
  const unknownToken = () => `mg_${String(++attempts).padStart(40, "u")}`;

  beforeAll(async () => {
    fx = await startSdkServer({ AUTH_FAILURE_LIMIT: String(LIMIT), AUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS) });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("exits RATE_LIMITED (not AUTH) with the wait, while a valid token keeps working; the SDK error carries Retry-After", async () => {
    const env = { MODELGRAPH_URL: fx.server.url };
    // Up to the limit, a bad token is a bad token (401; the CLI exits AUTH then, see cli.test.ts). Sent directly, to
    // spare CLI start-ups.
    for (let i = 0; i < LIMIT; i++) {
      const response = await fetch(new URL("/graphql", fx.server.url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${unknownToken()}` },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
      expect(response.status).toBe(401);
      await response.text();
    }

    const limited = await runCli(["whoami"], { ...env, MODELGRAPH_TOKEN: unknownToken() });
    expect(limited.code, limited.stderr).toBe(ExitCode.RATE_LIMITED);
    expect(limited.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^modelgraph: rate limited: AuthenticationError: .*\(retry after \d+ s\)$/)]);
    const json = await runCli(["whoami", "--json"], { ...env, MODELGRAPH_TOKEN: unknownToken() });
    expect(json.code).toBe(ExitCode.RATE_LIMITED);
    const report = JSON.parse(json.stderr).error;
    expect(report).toMatchObject({ type: "AuthenticationError", kind: "rate limited", exitCode: ExitCode.RATE_LIMITED, details: { status: 429 } });
    expect(report.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(report.details.retryAfterSeconds).toBeLessThanOrEqual(WINDOW_SECONDS);

    // The valid token from the same address is not refused for the others' failures.
    expect((await fx.client.viewer()).id).toBeTruthy();

    // The SDK: HTTP and graphql-ws both say rate_limited, with the seconds to wait.
    const bad = createClient({ url: fx.server.url, token: unknownToken() });
    const error = (await bad.viewer().catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect({ status: error.status, reason: error.reason }).toEqual({ status: 429, reason: "rate_limited" });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(WINDOW_SECONDS);
    const overWs = createClient({ url: fx.server.url, token: unknownToken() });
    const watch = overWs.watchStageChanges({ projectId: unique("p"), onEvent: () => {} });
    const wsError = (await watch.done.catch((e: unknown) => e)) as AuthenticationError;
    expect(wsError).toBeInstanceOf(AuthenticationError);
    expect(wsError.reason).toBe("rate_limited");
    expect(wsError.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await bad.close();
    await overWs.close();
  });
});
