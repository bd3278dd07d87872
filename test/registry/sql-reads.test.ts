// Nested reads as one SQL statement (db/sql-reads.ts, DATABASE_SQL_READS, on by default) answer exactly what the
// same reads through Prisma answer: every document below is asked of a server with them on, then of a server with
// them off on the same database, and the two responses (data, errors and warnings) must be equal. The documents
// cover what the one statement serves (first, orderBy, filters, counts, to-one and to-many relations, every column
// type) and what falls back to Prisma (after/before/last cursors, case-insensitive names, JSON tag filters).
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type App } from "../../server/src/app.ts";
import { loadConfig } from "../../server/src/config.ts";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createResource, createUserWithToken, createVersion, mutate, transition } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, freshDatabase } from "../support/server.ts";

const VERSION = `id number stage description tags { key value } metrics { name value } createdAt updatedAt stageChangedAt deletedAt idempotencyKey
  iteration { id number status params { key value } startedAt endedAt experiment { id name status createdAt } }
  resource { id name sha256 sizeBytes contentType format status createdAt readyAt }
  parentVersion { number } childVersions(first: 2) { totalCount nodes { number } }`;
const PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";

const documents: Record<string, string> = {
  lineage: `query($id: ID!) { project(by: { id: $id }) { id name description status tags { key value } createdAt updatedAt
    models(first: 4) { totalCount ${PAGE} edges { cursor node { id name description status tags { key value } requireApprovalFor createdAt
      versions(first: 4) { totalCount ${PAGE} edges { cursor node { ${VERSION} } } } } } } } }`,
  everyStatus: `query($id: ID!) { project(by: { id: $id }) { models(first: 3, filter: { status: [ACTIVE, DEPRECATED, ARCHIVED] }, orderBy: { field: CREATED_AT, direction: DESC }) {
    totalCount ${PAGE} nodes { name status versions(first: 2, orderBy: { field: CREATED_AT, direction: ASC }) { totalCount ${PAGE} nodes { number stage } } } } } }`,
  versionFilters: `query($id: ID!) { project(by: { id: $id }) { models(first: 5, orderBy: { field: UPDATED_AT }) { nodes { name
    deleted: versions(first: 10, filter: { includeDeleted: true }) { totalCount nodes { number deletedAt } }
    staging: versions(first: 10, filter: { stages: [STAGING, PRODUCTION] }) { totalCount nodes { number stage } }
    withResource: versions(first: 10, filter: { hasResource: true }, orderBy: { field: NUMBER, direction: ASC }) { totalCount nodes { number resource { sizeBytes } } }
    metric: versions(first: 10, filter: { metrics: [{ name: "acc", gte: 0.5 }] }) { totalCount nodes { number } }
    tagged: versions(first: 10, filter: { tag: { key: "team", value: "vision" } }) { totalCount nodes { number } }
    byMetric: versions(first: 3, orderBy: { metric: "acc" }) { totalCount nodes { number } } } } } }`,
  pages: `query($id: ID!, $after: String, $before: String) { project(by: { id: $id }) {
    last: models(last: 2) { ${PAGE} nodes { name versions(last: 2) { ${PAGE} nodes { number } } } }
    after: models(first: 2, after: $after) { ${PAGE} nodes { name versions(first: 1, after: null) { nodes { number } } } }
    before: models(last: 1, before: $before) { ${PAGE} nodes { name } } } }`,
  byName: `query($name: String!) { project(by: { name: $name }) { id name models(first: 3) { totalCount nodes { name versions(first: 2) { nodes { number iteration { number } } } } } } }`,
  nameFilter: `query($id: ID!) { project(by: { id: $id }) { models(first: 5, filter: { nameContains: "MODEL" }) { totalCount nodes { name } } experiments(first: 5) { totalCount nodes { name } } } }`,
  projects: `{ projects(first: 5) { totalCount ${PAGE} nodes { name status models(first: 2) { totalCount nodes { name } } } } }`,
  projectsAfter: `query($after: String) { projects(first: 1, after: $after, filter: { status: [ACTIVE, DEPRECATED] }, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount ${PAGE} nodes { name } } }`,
  missing: `{ project(by: { id: "UHJvamVjdDpub3BlCg==" }) { id } byName: project(by: { name: "no-such-project" }) { id } }`,
};

async function start(env: Record<string, string>): Promise<App> {
  return startApp(loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATABASE_POOL_SIZE: "8", MODELGRAPH_BOOTSTRAP_TOKEN: ADMIN_TOKEN, ...env }));
}

