// A promotion policy on PRODUCTION (a metric gate and must-beat-incumbent) refusing a worse version, with each
// rule's verdict from promotionCheck. The README's "Promotion policies" section shows this file.
//
//   MODELGRAPH_URL=http://localhost:4000 MODELGRAPH_TOKEN=mg_… pnpm exec tsx examples/promotion-policy.ts   (an instance admin token)
import { createClient, unwrap } from "@modelgraph/sdk";

const client = createClient({ url: process.env.MODELGRAPH_URL!, token: process.env.MODELGRAPH_TOKEN! });
const project = unwrap(await client.createProject({ name: `policies-${Date.now()}` })).project;
const { model } = unwrap(await client.createModel({ projectId: project.id, name: "churn" }));
unwrap(await client.setPromotionPolicy({
  modelId: model.id,
  stage: "PRODUCTION",
  metricGates: [{ metric: "auc", min: 0.8 }],
  mustBeatIncumbent: [{ metric: "auc", direction: "HIGHER_IS_BETTER", margin: 0.005 }],
}));
const register = async (auc: number) => {
  const { modelVersion } = unwrap(await client.createModelVersion({ modelId: model.id, metrics: [{ name: "auc", value: auc }] }));
  unwrap(await client.transitionModelVersionStage({ modelVersionId: modelVersion.id, stage: "STAGING" }));
  return modelVersion;
};
const v1 = await register(0.85);
unwrap(await client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "PRODUCTION" }));
const v2 = await register(0.79);
const check = await client.promotionCheck({ modelVersionId: v2.id, stage: "PRODUCTION" });
for (const rule of check.rules) console.log(rule.passed ? "pass" : "FAIL", rule.message);
const result = await client.transitionModelVersionStage({ modelVersionId: v2.id, stage: "PRODUCTION" });
if (result.__typename === "PolicyViolationError") {
  // METRIC_GATE auc 0.79 ≥ 0.8, MUST_BEAT_INCUMBENT auc 0.79 ≥ 0.855
  for (const v of result.violations) console.log(v.rule, v.metric, v.actual, v.comparison === "AT_LEAST" ? "≥" : "≤", v.required);
}
