// The CLI's pure flag parsers: metric points (`name=value[@step]`), search conditions (`accuracy>0.9`), orders
// (`-accuracy`), roles, and `versions list`'s search flags as a whole. Bad input is a UsageError (exit code 2).
import { describe, expect, it } from "vitest";
import { metricConditions, metricOrder, metricPoints, role } from "../../sdk/src/cli/commands/shared.ts";
import { versionSearch } from "../../sdk/src/cli/commands/versions.ts";
import { ExitCode, exitCodeFor, UsageError } from "../../sdk/src/cli/exit-codes.ts";
import { joinDashValues } from "../../sdk/src/cli/main.ts";

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect(exitCodeFor(error)).toBe(ExitCode.USAGE);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("CLI flag parsers", () => {
  it.each([
    [["loss=0.5"], [{ name: "loss", value: 0.5 }]],
    [["loss=0.5@3", "acc=1e-2@0"], [{ name: "loss", value: 0.5, step: 3 }, { name: "acc", value: 0.01, step: 0 }]],
    [["val/loss=-2"], [{ name: "val/loss", value: -2 }]],
  ])("metric points %j", (input, expected) => {
    expect(metricPoints(input)).toEqual(expected);
  });

  it.each([["loss"], ["loss="], ["=1"], ["loss=abc"], ["loss=1@x"], ["loss=1@-1"], ["loss=Infinity"]])("refuses the metric point %j", (input) => {
    expect(usageError(() => metricPoints([input]))).toMatch(/name=value\[@step\]/);
  });

  it.each([
    [["accuracy>0.9"], [{ name: "accuracy", gt: 0.9 }]],
    [["accuracy>=0.9"], [{ name: "accuracy", gte: 0.9 }]],
    [["loss<0.2", "loss >= 0.01"], [{ name: "loss", lt: 0.2, gte: 0.01 }]],
    [["acc>0.8", "f1<=1", "acc<0.95"], [{ name: "acc", gt: 0.8, lt: 0.95 }, { name: "f1", lte: 1 }]],
  ])("metric conditions %j", (input, expected) => {
    expect(metricConditions(input)).toEqual(expected);
  });

  it.each([
    ["accuracy", /NAME>VALUE/],
    ["accuracy=0.9", /NAME>VALUE/],
    ["accuracy!=0.9", /NAME>VALUE/],
    [">0.9", /NAME>VALUE/],
    ["accuracy>high", /not a finite number/],
  ])("refuses the metric condition %j", (input, message) => {
    expect(usageError(() => metricConditions([input]))).toMatch(message);
  });

  it("refuses the same bound twice", () => {
    expect(usageError(() => metricConditions(["acc>0.1", "acc>0.2"]))).toMatch(/given twice/);
  });

  it.each([
    ["-accuracy", { metric: "accuracy", direction: "DESC" }],
    ["accuracy", { metric: "accuracy", direction: "ASC" }],
    ["+loss", { metric: "loss", direction: "ASC" }],
  ])("metric order %j", (input, expected) => {
    expect(metricOrder(input)).toEqual(expected);
  });

  it.each([[""], ["-"], ["--accuracy"], ["a b"]])("refuses the order %j", (input) => {
    expect(usageError(() => metricOrder(input))).toMatch(/--order/);
  });

  it("roles are case-insensitive; others refused", () => {
    expect(role("editor")).toBe("EDITOR");
    expect(usageError(() => role("owner"))).toMatch(/VIEWER, EDITOR, ADMIN/);
  });

  it("versions list's search flags together", () => {
    expect(versionSearch({ stage: ["staging", "PRODUCTION"], tag: ["commit=4f2a"], metric: ["accuracy>0.9"], order: "-accuracy", alias: ["champion", "canary"], env: "prod" })).toEqual({
      stages: ["STAGING", "PRODUCTION"],
      tag: { key: "commit", value: "4f2a" },
      metrics: [{ name: "accuracy", gt: 0.9 }],
      order: { metric: "accuracy", direction: "DESC" },
      aliases: ["champion", "canary"],
      environment: "prod",
    });
    expect(versionSearch({})).toEqual({ stages: [], tag: undefined, metrics: [], order: undefined, aliases: [], environment: undefined });
    expect(usageError(() => versionSearch({ stage: ["LIVE"] }))).toMatch(/unknown stage/);
    expect(usageError(() => versionSearch({ tag: ["commit"] }))).toMatch(/key=value/);
    expect(usageError(() => versionSearch({ tag: ["a=1", "b=2"] }))).toMatch(/once/);
  });

  it("lets a string flag's value start with '-' unless it is a flag itself (--order -accuracy)", () => {
    const options = { order: { type: "string" }, project: { type: "string", short: "p" }, json: { type: "boolean" } } as const;
    expect(joinDashValues(["versions", "list", "--order", "-accuracy", "--json"], options)).toEqual(["versions", "list", "--order=-accuracy", "--json"]);
    expect(joinDashValues(["--order", "--json"], options)).toEqual(["--order", "--json"]);
    expect(joinDashValues(["--order", "-p", "x"], options)).toEqual(["--order", "-p", "x"]);
    expect(joinDashValues(["--order=-accuracy", "--json", "-x"], options)).toEqual(["--order=-accuracy", "--json", "-x"]);
    expect(joinDashValues(["--json", "-accuracy"], options)).toEqual(["--json", "-accuracy"]);
  });
});
