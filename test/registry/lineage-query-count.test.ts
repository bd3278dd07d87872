// The lineage graph in one query (DESIGN.md: "frontends and notebooks read the whole lineage graph in one
// query"): project → models → versions → iteration → experiment. The number of SQL statements it costs must
// be a small constant, the same for 200 versions as for 1 (no N+1 per model, per version or per iteration).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createVersion } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

/**
 * Statements the lineage query costs, whatever the number of rows: 1. the project with its models, their versions,
 * the versions' iterations and the iterations' experiments, and the count of its models, as one statement whose
 * JSON PostgreSQL builds (db/sql-reads.ts; through Prisma, DATABASE_SQL_READS=false, it is one per level: 5);
 * 2. the count of the models' versions, grouped by model (WHERE "modelId" IN …: a relation count joined to the
 * models would aggregate every model's versions); and no authentication statement: the token is in the replica's
 * cache (AUTH_CACHE_SECONDS; `measure` takes the least of three runs, so at least two are served from it).
 */
const LINEAGE_STATEMENTS = 2;

const LINEAGE = `query($id: ID!) {
  project(by: { id: $id }) {
    models(first: 50) {
      totalCount
      nodes {
        name
        versions(first: 50) {
          totalCount
          nodes { number stage iteration { number experiment { name } } }
        }
      }
    }
  }
}`;

interface Built {
  projectId: string;
  /** model name → version number → expected lineage */
  expected: Map<string, Map<number, { iteration: number; experiment: string }>>;
}

/** A project of `models` models × `versions` versions, each version produced by an iteration of one of `experiments` experiments. */
async function buildProject(client: GraphQLClient, models: number, versions: number, experiments: number): Promise<Built> {
  const project = await createProject(client);
  const exps = await Promise.all(Array.from({ length: experiments }, () => createExperiment(client, project.id)));
  const mods = await Promise.all(Array.from({ length: models }, () => createModel(client, project.id)));
  const expected: Built["expected"] = new Map();
  // One batch per model: its iterations (in its experiment), then its versions linked to them.
  await Promise.all(
    mods.map(async (model, m) => {
      const experiment = exps[m % experiments]!;
      const iterations = await Promise.all(Array.from({ length: versions }, () => createIteration(client, experiment.id)));
      const lineage = new Map<number, { iteration: number; experiment: string }>();
      // Versions one after another per model, so version k comes from iteration k of the list.
      for (const iteration of iterations) {
        const version = await createVersion(client, model.id, { iterationId: iteration.id });
        lineage.set(version.number, { iteration: iteration.number, experiment: experiment.name });
      }
      expected.set(model.name, lineage);
    }),
  );
  return { projectId: project.id, expected };
}

describe.runIf(databaseAvailable)("lineage query statement count", () => {
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

  /**
   * Runs the lineage query alone and returns its data and how many statements the server sent for it. The
   * counter is process-wide, so the least of three runs is taken: background work of the server could only add.
   */
  async function measure(projectId: string) {
    let statements = Infinity;
    let data: any;
    for (let run = 0; run < 3; run++) {
      const before = server.app.db.stats.statements;
      data = await client.request(LINEAGE, { id: projectId });
      statements = Math.min(statements, server.app.db.stats.statements - before);
    }
    return { data, statements };
  }

  function assertContent(data: any, built: Built, models: number, versions: number) {
    const conn = data.project.models;
    expect(conn.totalCount).toBe(models);
    expect(conn.nodes).toHaveLength(models);
    expect(new Set(conn.nodes.map((m: any) => m.name))).toEqual(new Set(built.expected.keys()));
    let seen = 0;
    for (const model of conn.nodes) {
      const lineage = built.expected.get(model.name)!;
      expect(model.versions.totalCount).toBe(versions);
      // Newest first by default.
      expect(model.versions.nodes.map((v: any) => v.number)).toEqual(Array.from({ length: versions }, (_, i) => versions - i));
      for (const v of model.versions.nodes) {
        expect(v.stage).toBe("NONE");
        const want = lineage.get(v.number)!;
        expect(v.iteration).toEqual({ number: want.iteration, experiment: { name: want.experiment } });
        seen++;
      }
    }
    expect(seen).toBe(models * versions);
  }

  it("costs the same small number of statements for 200 versions as for 1", async () => {
    const big = await buildProject(client, 20, 10, 5);
    const small = await buildProject(client, 2, 1, 1);

    const bigRun = await measure(big.projectId);
    assertContent(bigRun.data, big, 20, 10);
    const smallRun = await measure(small.projectId);
    assertContent(smallRun.data, small, 2, 1);

    expect(bigRun.statements).toBe(LINEAGE_STATEMENTS);
    expect(smallRun.statements).toBe(LINEAGE_STATEMENTS);
  });
});
