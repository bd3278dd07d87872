// Every rule answers bad input with its typed error, a message naming the broken rule, and changes nothing.
// Each case: optional setup (through the API), a database fingerprint, the bad call, the same fingerprint.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGlobalId } from "../../server/src/domain/ids.ts";
import { GraphQLClient } from "../support/client.ts";
import {
  createExperiment,
  createIteration,
  createModel,
  createProject,
  createResource,
  createVersion,
  mutate,
  transition,
  uniqueName,
} from "../support/fixtures.ts";
import { snapshotDatabase } from "../support/snapshot.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const NAME_PATTERN_TEXT = "^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$";

/** Fields worth asserting on each error type (only those a mutation's result union can hold are selected). */
const ERROR_FIELDS: Record<string, string> = {
  ValidationError: "issues { path message }",
  NotFoundError: "kind ref",
  NameConflictError: "kind name",
  CrossProjectLineageError: "field",
  InvalidStageTransitionError: "fromStage toStage",
  StaleStageError: "expectedStage actualStage",
  ApprovalRequiredError: "stage",
  ArchivedObjectError: "kind ref",
  ForbiddenError: "requiredRole",
};

const cap = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

interface Case {
  name: string;
  /** Builds what the bad call needs; runs before the "before" snapshot. */
  setup?: () => Promise<any>;
  /** The bad call: [mutation field, input]. */
  call: (ctx: any) => [field: string, input: Record<string, unknown>];
  typename: string;
  /** Every pattern must occur in the message. */
  message: (ctx: any, input: Record<string, unknown>) => (string | RegExp)[];
  /** Further assertions on the error object. */
  check?: (error: any, ctx: any, input: Record<string, unknown>) => void;
}

