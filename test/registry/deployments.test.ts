// Deployments and model logs (DESIGN.md §1): the deployment status machine, retirement of the previous live
// deployment, exactly one live deployment under concurrent DEPLOYED reports, the environments read, filters, model
// logs, and their events. Everything through the public API of a real server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion, mutate, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { PROJECT_EVENTS, START_CURSOR, subscribe, type EventData } from "../support/subscriptions.ts";

const DEPLOYMENT = "id environment status message startedAt updatedAt finishedAt retiredAt modelVersion { id number } reportedBy { id }";

const REPORT = `mutation($input: ReportDeploymentInput!) {
  result: reportDeployment(input: $input) {
    __typename
    ... on ReportDeploymentPayload { deployment { ${DEPLOYMENT} } retired { ${DEPLOYMENT} } }
    ... on InvalidDeploymentTransitionError { fromStatus toStatus }
    ... on ValidationError { issues { path message } }
    ... on Error { message }
  }
}`;

const ADD_LOG = `mutation($input: AddModelLogInput!) {
  result: addModelLog(input: $input) {
    __typename
    ... on AddModelLogPayload { log { id message success at modelVersion { id } model { id } actor { id } } }
    ... on ValidationError { issues { path message } }
    ... on Error { message }
  }
}`;

const ENVIRONMENTS = `query($id: ID!) {
  node(id: $id) { ... on Model { environments { name liveVersion { id number } liveDeployment { id } lastDeployment { id status modelVersion { id } } } } }
}`;

const MODEL_DEPLOYMENTS = `query($id: ID!, $filter: DeploymentFilter) {
  node(id: $id) { ... on Model { deployments(first: 500, filter: $filter) { totalCount nodes { id environment status modelVersion { id } } } } }
}`;

type Status = "PENDING" | "DEPLOYING" | "DEPLOYED" | "FAILED" | "RETIRED";
interface DeploymentData {
  id: string;
  environment: string;
  status: Status;
  message: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  retiredAt: string | null;
  modelVersion: { id: string; number: number };
}