describe.skipIf(!databaseAvailable)("nested reads as one SQL statement", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let app: App | undefined;
  let variables: Record<string, Record<string, unknown>>;
  let deletedNumber: number;
  /** The model with the deleted version. */
  let firstModel: string;
  let projectId: string;
  let outsider: string;
  let member: string;
  /** Every document's response, as the admin, a member and a non-member, with SQL reads on. */
  const answers = new Map<string, unknown>();

  const ask = async (url: string) => {
    const out = new Map<string, unknown>();
    for (const [who, token] of [["admin", ADMIN_TOKEN], ["member", member], ["outsider", outsider]] as const) {
      const client = new GraphQLClient(url, undefined, token);
      for (const [name, query] of Object.entries(documents)) {
        const response = await client.raw(query, variables[name] ?? { id: projectId });
        out.set(`${who} ${name}`, { data: response.data, errors: response.errors, warnings: response.extensions?.warnings });
      }
    }
    return out;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    app = await start(db.env);
    const admin = new GraphQLClient(app.url);
    const project = await createProject(admin);
    projectId = project.id;
    await createProject(admin);
    const other = await createProject(admin);
    await mutate(admin, "updateProject", "UpdateProjectInput", { id: other.id, status: "DEPRECATED" }, "project { id }");
    await mutate(admin, "updateProject", "UpdateProjectInput", { id: project.id, tags: [{ key: "area", value: "lineage" }] }, "project { id }");
    member = (await createUserWithToken(admin, { projectId, role: "VIEWER" })).token;
    outsider = (await createUserWithToken(admin)).token;
    const experiment = await createExperiment(admin, projectId);
    const models = [];
    for (let m = 0; m < 4; m++) models.push(await createModel(admin, projectId, { tags: [{ key: "m", value: String(m) }] }));
    firstModel = models[0]!.name;
    for (const [m, model] of models.entries()) {
      let parent: string | undefined;
      for (let v = 0; v < 4; v++) {
        const iteration = await createIteration(admin, experiment.id, [{ key: "lr", value: String(0.1 * (v + 1)) }]);
        await mutate(admin, "logIterationMetrics", "LogIterationMetricsInput", { iterationId: iteration.id, metrics: [{ name: "loss", value: 1 / (v + 3), step: 1 }] }, "iteration { id }");
        const resource = v % 2 === 0 ? await createResource(admin, projectId) : undefined;
        const version = await createVersion(admin, model.id, {
          iterationId: iteration.id,
          ...(resource ? { resourceId: resource.id } : {}),
          ...(parent ? { parentVersionId: parent } : {}),
          description: `v${v} of ${m}`,
          tags: v === 1 ? [{ key: "team", value: "vision" }] : [],
          metrics: v === 3 ? [] : [{ name: "acc", value: 0.25 * (v + 1) }],
          ...(v === 0 ? { idempotencyKey: `key-${m}` } : {}),
        });
        if (m === 0 && v === 1) await transition(admin, { modelVersionId: version.id, stage: "STAGING" });
        if (m === 0 && v === 2) {
          await mutate(admin, "deleteModelVersion", "DeleteModelVersionInput", { id: version.id }, "modelVersion { id }");
          deletedNumber = version.number;
        } else parent = version.id;
      }
    }
    await mutate(admin, "deprecateModel", "DeprecateModelInput", { id: models[1]!.id }, "model { id }");
    await mutate(admin, "archiveModel", "ArchiveModelInput", { id: models[3]!.id }, "model { id }");
    const first = await admin.request(`query($id: ID!) { project(by: { id: $id }) { models(first: 3) { edges { cursor } } } }`, { id: projectId });
    const cursors = first.project.models.edges.map((e: { cursor: string }) => e.cursor);
    const firstProject = await admin.request(`{ projects(first: 1) { edges { cursor } } }`);
    variables = {
      pages: { id: projectId, after: cursors[0], before: cursors[2] },
      byName: { name: project.name.toUpperCase() },
      projectsAfter: { after: firstProject.projects.edges[0].cursor },
      missing: {},
      projects: {},
    };
    for (const [key, value] of await ask(app.url)) answers.set(key, value);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it("hides deleted versions, refuses a non-member and returns Prisma's types", () => {
    const lineage = (answers.get("admin lineage") as { data: any }).data.project;
    const model = lineage.models.edges.find((e: { node: { name: string } }) => e.node.name === firstModel).node;
    const numbers = model.versions.edges.map((e: { node: { number: number } }) => e.node.number);
    expect(numbers).toEqual([4, 2, 1]);
    expect(numbers).not.toContain(deletedNumber);
    const version = model.versions.edges[2].node;
    expect(typeof version.resource.sizeBytes).toBe("string");
    expect(version.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(version.metrics).toEqual([{ name: "acc", value: 0.25 }]);
    expect((answers.get("member lineage") as { data: unknown }).data).toEqual((answers.get("admin lineage") as { data: unknown }).data);
    expect((answers.get("outsider lineage") as { data: unknown }).data).toEqual({ project: null });
    expect((answers.get("outsider byName") as { data: unknown }).data).toEqual({ project: null });
    expect((answers.get("outsider projects") as { data: any }).data.projects.totalCount).toBe(0);
    expect((answers.get("admin everyStatus") as { data: any }).data.project.models.totalCount).toBe(4);
    expect((answers.get("admin everyStatus") as { warnings: unknown[] }).warnings).toHaveLength(1);
  });

  it("answers every document exactly as Prisma does, on the same database", async () => {
    await app!.close();
    app = await start({ ...db.env, DATABASE_SQL_READS: "false" });
    const prisma = await ask(app.url);
    for (const [key, value] of answers) expect(prisma.get(key), key).toEqual(value);
    for (const [key, value] of answers) if (!key.startsWith("outsider")) expect((value as { errors?: unknown }).errors, key).toBeUndefined();
  }, 120_000);

  it("relies only on what the schema holds: no mapped names, every relation references id", () => {
    const schema = fs.readFileSync(path.resolve(import.meta.dirname, "../../prisma/schema.prisma"), "utf8");
    expect(schema).not.toMatch(/@@?map\(/);
    for (const [, references] of schema.matchAll(/references:\s*\[([^\]]*)\]/g)) expect(references!.trim()).toBe("id");
  });
});