describe.runIf(databaseAvailable)("validation: typed errors, useful messages, no change", () => {
  let server: TestServer;
  let client: GraphQLClient;
  const unionMembers = new Map<string, string[]>();

  // Shared fixtures: project P (the one written to) and project Q (the "other" project of lineage cases).
  let p: { id: string; name: string };
  let q: { id: string; name: string };
  let modelP: { id: string; name: string };
  let expP: { id: string; name: string };
  let versionP: { id: string; number: number };
  let iterQ: { id: string };
  let resourceQ: { id: string };
  let versionQ: { id: string };

  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    p = await createProject(client);
    q = await createProject(client);
    modelP = await createModel(client, p.id);
    expP = await createExperiment(client, p.id);
    versionP = await createVersion(client, modelP.id);
    const expQ = await createExperiment(client, q.id);
    iterQ = await createIteration(client, expQ.id);
    resourceQ = await createResource(client, q.id);
    versionQ = await createVersion(client, (await createModel(client, q.id)).id);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  /** Runs a mutation and returns its result object, selecting the fields of every error type it can return. */
  async function attempt(field: string, input: Record<string, unknown>): Promise<any> {
    const union = `${cap(field)}Result`;
    if (!unionMembers.has(union)) {
      const data = await client.request(`query($n: String!) { __type(name: $n) { possibleTypes { name } } }`, { n: union });
      unionMembers.set(union, data.__type.possibleTypes.map((t: { name: string }) => t.name));
    }
    const fragments = unionMembers
      .get(union)!
      .filter((t) => ERROR_FIELDS[t])
      .map((t) => `... on ${t} { ${ERROR_FIELDS[t]} }`)
      .join(" ");
    const data = await client.request(
      `mutation($input: ${cap(field)}Input!) { result: ${field}(input: $input) { __typename ... on Error { message } ${fragments} } }`,
      { input },
    );
    return data.result;
  }

  /** A model version moved through `path` (e.g. ["STAGING", "PRODUCTION"]) in a fresh model of P. */
  async function versionIn(path: string[], modelExtra: Record<string, unknown> = {}) {
    const model = await createModel(client, p.id, modelExtra);
    const version = await createVersion(client, model.id);
    for (const stage of path) {
      const moved = await transition(client, { modelVersionId: version.id, stage });
      expect(moved.__typename, moved.message).toBe("TransitionModelVersionStagePayload");
    }
    return { model, version };
  }

  const nameOnly = (path: string[]) => (error: any) => {
    expect(error.issues.map((i: any) => i.path)).toEqual([path]);
  };

  // ---- names ----
  const badNames: [label: string, value: string, message: (string | RegExp)[]][] = [
    ["empty", "", [NAME_PATTERN_TEXT]],
    ["leading '-'", "-model", [NAME_PATTERN_TEXT]],
    ["a space", "my model", [NAME_PATTERN_TEXT]],
    ["a '/'", "team/model", [NAME_PATTERN_TEXT]],
    ["256 characters", "a".repeat(256), ["255", "256"]],
  ];
  const nameTargets: [kind: string, call: (ctx: any, name: string) => [string, Record<string, unknown>]][] = [
    ["project", (_ctx, name) => ["createProject", { name }]],
    ["experiment", (_ctx, name) => ["createExperiment", { projectId: p.id, name }]],
    ["model", (_ctx, name) => ["createModel", { projectId: p.id, name }]],
    ["model rename", (_ctx, name) => ["updateModel", { id: modelP.id, name }]],
    ["project rename", (_ctx, name) => ["updateProject", { id: p.id, name }]],
  ];
  const nameCases: Case[] = nameTargets.flatMap(([kind, call]) =>
    badNames.map(([label, value, message]) => ({
      name: `${kind} name with ${label}`,
      call: (ctx: any) => call(ctx, value),
      typename: "ValidationError",
      message: () => ["input.name", ...message],
      check: nameOnly(["input", "name"]),
    })),
  );

  // ---- case-insensitive uniqueness ----
  const conflictCases: Case[] = [
    {
      name: 'project "alpha" after "Alpha"',
      setup: async () => {
        const name = `Alpha${randomUUID().slice(0, 6)}`;
        await createProject(client, name);
        return { name };
      },
      call: (ctx) => ["createProject", { name: ctx.name.toLowerCase() }],
      typename: "NameConflictError",
      message: (ctx) => [ctx.name.toLowerCase(), /case-insensitive/],
      check: (e, ctx) => expect(e).toMatchObject({ kind: "Project", name: ctx.name.toLowerCase() }),
    },
    {
      name: "model name taken in the same project (other case)",
      setup: async () => ({ model: await createModel(client, p.id, { name: uniqueName("Clf") }) }),
      call: (ctx) => ["createModel", { projectId: p.id, name: ctx.model.name.toUpperCase() }],
      typename: "NameConflictError",
      message: (ctx) => [ctx.model.name.toUpperCase(), /case-insensitive/],
      check: (e) => expect(e.kind).toBe("Model"),
    },
    {
      name: "experiment name taken in the same project (other case)",
      setup: async () => ({ exp: await createExperiment(client, p.id, uniqueName("Run")) }),
      call: (ctx) => ["createExperiment", { projectId: p.id, name: ctx.exp.name.toLowerCase() }],
      typename: "NameConflictError",
      message: (ctx) => [ctx.exp.name.toLowerCase()],
      check: (e) => expect(e.kind).toBe("Experiment"),
    },
    {
      name: "updateModel renaming into a taken name",
      setup: async () => ({
        taken: await createModel(client, p.id, { name: uniqueName("Taken") }),
        other: await createModel(client, p.id),
      }),
      call: (ctx) => ["updateModel", { id: ctx.other.id, name: ctx.taken.name.toLowerCase() }],
      typename: "NameConflictError",
      message: (ctx) => [ctx.taken.name.toLowerCase(), /case-insensitive/],
      check: (e) => expect(e.kind).toBe("Model"),
    },
    {
      name: "updateProject renaming into a taken name",
      setup: async () => ({ taken: await createProject(client, uniqueName("Proj")), other: await createProject(client) }),
      call: (ctx) => ["updateProject", { id: ctx.other.id, name: ctx.taken.name.toUpperCase() }],
      typename: "NameConflictError",
      message: (ctx) => [ctx.taken.name.toUpperCase()],
      check: (e) => expect(e.kind).toBe("Project"),
    },
  ];

  // ---- descriptions and tags ----
  const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
  const sizeCases: Case[] = [
    ...(
      [
        ["createProject", () => ({ name: uniqueName("proj") })],
        ["createModel", () => ({ projectId: p.id, name: uniqueName("model") })],
        ["createExperiment", () => ({ projectId: p.id, name: uniqueName("exp") })],
        ["createModelVersion", () => ({ modelId: modelP.id })],
        ["updateModel", () => ({ id: modelP.id })],
        ["updateModelVersion", () => ({ id: versionP.id })],
      ] as [string, () => Record<string, unknown>][]
    ).map(
      ([field, base]): Case => ({
        name: `${field}: description of 32,769 characters`,
        call: () => [field, { ...base(), description: "d".repeat(32_769) }],
        typename: "ValidationError",
        message: () => ["input.description", /32,?768/],
        check: nameOnly(["input", "description"]),
      }),
    ),
    {
      name: "65 tags",
      call: () => ["createModel", { projectId: p.id, name: uniqueName("model"), tags: tags(65) }],
      typename: "ValidationError",
      message: () => ["input.tags", "64"],
      check: nameOnly(["input", "tags"]),
    },
    {
      name: "tag key of 129 characters",
      call: () => ["createModel", { projectId: p.id, name: uniqueName("model"), tags: [...tags(3), { key: "k".repeat(129), value: "v" }] }],
      typename: "ValidationError",
      message: () => ["input.tags.3.key", "128"],
      check: nameOnly(["input", "tags", "3", "key"]),
    },
    {
      name: "tag value of 4,097 characters",
      call: () => ["createModelVersion", { modelId: modelP.id, tags: [...tags(2), { key: "big", value: "v".repeat(4_097) }] }],
      typename: "ValidationError",
      message: () => ["input.tags.2.value", /4,?096/],
      check: nameOnly(["input", "tags", "2", "value"]),
    },
    {
      name: "duplicate tag keys",
      call: () => ["updateModel", { id: modelP.id, tags: [{ key: "team", value: "a" }, { key: "x", value: "b" }, { key: "team", value: "c" }] }],
      typename: "ValidationError",
      message: () => ["input.tags.2.key", /duplicate/, "team"],
      check: nameOnly(["input", "tags", "2", "key"]),
    },
    {
      name: "project tags: 65",
      call: () => ["createProject", { name: uniqueName("proj"), tags: tags(65) }],
      typename: "ValidationError",
      message: () => ["input.tags", "64"],
      check: nameOnly(["input", "tags"]),
    },
  ];

  // ---- lineage stays inside the model's project ----
  const lineageFields: [field: string, ref: () => string][] = [
    ["iterationId", () => iterQ.id],
    ["resourceId", () => resourceQ.id],
    ["parentVersionId", () => versionQ.id],
  ];
  const lineageCases: Case[] = lineageFields.flatMap(([field, ref]): Case[] => [
    {
      name: `createModelVersion with ${field} from another project`,
      call: () => ["createModelVersion", { modelId: modelP.id, [field]: ref() }],
      typename: "CrossProjectLineageError",
      message: () => [field, /same project/],
      check: (e) => expect(e.field).toBe(field),
    },
    {
      name: `updateModelVersion with ${field} from another project`,
      call: () => ["updateModelVersion", { id: versionP.id, [field]: ref() }],
      typename: "CrossProjectLineageError",
      message: () => [field, /same project/],
      check: (e) => expect(e.field).toBe(field),
    },
  ]);
  lineageCases.push({
    name: "createResourceUpload with iterationId from another project",
    call: () => ["createResourceUpload", { projectId: p.id, name: "m.onnx", sizeBytes: "3", sha256: "b".repeat(64), iterationId: iterQ.id }],
    typename: "CrossProjectLineageError",
    message: () => ["iterationId"],
    check: (e) => expect(e.field).toBe("iterationId"),
  });

  // ---- stages ----
  const forbiddenMoves: [from: string[], to: string, fromStage: string][] = [
    [[], "PRODUCTION", "NONE"],
    [["STAGING", "PRODUCTION"], "NONE", "PRODUCTION"],
    [["ARCHIVED"], "NONE", "ARCHIVED"],
    [["STAGING"], "STAGING", "STAGING"],
    [[], "NONE", "NONE"],
    [["STAGING", "PRODUCTION"], "PRODUCTION", "PRODUCTION"],
  ];
  const stageCases: Case[] = [
    ...forbiddenMoves.map(
      ([path, to, fromStage]): Case => ({
        name: `transition ${fromStage} → ${to}`,
        setup: () => versionIn(path),
        call: (ctx) => ["transitionModelVersionStage", { modelVersionId: ctx.version.id, stage: to }],
        typename: "InvalidStageTransitionError",
        message: () => [fromStage, to],
        check: (e) => expect(e).toMatchObject({ fromStage, toStage: to }),
      }),
    ),
    {
      name: "stale expectedStage",
      setup: () => versionIn(["STAGING"]),
      call: (ctx) => ["transitionModelVersionStage", { modelVersionId: ctx.version.id, stage: "PRODUCTION", expectedStage: "NONE" }],
      typename: "StaleStageError",
      message: () => ["NONE", "STAGING"],
      check: (e) => expect(e).toMatchObject({ expectedStage: "NONE", actualStage: "STAGING" }),
    },
    {
      name: "STAGING → PRODUCTION on a model that requires approval for PRODUCTION",
      setup: () => versionIn(["STAGING"], { requireApprovalFor: ["PRODUCTION"] }),
      call: (ctx) => ["transitionModelVersionStage", { modelVersionId: ctx.version.id, stage: "PRODUCTION", expectedStage: "STAGING" }],
      typename: "ApprovalRequiredError",
      message: () => ["PRODUCTION", /approv/i],
      check: (e) => expect(e.stage).toBe("PRODUCTION"),
    },
    {
      name: "transition comment over 4,096 characters",
      setup: () => versionIn([]),
      call: (ctx) => ["transitionModelVersionStage", { modelVersionId: ctx.version.id, stage: "STAGING", comment: "c".repeat(4_097) }],
      typename: "ValidationError",
      message: () => ["input.comment", /4,?096/],
      check: nameOnly(["input", "comment"]),
    },
  ];

  // ---- unknown ids ----
  const missing = (type: string) => encodeGlobalId(type, randomUUID());
  const notFoundCases: Case[] = (
    [
    ["createModel", "projectId", () => missing("Project"), "a well-formed id of no project"],
    ["createModelVersion", "modelId", () => missing("Model"), "a well-formed id of no model"],
    ["createModelVersion", "modelId", () => "garbage!id", "a garbage string"],
    ["createModelVersion", "modelId", () => p.id, "a Project id"],
    ["createExperiment", "projectId", () => modelP.id, "a Model id"],
    ["updateModel", "id", () => versionP.id, "a ModelVersion id"],
    ["updateModel", "id", () => "Zm9vYmFy", "base64 without a type"],
    ["transitionModelVersionStage", "modelVersionId", () => missing("ModelVersion"), "a well-formed id of no version"],
    ["deleteModelVersion", "id", () => modelP.id, "a Model id"],
    ["archiveProject", "id", () => missing("Project"), "a well-formed id of no project"],
    ["createIteration", "experimentId", () => p.id, "a Project id"],
    ["logIterationMetrics", "iterationId", () => missing("Iteration"), "a well-formed id of no iteration"],
    ] as [field: string, idField: string, id: () => string, label: string][]
  ).map(
    ([field, idField, id, label]): Case => ({
      name: `${field} with ${idField} = ${label}`,
      call: () => {
        const base: Record<string, Record<string, unknown>> = {
          createModel: { name: uniqueName("model") },
          createExperiment: { name: uniqueName("exp") },
          transitionModelVersionStage: { stage: "STAGING" },
          logIterationMetrics: { metrics: [{ name: "loss", value: 1 }] },
        };
        return [field, { ...base[field], [idField]: id() }];
      },
      typename: "NotFoundError",
      message: (_ctx, input) => [String(input[idField])],
      check: (e, _ctx, input) => expect(e.ref).toBe(input[idField]),
    }),
  );
  notFoundCases.push({
    name: "createModelVersion with an iterationId of no iteration",
    call: () => ["createModelVersion", { modelId: modelP.id, iterationId: missing("Iteration") }],
    typename: "NotFoundError",
    message: (_ctx, input) => [input.iterationId as string],
    check: (e) => expect(e.kind).toBe("Iteration"),
  });

  // ---- archived objects are read-only ----
  const archive = async (field: "archiveModel" | "archiveProject" | "archiveExperiment", id: string) => {
    await mutate(client, field, `${cap(field)}Input`, { id }, "__typename");
  };
  const archivedCases: Case[] = [
    {
      name: "createModelVersion on an archived model",
      setup: async () => {
        const model = await createModel(client, p.id);
        await archive("archiveModel", model.id);
        return { model };
      },
      call: (ctx) => ["createModelVersion", { modelId: ctx.model.id }],
      typename: "ArchivedObjectError",
      message: (ctx) => [/archived/, ctx.model.id],
      check: (e, ctx) => expect(e).toMatchObject({ kind: "Model", ref: ctx.model.id }),
    },
    {
      name: "createModel in an archived project",
      setup: async () => {
        const project = await createProject(client);
        await archive("archiveProject", project.id);
        return { project };
      },
      call: (ctx) => ["createModel", { projectId: ctx.project.id, name: uniqueName("model") }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e, ctx) => expect(e).toMatchObject({ kind: "Project", ref: ctx.project.id }),
    },
    {
      name: "createExperiment in an archived project",
      setup: async () => {
        const project = await createProject(client);
        await archive("archiveProject", project.id);
        return { project };
      },
      call: (ctx) => ["createExperiment", { projectId: ctx.project.id, name: uniqueName("exp") }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e) => expect(e.kind).toBe("Project"),
    },
    {
      name: "updateModel on an archived model",
      setup: async () => {
        const model = await createModel(client, p.id);
        await archive("archiveModel", model.id);
        return { model };
      },
      call: (ctx) => ["updateModel", { id: ctx.model.id, description: "new" }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e) => expect(e.kind).toBe("Model"),
    },
    {
      name: "updateModel status ACTIVE does not un-archive",
      setup: async () => {
        const model = await createModel(client, p.id);
        await archive("archiveModel", model.id);
        return { model };
      },
      call: (ctx) => ["updateModel", { id: ctx.model.id, status: "ACTIVE" }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
    },
    {
      name: "transition of a version of an archived model",
      setup: async () => {
        const { model, version } = await versionIn([]);
        await archive("archiveModel", model.id);
        return { model, version };
      },
      call: (ctx) => ["transitionModelVersionStage", { modelVersionId: ctx.version.id, stage: "STAGING" }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e, ctx) => expect(e).toMatchObject({ kind: "Model", ref: ctx.model.id }),
    },
    {
      name: "createModelVersion in a model of an archived project",
      setup: async () => {
        const project = await createProject(client);
        const model = await createModel(client, project.id);
        await archive("archiveProject", project.id);
        return { project, model };
      },
      call: (ctx) => ["createModelVersion", { modelId: ctx.model.id }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e, ctx) => expect(e).toMatchObject({ kind: "Project", ref: ctx.project.id }),
    },
    {
      name: "createIteration in an archived experiment",
      setup: async () => {
        const exp = await createExperiment(client, p.id);
        await archive("archiveExperiment", exp.id);
        return { exp };
      },
      call: (ctx) => ["createIteration", { experimentId: ctx.exp.id }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e) => expect(e.kind).toBe("Experiment"),
    },
    {
      name: "logIterationMetrics on an iteration of an archived experiment",
      setup: async () => {
        const exp = await createExperiment(client, p.id);
        const iteration = await createIteration(client, exp.id);
        await archive("archiveExperiment", exp.id);
        return { exp, iteration };
      },
      call: (ctx) => ["logIterationMetrics", { iterationId: ctx.iteration.id, metrics: [{ name: "loss", value: 0.5 }] }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e) => expect(e.kind).toBe("Experiment"),
    },
    {
      name: "finishIteration on an iteration of an archived project",
      setup: async () => {
        const project = await createProject(client);
        const iteration = await createIteration(client, (await createExperiment(client, project.id)).id);
        await archive("archiveProject", project.id);
        return { project, iteration };
      },
      call: (ctx) => ["finishIteration", { iterationId: ctx.iteration.id }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e, ctx) => expect(e).toMatchObject({ kind: "Project", ref: ctx.project.id }),
    },
    {
      name: "createResourceUpload in an archived project",
      setup: async () => {
        const project = await createProject(client);
        await archive("archiveProject", project.id);
        return { project };
      },
      call: (ctx) => ["createResourceUpload", { projectId: ctx.project.id, name: "m.onnx", sizeBytes: "3", sha256: "c".repeat(64) }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
      check: (e) => expect(e.kind).toBe("Project"),
    },
    {
      name: "archiveModel twice",
      setup: async () => {
        const model = await createModel(client, p.id);
        await archive("archiveModel", model.id);
        return { model };
      },
      call: (ctx) => ["archiveModel", { id: ctx.model.id }],
      typename: "ArchivedObjectError",
      message: () => [/archived/],
    },
  ];

  // ---- other refusals ----
  const otherCases: Case[] = [
    {
      name: "deleting a PRODUCTION version",
      setup: () => versionIn(["STAGING", "PRODUCTION"]),
      call: (ctx) => ["deleteModelVersion", { id: ctx.version.id }],
      typename: "ValidationError",
      message: () => ["input.id", "PRODUCTION"],
      check: nameOnly(["input", "id"]),
    },
    {
      name: "logIterationMetrics on a finished iteration",
      setup: async () => {
        const iteration = await createIteration(client, expP.id);
        await mutate(client, "finishIteration", "FinishIterationInput", { iterationId: iteration.id }, "iteration { id }");
        return { iteration };
      },
      call: (ctx) => ["logIterationMetrics", { iterationId: ctx.iteration.id, metrics: [{ name: "loss", value: 0.1, step: 1 }] }],
      typename: "ValidationError",
      message: () => ["input.iterationId", "COMPLETED", "RUNNING"],
      check: nameOnly(["input", "iterationId"]),
    },
    {
      name: "finishIteration twice",
      setup: async () => {
        const iteration = await createIteration(client, expP.id);
        await mutate(client, "finishIteration", "FinishIterationInput", { iterationId: iteration.id, status: "FAILED" }, "iteration { id }");
        return { iteration };
      },
      call: (ctx) => ["finishIteration", { iterationId: ctx.iteration.id }],
      typename: "ValidationError",
      message: () => ["FAILED"],
      check: nameOnly(["input", "iterationId"]),
    },
    {
      name: "a version as its own parent",
      call: () => ["updateModelVersion", { id: versionP.id, parentVersionId: versionP.id }],
      typename: "ValidationError",
      message: () => ["input.parentVersionId", /own parent/],
      check: nameOnly(["input", "parentVersionId"]),
    },
    {
      name: "empty idempotency key",
      call: () => ["createModelVersion", { modelId: modelP.id, idempotencyKey: "" }],
      typename: "ValidationError",
      message: () => ["input.idempotencyKey"],
      check: nameOnly(["input", "idempotencyKey"]),
    },
    {
      name: "several broken rules are reported together",
      call: () => ["createModel", { projectId: p.id, name: "-bad", description: "d".repeat(32_769), tags: tags(65) }],
      typename: "ValidationError",
      message: () => ["input.name", "input.description", "input.tags"],
      check: (e) => expect(e.issues.map((i: any) => i.path.join("."))).toEqual(["input.name", "input.description", "input.tags"]),
    },
  ];

  const groups: [string, Case[]][] = [
    ["names", nameCases],
    ["case-insensitive uniqueness", conflictCases],
    ["descriptions and tags", sizeCases],
    ["cross-project lineage", lineageCases],
    ["stages", stageCases],
    ["unknown ids", notFoundCases],
    ["archived objects", archivedCases],
    ["other refusals", otherCases],
  ];

  for (const [group, cases] of groups) {
    describe(group, () => {
      for (const c of cases) {
        it(`${c.name} → ${c.typename}`, async () => {
          const ctx = (await c.setup?.()) ?? {};
          const [field, input] = c.call(ctx);
          const before = await snapshotDatabase(server.app);
          const error = await attempt(field, input);
          const after = await snapshotDatabase(server.app);
          expect(error.__typename, error.message).toBe(c.typename);
          for (const part of c.message(ctx, input)) {
            if (typeof part === "string") expect(error.message).toContain(part);
            else expect(error.message).toMatch(part);
          }
          c.check?.(error, ctx, input);
          expect(after === before, `${field} changed the database although it answered ${error.__typename}`).toBe(true);
        });
      }
    });
  }

  // ---- the limits themselves are accepted ----
  describe("limits are inclusive", () => {
    it("accepts a description of exactly 32,768 characters and 64 tags with maximal keys and values", async () => {
      const description = "d".repeat(32_768);
      const maxTags = Array.from({ length: 64 }, (_, i) => ({ key: `${i}`.padEnd(128, "k"), value: "v".repeat(4_096) }));
      const before = await snapshotDatabase(server.app);
      const res = await attempt("createModel", { projectId: p.id, name: uniqueName("model"), description, tags: maxTags });
      expect(res.__typename, res.message).toBe("CreateModelPayload");
      // The fingerprint the refusals are checked with does see an accepted write.
      expect((await snapshotDatabase(server.app)) === before).toBe(false);
      const project = await attempt("createProject", { name: "p".repeat(255), description, tags: tags(64) });
      expect(project.__typename, project.message).toBe("CreateProjectPayload");
      const version = await attempt("createModelVersion", { modelId: modelP.id, description, tags: maxTags });
      expect(version.__typename, version.message).toBe("CreateModelVersionPayload");
    });

    it("accepts a name taken in another project", async () => {
      const name = uniqueName("Shared");
      await createModel(client, p.id, { name });
      const res = await attempt("createModel", { projectId: q.id, name: name.toLowerCase() });
      expect(res.__typename, res.message).toBe("CreateModelPayload");
      const exp = await attempt("createExperiment", { projectId: q.id, name: expP.name.toUpperCase() });
      expect(exp.__typename, exp.message).toBe("CreateExperimentPayload");
    });

    it("accepts lineage from the model's own project", async () => {
      const iteration = await createIteration(client, expP.id);
      const resource = await createResource(client, p.id);
      const res = await attempt("createModelVersion", {
        modelId: modelP.id,
        iterationId: iteration.id,
        resourceId: resource.id,
        parentVersionId: versionP.id,
      });
      expect(res.__typename, res.message).toBe("CreateModelVersionPayload");
    });
  });
});
