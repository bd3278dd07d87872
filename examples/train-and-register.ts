// A training pipeline that registers what it trained: runs an "experiment iteration" (parameters, metrics per
// epoch), writes the model file, uploads it (sha256 computed on the way, progress on stderr), registers it as the
// next version of the model with its lineage (iteration, artifact, parent = the version in PRODUCTION), and moves
// it to STAGING for review. Prints the new version as JSON on stdout.
//
//   MODELGRAPH_URL=http://localhost:4000 MODELGRAPH_TOKEN=mg_… pnpm exec tsx examples/train-and-register.ts
//
// Environment: PROJECT (default "demo"), MODEL (default "churn"), EXPERIMENT (default "nightly"), EPOCHS (default 5).
// Re-running after a failure is safe: the version is created with an idempotency key (the iteration's id).
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createClient, ModelgraphError, unwrap, type NodeClient, type Project } from "@modelgraph/sdk";

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};

const client = createClient({
  url: env("MODELGRAPH_URL", "http://localhost:4000"),
  token: process.env.MODELGRAPH_TOKEN ?? (await fs.readFile(env("MODELGRAPH_TOKEN_FILE"), "utf8")).trim(),
});

/** The project, created on first use. */
async function ensureProject(client: NodeClient, name: string): Promise<Project> {
  const existing = await client.project({ name });
  if (existing) return existing;
  const created = await client.createProject({ name, description: "created by examples/train-and-register.ts" });
  // Another pipeline may have created it meanwhile: a NameConflictError means it exists now.
  if (created.__typename === "NameConflictError") return (await client.project({ name }))!;
  return unwrap(created).project;
}

try {
  const project = await ensureProject(client, env("PROJECT", "demo"));
  const modelName = env("MODEL", "churn");
  const model =
    (await client.model({ project: { id: project.id }, name: modelName })) ??
    unwrap(await client.createModel({ projectId: project.id, name: modelName, tags: [{ key: "owner", value: "ml-platform" }] })).model;
  const experimentName = env("EXPERIMENT", "nightly");
  const experiment =
    (await client.experiment({ project: { id: project.id }, name: experimentName })) ??
    unwrap(await client.createExperiment({ projectId: project.id, name: experimentName })).experiment;

  // 1. Train: one iteration of the experiment, with its parameters and a metric per epoch.
  const params = { learning_rate: "0.001", batch_size: "64", epochs: env("EPOCHS", "5") };
  const { iteration } = unwrap(await client.createIteration({ experimentId: experiment.id, params: Object.entries(params).map(([key, value]) => ({ key, value })) }));
  let loss = 1;
  for (let epoch = 1; epoch <= Number(params.epochs); epoch++) {
    loss *= 0.7;
    unwrap(await client.logIterationMetrics({ iterationId: iteration.id, metrics: [{ name: "loss", value: loss, step: epoch }] }));
  }
  const accuracy = 0.9 + Math.random() * 0.05;
  const weights = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "train-")), "model.safetensors");
  await fs.writeFile(weights, randomBytes(4 * 1024 * 1024)); // stand-in for real weights
  unwrap(await client.finishIteration({ iterationId: iteration.id, status: "COMPLETED" }));

  // 2. Upload the artifact: hashed, streamed, verified by the server.
  const resource = await client.uploadArtifact(weights, {
    projectId: project.id,
    iterationId: iteration.id,
    format: "SAFETENSORS",
    onProgress: ({ phase, bytes, totalBytes }) => process.stderr.write(`\r${phase} ${Math.round((100 * bytes) / (totalBytes ?? bytes))}%`),
  });
  process.stderr.write("\n");

  // 3. Register the version with its lineage; the current PRODUCTION version is its parent.
  const parent = await client.productionModelVersion({ modelId: model.id });
  const { modelVersion } = unwrap(
    await client.createModelVersion({
      modelId: model.id,
      iterationId: iteration.id,
      resourceId: resource.id,
      parentVersionId: parent?.id,
      metrics: [
        { name: "accuracy", value: accuracy },
        { name: "loss", value: loss },
      ],
      tags: [{ key: "git_commit", value: process.env.GIT_COMMIT ?? "unknown" }],
      idempotencyKey: iteration.id,
    }),
  );

  // 4. Ask for review: STAGING (expectedStage guards against a concurrent move).
  const staged = await client.transitionModelVersionStage({ modelVersionId: modelVersion.id, stage: "STAGING", expectedStage: "NONE" });
  switch (staged.__typename) {
    case "TransitionModelVersionStagePayload":
      break;
    case "ApprovalRequiredError":
      unwrap(await client.requestModelVersionTransition({ modelVersionId: modelVersion.id, stage: "STAGING", comment: "nightly training" }));
      break;
    default:
      throw new ModelgraphError(staged, "transitionModelVersionStage");
  }
  const registered = await client.modelVersionById(modelVersion.id);
  process.stdout.write(`${JSON.stringify({ id: registered!.id, model: model.name, number: registered!.number, stage: registered!.stage, sha256: resource.sha256, parent: parent?.number ?? null })}\n`);
} catch (error) {
  process.stderr.write(`train-and-register: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
}
