// What a registration and a promotion cost in SQL statements (issue 14, "Writes"): each is one interactive
// transaction whose statements are round trips made while holding the model's row lock. The counts are constants,
// the same for a model's 1st version as for its 100th (nothing grows with the model), so a change that adds a
// read or splits a write fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createUserWithToken, createVersion, transition } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

/**
 * createModelVersion with only a description, as an EDITOR (the token is in the replica's cache: no authentication
 * statement), counted as the statements the database adapter sends (BEGIN is not one): the model with its project and the caller's
 * membership (one statement); the counter increment and the insert of the version (one statement); the events,
 * webhook deliveries and audit rows (one statement, taking the event-log lock); COMMIT.
 */
const REGISTRATION_STATEMENTS = 4;

/**
 * The same with metrics and an iteration: the iteration's project (lineage check) adds one; the searchable metric
 * rows (ModelVersionMetric) are written by the version's statement.
 */
const REGISTRATION_WITH_LINEAGE_STATEMENTS = REGISTRATION_STATEMENTS + 1;

/**
 * transitionModelVersionStage to PRODUCTION archiving the incumbent, as an EDITOR: the version with its model, the
 * model's project and the caller's membership, taking the model's row lock and returning the move's instant (one
 * statement); the version as locked with the stages it has entered, PRODUCTION's policy and the incumbent (one
 * statement; the incumbent is handed on to the archiving); both versions' updates with their transition rows, the
 * incumbent's first (one statement); the events and audit row (one statement); COMMIT.
 */
const PROMOTION_STATEMENTS = 5;

const VERSION_FIELDS = "id number stage description createdAt updatedAt stageChangedAt deletedAt tags { key value } metrics { name value } iteration { id }";

const CREATE = `mutation($input: CreateModelVersionInput!) {
  r: createModelVersion(input: $input) {
    __typename
    ... on CreateModelVersionPayload { modelVersion { ${VERSION_FIELDS} } }
    ... on Error { message }
  }
}`;

const PROMOTE = `mutation($id: ID!) {
  r: transitionModelVersionStage(input: { modelVersionId: $id, stage: PRODUCTION }) {
    __typename
    ... on TransitionModelVersionStagePayload { modelVersion { id stage } archivedVersions { id stage } }
    ... on Error { message }
  }
}`;