describe.runIf(databaseAvailable)("deployments and model logs", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let project: { id: string; name: string };

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    project = await createProject(admin);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  const report = async (input: { modelVersionId: string; environment: string; status: Status; message?: string }, client = admin) =>
    (await client.request(REPORT, { input })).result;
  const deployed = async (modelVersionId: string, environment: string, status: Status = "DEPLOYED", message?: string) => {
    const result = await report({ modelVersionId, environment, status, message });
    if (result.__typename !== "ReportDeploymentPayload") throw new Error(`reportDeployment: ${result.__typename} ${result.message}`);
    return result as { deployment: DeploymentData; retired: DeploymentData[] };
  };
  const environments = async (modelId: string) =>
    (await admin.request(ENVIRONMENTS, { id: modelId })).node.environments as {
      name: string;
      liveVersion: { id: string; number: number } | null;
      liveDeployment: { id: string } | null;
      lastDeployment: { id: string; status: Status; modelVersion: { id: string } };
    }[];
  const modelDeployments = async (modelId: string, filter: Record<string, unknown> = {}) =>
    (await admin.request(MODEL_DEPLOYMENTS, { id: modelId, filter })).node.deployments as { totalCount: number; nodes: { id: string; environment: string; status: Status; modelVersion: { id: string } }[] };

  // The status machine: what a report does, by the state of the version's latest attempt in the environment.
  // "update": the same row moves; "new": another attempt starts; an error typename: refused, nothing changed.
  const BEFORE: readonly (Status | null)[] = [null, "PENDING", "DEPLOYING", "DEPLOYED", "FAILED"];
  const REPORTED: readonly Status[] = ["PENDING", "DEPLOYING", "DEPLOYED", "FAILED", "RETIRED"];
  const EXPECTED: Record<string, Record<Status, "update" | "new" | "InvalidDeploymentTransitionError">> = {
    none: { PENDING: "new", DEPLOYING: "new", DEPLOYED: "new", FAILED: "new", RETIRED: "InvalidDeploymentTransitionError" },
    PENDING: { PENDING: "update", DEPLOYING: "update", DEPLOYED: "update", FAILED: "update", RETIRED: "InvalidDeploymentTransitionError" },
    DEPLOYING: { PENDING: "InvalidDeploymentTransitionError", DEPLOYING: "update", DEPLOYED: "update", FAILED: "update", RETIRED: "InvalidDeploymentTransitionError" },
    DEPLOYED: { PENDING: "new", DEPLOYING: "new", DEPLOYED: "new", FAILED: "new", RETIRED: "InvalidDeploymentTransitionError" },
    FAILED: { PENDING: "new", DEPLOYING: "new", DEPLOYED: "new", FAILED: "new", RETIRED: "InvalidDeploymentTransitionError" },
  };

  it("follows the status machine table (forward moves update the open attempt; after DEPLOYED or FAILED a report starts a new one)", async () => {
    const model = await createModel(admin, project.id);
    const outcomes: string[] = [];
    for (const before of BEFORE) {
      for (const reported of REPORTED) {
        const version = await createVersion(admin, model.id);
        const environment = uniqueName("env").toLowerCase();
        const first = before ? await deployed(version.id, environment, before, "first") : null;
        const result = await report({ modelVersionId: version.id, environment, status: reported, message: "second" });
        const expected = EXPECTED[before ?? "none"]![reported];
        let outcome: string = result.__typename;
        if (result.__typename === "ReportDeploymentPayload") {
          outcome = first && result.deployment.id === first.deployment.id ? "update" : "new";
          expect(result.deployment.status).toBe(reported);
          expect(result.deployment.message).toBe("second");
          // finishedAt marks the end of an attempt.
          expect(result.deployment.finishedAt !== null, `${before} → ${reported}`).toBe(reported === "DEPLOYED" || reported === "FAILED");
          if (outcome === "update") expect(result.deployment.startedAt).toBe(first!.deployment.startedAt);
        } else {
          expect(result.toStatus).toBe(reported);
          expect(result.fromStatus).toBe(before === "PENDING" || before === "DEPLOYING" ? before : null);
          // Nothing changed: the earlier attempt (if any) is as it was.
          const all = await modelDeployments(model.id, { environment });
          expect(all.nodes.map((d) => d.status)).toEqual(before ? [before] : []);
        }
        outcomes.push(`${before ?? "none"} → ${reported}: ${outcome}`);
        expect(outcome, `${before ?? "none"} → ${reported}`).toBe(expected);
      }
    }
    expect(outcomes).toHaveLength(BEFORE.length * REPORTED.length);
  });

  it("DEPLOYED retires the environment's previous live deployment of another version, in other environments nothing", async () => {
    const model = await createModel(admin, project.id);
    const v1 = await createVersion(admin, model.id);
    const v2 = await createVersion(admin, model.id);
    const first = await deployed(v1.id, "prod");
    expect(first.retired).toEqual([]);
    await deployed(v1.id, "staging");
    const pending = await deployed(v2.id, "prod", "DEPLOYING");
    // An attempt in progress does not replace the live one.
    expect(pending.retired).toEqual([]);
    expect((await environments(model.id)).find((e) => e.name === "prod")?.liveVersion?.id).toBe(v1.id);

    const second = await deployed(v2.id, "prod");
    expect(second.deployment.id).toBe(pending.deployment.id);
    expect(second.retired.map((d) => [d.id, d.status, d.modelVersion.id])).toEqual([[first.deployment.id, "RETIRED", v1.id]]);
    expect(second.retired[0]!.retiredAt).toBe(second.deployment.finishedAt);

    const envs = await environments(model.id);
    expect(envs.map((e) => [e.name, e.liveVersion?.id, e.lastDeployment.status])).toEqual([
      ["prod", v2.id, "DEPLOYED"],
      ["staging", v1.id, "DEPLOYED"],
    ]);
    expect((await modelDeployments(model.id, { environment: "prod" })).nodes.map((d) => [d.modelVersion.id, d.status])).toEqual([
      [v2.id, "DEPLOYED"],
      [v1.id, "RETIRED"],
    ]);

    // A failed attempt of v1 leaves v2 live; a redeploy of the live version replaces its own earlier row.
    await deployed(v1.id, "prod", "FAILED", "health check failed");
    let prod = (await environments(model.id)).find((e) => e.name === "prod")!;
    expect([prod.liveVersion?.id, prod.lastDeployment.status, prod.lastDeployment.modelVersion.id]).toEqual([v2.id, "FAILED", v1.id]);
    const redeploy = await deployed(v2.id, "prod");
    expect(redeploy.retired.map((d) => d.id)).toEqual([second.deployment.id]);
    prod = (await environments(model.id)).find((e) => e.name === "prod")!;
    expect([prod.liveVersion?.id, prod.liveDeployment?.id]).toEqual([v2.id, redeploy.deployment.id]);
    expect((await modelDeployments(model.id, { status: "DEPLOYED" })).totalCount).toBe(2); // prod and staging
  });

  it("concurrent DEPLOYED reports of two versions to one environment leave exactly one live", async () => {
    const model = await createModel(admin, project.id);
    const versions = await Promise.all([createVersion(admin, model.id), createVersion(admin, model.id), createVersion(admin, model.id)]);
    const clients = versions.map(() => new GraphQLClient(server.url));
    try {
      for (let round = 0; round < 8; round++) {
        const results = await Promise.all(
          versions.flatMap((v, i) => [0, 1].map(() => report({ modelVersionId: v.id, environment: "prod", status: "DEPLOYED" }, clients[i]!))),
        );
        expect(results.map((r) => r.__typename)).toEqual(results.map(() => "ReportDeploymentPayload"));
        const live = await modelDeployments(model.id, { environment: "prod", status: "DEPLOYED" });
        expect(live.totalCount, `round ${round}`).toBe(1);
        // Every report but the first retired exactly the one that was live before it.
        const retired = results.flatMap((r) => r.retired.map((d: DeploymentData) => d.id));
        expect(new Set(retired).size).toBe(retired.length);
        expect(retired.length).toBe(round === 0 ? results.length - 1 : results.length);
      }
      const all = await modelDeployments(model.id, { environment: "prod" });
      expect(all.totalCount).toBe(8 * 6);
      expect(all.nodes.filter((d) => d.status === "DEPLOYED")).toHaveLength(1);
      expect(all.nodes.filter((d) => d.status === "RETIRED")).toHaveLength(8 * 6 - 1);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it("filters deployments and versions by environment, status and version", async () => {
    const model = await createModel(admin, project.id);
    const v1 = await createVersion(admin, model.id);
    const v2 = await createVersion(admin, model.id);
    const a = await deployed(v1.id, "prod-eu");
    const b = await deployed(v2.id, "prod-us");
    const c = await deployed(v2.id, "canary", "FAILED", "timeout");
    expect((await modelDeployments(model.id)).nodes.map((d) => d.id)).toEqual([c.deployment.id, b.deployment.id, a.deployment.id]);
    expect((await modelDeployments(model.id, { status: "FAILED" })).nodes.map((d) => d.id)).toEqual([c.deployment.id]);
    expect((await modelDeployments(model.id, { modelVersionId: v2.id })).nodes.map((d) => d.id)).toEqual([c.deployment.id, b.deployment.id]);
    expect((await modelDeployments(model.id, { modelVersionId: v2.id, environment: "prod-us" })).nodes.map((d) => d.id)).toEqual([b.deployment.id]);
    expect((await modelDeployments(model.id, { modelVersionId: model.id })).totalCount).toBe(0);

    const versionDeployments = await admin.request(
      `query($id: ID!) { node(id: $id) { ... on ModelVersion { deployments(filter: { status: DEPLOYED }) { totalCount nodes { id } } } } }`,
      { id: v2.id },
    );
    expect(versionDeployments.node.deployments.nodes.map((d: { id: string }) => d.id)).toEqual([b.deployment.id]);

    const versionsIn = async (environment: string) =>
      (
        await admin.request(`query($id: ID!, $env: String) { node(id: $id) { ... on Model { versions(filter: { environment: $env }) { nodes { id } } } } }`, {
          id: model.id,
          env: environment,
        })
      ).node.versions.nodes.map((v: { id: string }) => v.id);
    expect(await versionsIn("prod-eu")).toEqual([v1.id]);
    expect(await versionsIn("prod-us")).toEqual([v2.id]);
    expect(await versionsIn("canary")).toEqual([]); // FAILED there: not live
    await deployed(v2.id, "prod-eu");
    expect(await versionsIn("prod-eu")).toEqual([v2.id]); // v1 retired there
    const inProject = await admin.request(`query($id: ID!) { node(id: $id) { ... on Project { modelVersions(filter: { environment: "prod-us" }) { nodes { id } } } } }`, { id: project.id });
    expect(inProject.node.modelVersions.nodes.map((v: { id: string }) => v.id)).toContain(v2.id);
  });

  it("refuses bad environments and messages, deleted versions and archived projects", async () => {
    const model = await createModel(admin, project.id);
    const version = await createVersion(admin, model.id);
    for (const environment of ["Prod", "1prod", "", "prod eu", "p".repeat(65)]) {
      const result = await report({ modelVersionId: version.id, environment, status: "DEPLOYED" });
      expect(result.__typename, environment).toBe("ValidationError");
      expect(result.issues[0].path).toEqual(["input", "environment"]);
    }
    expect((await report({ modelVersionId: version.id, environment: "p".repeat(64), status: "PENDING" })).__typename).toBe("ReportDeploymentPayload");
    const long = await report({ modelVersionId: version.id, environment: "prod", status: "FAILED", message: "x".repeat(4097) });
    expect([long.__typename, long.issues?.[0].path]).toEqual(["ValidationError", ["input", "message"]]);

    const gone = await createVersion(admin, model.id);
    await mutate(admin, "deleteModelVersion", "DeleteModelVersionInput", { id: gone.id }, "modelVersion { id }");
    expect((await report({ modelVersionId: gone.id, environment: "prod", status: "DEPLOYED" })).__typename).toBe("NotFoundError");

    const archivedProject = await createProject(admin);
    const archivedModel = await createModel(admin, archivedProject.id);
    const archivedVersion = await createVersion(admin, archivedModel.id);
    await mutate(admin, "archiveProject", "ArchiveProjectInput", { id: archivedProject.id }, "project { id }");
    expect((await report({ modelVersionId: archivedVersion.id, environment: "prod", status: "DEPLOYED" })).__typename).toBe("ArchivedObjectError");
    const log = (await admin.request(ADD_LOG, { input: { modelId: archivedModel.id, message: "x", success: true } })).result;
    expect(log.__typename).toBe("ArchivedObjectError");
  });

  it("model logs: appended with actor and version, filtered, newest first; a version of another model is refused", async () => {
    const model = await createModel(admin, project.id);
    const other = await createModel(admin, project.id);
    const v1 = await createVersion(admin, model.id);
    const foreign = await createVersion(admin, other.id);
    const add = async (input: Record<string, unknown>) => (await admin.request(ADD_LOG, { input: { modelId: model.id, ...input } })).result;
    const ok = await add({ message: "pipeline step 1 done", success: true });
    const failed = await add({ message: "health check failed", success: false, modelVersionId: v1.id });
    expect(ok.__typename).toBe("AddModelLogPayload");
    expect(failed.log).toMatchObject({ success: false, modelVersion: { id: v1.id }, model: { id: model.id } });
    expect(ok.log.actor.id).toBeTruthy();

    const refused = await add({ message: "x", success: true, modelVersionId: foreign.id });
    expect([refused.__typename, refused.issues?.[0].path]).toEqual(["ValidationError", ["input", "modelVersionId"]]);
    expect((await add({ message: "   ", success: true })).__typename).toBe("ValidationError");
    expect((await add({ message: "x".repeat(4097), success: true })).__typename).toBe("ValidationError");

    const logs = async (filter: Record<string, unknown>) =>
      (await admin.request(`query($id: ID!, $filter: ModelLogFilter) { node(id: $id) { ... on Model { logs(filter: $filter) { totalCount nodes { id } } } } }`, { id: model.id, filter }))
        .node.logs.nodes.map((l: { id: string }) => l.id);
    expect(await logs({})).toEqual([failed.log.id, ok.log.id]);
    expect(await logs({ success: true })).toEqual([ok.log.id]);
    expect(await logs({ success: false })).toEqual([failed.log.id]);
    expect(await logs({ modelVersionId: v1.id })).toEqual([failed.log.id]);
    // Relay nodes.
    const nodes = await admin.request(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids: [ok.log.id] });
    expect(nodes.nodes).toEqual([{ __typename: "ModelLog", id: ok.log.id }]);
    expect(ok.log.id).toMatch(/^mlg_/);
  });

  it("emits DEPLOYMENT_REPORTED (with the previous live deployment) and MODEL_LOG_ADDED to projectEvents", async () => {
    const eventsProject = await createProject(admin);
    const model = await createModel(admin, eventsProject.id);
    const v1 = await createVersion(admin, model.id);
    const v2 = await createVersion(admin, model.id);
    const first = await deployed(v1.id, "prod");
    const second = await deployed(v2.id, "prod", "DEPLOYED", "rolled out");
    const log = (await admin.request(ADD_LOG, { input: { modelId: model.id, modelVersionId: v2.id, message: "smoke test passed", success: true } })).result.log;
    const subscription = subscribe<EventData>("ws", server.url, PROJECT_EVENTS, {
      projectId: eventsProject.id,
      types: ["DEPLOYMENT_REPORTED", "MODEL_LOG_ADDED"],
      after: START_CURSOR,
    });
    try {
      const events = await subscription.waitForCount(3);
      expect(events.map((e) => e.type)).toEqual(["DEPLOYMENT_REPORTED", "DEPLOYMENT_REPORTED", "MODEL_LOG_ADDED"]);
      expect(JSON.parse(events[0]!.payload)).toMatchObject({ deploymentId: first.deployment.id, environment: "prod", status: "DEPLOYED", number: 1, previousLive: null });
      expect(JSON.parse(events[1]!.payload)).toMatchObject({
        deploymentId: second.deployment.id,
        status: "DEPLOYED",
        number: 2,
        modelVersionId: v2.id,
        previousLive: { deploymentId: first.deployment.id, modelVersionId: v1.id, number: 1 },
      });
      expect(events[1]!.modelVersion?.id).toBe(v2.id);
      expect(JSON.parse(events[2]!.payload)).toMatchObject({ logId: log.id, success: true, message: "smoke test passed", number: 2 });
    } finally {
      await subscription.close();
    }
    const audit = await admin.request(`query($p: ID!) { auditLog(first: 10, filter: { projectId: $p }) { nodes { action targetId } } }`, { p: eventsProject.id });
    const actions = audit.auditLog.nodes.map((n: { action: string; targetId: string }) => `${n.action} ${n.targetId}`);
    expect(actions).toContain(`reportDeployment ${second.deployment.id}`);
    expect(actions).toContain(`addModelLog ${log.id}`);
  });
});
