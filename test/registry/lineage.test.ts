// The lineage graph (DESIGN.md §1, §2): project → experiment → iterations (params, metrics) → resources →
// model versions (iteration, resource, parent), read back in one query; comparison of versions; the Relay
// conventions every connection and node follows. Everything is built and read through the real API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, dbKind, startTestServer, type TestServer } from "../support/server.ts";
import { encodeGlobalId, decodeGlobalId } from "../../server/src/domain/ids.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const globalId = (typename: string, id: string) => encodeGlobalId(typename, id);
const rawId = (id: string) => decodeGlobalId(id)!.id;
/** A field's argument list, or nothing when there are no arguments. */
const argList = (args: string) => (args ? `(${args})` : "");
/** Declares `$after` when the arguments use it (GraphQL rejects unused variables). */
const afterVar = (args: string) => (args.includes("$after") ? ", $after: String" : "");
/** Maps (tags, metrics) come back in storage order: compare them sorted. */
const byKey = <T extends { key?: string; name?: string }>(entries: T[]) => [...entries].sort((a, b) => ((a.key ?? a.name)! < (b.key ?? b.name)! ? -1 : 1));

interface Ref {
  id: string;
}

describe.runIf(databaseAvailable)("lineage graph", () => {
  let server: TestServer;
  let client: GraphQLClient;

  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  async function moveTo(versionId: string, ...stages: string[]) {
    for (const stage of stages) {
      const result = await transition(client, { modelVersionId: versionId, stage });
      if (result.__typename !== "TransitionModelVersionStagePayload") throw new Error(`${stage}: ${result.__typename} ${result.message}`);
    }
  }

  async function logMetrics(iterationId: string, metrics: { name: string; value: number; step?: number }[]) {
    return mutate(client, "logIterationMetrics", "LogIterationMetricsInput", { iterationId, metrics }, "iteration { id }");
  }

  describe("a project's graph", () => {
    // The graph every test of this block reads.
    let project: { id: string; name: string };
    let experiment: Ref & { name: string };
    let it1: Ref & { number: number };
    let it2: Ref & { number: number };
    let r1: Ref & { sha256: string };
    let r2: Ref & { sha256: string };
    let r3: Ref & { sha256: string };
    let classifier: Ref & { name: string };
    let detector: Ref & { name: string };
    let c1: Ref, c2: Ref, c3: Ref, d1: Ref;

    beforeAll(async () => {
      project = await createProject(client);
      experiment = await createExperiment(client, project.id, "resnet-sweep");
      it1 = await createIteration(client, experiment.id, [
        { key: "lr", value: "0.1" },
        { key: "batch", value: "32" },
        { key: "optimizer", value: "adam" },
      ]);
      it2 = await createIteration(client, experiment.id, [
        { key: "lr", value: "0.01" },
        { key: "batch", value: "32" },
        { key: "dropout", value: "0.2" },
      ]);
      await logMetrics(it1.id, [
        { name: "loss", value: 1.0, step: 0 },
        { name: "loss", value: 0.5, step: 1 },
        { name: "loss", value: 0.25, step: 2 },
        { name: "accuracy", value: 0.8, step: 2 },
      ]);
      // A late point for an earlier step does not become the latest; a second value at the last step does.
      await logMetrics(it1.id, [{ name: "loss", value: 0.6, step: 1 }]);
      await logMetrics(it1.id, [{ name: "loss", value: 0.2, step: 2 }]);
      await logMetrics(it2.id, [{ name: "loss", value: 0.9 }]);

      r1 = await createResource(client, project.id, { name: "classifier.onnx", format: "ONNX", iterationId: it1.id });
      await sleep(5);
      r2 = await createResource(client, project.id, { name: "classifier.safetensors", format: "SAFETENSORS", iterationId: it2.id });
      await sleep(5);
      r3 = await createResource(client, project.id, { name: "notes.bin" });

      classifier = await createModel(client, project.id, { name: "classifier" });
      detector = await createModel(client, project.id, { name: "detector" });
      c1 = await createVersion(client, classifier.id, {
        iterationId: it1.id,
        resourceId: r1.id,
        metrics: [
          { name: "accuracy", value: 0.8 },
          { name: "loss", value: 0.25 },
        ],
        tags: [
          { key: "env", value: "dev" },
          { key: "team", value: "vision" },
        ],
      });
      c2 = await createVersion(client, classifier.id, {
        iterationId: it2.id,
        resourceId: r2.id,
        parentVersionId: c1.id,
        metrics: [
          { name: "accuracy", value: 0.9 },
          { name: "f1", value: 0.7 },
        ],
        tags: [
          { key: "env", value: "prod" },
          { key: "team", value: "vision" },
          { key: "reviewed", value: "yes" },
        ],
      });
      c3 = await createVersion(client, classifier.id, { parentVersionId: c1.id, description: "distilled" });
      d1 = await createVersion(client, detector.id, { iterationId: it1.id, resourceId: r1.id });
      await moveTo(c1.id, "STAGING");
      await moveTo(c2.id, "STAGING", "PRODUCTION");
      await moveTo(d1.id, "STAGING", "PRODUCTION");
    });

    it("reads project → models → versions → iteration → experiment, resource, parent and children in one query", async () => {
      const data = await client.request(
        `query($name: String!) {
          project(by: { name: $name }) {
            id name
            models(first: 4, orderBy: { field: NAME }) {
              totalCount
              nodes {
                id name
                versions(first: 8, orderBy: { field: NUMBER, direction: ASC }) {
                  totalCount
                  nodes {
                    id number stage description
                    metrics { name value }
                    tags { key value }
                    model { id }
                    project { id }
                    iteration {
                      id number status
                      params { key value }
                      experiment { id name project { id } }
                    }
                    resource { id name format status sha256 iteration { id } project { id } }
                    parentVersion { id number }
                    childVersions(first: 8) { totalCount nodes { id number } }
                  }
                }
              }
            }
          }
        }`,
        { name: project.name.toUpperCase() },
      );
      for (const model of data.project.models.nodes) {
        for (const v of model.versions.nodes) {
          v.metrics = byKey(v.metrics);
          v.tags = byKey(v.tags);
          v.iteration &&= { ...v.iteration, params: byKey(v.iteration.params) };
        }
      }
      const iteration1 = {
        id: it1.id,
        number: 1,
        status: "RUNNING",
        params: [
          { key: "batch", value: "32" },
          { key: "lr", value: "0.1" },
          { key: "optimizer", value: "adam" },
        ],
        experiment: { id: experiment.id, name: "resnet-sweep", project: { id: project.id } },
      };
      const iteration2 = {
        id: it2.id,
        number: 2,
        status: "RUNNING",
        params: [
          { key: "batch", value: "32" },
          { key: "dropout", value: "0.2" },
          { key: "lr", value: "0.01" },
        ],
        experiment: { id: experiment.id, name: "resnet-sweep", project: { id: project.id } },
      };
      const resource1 = { id: r1.id, name: "classifier.onnx", format: "ONNX", status: "READY", sha256: r1.sha256, iteration: { id: it1.id }, project: { id: project.id } };
      const resource2 = { id: r2.id, name: "classifier.safetensors", format: "SAFETENSORS", status: "READY", sha256: r2.sha256, iteration: { id: it2.id }, project: { id: project.id } };
      expect(data.project).toEqual({
        id: project.id,
        name: project.name,
        models: {
          totalCount: 2,
          nodes: [
            {
              id: classifier.id,
              name: "classifier",
              versions: {
                totalCount: 3,
                nodes: [
                  {
                    id: c1.id,
                    number: 1,
                    stage: "STAGING",
                    description: "",
                    metrics: [
                      { name: "accuracy", value: 0.8 },
                      { name: "loss", value: 0.25 },
                    ],
                    tags: [
                      { key: "env", value: "dev" },
                      { key: "team", value: "vision" },
                    ],
                    model: { id: classifier.id },
                    project: { id: project.id },
                    iteration: iteration1,
                    resource: resource1,
                    parentVersion: null,
                    childVersions: { totalCount: 2, nodes: [{ id: c2.id, number: 2 }, { id: c3.id, number: 3 }] },
                  },
                  {
                    id: c2.id,
                    number: 2,
                    stage: "PRODUCTION",
                    description: "",
                    metrics: [
                      { name: "accuracy", value: 0.9 },
                      { name: "f1", value: 0.7 },
                    ],
                    tags: [
                      { key: "env", value: "prod" },
                      { key: "reviewed", value: "yes" },
                      { key: "team", value: "vision" },
                    ],
                    model: { id: classifier.id },
                    project: { id: project.id },
                    iteration: iteration2,
                    resource: resource2,
                    parentVersion: { id: c1.id, number: 1 },
                    childVersions: { totalCount: 0, nodes: [] },
                  },
                  {
                    id: c3.id,
                    number: 3,
                    stage: "NONE",
                    description: "distilled",
                    metrics: [],
                    tags: [],
                    model: { id: classifier.id },
                    project: { id: project.id },
                    iteration: null,
                    resource: null,
                    parentVersion: { id: c1.id, number: 1 },
                    childVersions: { totalCount: 0, nodes: [] },
                  },
                ],
              },
            },
            {
              id: detector.id,
              name: "detector",
              versions: {
                totalCount: 1,
                nodes: [
                  {
                    id: d1.id,
                    number: 1,
                    stage: "PRODUCTION",
                    description: "",
                    metrics: [],
                    tags: [],
                    model: { id: detector.id },
                    project: { id: project.id },
                    iteration: iteration1,
                    resource: resource1,
                    parentVersion: null,
                    childVersions: { totalCount: 0, nodes: [] },
                  },
                ],
              },
            },
          ],
        },
      });
    });

    it("gives an iteration's params, its latest metrics and each metric's history by step", async () => {
      const data = await client.request(
        `query($id: ID!, $id2: ID!) {
          a: node(id: $id) { ... on Iteration {
            number params { key value }
            metrics { name value step at }
            loss: metricHistory(name: "loss") { name value step }
            accuracy: metricHistory(name: "accuracy") { value step }
            missing: metricHistory(name: "nope") { value }
            experiment { id }
          } }
          b: node(id: $id2) { ... on Iteration { metrics { name value step } } }
        }`,
        { id: it1.id, id2: it2.id },
      );
      const a = data.a;
      expect(a.number).toBe(1);
      expect(byKey(a.params)).toEqual([
        { key: "batch", value: "32" },
        { key: "lr", value: "0.1" },
        { key: "optimizer", value: "adam" },
      ]);
      expect(a.metrics.map((m: { name: string; value: number; step: number }) => ({ name: m.name, value: m.value, step: m.step }))).toEqual([
        { name: "accuracy", value: 0.8, step: 2 },
        { name: "loss", value: 0.2, step: 2 },
      ]);
      for (const m of a.metrics) expect(Number.isNaN(Date.parse(m.at))).toBe(false);
      expect(a.loss).toEqual([
        { name: "loss", value: 1.0, step: 0 },
        { name: "loss", value: 0.5, step: 1 },
        { name: "loss", value: 0.6, step: 1 },
        { name: "loss", value: 0.25, step: 2 },
        { name: "loss", value: 0.2, step: 2 },
      ]);
      expect(a.accuracy).toEqual([{ value: 0.8, step: 2 }]);
      expect(a.missing).toEqual([]);
      expect(a.experiment).toEqual({ id: experiment.id });
      expect(data.b.metrics).toEqual([{ name: "loss", value: 0.9, step: 0 }]);

      // After the run finishes, its metrics stay readable.
      const finished = await mutate(client, "finishIteration", "FinishIterationInput", { iterationId: it2.id }, "iteration { status endedAt metrics { name value } }");
      expect(finished.iteration).toMatchObject({ status: "COMPLETED", metrics: [{ name: "loss", value: 0.9 }] });
      expect(finished.iteration.endedAt).toBeTruthy();
    });

    it("walks the graph backwards: iteration and resource to their versions, project to its versions and resources", async () => {
      const data = await client.request(
        `query($it1: ID!, $it2: ID!, $r1: ID!, $r3: ID!, $p: ID!) {
          it1: node(id: $it1) { ... on Iteration {
            modelVersions(orderBy: { field: CREATED_AT, direction: ASC }) { totalCount nodes { id model { name } } }
            resources { totalCount nodes { id } }
          } }
          it2: node(id: $it2) { ... on Iteration { modelVersions { totalCount nodes { id } } resources { nodes { id } } } }
          r1: node(id: $r1) { ... on Resource {
            modelVersions(orderBy: { field: CREATED_AT, direction: ASC }) { totalCount nodes { id } }
            prod: modelVersions(filter: { stages: [PRODUCTION] }) { totalCount nodes { id } }
          } }
          r3: node(id: $r3) { ... on Resource { iteration { id } modelVersions { totalCount nodes { id } } } }
          p: node(id: $p) { ... on Project {
            production: modelVersions(filter: { stages: [PRODUCTION] }, orderBy: { field: CREATED_AT, direction: ASC }) { totalCount nodes { id stage model { name } } }
            staged: modelVersions(filter: { stages: [STAGING, NONE] }, orderBy: { field: CREATED_AT, direction: ASC }) { totalCount nodes { id } }
            all: modelVersions { totalCount }
            resources { totalCount nodes { id name } }
            onnx: resources(filter: { nameContains: "ONNX" }) { totalCount nodes { id } }
            ready: resources(filter: { status: [READY] }) { totalCount }
            pending: resources(filter: { status: [PENDING] }) { totalCount }
            bySha: resources(filter: { sha256: "${"0".repeat(64)}" }) { totalCount }
          } }
        }`,
        { it1: it1.id, it2: it2.id, r1: r1.id, r3: r3.id, p: project.id },
      );
      expect(data.it1.modelVersions).toEqual({
        totalCount: 2,
        nodes: [
          { id: c1.id, model: { name: "classifier" } },
          { id: d1.id, model: { name: "detector" } },
        ],
      });
      expect(data.it1.resources).toEqual({ totalCount: 1, nodes: [{ id: r1.id }] });
      expect(data.it2.modelVersions).toEqual({ totalCount: 1, nodes: [{ id: c2.id }] });
      expect(data.it2.resources).toEqual({ nodes: [{ id: r2.id }] });
      expect(data.r1.modelVersions).toEqual({ totalCount: 2, nodes: [{ id: c1.id }, { id: d1.id }] });
      expect(data.r1.prod).toEqual({ totalCount: 1, nodes: [{ id: d1.id }] });
      expect(data.r3).toEqual({ iteration: null, modelVersions: { totalCount: 0, nodes: [] } });

      const p = data.p;
      expect(p.production).toEqual({
        totalCount: 2,
        nodes: [
          { id: c2.id, stage: "PRODUCTION", model: { name: "classifier" } },
          { id: d1.id, stage: "PRODUCTION", model: { name: "detector" } },
        ],
      });
      expect(p.staged).toEqual({ totalCount: 2, nodes: [{ id: c1.id }, { id: c3.id }] });
      expect(p.all).toEqual({ totalCount: 4 });
      // Newest first.
      expect(p.resources).toEqual({
        totalCount: 3,
        nodes: [
          { id: r3.id, name: "notes.bin" },
          { id: r2.id, name: "classifier.safetensors" },
          { id: r1.id, name: "classifier.onnx" },
        ],
      });
      expect(p.onnx).toEqual({ totalCount: 1, nodes: [{ id: r1.id }] });
      expect(p.ready).toEqual({ totalCount: 3 });
      expect(p.pending).toEqual({ totalCount: 0 });
      expect(p.bySha).toEqual({ totalCount: 0 });
    });

    it("compares two versions: metric deltas b − a, parameter and tag changes, shared artifact", async () => {
      const compare = async (a: string, b: string) =>
        (
          await client.request(
            `query($a: ID!, $b: ID!) { compareModelVersions(a: $a, b: $b) {
              a { id } b { id }
              metrics { name a b delta }
              paramChanges { key a b }
              tagChanges { key a b }
              sameResource
            } }`,
            { a, b },
          )
        ).compareModelVersions;

      const c = await compare(c1.id, c2.id);
      expect(c.a).toEqual({ id: c1.id });
      expect(c.b).toEqual({ id: c2.id });
      expect(c.metrics).toHaveLength(3);
      expect(c.metrics[0]).toMatchObject({ name: "accuracy", a: 0.8, b: 0.9 });
      expect(c.metrics[0].delta).toBeCloseTo(0.1, 10);
      expect(c.metrics[1]).toEqual({ name: "f1", a: null, b: 0.7, delta: null });
      expect(c.metrics[2]).toEqual({ name: "loss", a: 0.25, b: null, delta: null });
      expect(c.paramChanges).toEqual([
        { key: "dropout", a: null, b: "0.2" },
        { key: "lr", a: "0.1", b: "0.01" },
        { key: "optimizer", a: "adam", b: null },
      ]);
      expect(c.tagChanges).toEqual([
        { key: "env", a: "dev", b: "prod" },
        { key: "reviewed", a: null, b: "yes" },
      ]);
      expect(c.sameResource).toBe(false);

      // Reversed: deltas change sign.
      const reversed = await compare(c2.id, c1.id);
      expect(reversed.metrics[0].delta).toBeCloseTo(-0.1, 10);
      expect(reversed.paramChanges).toEqual([
        { key: "dropout", a: "0.2", b: null },
        { key: "lr", a: "0.01", b: "0.1" },
        { key: "optimizer", a: null, b: "adam" },
      ]);

      // Across models; same artifact and same iteration: nothing differs but the metrics.
      const crossModel = await compare(c1.id, d1.id);
      expect(crossModel.sameResource).toBe(true);
      expect(crossModel.paramChanges).toEqual([]);
      expect(crossModel.metrics).toEqual([
        { name: "accuracy", a: 0.8, b: null, delta: null },
        { name: "loss", a: 0.25, b: null, delta: null },
      ]);

      // A version without iteration has no params: every param of the other is a change.
      const noIteration = await compare(c3.id, c1.id);
      expect(noIteration.paramChanges).toHaveLength(3);
      expect(noIteration.paramChanges.every((p: { a: string | null }) => p.a === null)).toBe(true);
      expect(noIteration.sameResource).toBe(false);

      // A version compared with itself differs in nothing.
      const self = await compare(c1.id, c1.id);
      expect(self.paramChanges).toEqual([]);
      expect(self.tagChanges).toEqual([]);
      expect(self.metrics.every((m: { delta: number }) => m.delta === 0)).toBe(true);
      expect(self.sameResource).toBe(true);

      // Unknown, garbage or non-version ids: null.
      expect(await compare(c1.id, globalId("ModelVersion", "00000000-0000-7000-8000-000000000000"))).toBeNull();
      expect(await compare(c1.id, "garbage")).toBeNull();
      expect(await compare(classifier.id, c1.id)).toBeNull();
    });

    it("does not call two versions without artifacts the same artifact", async () => {
      const v = await createVersion(client, classifier.id);
      const data = await client.request(`query($a: ID!, $b: ID!) { compareModelVersions(a: $a, b: $b) { sameResource } }`, { a: c3.id, b: v.id });
      expect(data.compareModelVersions.sameResource).toBe(false);
    });

    it("finds versions by number, the latest (optionally among stages) and the PRODUCTION one", async () => {
      const data = await client.request(
        `query($id: ID!) { node(id: $id) { ... on Model {
          one: version(number: 1) { id number }
          three: version(number: 3) { id }
          missing: version(number: 99) { id }
          zero: version(number: 0) { id }
          latestVersion { id number }
          latestProd: latestVersion(stages: [PRODUCTION]) { id }
          latestStaging: latestVersion(stages: [STAGING]) { id }
          latestStagedOrProd: latestVersion(stages: [STAGING, PRODUCTION]) { id }
          latestArchived: latestVersion(stages: [ARCHIVED]) { id }
          productionVersion { id number stage }
        } } }`,
        { id: classifier.id },
      );
      const m = data.node;
      expect(m.one).toEqual({ id: c1.id, number: 1 });
      expect(m.three).toEqual({ id: c3.id });
      expect(m.missing).toBeNull();
      expect(m.zero).toBeNull();
      // The previous test added version 4.
      expect(m.latestVersion.number).toBe(4);
      expect(m.latestProd).toEqual({ id: c2.id });
      expect(m.latestStaging).toEqual({ id: c1.id });
      expect(m.latestStagedOrProd).toEqual({ id: c2.id });
      expect(m.latestArchived).toBeNull();
      expect(m.productionVersion).toEqual({ id: c2.id, number: 2, stage: "PRODUCTION" });

      // A deleted version is gone from version(number) unless asked for, and from latestVersion.
      const latest = m.latestVersion.id;
      await mutate(client, "deleteModelVersion", "DeleteModelVersionInput", { id: latest }, "modelVersion { id }");
      const after = await client.request(
        `query($id: ID!) { node(id: $id) { ... on Model { four: version(number: 4) { id } tomb: version(number: 4, includeDeleted: true) { id deletedAt } latestVersion { number } } } }`,
        { id: classifier.id },
      );
      expect(after.node.four).toBeNull();
      expect(after.node.tomb.id).toBe(latest);
      expect(after.node.tomb.deletedAt).toBeTruthy();
      expect(after.node.latestVersion).toEqual({ number: 3 });

      // A model with no PRODUCTION version.
      const empty = await createModel(client, project.id);
      const none = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { productionVersion { id } latestVersion { id } version(number: 1) { id } } } }`, { id: empty.id });
      expect(none.node).toEqual({ productionVersion: null, latestVersion: null, version: null });
    });

    it("resolves node(id) and nodes(ids) for every node type, and null for unknown or garbage ids", async () => {
      const history = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { stageHistory(first: 1) { nodes { id } } } } }`, { id: classifier.id });
      const transitionId: string = history.node.stageHistory.nodes[0].id;
      const viewer = (await client.request(`{ viewer { id name } }`)).viewer;

      const cases: [string, string][] = [
        [project.id, "Project"],
        [experiment.id, "Experiment"],
        [it1.id, "Iteration"],
        [r1.id, "Resource"],
        [classifier.id, "Model"],
        [c1.id, "ModelVersion"],
        [transitionId, "StageTransition"],
        [viewer.id, "User"],
      ];
      for (const [id, typename] of cases) {
        const data = await client.request(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
        expect(data.node, typename).toEqual({ __typename: typename, id });
      }

      const unknown = [
        "garbage",
        "",
        "!!!",
        "=",
        "bm9jb2xvbg==", // "nocolon"
        globalId("Model", "00000000-0000-7000-8000-000000000000"),
        globalId("Model", rawId(project.id)), // a real row id under the wrong type
        globalId("ModelVersion", rawId(classifier.id)),
        "prj_not-a-uuid",
        globalId("StageTransition", "1"),
        "nst_1", // an unknown prefix
        "kv_1", // a prefix of no type
        "qry_1",
      ];
      for (const id of unknown) {
        const res = await client.raw(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
        expect(res.errors, `node(${JSON.stringify(id)})`).toBeUndefined();
        expect(res.data?.node, `node(${JSON.stringify(id)})`).toBeNull();
      }

      const ids = [...cases.map(([id]) => id), "garbage", globalId("Model", "00000000-0000-7000-8000-000000000000"), c2.id];
      const res = await client.raw(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids });
      expect(res.errors).toBeUndefined();
      expect(res.data.nodes).toEqual([...cases.map(([id, __typename]) => ({ __typename, id })), null, null, { __typename: "ModelVersion", id: c2.id }]);
      expect((await client.request(`{ nodes(ids: []) { id } }`)).nodes).toEqual([]);
    });
  });

  describe("connections", () => {
    /** Walks a connection forwards with first/after; returns every node and checks the page bookkeeping. */
    async function pageForward(fetchPage: (after: string | null) => Promise<any>, pageSize: number, expectedTotal: number): Promise<any[]> {
      const all: any[] = [];
      let after: string | null = null;
      for (let page = 0; page < 100; page++) {
        const conn = await fetchPage(after);
        expect(conn.totalCount).toBe(expectedTotal);
        expect(conn.edges.map((e: { node: unknown }) => e.node)).toEqual(conn.nodes);
        expect(conn.nodes.length).toBeLessThanOrEqual(pageSize);
        expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
        if (conn.nodes.length > 0) {
          expect(conn.pageInfo.startCursor).toBe(conn.edges[0].cursor);
          expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1).cursor);
        }
        all.push(...conn.nodes);
        if (!conn.pageInfo.hasNextPage) break;
        expect(conn.nodes).toHaveLength(pageSize);
        after = conn.pageInfo.endCursor;
      }
      return all;
    }

    const CONN = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } } nodes { id name }";

    it("pages models with first/after and last/before, in every order, each item exactly once", async () => {
      const project = await createProject(client);
      // Lower-case names: NAME order is the database collation's (C: upper case before lower case).
      const names = ["delta", "alpha", "echo", "bravo", "golf", "charlie", "foxtrot"];
      const created: { id: string; name: string }[] = [];
      for (const name of names) {
        created.push(await createModel(client, project.id, { name }));
        await sleep(3);
      }
      const byName = [...created].sort((a, b) => (a.name < b.name ? -1 : 1));
      const models = async (args: string, after: string | null) =>
        (await client.request(`query($id: ID!${afterVar(args)}) { node(id: $id) { ... on Project { models${argList(args)} { ${CONN} } } } }`, { id: project.id, after })).node.models;

      for (const size of [1, 2, 3, 7, 10]) {
        const asc = await pageForward((after) => models(`first: ${size}, after: $after, orderBy: { field: NAME }`, after), size, 7);
        expect(asc.map((m) => m.name), `NAME ASC by ${size}`).toEqual(byName.map((m) => m.name));
      }
      const desc = await pageForward((after) => models(`first: 3, after: $after, orderBy: { field: NAME, direction: DESC }`, after), 3, 7);
      expect(desc.map((m) => m.name)).toEqual([...byName].reverse().map((m) => m.name));
      const createdAsc = await pageForward((after) => models(`first: 2, after: $after, orderBy: { field: CREATED_AT, direction: ASC }`, after), 2, 7);
      expect(createdAsc.map((m) => m.id)).toEqual(created.map((m) => m.id));
      const createdDesc = await pageForward((after) => models(`first: 4, after: $after, orderBy: { field: CREATED_AT, direction: DESC }`, after), 4, 7);
      expect(createdDesc.map((m) => m.id)).toEqual([...created].reverse().map((m) => m.id));
      // Default order: NAME ASC.
      expect((await models("", null)).nodes.map((m: { name: string }) => m.name)).toEqual(byName.map((m) => m.name));

      // Backwards: last, then last/before the first item of each page, back to the start.
      const lastPage = await models("last: 3, orderBy: { field: NAME }", null);
      expect(lastPage.nodes.map((m: { name: string }) => m.name)).toEqual(byName.slice(4).map((m) => m.name));
      expect(lastPage.pageInfo.hasPreviousPage).toBe(true);
      expect(lastPage.totalCount).toBe(7);
      const backwards = [...lastPage.nodes];
      let before: string = lastPage.pageInfo.startCursor;
      for (let i = 0; i < 10; i++) {
        const page = (
          await client.request(`query($id: ID!, $before: String) { node(id: $id) { ... on Project { models(last: 3, before: $before, orderBy: { field: NAME }) { ${CONN} } } } }`, {
            id: project.id,
            before,
          })
        ).node.models;
        expect(page.pageInfo.hasNextPage).toBe(true);
        backwards.unshift(...page.nodes);
        if (!page.pageInfo.hasPreviousPage) break;
        before = page.pageInfo.startCursor;
      }
      expect(backwards.map((m) => m.name)).toEqual(byName.map((m) => m.name));

      // A page in the middle: after the 2nd, first 3 → 3rd..5th.
      const second = (await models("first: 2, orderBy: { field: NAME }", null)).pageInfo.endCursor;
      const middle = await models("first: 3, after: $after, orderBy: { field: NAME }", second);
      expect(middle.nodes.map((m: { name: string }) => m.name)).toEqual(byName.slice(2, 5).map((m) => m.name));
      expect(middle.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    });

    it("filters models and projects by name, tag and status", async () => {
      const project = await createProject(client, uniqueName("FilterProj"));
      const a = await createModel(client, project.id, { name: "text-encoder", tags: [{ key: "task", value: "nlp" }] });
      const b = await createModel(client, project.id, { name: "Image-Encoder", tags: [{ key: "task", value: "vision" }] });
      const c = await createModel(client, project.id, { name: "text-decoder", tags: [{ key: "task", value: "nlp" }, { key: "size", value: "xl" }] });
      const d = await createModel(client, project.id, { name: "legacy-encoder" });
      const e = await createModel(client, project.id, { name: "old-encoder" });
      await mutate(client, "deprecateModel", "DeprecateModelInput", { id: d.id }, "model { status }");
      await mutate(client, "archiveModel", "ArchiveModelInput", { id: e.id }, "model { status }");

      const q = async (args: string) =>
        (await client.request(`query($id: ID!) { node(id: $id) { ... on Project { models${argList(args)} { totalCount nodes { id status } } } } }`, { id: project.id })).node.models;
      const ids = (conn: { nodes: { id: string }[] }) => conn.nodes.map((n) => n.id);

      // Default: ACTIVE only.
      expect(ids(await q(""))).toEqual([b.id, c.id, a.id]);
      expect((await q("")).totalCount).toBe(3);
      expect(ids(await q(`filter: { nameContains: "ENCODER" }`))).toEqual([b.id, a.id]);
      expect((await q(`filter: { nameContains: "ENCODER" }`)).totalCount).toBe(2);
      expect(ids(await q(`filter: { nameContains: "encoder", status: [ACTIVE, DEPRECATED, ARCHIVED] }`))).toEqual([b.id, d.id, e.id, a.id]);
      expect(ids(await q(`filter: { tag: { key: "task", value: "nlp" } }`))).toEqual([c.id, a.id]);
      expect(ids(await q(`filter: { tag: { key: "task", value: "nlp" }, nameContains: "dec" }`))).toEqual([c.id]);
      expect(ids(await q(`filter: { tag: { key: "size", value: "xs" } }`))).toEqual([]);
      expect(await q(`filter: { status: [DEPRECATED] }`)).toEqual({ totalCount: 1, nodes: [{ id: d.id, status: "DEPRECATED" }] });
      expect(await q(`filter: { status: [ARCHIVED] }`)).toEqual({ totalCount: 1, nodes: [{ id: e.id, status: "ARCHIVED" }] });
      expect((await q(`filter: { status: [ACTIVE, DEPRECATED] }`)).totalCount).toBe(4);

      // The top-level projects connection follows the same filter.
      const projects = await client.request(
        `query($name: String!) { projects(filter: { nameContains: $name }) { totalCount nodes { id } } lower: projects(filter: { nameContains: "filterproj-" }) { totalCount } }`,
        { name: project.name },
      );
      expect(projects.projects).toEqual({ totalCount: 1, nodes: [{ id: project.id }] });
      expect(projects.lower.totalCount).toBeGreaterThanOrEqual(1);
    });

    it("orders, filters and pages model versions", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id);
      const resource = await createResource(client, project.id);
      const versions: { id: string; number: number }[] = [];
      let midpoint = "";
      for (let i = 1; i <= 9; i++) {
        if (i === 6) {
          await sleep(20);
          midpoint = new Date().toISOString();
          await sleep(20);
        }
        versions.push(
          await createVersion(client, model.id, {
            ...(i % 3 === 0 ? { resourceId: resource.id } : {}),
            tags: [{ key: "parity", value: i % 2 === 0 ? "even" : "odd" }],
          }),
        );
      }
      await moveTo(versions[1]!.id, "STAGING");
      await moveTo(versions[3]!.id, "STAGING", "PRODUCTION");
      await moveTo(versions[4]!.id, "ARCHIVED");

      const q = async (args: string, after: string | null = null) =>
        (
          await client.request(
            `query($id: ID!${afterVar(args)}) { node(id: $id) { ... on Model { versions${argList(args)} { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id number } } nodes { id number } } } } }`,
            { id: model.id, after },
          )
        ).node.versions;
      const numbers = (conn: { nodes: { number: number }[] }) => conn.nodes.map((n) => n.number);

      expect(numbers(await q(""))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect(numbers(await q("orderBy: { field: NUMBER }"))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect(numbers(await q("orderBy: { field: NUMBER, direction: ASC }"))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(numbers(await q("orderBy: { field: CREATED_AT, direction: ASC }"))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const asc = await pageForward((after) => q("first: 2, after: $after, orderBy: { field: NUMBER, direction: ASC }", after), 2, 9);
      expect(asc.map((v) => v.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const desc = await pageForward((after) => q("first: 4, after: $after", after), 4, 9);
      expect(desc.map((v) => v.number)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect(numbers(await q("last: 2"))).toEqual([2, 1]);
      expect(numbers(await q("last: 2, orderBy: { field: NUMBER, direction: ASC }"))).toEqual([8, 9]);

      expect(await q("filter: { stages: [STAGING] }")).toMatchObject({ totalCount: 1, nodes: [{ number: 2 }] });
      expect(numbers(await q("filter: { stages: [PRODUCTION, ARCHIVED] }"))).toEqual([5, 4]);
      expect(numbers(await q("filter: { stages: [NONE] }"))).toEqual([9, 8, 7, 6, 3, 1]);
      expect(numbers(await q("filter: { hasResource: true }"))).toEqual([9, 6, 3]);
      expect((await q("filter: { hasResource: false }")).totalCount).toBe(6);
      expect(numbers(await q(`filter: { tag: { key: "parity", value: "even" } }`))).toEqual([8, 6, 4, 2]);
      expect(numbers(await q(`filter: { createdAfter: "${midpoint}" }`))).toEqual([9, 8, 7, 6]);
      expect(numbers(await q(`filter: { createdBefore: "${midpoint}" }`))).toEqual([5, 4, 3, 2, 1]);
      expect(await q(`filter: { createdAfter: "${midpoint}", hasResource: true, tag: { key: "parity", value: "odd" } }`)).toMatchObject({ totalCount: 1, nodes: [{ number: 9 }] });
      // Filters and paging together: totalCount counts the filtered set.
      const evens = await pageForward((after) => q(`first: 3, after: $after, filter: { tag: { key: "parity", value: "even" } }`, after), 3, 4);
      expect(evens.map((v) => v.number)).toEqual([8, 6, 4, 2]);

      // Across the project, the same filters apply.
      const p = await client.request(
        `query($id: ID!) { node(id: $id) { ... on Project { modelVersions(filter: { stages: [PRODUCTION] }) { totalCount nodes { number } } withArtifact: modelVersions(filter: { hasResource: true }, orderBy: { field: NUMBER, direction: ASC }) { nodes { number } } } } }`,
        { id: project.id },
      );
      expect(p.node.modelVersions).toEqual({ totalCount: 1, nodes: [{ number: 4 }] });
      expect(p.node.withArtifact.nodes.map((n: { number: number }) => n.number)).toEqual([3, 6, 9]);
    });

    it("pages versions created concurrently by creation time, each exactly once", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id);
      const created = await Promise.all(Array.from({ length: 24 }, () => createVersion(client, model.id)));
      const q = async (direction: string, after: string | null) =>
        (
          await client.request(
            `query($id: ID!, $after: String) { node(id: $id) { ... on Model { versions(first: 5, after: $after, orderBy: { field: CREATED_AT, direction: ${direction} }) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id createdAt } } nodes { id createdAt } } } } }`,
            { id: model.id, after },
          )
        ).node.versions;
      for (const direction of ["ASC", "DESC"]) {
        const all = await pageForward((after) => q(direction, after), 5, 24);
        expect(new Set(all.map((v) => v.id)).size).toBe(24);
        expect([...all.map((v) => v.id)].sort()).toEqual(created.map((v) => v.id).sort());
        const times = all.map((v) => Date.parse(v.createdAt));
        const sorted = [...times].sort((a, b) => (direction === "ASC" ? a - b : b - a));
        expect(times).toEqual(sorted);
      }
    });

    it("caps the page size at 500 and defaults to 50", async () => {
      const project = await createProject(client);
      const models = [await createModel(client, project.id), await createModel(client, project.id), await createModel(client, project.id), await createModel(client, project.id)];
      const perModel = 130;
      const total = models.length * perModel;
      const batch = 26;
      // Batches of aliased mutations, one stream per model. PostgreSQL runs the streams in parallel (models do
      // not contend for each other's lock). PGlite runs in this process and gains nothing from parallel work; a
      // long burst of it also starves the event loop, which makes the server's keep-alive timers fire late.
      const createAll = async (model: { id: string }) => {
        for (let start = 0; start < perModel; start += batch) {
          const fields = Array.from({ length: batch }, (_, i) => `v${i}: createModelVersion(input: { modelId: $m }) { __typename }`).join("\n");
          const data = await client.request(`mutation($m: ID!) { ${fields} }`, { m: model.id });
          expect(Object.values(data).every((r: any) => r.__typename === "CreateModelVersionPayload")).toBe(true);
        }
      };
      if (dbKind === "postgres") await Promise.all(models.map(createAll));
      else for (const model of models) await createAll(model);
      const data = await client.request(
        `query($m: ID!, $p: ID!) {
          m: node(id: $m) { ... on Model { versions { totalCount pageInfo { hasNextPage } nodes { number } } } }
          p: node(id: $p) { ... on Project {
            big: modelVersions(first: 1000) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { id } }
            bigLast: modelVersions(last: 1000) { pageInfo { hasPreviousPage } nodes { id } }
            default: modelVersions { pageInfo { hasNextPage } nodes { id } }
            exact: modelVersions(first: 500) { pageInfo { hasNextPage } nodes { id } }
          } }
        }`,
        { m: models[0]!.id, p: project.id },
      );
      const p = data.p;
      expect(p.big.totalCount).toBe(total);
      expect(p.big.nodes).toHaveLength(500);
      expect(p.big.edges).toHaveLength(500);
      expect(p.big.pageInfo.hasNextPage).toBe(true);
      expect(p.bigLast.nodes).toHaveLength(500);
      expect(p.bigLast.pageInfo.hasPreviousPage).toBe(true);
      expect(p.default.nodes).toHaveLength(50);
      expect(p.default.pageInfo.hasNextPage).toBe(true);
      expect(p.exact.nodes).toHaveLength(500);
      expect(data.m.versions.totalCount).toBe(perModel);
      expect(data.m.versions.nodes.map((n: { number: number }) => n.number)).toEqual(Array.from({ length: 50 }, (_, i) => perModel - i));
      expect(data.m.versions.pageInfo.hasNextPage).toBe(true);

      // The rest is reachable after the capped page: together, every version once.
      const rest = await client.request(
        `query($p: ID!, $after: String) { node(id: $p) { ... on Project { modelVersions(first: 1000, after: $after) { pageInfo { hasNextPage } nodes { id } } } } }`,
        { p: project.id, after: p.big.pageInfo.endCursor },
      );
      expect(rest.node.modelVersions.nodes).toHaveLength(total - 500);
      expect(rest.node.modelVersions.pageInfo.hasNextPage).toBe(false);
      const ids = [...p.big.nodes, ...rest.node.modelVersions.nodes].map((n: { id: string }) => n.id);
      expect(new Set(ids).size).toBe(total);
    });
  });

  describe("idempotency", () => {
    it("a retried createModelVersion with the same key returns the same version and number", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id);
      const other = await createModel(client, project.id);
      const create = (modelId: string, idempotencyKey?: string, extra: Record<string, unknown> = {}) =>
        mutate(client, "createModelVersion", "CreateModelVersionInput", { modelId, idempotencyKey, ...extra }, "modelVersion { id number idempotencyKey description }").then((r) => r.modelVersion);

      const first = await create(model.id, "train-run-42", { description: "first try" });
      expect(first).toMatchObject({ number: 1, idempotencyKey: "train-run-42", description: "first try" });
      const retry = await create(model.id, "train-run-42", { description: "first try" });
      expect(retry).toEqual(first);
      // A retry that differs is not a retry: IdempotencyKeyReuseError (test/registry/idempotency-reuse.test.ts).
      await expect(create(model.id, "train-run-42", { description: "second try" })).rejects.toThrow(/IdempotencyKeyReuseError/);

      // Retries consumed no number.
      const next = await create(model.id);
      expect(next.number).toBe(2);
      expect(next.idempotencyKey).toBeNull();

      // Concurrent retries of a new key: all get one and the same version.
      const racing = await Promise.all(Array.from({ length: 6 }, () => create(model.id, "train-run-43")));
      expect(new Set(racing.map((v) => v.id)).size).toBe(1);
      expect(racing[0].number).toBe(3);

      // The key is scoped to the model.
      const elsewhere = await create(other.id, "train-run-42");
      expect(elsewhere.id).not.toBe(first.id);
      expect(elsewhere.number).toBe(1);

      const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { versions { totalCount nodes { number idempotencyKey } } } } }`, { id: model.id });
      expect(data.node.versions.totalCount).toBe(3);
      expect(data.node.versions.nodes).toEqual([
        { number: 3, idempotencyKey: "train-run-43" },
        { number: 2, idempotencyKey: null },
        { number: 1, idempotencyKey: "train-run-42" },
      ]);
    });
  });
});
