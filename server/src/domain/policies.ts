// Promotion policies (DESIGN.md §1 "Promotion policies"): the rules a version must meet to enter a target of its
// model (a stage or an alias). One pure function, `evaluatePolicy`, decides; the services call it inside the
// transaction that moves the version (and again at each approval), and `modelVersion.promotionCheck` calls it to
// show the same verdict without moving anything. No I/O.
import { aliasNameProblem } from "./aliases.ts";
import type { PolicyViolation } from "./errors.ts";
import { Checker, MAX_METRIC_NAME_LENGTH, MAX_POLICY_APPROVALS, MAX_POLICY_METRIC_RULES } from "./rules.ts";

export type PolicyRule = PolicyViolation["rule"];
export type MetricDirection = "HIGHER_IS_BETTER" | "LOWER_IS_BETTER";

/** The candidate's metric must lie within [min, max] (either bound optional, both inclusive). */
export interface MetricGate {
  metric: string;
  min?: number | null;
  max?: number | null;
}

/** The candidate must be better than the version the target holds by at least `margin` (default 0: a tie passes). */
export interface MustBeatRule {
  metric: string;
  direction: MetricDirection;
  margin?: number | null;
}

/** What a target asks of a version, after `requireApprovalFor` has been folded in (see `effectivePolicy`). */
export interface Policy {
  /** Distinct approvers needed; 0: the target can be entered directly. */
  approvals: number;
  metricGates: readonly MetricGate[];
  mustBeatIncumbent: readonly MustBeatRule[];
  requireResource: boolean;
}

/** The version that would move. */
export interface Candidate {
  metrics: Readonly<Record<string, number>>;
  hasResource: boolean;
}

/** The version the target holds now (another one than the candidate). */
export interface Incumbent {
  number: number;
  metrics: Readonly<Record<string, number>>;
}

/** One rule's verdict: a violation when `passed` is false. */
export interface RuleResult extends PolicyViolation {
  passed: boolean;
}

/** A policy as stored (PromotionPolicy row). */
export interface StoredPolicy {
  approvals: number;
  metricGates: unknown;
  mustBeatIncumbent: unknown;
  requireResource: boolean;
}

/** A policy that asks nothing. */
export const NO_POLICY: Policy = { approvals: 0, metricGates: [], mustBeatIncumbent: [], requireResource: false };

/**
 * The policy a target enforces. `requireApprovalFor: [stage]` is the short form of "one approval": the approvals
 * needed are the larger of the policy's `approvals` and 1 when the short form lists the target, so neither can
 * lower what the other asks. Every other rule comes from the PromotionPolicy row.
 */
export function effectivePolicy(stored: StoredPolicy | null, listedInRequireApprovalFor: boolean): Policy {
  const base = stored ? { ...stored, metricGates: gatesOf(stored.metricGates), mustBeatIncumbent: mustBeatOf(stored.mustBeatIncumbent) } : NO_POLICY;
  return { ...base, approvals: Math.max(base.approvals, listedInRequireApprovalFor ? 1 : 0) };
}

/** Whether the policy asks anything at all of a version. */
export function isEmptyPolicy(policy: Policy): boolean {
  return policy.approvals === 0 && policy.metricGates.length === 0 && policy.mustBeatIncumbent.length === 0 && !policy.requireResource;
}

// Float rounding: 0.3 − 0.2 is 0.09999999999999998, so a candidate exactly `margin` better must not fail by 1e-17.
const TOLERANCE = 1e-12;

const show = (n: number) => String(n);

/**
 * Evaluates every rule of `policy` for moving `candidate` into a target that holds `incumbent` (null: it holds
 * none), with `approvals` distinct approvals given so far. Returns one result per rule, in a stable order:
 * APPROVALS (only when approvals are needed), each gate's MIN then MAX bound, each must-beat rule, REQUIRE_RESOURCE.
 * - A metric the candidate lacks fails its gate bounds and its must-beat rule, with `actual` null.
 * - Must-beat passes when there is no incumbent, or when the incumbent lacks the metric (nothing to beat);
 *   otherwise the candidate must reach incumbent + margin (HIGHER_IS_BETTER) or incumbent − margin
 *   (LOWER_IS_BETTER): reaching it exactly passes.
 */
