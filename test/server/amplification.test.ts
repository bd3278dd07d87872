// Request amplification (hardening issue): what one VIEWER request may make the server do is bounded before it
// runs. List arguments multiply the cost, `nodes(ids:)` is capped, plain lists (metrics, params, tags) count at
// their per-object cap, the caps themselves hold on every write, a response over the size limit is refused instead
// of built, and a document with too many selections is refused before validation. Real server, real HTTP; the
// statements a request costs are counted by the server's Prisma query events.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../server/src/domain/ids.ts";
import { GraphQLClient, type GraphQLResponse } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createVersion, mutate, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

/** Defaults of server/src/config.ts and server/src/domain/rules.ts, which the messages must state. */
const LIMITS = { cost: 5_000_000, nodeIds: 100, selections: 500 };
const CAPS = { tags: 64, metricsPerVersion: 1_000, metricsPerIteration: 1_000, params: 1_000, historyPage: 1_000 };

const codes = (res: GraphQLResponse) => (res.errors ?? []).map((e) => e.extensions?.code);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const metrics = (n: number, prefix = "m") => range(n).map((i) => ({ name: `${prefix}${i}`, value: i / 7 }));
const keyValues = (n: number) => range(n).map((i) => ({ key: `k${i}`, value: `v${i}` }));

