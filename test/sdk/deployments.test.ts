// The SDK's deployment and model-log methods against a real server: reportDeployment through the status machine
// (with its typed error), modelEnvironments, deployments / modelVersionDeployments pages and pagination, modelLogs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelgraphError, unwrap } from "@modelgraph/sdk";
import { databaseAvailable } from "../support/server.ts";
import { projectWithModel, startSdkServer, type SdkFixture } from "./support.ts";

describe.skipIf(!databaseAvailable)("SDK deployments and model logs", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("reports deployments, reads environments and pages of deployments", async () => {
    const { model } = await projectWithModel(fx.client);
    const { modelVersion: v1 } = unwrap(await fx.client.createModelVersion({ modelId: model.id }));
    const { modelVersion: v2 } = unwrap(await fx.client.createModelVersion({ modelId: model.id }));

    const deploying = unwrap(await fx.client.reportDeployment({ modelVersionId: v1.id, environment: "prod", status: "DEPLOYING", message: "pulling image" }));
    expect(deploying.deployment).toMatchObject({ status: "DEPLOYING", environment: "prod", message: "pulling image", finishedAt: null, modelVersion: { id: v1.id, number: 1 } });
    // Backwards is refused, as typed data.
    const backwards = await fx.client.reportDeployment({ modelVersionId: v1.id, environment: "prod", status: "PENDING" });
    if (backwards.__typename !== "InvalidDeploymentTransitionError") throw new Error(`expected a refusal, got ${backwards.__typename}`);
    expect([backwards.fromStatus, backwards.toStatus]).toEqual(["DEPLOYING", "PENDING"]);
    expect(() => unwrap(backwards)).toThrow(ModelgraphError);

    const live1 = unwrap(await fx.client.reportDeployment({ modelVersionId: v1.id, environment: "prod", status: "DEPLOYED" }));
    expect(live1.deployment.id).toBe(deploying.deployment.id);
    expect(live1.deployment.finishedAt).not.toBeNull();
    const live2 = unwrap(await fx.client.reportDeployment({ modelVersionId: v2.id, environment: "prod", status: "DEPLOYED" }));
    expect(live2.retired.map((d) => [d.id, d.status])).toEqual([[live1.deployment.id, "RETIRED"]]);
    unwrap(await fx.client.reportDeployment({ modelVersionId: v1.id, environment: "canary", status: "FAILED", message: "checksum mismatch" }));

    const environments = await fx.client.modelEnvironments({ modelId: model.id });
    expect(environments.map((e) => [e.name, e.liveVersion?.number ?? null, e.lastDeployment.status, e.lastDeployment.message])).toEqual([
      ["canary", null, "FAILED", "checksum mismatch"],
      ["prod", 2, "DEPLOYED", null],
    ]);

    const page = await fx.client.deployments({ modelId: model.id, filter: { environment: "prod" } });
    expect(page.totalCount).toBe(2);
    expect(page.nodes.map((d) => d.status)).toEqual(["DEPLOYED", "RETIRED"]);
    const walked: string[] = [];
    for await (const d of fx.client.paginate.deployments({ modelId: model.id }, { pageSize: 1 })) walked.push(d.id);
    expect(walked).toHaveLength(3);
    expect((await fx.client.modelVersionDeployments({ id: v1.id })).nodes.map((d) => d.environment)).toEqual(["canary", "prod"]);
    expect((await fx.client.modelVersions({ modelId: model.id, filter: { environment: "prod" } })).nodes.map((v) => v.id)).toEqual([v2.id]);
  });

  it("adds model logs and reads them filtered", async () => {
    const { model } = await projectWithModel(fx.client);
    const { modelVersion } = unwrap(await fx.client.createModelVersion({ modelId: model.id }));
    const { log } = unwrap(await fx.client.addModelLog({ modelId: model.id, modelVersionId: modelVersion.id, message: "health check failed", success: false }));
    expect(log).toMatchObject({ success: false, message: "health check failed", modelVersion: { id: modelVersion.id }, model: { id: model.id } });
    unwrap(await fx.client.addModelLog({ modelId: model.id, message: "retrained", success: true }));
    expect((await fx.client.modelLogs({ modelId: model.id })).nodes.map((l) => l.message)).toEqual(["retrained", "health check failed"]);
    expect((await fx.client.modelLogs({ modelId: model.id, filter: { success: false } })).nodes.map((l) => l.id)).toEqual([log.id]);
    const refused = await fx.client.addModelLog({ modelId: model.id, message: "", success: true });
    expect(refused.__typename).toBe("ValidationError");
  });
});