export function evaluatePolicy(policy: Policy, candidate: Candidate, incumbent: Incumbent | null, approvals: number): RuleResult[] {
  const results: RuleResult[] = [];
  if (policy.approvals > 0) {
    const passed = approvals >= policy.approvals;
    results.push({
      rule: "APPROVALS",
      metric: null,
      actual: approvals,
      required: policy.approvals,
      comparison: "AT_LEAST",
      passed,
      message: `needs ${policy.approvals} approval${policy.approvals === 1 ? "" : "s"} by distinct approvers, has ${approvals}`,
    });
  }
  for (const gate of policy.metricGates) {
    const actual = valueOf(candidate.metrics, gate.metric);
    for (const [bound, comparison] of [
      [gate.min, "AT_LEAST"],
      [gate.max, "AT_MOST"],
    ] as const) {
      if (bound == null) continue;
      const word = comparison === "AT_LEAST" ? "minimum" : "maximum";
      const passed = actual !== null && (comparison === "AT_LEAST" ? actual >= bound : actual <= bound);
      results.push({
        rule: "METRIC_GATE",
        metric: gate.metric,
        actual,
        required: bound,
        comparison,
        passed,
        message:
          actual === null
            ? `metric ${JSON.stringify(gate.metric)} is missing (the gate's ${word} is ${show(bound)})`
            : `metric ${JSON.stringify(gate.metric)} is ${show(actual)}, ${passed ? "within" : comparison === "AT_LEAST" ? "below" : "above"} the gate's ${word} ${show(bound)}`,
      });
    }
  }
  for (const rule of policy.mustBeatIncumbent) {
    const actual = valueOf(candidate.metrics, rule.metric);
    const comparison = rule.direction === "HIGHER_IS_BETTER" ? "AT_LEAST" : "AT_MOST";
    const margin = rule.margin ?? 0;
    const base = { rule: "MUST_BEAT_INCUMBENT" as const, metric: rule.metric, actual, comparison } as const;
    const held = incumbent ? valueOf(incumbent.metrics, rule.metric) : null;
    if (!incumbent || held === null) {
      results.push({
        ...base,
        required: null,
        passed: true,
        message: incumbent
          ? `metric ${JSON.stringify(rule.metric)}: the incumbent (version ${incumbent.number}) has no value, nothing to beat`
          : `metric ${JSON.stringify(rule.metric)}: the target holds no version, nothing to beat`,
      });
      continue;
    }
    const required = comparison === "AT_LEAST" ? held + margin : held - margin;
    const slack = TOLERANCE * Math.max(1, Math.abs(held), Math.abs(margin), Math.abs(actual ?? 0));
    const passed = actual !== null && (comparison === "AT_LEAST" ? actual - held >= margin - slack : held - actual >= margin - slack);
    const better = rule.direction === "HIGHER_IS_BETTER" ? "higher" : "lower";
    const needed = `${comparison === "AT_LEAST" ? "at least" : "at most"} ${show(required)} (incumbent version ${incumbent.number}: ${show(held)}${margin ? `, margin ${show(margin)}` : ""}, ${better} is better)`;
    results.push({
      ...base,
      required,
      passed,
      message:
        actual === null
          ? `metric ${JSON.stringify(rule.metric)} is missing; it must be ${needed}`
          : `metric ${JSON.stringify(rule.metric)} is ${show(actual)}; it must be ${needed}`,
    });
  }
  if (policy.requireResource) {
    results.push({
      rule: "REQUIRE_RESOURCE",
      metric: null,
      actual: null,
      required: null,
      comparison: null,
      passed: candidate.hasResource,
      message: candidate.hasResource ? "the version has an artifact" : "the version has no artifact (resource), which the policy requires",
    });
  }
  return results;
}

/** The broken rules of an evaluation, as the error lists them. */
export function violationsOf(results: readonly RuleResult[]): PolicyViolation[] {
  return results.filter((r) => !r.passed).map(({ passed: _passed, ...violation }) => violation);
}

function valueOf(metrics: Readonly<Record<string, number>>, name: string): number | null {
  const value = Object.hasOwn(metrics, name) ? Number(metrics[name]) : NaN;
  return Number.isFinite(value) ? value : null;
}

function gatesOf(stored: unknown): MetricGate[] {
  return Array.isArray(stored) ? (stored as MetricGate[]) : [];
}

function mustBeatOf(stored: unknown): MustBeatRule[] {
  return Array.isArray(stored) ? (stored as MustBeatRule[]) : [];
}

