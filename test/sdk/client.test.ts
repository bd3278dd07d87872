// The SDK client against a real server: typed reads and writes, result unions and unwrap/match, lineage reads,
// pagination as async iterators, and the transport errors (bad token, unreachable server, invalid operation).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  createClient,
  GraphQLRequestError,
  isError,
  isPayload,
  match,
  ModelgraphError,
  NetworkError,
  unwrap,
  type ServerWarning,
} from "@modelgraph/sdk";
import { ADMIN_TOKEN, databaseAvailable } from "../support/server.ts";
import { projectWithModel, startSdkServer, unique, unusedPort, type SdkFixture } from "./support.ts";

describe.skipIf(!databaseAvailable)("SDK client", () => {
  let fx: SdkFixture;
  beforeAll(async () => {
    fx = await startSdkServer();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("reads who the token belongs to", async () => {
    const viewer = await fx.client.viewer();
    expect(viewer.isAdmin).toBe(true);
    expect(viewer.id).toMatch(/.+/);
  });

  it("returns mutation errors as data, discriminated on __typename", async () => {
    const name = unique("dup");
    const first = await fx.client.createProject({ name });
    expect(isPayload(first)).toBe(true);
    const second = await fx.client.createProject({ name: name.toUpperCase() });
    expect(second.__typename).toBe("NameConflictError");
    expect(isError(second)).toBe(true);
    if (second.__typename === "NameConflictError") expect(second.name.toLowerCase()).toBe(name);

    const invalid = await fx.client.createProject({ name: "no spaces allowed" });
    const description = match(invalid, {
      CreateProjectPayload: (p) => `created ${p.project.name}`,
      ValidationError: (e) => `invalid: ${e.issues.map((i) => i.path.join(".")).join(",")}`,
      NameConflictError: (e) => `taken: ${e.name}`,
      ArchivedObjectError: (e) => e.message,
      ForbiddenError: (e) => e.message,
      NotFoundError: (e) => e.message,
    });
    expect(description).toBe("invalid: input.name");
  });

  it("unwrap returns the payload or throws a ModelgraphError with the typename and fields", async () => {
    const { project } = unwrap(await fx.client.createProject({ name: unique("unwrap") }));
    expect(project.viewerRole).toBe("ADMIN");
    const error = await (async () => unwrap(await fx.client.createProject({ name: project.name }), "createProject"))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgraphError);
    const typed = error as ModelgraphError;
    expect(typed.typename).toBe("NameConflictError");
    expect(typed.operation).toBe("createProject");
    expect(typed.is("NameConflictError") && typed.error.kind).toBe("Project");
    expect(typed.message).toMatch(/^NameConflictError: /);
  });

  it("registers versions with lineage and reads the lineage graph back", async () => {
    const { project, model } = await projectWithModel(fx.client);
    const { experiment } = unwrap(await fx.client.createExperiment({ projectId: project.id, name: unique("exp") }));
    const { iteration } = unwrap(await fx.client.createIteration({ experimentId: experiment.id, params: [{ key: "lr", value: "0.01" }] }));
    unwrap(await fx.client.logIterationMetrics({ iterationId: iteration.id, metrics: [{ name: "loss", value: 0.9, step: 1 }, { name: "loss", value: 0.4, step: 2 }] }));
    unwrap(await fx.client.finishIteration({ iterationId: iteration.id }));
    const resource = await fx.client.uploadArtifact(new TextEncoder().encode("weights v1"), { projectId: project.id, name: "model.onnx", format: "ONNX" });
    const v1 = unwrap(await fx.client.createModelVersion({ modelId: model.id, iterationId: iteration.id, resourceId: resource.id, metrics: [{ name: "acc", value: 0.8 }], tags: [{ key: "team", value: "vision" }] })).modelVersion;
    const v2 = unwrap(await fx.client.createModelVersion({ modelId: model.id, parentVersionId: v1.id, metrics: [{ name: "acc", value: 0.85 }] })).modelVersion;
    expect([v1.number, v2.number]).toEqual([1, 2]);
    expect(v1.resource?.sha256).toBe(resource.sha256);

    const lineage = await fx.client.modelVersionLineage(v1.id);
    expect(lineage?.model.project.name).toBe(project.name);
    expect(lineage?.iteration?.experiment.name).toBe(experiment.name);
    expect(lineage?.iteration?.params).toEqual([{ key: "lr", value: "0.01" }]);
    expect(lineage?.resource?.format).toBe("ONNX");
    expect(lineage?.childVersions.nodes.map((c) => c.number)).toEqual([2]);
    expect((await fx.client.modelVersionLineage(v2.id))?.parentVersion?.number).toBe(1);

    const history = await fx.client.iterationMetricHistory({ iterationId: iteration.id, name: "loss" });
    expect(history.map((p) => [p.step, p.value])).toEqual([
      [1, 0.9],
      [2, 0.4],
    ]);
    expect((await fx.client.iterationModelVersions({ iterationId: iteration.id })).nodes.map((v) => v.number)).toEqual([1]);
    expect((await fx.client.resourceModelVersions({ resourceId: resource.id })).totalCount).toBe(1);
    expect((await fx.client.iteration({ experimentId: experiment.id, number: 1 }))?.id).toBe(iteration.id);
    expect((await fx.client.experiment({ project: { name: project.name }, name: experiment.name }))?.id).toBe(experiment.id);

    const comparison = await fx.client.compareModelVersions({ a: v1.id, b: v2.id });
    const acc = comparison?.metrics.find((m) => m.name === "acc");
    expect(acc?.delta).toBeCloseTo(0.05);
    expect(comparison?.tagChanges).toEqual([{ key: "team", a: "vision", b: null }]);

    expect((await fx.client.node(v1.id))?.__typename).toBe("ModelVersion");
    expect((await fx.client.nodes([v1.id, model.id])).map((n) => n?.__typename)).toEqual(["ModelVersion", "Model"]);
    expect((await fx.client.modelVersion({ modelId: model.id, number: 2 }))?.id).toBe(v2.id);
    expect((await fx.client.latestModelVersion({ modelId: model.id }))?.number).toBe(2);
    expect(await fx.client.modelVersionById(model.id)).toBeNull();
  });

  it("moves versions through stages and reports stage conflicts as typed errors", async () => {
    const { model } = await projectWithModel(fx.client);
    const v1 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    const v2 = unwrap(await fx.client.createModelVersion({ modelId: model.id })).modelVersion;
    for (const v of [v1, v2]) unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v.id, stage: "STAGING" }));
    unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "PRODUCTION", expectedStage: "STAGING" }));
    const promoted = unwrap(await fx.client.transitionModelVersionStage({ modelVersionId: v2.id, stage: "PRODUCTION", expectedStage: "STAGING" }));
    expect(promoted.archivedVersions.map((v) => v.number)).toEqual([1]);
    expect((await fx.client.productionModelVersion({ modelId: model.id }))?.number).toBe(2);

    const stale = await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "STAGING", expectedStage: "PRODUCTION" });
    expect(stale.__typename).toBe("StaleStageError");
    if (stale.__typename === "StaleStageError") expect(stale.actualStage).toBe("ARCHIVED");
    const invalid = await fx.client.transitionModelVersionStage({ modelVersionId: v1.id, stage: "NONE" });
    expect(invalid.__typename).toBe("InvalidStageTransitionError");

    const rolledBack = unwrap(await fx.client.rollbackModel({ modelId: model.id }));
    expect(rolledBack.modelVersion.number).toBe(1);
    expect(rolledBack.transition.cause).toBe("ROLLBACK");
    const history = await fx.client.paginate.modelStageHistory({ modelId: model.id }).all();
    expect(history.map((t) => `${t.modelVersion.number}:${t.toStage}`)).toEqual(["1:STAGING", "2:STAGING", "1:PRODUCTION", "1:ARCHIVED", "2:PRODUCTION", "2:ARCHIVED", "1:PRODUCTION"]);
    const at = await fx.client.modelVersionAt({ modelId: model.id, stage: "PRODUCTION", at: promoted.transition.at });
    expect(at?.number).toBe(2);
  });

  it("walks connections as async iterators, page by page", async () => {
    const { project, model } = await projectWithModel(fx.client);
    for (let i = 0; i < 7; i++) unwrap(await fx.client.createModelVersion({ modelId: model.id, tags: [{ key: "parity", value: i % 2 ? "odd" : "even" }] }));

    const numbers: number[] = [];
    for await (const version of fx.client.paginate.modelVersions({ modelId: model.id }, { pageSize: 3 })) numbers.push(version.number);
    expect(numbers).toEqual([7, 6, 5, 4, 3, 2, 1]);

    const pages: number[][] = [];
    for await (const page of fx.client.paginate.modelVersions({ modelId: model.id, orderBy: { field: "NUMBER", direction: "ASC" } }, { pageSize: 3 }).pages()) {
      pages.push(page.nodes.map((v) => v.number));
    }
    expect(pages).toEqual([[1, 2, 3], [4, 5, 6], [7]]);

    const even = await fx.client.paginate.modelVersions({ modelId: model.id, filter: { tag: { key: "parity", value: "even" } } }, { pageSize: 2 }).all();
    expect(even.map((v) => v.number)).toEqual([7, 5, 3, 1]);
    expect(await fx.client.paginate.projectModelVersions({ project: { id: project.id } }, { limit: 4, pageSize: 3 }).all()).toHaveLength(4);
    const firstPage = await fx.client.modelVersions({ modelId: model.id, first: 2 });
    expect(firstPage.totalCount).toBe(7);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);

    const models = await fx.client.paginate.projectModels({ project: { name: project.name } }).all();
    expect(models.map((m) => m.name)).toEqual([model.name]);
    expect((await fx.client.paginate.projects({ filter: { nameContains: project.name } }).all()).map((p) => p.id)).toEqual([project.id]);
  });

  it("throws a NotFoundError for reads under a missing parent and answers null for lookups", async () => {
    expect(await fx.client.project({ name: unique("missing") })).toBeNull();
    const error = await fx.client.projectModels({ project: { name: "missing-project" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelgraphError);
    expect((error as ModelgraphError).typename).toBe("NotFoundError");
    const paged = await fx.client.paginate.modelVersions({ modelId: "TW9kZWw6bm9wZQ==" }).all().catch((e: unknown) => e);
    expect((paged as ModelgraphError).typename).toBe("NotFoundError");
  });

  it("passes server warnings (deprecated objects) to onWarning", async () => {
    const warnings: ServerWarning[] = [];
    const client = createClient({ url: fx.server.url, token: ADMIN_TOKEN, onWarning: (w) => warnings.push(w) });
    const { project, model } = await projectWithModel(client);
    unwrap(await client.deprecateModel({ id: model.id }));
    await client.model({ project: { id: project.id }, name: model.name });
    expect(warnings.some((w) => w.code === "DEPRECATED" && w.subjectId === model.id)).toBe(true);
  });

  it("runs custom documents with request()", async () => {
    const data = await fx.client.request<{ viewer: { name: string } }, Record<string, never>>("query { viewer { name } }", {});
    expect(data.viewer.name).toBeTruthy();
    const error = await fx.client.request("query { nope }").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphQLRequestError);
  });

  it("raises AuthenticationError for a bad or revoked token, on HTTP and on graphql-ws", async () => {
    const bad = createClient({ url: fx.server.url, token: "mg_this_token_does_not_exist_000000000000" });
    const error = await bad.viewer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);

    const { apiToken, token } = unwrap(await fx.client.createApiToken({ name: unique("ci") }));
    const scoped = createClient({ url: fx.server.url, token });
    expect((await scoped.viewer()).isAdmin).toBe(true);
    unwrap(await fx.client.revokeApiToken({ id: apiToken.id }));
    await expect(scoped.viewer()).rejects.toBeInstanceOf(AuthenticationError);

    const { project } = unwrap(await fx.client.createProject({ name: unique("ws") }));
    const watch = bad.watchStageChanges({ projectId: project.id, onEvent: () => {} });
    await expect(watch.done).rejects.toBeInstanceOf(AuthenticationError);
    await bad.close();
  });

  it("raises NetworkError when the server is unreachable", async () => {
    const port = await unusedPort();
    const offline = createClient({ url: `http://127.0.0.1:${port}`, token: ADMIN_TOKEN, retries: 1 });
    const error = await offline.viewer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toMatch(/ECONNREFUSED/);
    const changes = offline.stageChanges({ projectId: "x" }, { retryInitialConnection: false });
    await expect((async () => {
      for await (const _ of changes) break;
    })()).rejects.toBeInstanceOf(NetworkError);
  });

  it("accepts the server URL with or without /graphql and a token function", async () => {
    let calls = 0;
    const client = createClient({
      url: `${fx.server.url}/graphql`,
      token: async () => {
        calls++;
        return ADMIN_TOKEN;
      },
    });
    expect(client.endpoint).toBe(`${fx.server.url}/graphql`);
    await client.viewer();
    await client.viewer();
    expect(calls).toBe(2);
  });
});
