// "What blocks PRODUCTION" (and each alias target with a policy): every rule of the target's policy with the
// version's value, the value required, and the verdict, as promotionCheck computes them (the same rules as the move).
import { formatMetric } from "../../components/ui/format";
import type { ConsolePromotionCheckFragment, PolicyComparison } from "../../graphql/graphql";

const COMPARISON: Record<PolicyComparison, string> = { AT_LEAST: "≥", AT_MOST: "≤" };

type Rule = ConsolePromotionCheckFragment["rules"][number];

function ruleName(rule: Rule, check: ConsolePromotionCheckFragment): string {
  switch (rule.rule) {
    case "METRIC_GATE":
      return `${rule.metric} within its gate`;
    case "MUST_BEAT_INCUMBENT":
      return `${rule.metric} beats ${check.incumbent ? `v${check.incumbent.number}` : "the incumbent"}`;
    case "REQUIRE_RESOURCE":
      return "Has an artifact";
    case "APPROVALS":
      return "Approvals";
  }
}

function value(rule: Rule, which: "actual" | "required"): string {
  const n = rule[which];
  if (rule.rule === "REQUIRE_RESOURCE") return which === "required" ? "an artifact" : rule.passed ? "an artifact" : "none";
  if (n === null) return which === "actual" ? "missing" : "—";
  const text = rule.rule === "APPROVALS" ? String(n) : formatMetric(n);
  return which === "required" && rule.comparison ? `${COMPARISON[rule.comparison]} ${text}` : text;
}

function verdict(check: ConsolePromotionCheckFragment, number: number, target: string): { text: string; tone: "ok" | "warn" | "error" } {
  if (check.transitionProblem) return { text: check.transitionProblem, tone: "error" };
  const failing = check.rules.filter((r) => !r.passed && r.rule !== "APPROVALS").length;
  if (failing) return { text: `${failing} rule${failing === 1 ? "" : "s"} block${failing === 1 ? "s" : ""} v${number} from ${target}.`, tone: "error" };
  if (check.needsApproval) return { text: `v${number} passes every rule; ${target} needs ${check.requiredApprovals} approval${check.requiredApprovals === 1 ? "" : "s"} (request it).`, tone: "warn" };
  if (check.allowed) return { text: `Nothing blocks v${number} from ${target}.`, tone: "ok" };
  return { text: `v${number} cannot move to ${target} now.`, tone: "error" };
}

export function PromotionCheckView({ check, number, id }: { check: ConsolePromotionCheckFragment; number: number; id: string }) {
  const target = check.stage ?? `alias “${check.alias}”`;
  const { text, tone } = verdict(check, number, target);
  return (
    <div className="check" data-target={check.stage ?? `alias:${check.alias}`} data-allowed={String(check.allowed)}>
      <p className={`notice ${tone}`} id={`${id}-verdict`}>
        {text}
      </p>
      {check.rules.length === 0 ? (
        <p className="hint">No promotion policy for {target}: only the stage table applies.</p>
      ) : (
        <div className="table-wrap">
          <table className="rules" aria-describedby={`${id}-verdict`}>
            <caption>Rules of the policy for {target}</caption>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col" className="num">
                  Actual
                </th>
                <th scope="col" className="num">
                  Required
                </th>
                <th scope="col">Verdict</th>
              </tr>
            </thead>
            <tbody>
              {check.rules.map((rule, i) => (
                <tr key={i} data-rule={rule.rule} data-metric={rule.metric ?? undefined} data-passed={String(rule.passed)}>
                  <th scope="row">
                    {ruleName(rule, check)}
                    <span className="meta rule-message">{rule.message}</span>
                  </th>
                  <td className="num">{value(rule, "actual")}</td>
                  <td className="num">{value(rule, "required")}</td>
                  <td>
                    <span className={`verdict ${rule.passed ? "pass" : "fail"}`}>{rule.passed ? "pass" : "fail"}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