/** The stored form of a policy's rule lists (only the keys that are set). */
export function storedGates(gates: readonly MetricGate[]): MetricGate[] {
  return gates.map((g) => ({ metric: g.metric, ...(g.min != null ? { min: g.min } : {}), ...(g.max != null ? { max: g.max } : {}) }));
}

export function storedMustBeat(rules: readonly MustBeatRule[]): MustBeatRule[] {
  return rules.map((r) => ({ metric: r.metric, direction: r.direction, ...(r.margin != null && r.margin !== 0 ? { margin: r.margin } : {}) }));
}

// ---- validation of setPromotionPolicy's input ----

export interface PolicyInput {
  stage?: string | null;
  alias?: string | null;
  approvals?: number | null;
  metricGates?: readonly MetricGate[] | null;
  mustBeatIncumbent?: readonly MustBeatRule[] | null;
  requireResource?: boolean | null;
}

/** Exactly one target: a stage or an alias. */
export function checkPolicyTarget(checker: Checker, input: { stage?: string | null; alias?: string | null }): Checker {
  const hasStage = input.stage != null;
  const hasAlias = input.alias != null;
  checker.require(hasStage !== hasAlias, ["input"], "name exactly one target: `stage` or `alias`");
  if (hasAlias) {
    const problem = aliasNameProblem(input.alias!);
    checker.require(problem == null, ["input", "alias"], problem ?? "");
  }
  return checker;
}

/** Every rule of a policy input: approvals 0..10, named finite metrics, min ≤ max, margin ≥ 0, one rule per metric and list. */
export function checkPolicyInput(checker: Checker, input: PolicyInput): Checker {
  checkPolicyTarget(checker, input);
  if (input.approvals != null) {
    checker.require(
      Number.isInteger(input.approvals) && input.approvals >= 0 && input.approvals <= MAX_POLICY_APPROVALS,
      ["input", "approvals"],
      `must be an integer from 0 to ${MAX_POLICY_APPROVALS}`,
    );
  }
  const metricName = (path: string[], name: string) => {
    checker.require(name.length > 0, path, "must not be empty");
    checker.maxLength(path, name, MAX_METRIC_NAME_LENGTH);
  };
  const finite = (path: string[], value: number | null | undefined) => {
    if (value != null) checker.require(Number.isFinite(value), path, "must be a finite number");
  };
  const unique = (path: string[], entries: readonly { metric: string }[]) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      checker.require(!seen.has(e.metric), [...path, String(i), "metric"], `duplicate metric ${JSON.stringify(e.metric)}: one rule per metric`);
      seen.add(e.metric);
    });
  };
  if (input.metricGates != null) {
    const path = ["input", "metricGates"];
    checker.require(input.metricGates.length <= MAX_POLICY_METRIC_RULES, path, `must have at most ${MAX_POLICY_METRIC_RULES} entries (got ${input.metricGates.length})`);
    input.metricGates.forEach((gate, i) => {
      const at = [...path, String(i)];
      metricName([...at, "metric"], gate.metric);
      finite([...at, "min"], gate.min);
      finite([...at, "max"], gate.max);
      checker.require(gate.min != null || gate.max != null, at, "give `min`, `max` or both");
      if (gate.min != null && gate.max != null && Number.isFinite(gate.min) && Number.isFinite(gate.max)) {
        checker.require(gate.min <= gate.max, at, `min (${gate.min}) must not exceed max (${gate.max})`);
      }
    });
    unique(path, input.metricGates);
  }
  if (input.mustBeatIncumbent != null) {
    const path = ["input", "mustBeatIncumbent"];
    checker.require(
      input.mustBeatIncumbent.length <= MAX_POLICY_METRIC_RULES,
      path,
      `must have at most ${MAX_POLICY_METRIC_RULES} entries (got ${input.mustBeatIncumbent.length})`,
    );
    input.mustBeatIncumbent.forEach((rule, i) => {
      const at = [...path, String(i)];
      metricName([...at, "metric"], rule.metric);
      finite([...at, "margin"], rule.margin);
      if (rule.margin != null && Number.isFinite(rule.margin)) checker.require(rule.margin >= 0, [...at, "margin"], "must not be negative");
    });
    unique(path, input.mustBeatIncumbent);
  }
  return checker;
}

/** A human name of a target, for messages. */
export function targetLabel(target: { stage?: string | null; alias?: string | null }): string {
  return target.stage != null ? `stage ${target.stage}` : `alias ${JSON.stringify(target.alias)}`;
}
