// Text the database cannot store (NUL, unpaired UTF-16 surrogates) in any kind of input: a mutation answers a
// ValidationError naming the input path, a query or subscription a BAD_USER_INPUT error naming the argument path;
// never a masked internal error, and nothing is written (not even an audit entry).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createVersion, uniqueName } from "../support/fixtures.ts";
import { snapshotDatabase } from "../support/snapshot.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { PROJECT_EVENTS, STAGE_CHANGES, subscribe, TRANSPORTS } from "../support/subscriptions.ts";

/** An id in the base64 `Type:id` form of before, carrying what no id may: such ids must name nothing. */
const oldStyleId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64");

const NUL = "a\u0000b";
const LONE_HIGH = "x\ud800";
const LONE_LOW = "\udc00y";
const BAD_TEXTS: [label: string, value: string, message: RegExp][] = [
  ["a NUL byte", NUL, /NUL/],
  ["a lone high surrogate", LONE_HIGH, /surrogate/],
  ["a lone low surrogate", LONE_LOW, /surrogate/],
];

describe.runIf(databaseAvailable)("unstorable text in inputs: typed errors naming the path, nothing written", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let project: { id: string; name: string };
  let model: { id: string };
  let version: { id: string };
  let experiment: { id: string };
  let iteration: { id: string };
  let before: string;

  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    project = await createProject(client);
    model = await createModel(client, project.id);
    version = await createVersion(client, model.id);
    experiment = await createExperiment(client, project.id);
    iteration = await createIteration(client, experiment.id);
    before = await snapshotDatabase(server.app);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  /** A mutation through a variable; returns its result object with ValidationError issues selected. */
  async function mutation(field: string, inputType: string, input: Record<string, unknown>) {
    const res = await client.raw(
      `mutation($input: ${inputType}!) { result: ${field}(input: $input) { __typename ... on ValidationError { message issues { path message } } } }`,
      { input },
    );
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data.result;
  }

  const mutationCases: [label: string, field: string, inputType: string, input: (bad: string) => Record<string, unknown>, path: string[]][] = [
    ["a top-level input field", "createProject", "CreateProjectInput", (bad) => ({ name: uniqueName("p"), description: bad }), ["input", "description"]],
    ["a name (checked before the name pattern)", "createModel", "CreateModelInput", (bad) => ({ projectId: project.id, name: bad }), ["input", "name"]],
    ["an id field", "updateProject", "UpdateProjectInput", (bad) => ({ id: bad, description: "fine" }), ["input", "id"]],
    [
      "a nested list item",
      "createModel",
      "CreateModelInput",
      (bad) => ({ projectId: project.id, name: uniqueName("m"), tags: [{ key: "a", value: "1" }, { key: "b", value: "2" }, { key: "c", value: bad }] }),
      ["input", "tags", "2", "value"],
    ],
    ["a tag key", "updateModelVersion", "UpdateModelVersionInput", (bad) => ({ id: version.id, tags: [{ key: bad, value: "v" }] }), ["input", "tags", "0", "key"]],
    ["a param of an iteration", "createIteration", "CreateIterationInput", (bad) => ({ experimentId: experiment.id, params: [{ key: "lr", value: bad }] }), ["input", "params", "0", "value"]],
    ["a metric name", "logIterationMetrics", "LogIterationMetricsInput", (bad) => ({ iterationId: iteration.id, metrics: [{ name: bad, value: 1 }] }), ["input", "metrics", "0", "name"]],
    ["a stage comment", "transitionModelVersionStage", "TransitionModelVersionStageInput", (bad) => ({ modelVersionId: version.id, stage: "STAGING", comment: bad }), ["input", "comment"]],
    ["an idempotency key", "createModelVersion", "CreateModelVersionInput", (bad) => ({ modelId: model.id, idempotencyKey: bad }), ["input", "idempotencyKey"]],
  ];

  for (const [label, field, inputType, input, path] of mutationCases) {
    for (const [badLabel, bad, message] of BAD_TEXTS) {
      it(`mutation ${field}: ${badLabel} in ${label} is a ValidationError at ${path.join(".")}`, async () => {
        const result = await mutation(field, inputType, input(bad));
        expect(result.__typename).toBe("ValidationError");
        expect(result.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
        expect(result.message).toContain(path.join("."));
      });
    }
  }

  it("mutation: every offending field is listed, in one answer", async () => {
    const result = await mutation("createModel", "CreateModelInput", {
      projectId: project.id,
      name: uniqueName("m"),
      description: NUL,
      tags: [{ key: LONE_HIGH, value: "ok" }, { key: "ok", value: LONE_LOW }],
    });
    expect(result.__typename).toBe("ValidationError");
    expect(result.issues.map((i: { path: string[] }) => i.path.join("."))).toEqual(["input.description", "input.tags.0.key", "input.tags.1.value"]);
  });

  it("mutation: a NUL written as a GraphQL string escape in the document (not a variable) is a ValidationError too", async () => {
    const res = await client.raw(
      `mutation { result: createProject(input: {name: "lit-${Date.now()}", description: "a\\u0000b"}) { __typename ... on ValidationError { issues { path } } } }`,
    );
    expect(res.data.result).toEqual({ __typename: "ValidationError", issues: [{ path: ["input", "description"] }] });
  });

  /** Every top-level error is BAD_USER_INPUT naming `path`, and no data leaked through. */
  function expectBadUserInput(res: { data?: any; errors?: { message: string; extensions?: any }[] }, path: string[]) {
    expect(res.errors, JSON.stringify(res)).toHaveLength(1);
    const [error] = res.errors!;
    expect(error!.extensions?.code).toBe("BAD_USER_INPUT");
    expect(error!.extensions?.issues).toEqual([{ path, message: expect.any(String) }]);
    expect(error!.message).toContain(path.join("."));
  }

  const queryCases: [label: string, query: string, variables: (bad: string) => Record<string, unknown>, path: string[]][] = [
    ["a root field argument (input object field)", `query($v: String) { projects(filter: { nameContains: $v }) { totalCount } }`, (bad) => ({ v: bad }), ["filter", "nameContains"]],
    ["a oneOf argument", `query($v: String) { project(by: { name: $v }) { id } }`, (bad) => ({ v: bad }), ["by", "name"]],
    ["an ID argument", `query($v: ID!) { node(id: $v) { id } }`, (bad) => ({ v: bad }), ["id"]],
    ["a list of IDs", `query($v: ID!) { nodes(ids: ["x", $v]) { id } }`, (bad) => ({ v: bad }), ["ids", "1"]],
    [
      "a nested field's argument",
      `query($id: ID!, $v: String) { project(by: { id: $id }) { models(filter: { nameContains: $v }) { totalCount } } }`,
      (bad) => ({ id: project.id, v: bad }),
      ["filter", "nameContains"],
    ],
    [
      "a nested tag filter",
      `query($v: String!) { projects(filter: { tag: { key: "k", value: $v } }) { totalCount } }`,
      (bad) => ({ v: bad }),
      ["filter", "tag", "value"],
    ],
  ];

  for (const [label, query, variables, path] of queryCases) {
    for (const [badLabel, bad] of BAD_TEXTS) {
      it(`query: ${badLabel} in ${label} is BAD_USER_INPUT at ${path.join(".")}`, async () => {
        expectBadUserInput(await client.raw(query, variables(bad)), path);
      });
    }
  }

  it("query: a NUL as a string escape in the document is BAD_USER_INPUT too", async () => {
    expectBadUserInput(await client.raw(`{ projects(filter: { nameContains: "\\u0000" }) { totalCount } }`), ["filter", "nameContains"]);
  });

  it("query: a lone surrogate escape in the document is a parse error with its code", async () => {
    const res = await client.raw(`{ projects(filter: { nameContains: "\\ud800" }) { totalCount } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  for (const transport of TRANSPORTS) {
    for (const [badLabel, bad] of BAD_TEXTS) {
      it(`subscription over ${transport}: ${badLabel} in an argument is BAD_USER_INPUT, and the stream ends`, async () => {
        const cases: [string, Record<string, unknown>, string[]][] = [
          [PROJECT_EVENTS, { projectId: project.id, after: bad }, ["after"]],
          [STAGE_CHANGES, { projectId: project.id, modelId: bad }, ["modelId"]],
        ];
        for (const [query, variables, path] of cases) {
          const subscription = subscribe(transport, server.url, query, variables);
          try {
            await subscription.waitEnded();
            expect(subscription.events).toEqual([]);
            expect(subscription.errors, JSON.stringify(subscription.errors)).toHaveLength(1);
            const error = subscription.errors[0] as { message: string; extensions?: any };
            expect(error.extensions?.code).toBe("BAD_USER_INPUT");
            expect(error.extensions?.issues).toEqual([{ path, message: expect.any(String) }]);
          } finally {
            await subscription.close();
          }
        }
      });
    }
  }

  it("an id whose base64 decodes to a NUL names nothing: NotFoundError or null, never an internal error", async () => {
    for (const [typename, field, inputType, input] of [
      ["Project", "updateProject", "UpdateProjectInput", (id: string) => ({ id, description: "d" })],
      ["Experiment", "createIteration", "CreateIterationInput", (id: string) => ({ experimentId: id })],
      ["Resource", "completeResourceUpload", "CompleteResourceUploadInput", (id: string) => ({ resourceId: id })],
      ["TransitionRequest", "cancelTransitionRequest", "CancelTransitionRequestInput", (id: string) => ({ requestId: id })],
    ] as const) {
      const res = await client.raw(
        `mutation($input: ${inputType}!) { result: ${field}(input: $input) { __typename ... on NotFoundError { kind } } }`,
        { input: input(oldStyleId(typename, "\u0000")) },
      );
      expect(res, field).toEqual({ data: { result: { __typename: "NotFoundError", kind: typename } } });
    }
    const res = await client.raw(`query($id: ID!) { node(id: $id) { id } }`, { id: oldStyleId("Project", "a\u0000") });
    expect(res).toEqual({ data: { node: null } });
  });

  it("artifact routes: an id whose base64 decodes to a NUL is 404 NotFoundError for GET, HEAD and PUT", async () => {
    const url = new URL(`/artifacts/${oldStyleId("Resource", "\u0000")}`, server.url);
    for (const method of ["GET", "PUT"]) {
      const response = await fetch(url, { method, headers: client.authHeaders, ...(method === "PUT" ? { body: "bytes" } : {}) });
      expect({ method, status: response.status, type: ((await response.json()) as { error?: { type?: string } }).error?.type }).toEqual({ method, status: 404, type: "NotFoundError" });
    }
    expect((await fetch(url, { method: "HEAD", headers: client.authHeaders })).status).toBe(404);
  });

  it("a variable that does not fit its type is refused before execution with BAD_USER_INPUT", async () => {
    for (const [query, variables] of [
      [`query($v: Int) { projects(first: $v) { totalCount } }`, { v: 2 ** 31 }],
      [`mutation($input: CreateProjectInput!) { createProject(input: $input) { __typename } }`, { input: { name: 5 } }],
      [`mutation($input: CreateResourceUploadInput!) { createResourceUpload(input: $input) { __typename } }`, { input: { projectId: project.id, name: "a", sha256: "0".repeat(64), sizeBytes: "1\u0000" } }],
    ] as const) {
      const res = await client.raw(query, variables);
      expect(res.data ?? null, query).toBeNull();
      expect(res.errors?.map((e) => e.extensions?.code), query).toEqual(["BAD_USER_INPUT"]);
    }
  });

  it("valid Unicode beyond ASCII (emoji, CJK, RTL, combining marks) is stored and read back unchanged", async () => {
    const text = "模型 🤖 مرحبا e\u0301 \u{1F600}";
    const result = await client.raw(
      `mutation($input: CreateProjectInput!) { result: createProject(input: $input) { __typename ... on CreateProjectPayload { project { description } } } }`,
      { input: { name: uniqueName("uni"), description: text } },
    );
    expect(result.data.result).toEqual({ __typename: "CreateProjectPayload", project: { description: text } });
    before = await snapshotDatabase(server.app);
  });

  it("nothing was written by any refused input: every table, the audit log included, is unchanged", async () => {
    expect(await snapshotDatabase(server.app)).toBe(before);
  });
});