/** The brief's request: 4,000 times the same model, each with 500 versions and their metrics. */
const NODES_AMPLIFICATION = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Model { versions(first: 500) { nodes { metrics { name value } } } } } }`;
/** Projects filtered by a list of statuses: each entry is an IN-list value the database matches for every row. */
const STATUS_FILTER = `query($status: [ObjectStatus!]) { projects(filter: { status: $status }) { nodes { models(first: 100) { nodes { id name } } } } }`;
/** Every model's latest version among a list of stages: one lookup per model, each with the whole list. */
const LATEST_BY_STAGES = `query($id: ID!, $stages: [ModelVersionStage!]) { project(by: { id: $id }) { models(first: 500) { nodes { latestVersion(stages: $stages) { number } } } } }`;

describe.runIf(databaseAvailable)("request amplification", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let viewer: GraphQLClient;
  let project: { id: string; name: string };
  let model: { id: string; name: string };

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    project = await createProject(admin);
    model = await createModel(admin, project.id);
    await createVersion(admin, model.id, { metrics: metrics(CAPS.metricsPerVersion) });
    const user = (await mutate(admin, "createUser", "CreateUserInput", { name: uniqueName("viewer") }, "user { id }")).user;
    const { token } = await mutate(admin, "createApiToken", "CreateApiTokenInput", { name: "viewer", userId: user.id }, "token");
    await mutate(admin, "addProjectMember", "AddProjectMemberInput", { projectId: project.id, userId: user.id, role: "VIEWER" }, "project { id }");
    viewer = admin.as(token);
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  /**
   * The response and the statements the server sent for it, less those of a request that runs nothing
   * (`{ __typename }`: authentication only). The counter is process-wide: the least of three runs is taken.
   */
  async function measure(client: GraphQLClient, query: string, variables: Record<string, unknown> = {}) {
    const leastOfThree = async (send: () => Promise<GraphQLResponse>) => {
      let least = Infinity;
      let res: GraphQLResponse = {};
      for (let run = 0; run < 3; run++) {
        const before = server.app.db.stats.statements;
        res = await send();
        least = Math.min(least, server.app.db.stats.statements - before);
      }
      return { res, least };
    };
    const baseline = await leastOfThree(() => client.raw(`{ __typename }`));
    const measured = await leastOfThree(() => client.raw(query, variables));
    return { res: measured.res, statements: measured.least - baseline.least };
  }

  describe("list arguments multiply the cost and are refused before any SQL runs", () => {
    it("nodes(ids:) with 4,000 ids of a model with 500 versions of 1,000 metrics: MAX_NODE_IDS_EXCEEDED and MAX_COST_EXCEEDED, no statement", async () => {
      const { res, statements } = await measure(viewer, NODES_AMPLIFICATION, { ids: range(4_000).map(() => model.id) });
      expect(codes(res), JSON.stringify(res).slice(0, 500)).toEqual(["MAX_NODE_IDS_EXCEEDED", "MAX_COST_EXCEEDED"]);
      expect(res.errors![0]!.message).toBe(`nodes(ids:) takes at most ${LIMITS.nodeIds} ids (got 4000).`);
      expect(res.errors![0]!.extensions).toMatchObject({ limit: LIMITS.nodeIds });
      expect(res.data).toBeUndefined();
      expect(statements).toBe(0);
    });

    it("nodes(ids:) takes up to 100 ids, as literals or a variable; 101 are refused", async () => {
      const ids = range(100).map(() => model.id);
      const ok = await viewer.raw(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
      expect(ok.errors).toBeUndefined();
      expect(ok.data.nodes).toHaveLength(100);
      const literal = await viewer.raw(`{ nodes(ids: [${[...ids, model.id].map((id) => JSON.stringify(id)).join(", ")}]) { id } }`);
      expect(codes(literal)).toEqual(["MAX_NODE_IDS_EXCEEDED"]);
      const variable = await viewer.raw(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [...ids, model.id] });
      expect(codes(variable)).toEqual(["MAX_NODE_IDS_EXCEEDED"]);
    });

    it("the same ids document costs its list's length: 100 ids of a model with its versions' metrics is refused, 1 runs", async () => {
      const query = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Model { versions(first: 100) { nodes { metrics { name value } } } } } }`;
      const many = await measure(viewer, query, { ids: range(100).map(() => model.id) });
      expect(codes(many.res)).toEqual(["MAX_COST_EXCEEDED"]);
      expect(many.res.errors![0]!.message).toMatch(new RegExp(`^Query Cost limit of ${LIMITS.cost} exceeded, found \\d+`));
      expect(many.statements).toBe(0);
      const one = await viewer.raw(query, { ids: [model.id] });
      expect(one.errors).toBeUndefined();
      expect(one.data.nodes[0].versions.nodes[0].metrics).toHaveLength(CAPS.metricsPerVersion);
    });

    it("a filter list of 50,000 statuses is refused before it reaches the database; the same filter with one status runs", async () => {
      const many = await measure(viewer, STATUS_FILTER, { status: range(50_000).map(() => "ACTIVE") });
      expect(codes(many.res)).toEqual(["MAX_COST_EXCEEDED"]);
      expect(many.statements).toBe(0);
      const one = await viewer.raw(STATUS_FILTER, { status: ["ACTIVE"] });
      expect(one.errors).toBeUndefined();
      expect(one.data.projects.nodes).toEqual([{ models: { nodes: [{ id: model.id, name: model.name }] } }]);
    });

    it("latestVersion(stages:) under 500 models with 5,000 stages is refused with no statement; with one stage it runs", async () => {
      const many = await measure(viewer, LATEST_BY_STAGES, { id: project.id, stages: range(5_000).map(() => "NONE") });
      expect(codes(many.res)).toEqual(["MAX_COST_EXCEEDED"]);
      expect(many.statements).toBe(0);
      const one = await viewer.raw(LATEST_BY_STAGES, { id: project.id, stages: ["NONE"] });
      expect(one.errors).toBeUndefined();
      expect(one.data.project.models.nodes[0].latestVersion.number).toBe(1);
    });

    it("plain lists count at their cap: versions with their metrics fit for 100 versions, not for 300", async () => {
      const query = `query($id: ID!, $n: Int) { node(id: $id) { ... on Model { versions(first: $n) { nodes { metrics { name value } } } } } }`;
      const large = await measure(viewer, query, { id: model.id, n: 300 });
      expect(codes(large.res)).toEqual(["MAX_COST_EXCEEDED"]);
      expect(large.statements).toBe(0);
      const small = await viewer.raw(query, { id: model.id, n: 100 });
      expect(small.errors).toBeUndefined();
      // The same 300 versions without their metrics cost 1,000 times less, and run.
      const bare = await viewer.raw(`query($id: ID!) { node(id: $id) { ... on Model { versions(first: 300) { nodes { number } } } } }`, { id: model.id });
      expect(bare.errors).toBeUndefined();
    });

    it("nodes(ids:) at its cap of 100 distinct ids costs at most one statement per id (measured and reported)", async () => {
      const experiment = await createExperiment(admin, project.id);
      const iteration = await createIteration(admin, experiment.id);
      // Ids no row has cost a lookup as real ones do.
      const unknown = range(96).map(() => encodeGlobalId("ModelVersion", randomUUID()));
      const ids = [project.id, model.id, experiment.id, iteration.id, ...unknown];
      const { res, statements } = await measure(viewer, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
      expect(res.errors).toBeUndefined();
      expect(res.data.nodes.map((n: { id: string } | null) => n?.id ?? null)).toEqual([...ids.slice(0, 4), ...unknown.map(() => null)]);
      console.info(`[amplification] nodes(ids:) with 100 distinct ids cost ${statements} statements`);
      expect(statements).toBeLessThanOrEqual(ids.length + 4);
    });
  });

  describe("per-object caps: a write over a cap is a ValidationError naming the field and the cap, and changes nothing", () => {
    async function validationIssues(res: GraphQLResponse, field: string): Promise<{ path: string[]; message: string }[]> {
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      const result = res.data.result;
      expect(result.__typename, `${field}: ${JSON.stringify(result)}`).toBe("ValidationError");
      return result.issues;
    }
    const doc = (field: string, inputType: string, selection: string) =>
      `mutation($input: ${inputType}!) { result: ${field}(input: $input) { __typename ... on ValidationError { message issues { path message } } ... on Error { message } ${selection} } }`;

    it("tags: at most 64 on every object that has tags, keys ≤ 128 and values ≤ 4,096 characters", async () => {
      const experiment = await createExperiment(admin, project.id);
      const iteration = await createIteration(admin, experiment.id);
      const version = await createVersion(admin, model.id);
      const writes: [string, string, Record<string, unknown>][] = [
        ["createProject", "CreateProjectInput", { name: uniqueName("tags") }],
        ["updateProject", "UpdateProjectInput", { id: project.id }],
        ["createExperiment", "CreateExperimentInput", { projectId: project.id, name: uniqueName("tags") }],
        ["updateExperiment", "UpdateExperimentInput", { id: experiment.id }],
        ["createIteration", "CreateIterationInput", { experimentId: experiment.id }],
        ["createModel", "CreateModelInput", { projectId: project.id, name: uniqueName("tags") }],
        ["updateModel", "UpdateModelInput", { id: model.id }],
        ["createModelVersion", "CreateModelVersionInput", { modelId: model.id }],
        ["updateModelVersion", "UpdateModelVersionInput", { id: version.id }],
      ];
      const over = [
        { tags: keyValues(CAPS.tags + 1), message: `must have at most ${CAPS.tags} entries (got ${CAPS.tags + 1})`, at: ["input", "tags"] },
        { tags: [{ key: "k".repeat(129), value: "v" }], message: "must be at most 128 characters (got 129)", at: ["input", "tags", "0", "key"] },
        { tags: [{ key: "k", value: "v".repeat(4_097) }], message: "must be at most 4096 characters (got 4097)", at: ["input", "tags", "0", "value"] },
      ];
      for (const [field, inputType, input] of writes) {
        for (const { tags, message, at } of over) {
          const issues = await validationIssues(await admin.raw(doc(field, inputType, ""), { input: { ...input, tags } }), field);
          expect(issues, field).toContainEqual({ path: at, message });
        }
      }
      // At the cap is accepted.
      const ok = await admin.raw(doc("updateModel", "UpdateModelInput", "... on UpdateModelPayload { model { tags { key } } }"), { input: { id: model.id, tags: keyValues(CAPS.tags) } });
      expect(ok.data.result.model.tags).toHaveLength(CAPS.tags);
      // Nothing over a cap was created.
      const created = await admin.request(
        `query($id: ID!) { projects(filter: { nameContains: "tags-" }) { totalCount } project(by: { id: $id }) { experiments(filter: { nameContains: "tags-" }) { totalCount } models(filter: { nameContains: "tags-" }) { totalCount } } }`,
        { id: project.id },
      );
      expect(created).toEqual({ projects: { totalCount: 0 }, project: { experiments: { totalCount: 0 }, models: { totalCount: 0 } } });
      const iterations = await admin.request(`query($id: ID!) { node(id: $id) { ... on Experiment { iterations { totalCount } } } }`, { id: experiment.id });
      expect(iterations.node.iterations.totalCount).toBe(1);
      void iteration;
    });

    it("metrics of a model version: at most 1,000, on create and update; the version keeps its metrics", async () => {
      const create = await admin.raw(doc("createModelVersion", "CreateModelVersionInput", ""), { input: { modelId: model.id, metrics: metrics(CAPS.metricsPerVersion + 1) } });
      expect(await validationIssues(create, "createModelVersion")).toEqual([
        { path: ["input", "metrics"], message: `must have at most ${CAPS.metricsPerVersion} entries (got ${CAPS.metricsPerVersion + 1})` },
      ]);
      const version = await createVersion(admin, model.id, { metrics: metrics(3) });
      const update = await admin.raw(doc("updateModelVersion", "UpdateModelVersionInput", ""), { input: { id: version.id, metrics: metrics(CAPS.metricsPerVersion + 1) } });
      expect((await validationIssues(update, "updateModelVersion"))[0]!.message).toBe(`must have at most ${CAPS.metricsPerVersion} entries (got ${CAPS.metricsPerVersion + 1})`);
      const after = await admin.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { metrics { name } } } }`, { id: version.id });
      expect(after.node.metrics.map((m: { name: string }) => m.name)).toEqual(["m0", "m1", "m2"]);
    });

    it("params of an iteration: at most 1,000", async () => {
      const experiment = await createExperiment(admin, project.id);
      const res = await admin.raw(doc("createIteration", "CreateIterationInput", ""), { input: { experimentId: experiment.id, params: keyValues(CAPS.params + 1) } });
      expect(await validationIssues(res, "createIteration")).toEqual([
        { path: ["input", "params"], message: `must have at most ${CAPS.params} entries (got ${CAPS.params + 1})` },
      ]);
      const iterations = await admin.request(`query($id: ID!) { node(id: $id) { ... on Experiment { iterations { totalCount } } } }`, { id: experiment.id });
      expect(iterations.node.iterations.totalCount).toBe(0);
    });

    it("metric names of an iteration: at most 1,000 over all its logIterationMetrics calls; more points of known names are fine", async () => {
      const experiment = await createExperiment(admin, project.id);
      const iteration = await createIteration(admin, experiment.id);
      const log = (points: { name: string; value: number; step?: number }[]) =>
        admin.raw(doc("logIterationMetrics", "LogIterationMetricsInput", "... on LogIterationMetricsPayload { iteration { id } }"), { input: { iterationId: iteration.id, metrics: points } });
      expect((await log(metrics(CAPS.metricsPerIteration - 1))).data.result.__typename).toBe("LogIterationMetricsPayload");
      // One new name and a later step of known ones: exactly at the cap.
      expect((await log([{ name: "last", value: 1 }, ...metrics(10).map((m) => ({ ...m, step: 1 }))])).data.result.__typename).toBe("LogIterationMetricsPayload");
      const over = await log([{ name: "one-too-many", value: 1 }, { name: "m0", value: 9, step: 2 }]);
      expect(await validationIssues(over, "logIterationMetrics")).toEqual([
        { path: ["input", "metrics"], message: `an iteration may have at most ${CAPS.metricsPerIteration} metrics (this call would make it ${CAPS.metricsPerIteration + 1})` },
      ]);
      const points = await log(range(10_001).map((i) => ({ name: "m0", value: i, step: i })));
      expect((await validationIssues(points, "logIterationMetrics"))[0]!.message).toBe("must have at most 10000 entries (got 10001)");
      const read = await admin.request(`query($id: ID!) { node(id: $id) { ... on Iteration { metrics { name value step } } } }`, { id: iteration.id });
      expect(read.node.metrics).toHaveLength(CAPS.metricsPerIteration);
      // The refused call logged nothing: m0's latest point is still step 1's.
      expect(read.node.metrics.find((m: { name: string }) => m.name === "m0")).toEqual({ name: "m0", value: 0, step: 1 });
      expect(read.node.metrics.some((m: { name: string }) => m.name === "one-too-many")).toBe(false);
    });

    it("metricHistory returns at most 1,000 points per field, paged with afterStep", async () => {
      const experiment = await createExperiment(admin, project.id);
      const iteration = await createIteration(admin, experiment.id);
      await mutate(admin, "logIterationMetrics", "LogIterationMetricsInput", { iterationId: iteration.id, metrics: range(2_500).map((i) => ({ name: "loss", value: 1 / (i + 1), step: i })) }, "iteration { id }");
      const history = `query($id: ID!, $after: Int, $first: Int) { node(id: $id) { ... on Iteration { metricHistory(name: "loss", afterStep: $after, first: $first) { step } metrics { name step } } } }`;
      const steps = async (variables: Record<string, unknown>) =>
        (await admin.request(history, { id: iteration.id, ...variables })).node.metricHistory.map((p: { step: number }) => p.step);
      expect(await steps({})).toEqual(range(CAPS.historyPage));
      expect(await steps({ after: 999 })).toEqual(range(CAPS.historyPage).map((i) => i + 1_000));
      expect(await steps({ after: 1_999 })).toEqual(range(500).map((i) => i + 2_000));
      expect(await steps({ first: 5_000 })).toHaveLength(CAPS.historyPage);
      expect(await steps({ first: 3 })).toEqual([0, 1, 2]);
      const latest = await admin.request(history, { id: iteration.id, first: 1 });
      expect(latest.node.metrics).toEqual([{ name: "loss", step: 2_499 }]);
    });
  });

  describe("response size and selections", () => {
    it("a document with more than 500 selections is refused before validation: MAX_SELECTIONS_EXCEEDED", async () => {
      const repeated = (n: number) => `query Unique${n} { ${"viewer { id } ".repeat(n)} }`;
      const res = await viewer.raw(repeated(400));
      expect(codes(res)).toEqual(["MAX_SELECTIONS_EXCEEDED"]);
      expect(res.errors![0]!.message).toBe(`Selection limit of ${LIMITS.selections} exceeded, found 800.`);
      expect(res.errors![0]!.extensions).toMatchObject({ limit: LIMITS.selections });
      // Fragments count as written: spreads and inline fragments are selections too.
      const spreads = await viewer.raw(`query { ${"...V ".repeat(600)} } fragment V on Query { viewer { id } }`);
      expect(codes(spreads)).toEqual(["MAX_SELECTIONS_EXCEEDED"]);
      const ok = await viewer.raw(repeated(200));
      expect(ok.errors).toBeUndefined();
    });
  });
});

describe.runIf(databaseAvailable)("GRAPHQL_MAX_RESPONSE_BYTES", () => {
  let server: TestServer;
  let client: GraphQLClient;
  beforeAll(async () => {
    server = await startTestServer({ GRAPHQL_MAX_RESPONSE_BYTES: "20000" });
    client = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("a response over the limit is refused with RESPONSE_TOO_LARGE, without its data; a smaller one is answered", async () => {
    const project = await createProject(client);
    const model = await createModel(client, project.id);
    const version = await createVersion(client, model.id, { metrics: metrics(1_000) });
    const query = `query($id: ID!) { node(id: $id) { ... on ModelVersion { number metrics { name value } } } }`;
    const big = await client.raw(query, { id: version.id });
    expect(codes(big)).toEqual(["RESPONSE_TOO_LARGE"]);
    expect(big.errors![0]!.message).toBe("Response size limit of 20000 bytes exceeded: ask for fewer objects or smaller pages.");
    expect(big.errors![0]!.extensions).toMatchObject({ limit: 20_000 });
    expect(big.data).toBeUndefined();
    const small = await client.raw(`query($id: ID!) { node(id: $id) { ... on ModelVersion { number metrics { name } } } }`, { id: version.id });
    // 1,000 names of ≤ 4 characters: about 14 KB, under the limit.
    expect(small.errors).toBeUndefined();
    expect(small.data.node.metrics).toHaveLength(1_000);
    // The limit applies to mutations' payloads too: the write is done, its payload refused.
    const update = await client.raw(
      `mutation($input: UpdateModelVersionInput!) { updateModelVersion(input: $input) { __typename ... on UpdateModelVersionPayload { modelVersion { metrics { name value } } } } }`,
      { input: { id: version.id, description: "changed" } },
    );
    expect(codes(update)).toEqual(["RESPONSE_TOO_LARGE"]);
    const after = await client.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { description } } }`, { id: version.id });
    expect(after.node.description).toBe("changed");
  });
});