describe.runIf(databaseAvailable)("statements per write", () => {
  let server: TestServer;
  let admin: GraphQLClient;
  let editor: GraphQLClient;
  let projectId: string;
  const sent: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    admin = new GraphQLClient(server.url);
    projectId = (await createProject(admin)).id;
    // A project member, not an instance admin: its role is read from the membership, as for most callers.
    editor = (await createUserWithToken(admin, { projectId, role: "EDITOR" })).client;
    server.app.db.onStatement((sql) => sent.push(sql));
  });
  afterAll(async () => {
    admin?.close();
    await server?.close();
  });

  /** Resolves once the server has sent no statement for a while (post-commit work included). */
  async function quiet(): Promise<void> {
    for (let last = -1; last !== server.app.db.stats.statements; ) {
      last = server.app.db.stats.statements;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Runs `call` (after `prepare`, not counted) and returns how many statements its transaction sent, up to and with
   * its COMMIT, and which (for the failure message). What follows the commit (the event feed reading the new events,
   * the webhook worker looking for due deliveries) is outside the transaction and not counted. The statements are
   * statements the database adapter sent (`db.onStatement`), as `db.stats.statements` counts them (BEGIN is not one). Background work (the feed's and
   * the webhook worker's slow polls) could only add: the least of three runs is taken.
   */
  async function measure(call: () => Promise<void>, prepare: () => Promise<void> = async () => {}): Promise<{ statements: number; log: string }> {
    let best = { statements: Infinity, log: "" };
    for (let run = 0; run < 3; run++) {
      await prepare();
      await quiet();
      const before = server.app.db.stats.statements;
      const from = sent.length;
      await call();
      const log = sent.slice(from);
      expect(server.app.db.stats.statements - before).toBeGreaterThanOrEqual(log.length);
      const commit = log.findIndex((query) => /\bCOMMIT\b/.test(query));
      expect(commit, log.join("\n")).toBeGreaterThanOrEqual(0);
      const statements = commit + 1;
      // One line per statement, shortened: enough to see which read or write was added.
      if (statements < best.statements) best = { statements, log: log.slice(0, statements).map((q, n) => `${n + 1}. ${q.replace(/\s+/g, " ").slice(0, 180)}`).join("\n") };
    }
    return best;
  }

  async function register(input: Record<string, unknown>): Promise<{ id: string; number: number } & Record<string, unknown>> {
    const data = await editor.request(CREATE, { input });
    if (data.r.__typename !== "CreateModelVersionPayload") throw new Error(`createModelVersion: ${data.r.__typename} ${data.r.message}`);
    return data.r.modelVersion;
  }

  it("registers a version in a constant number of statements, the 100th as the 1st", async () => {
    const model = await createModel(admin, projectId);
    const first = await measure(async () => void (await register({ modelId: model.id, description: "plain" })));
    expect(first.statements, first.log).toBe(REGISTRATION_STATEMENTS);

    for (let i = 0; i < 96; i++) await createVersion(admin, model.id);
    const hundredth = await measure(async () => void (await register({ modelId: model.id, description: "plain" })));
    expect(hundredth.statements, hundredth.log).toBe(REGISTRATION_STATEMENTS);

    // The counter stayed contiguous across both kinds of callers.
    const last = await register({ modelId: model.id });
    expect(last.number).toBe(103);
  });

  it("returns the version it wrote as a read of it does", async () => {
    const model = await createModel(admin, projectId);
    const experiment = await createExperiment(admin, projectId);
    const iteration = await createIteration(admin, experiment.id);
    const created = await register({
      modelId: model.id,
      iterationId: iteration.id,
      description: "shape",
      tags: [{ key: "team", value: "search" }],
      metrics: [{ name: "accuracy", value: 0.91 }],
    });
    const read = await editor.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { ${VERSION_FIELDS} } } }`, { id: created.id });
    expect(created).toEqual(read.node);
    expect(created).toMatchObject({ number: 1, stage: "NONE", deletedAt: null, tags: [{ key: "team", value: "search" }], metrics: [{ name: "accuracy", value: 0.91 }], iteration: { id: iteration.id } });
    // The searchable metric rows were written with it: the metric filter finds it.
    const filtered = await editor.request(
      `query($id: ID!) { node(id: $id) { ... on Model { versions(first: 5, filter: { metrics: [{ name: "accuracy", gte: 0.9 }] }) { nodes { id } } } } }`,
      { id: model.id },
    );
    expect(filtered.node.versions.nodes).toEqual([{ id: created.id }]);
  });

  it("registers a version with metrics and an iteration in a constant number of statements", async () => {
    const model = await createModel(admin, projectId);
    const experiment = await createExperiment(admin, projectId);
    const iteration = await createIteration(admin, experiment.id);
    const input = { modelId: model.id, iterationId: iteration.id, metrics: [{ name: "accuracy", value: 0.9 }, { name: "loss", value: 0.2 }] };
    const first = await measure(async () => void (await register(input)));
    expect(first.statements, first.log).toBe(REGISTRATION_WITH_LINEAGE_STATEMENTS);

    for (let i = 0; i < 96; i++) await createVersion(admin, model.id);
    const hundredth = await measure(async () => void (await register(input)));
    expect(hundredth.statements, hundredth.log).toBe(REGISTRATION_WITH_LINEAGE_STATEMENTS);
  });

  it("promotes a version to PRODUCTION, archiving the incumbent, in a constant number of statements", async () => {
    const model = await createModel(admin, projectId);
    const versions: { id: string; number: number }[] = [];
    for (let i = 0; i < 100; i++) versions.push(await createVersion(admin, model.id));
    const moveAs = async (version: { id: string }, stage: string) =>
      expect((await transition(admin, { modelVersionId: version.id, stage })).__typename).toBe("TransitionModelVersionStagePayload");
    await moveAs(versions[0]!, "STAGING");
    await moveAs(versions[0]!, "PRODUCTION");

    // Each run promotes the next version: the one in PRODUCTION is the incumbent, archived by the same call.
    let incumbent = versions[0]!;
    let next = 1;
    const stageNext = () => moveAs(versions[next]!, "STAGING");
    const promoteNext = async () => {
      const candidate = versions[next++]!;
      const data = await editor.request(PROMOTE, { id: candidate.id });
      expect(data.r.__typename, data.r.message).toBe("TransitionModelVersionStagePayload");
      expect(data.r.modelVersion.stage).toBe("PRODUCTION");
      expect(data.r.archivedVersions).toEqual([{ id: incumbent.id, stage: "ARCHIVED" }]);
      incumbent = candidate;
    };
    const early = await measure(promoteNext, stageNext);
    expect(early.statements, early.log).toBe(PROMOTION_STATEMENTS);

    // Late in the model's life (many versions, a long history of transitions), the same.
    next = 97;
    const late = await measure(promoteNext, stageNext);
    expect(late.statements, late.log).toBe(PROMOTION_STATEMENTS);
  });
});
