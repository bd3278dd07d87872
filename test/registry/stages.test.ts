// Stages of model versions (DESIGN.md §1 "Stages"): promotion and its automatic archive, archiveExisting,
// compare-and-set, rollback, the point-in-time view and the recorded history. All through the real API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { snapshotDatabase } from "../support/snapshot.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Stage = "NONE" | "STAGING" | "PRODUCTION" | "ARCHIVED";

interface VersionRef {
  id: string;
  number: number;
  stage: Stage;
}

interface TransitionNode {
  id: string;
  fromStage: Stage;
  toStage: Stage;
  cause: string;
  at: string;
  comment: string | null;
  modelVersion: { id: string; number: number };
}

/** Every field of a stage move that the assertions below look at. */
const TRANSITION_FIELDS = "id fromStage toStage cause at comment modelVersion { id number }";

const ERROR_FIELDS = `
  __typename
  ... on Error { message }
  ... on InvalidStageTransitionError { fromStage toStage }
  ... on ValidationError { issues { path message } }
  ... on NotFoundError { kind ref }
`;

interface MoveResult {
  __typename: string;
  message?: string;
  modelVersion: VersionRef;
  archivedVersions: VersionRef[];
  transition: TransitionNode;
  fromStage?: string;
  toStage?: string;
  expectedStage?: string;
  actualStage?: string;
  issues?: { path: string[]; message: string }[];
}

describe.runIf(databaseAvailable)("model version stages", () => {
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

  /** transitionModelVersionStage, returning the whole result (payload or error). */
  async function move(input: { modelVersionId: string; stage: Stage; expectedStage?: Stage; archiveExisting?: boolean; comment?: string }): Promise<MoveResult> {
    const data = await client.request(
      `mutation($input: TransitionModelVersionStageInput!) {
        result: transitionModelVersionStage(input: $input) {
          ... on TransitionModelVersionStagePayload {
            modelVersion { id number stage }
            archivedVersions { id number stage }
            transition { ${TRANSITION_FIELDS} }
          }
          ${ERROR_FIELDS}
          ... on StaleStageError { expectedStage actualStage }
        }
      }`,
      { input },
    );
    return data.result;
  }

  /** A move that must succeed. */
  async function moveOk(input: Parameters<typeof move>[0]): Promise<MoveResult> {
    const result = await move(input);
    if (result.__typename !== "TransitionModelVersionStagePayload") {
      throw new Error(`transition to ${input.stage} returned ${result.__typename}: ${result.message}`);
    }
    return result;
  }

  async function rollback(input: { modelId: string; toVersionId?: string; comment?: string }): Promise<MoveResult> {
    const data = await client.request(
      `mutation($input: RollbackModelInput!) {
        result: rollbackModel(input: $input) {
          ... on RollbackModelPayload {
            modelVersion { id number stage }
            archivedVersions { id number stage }
            transition { ${TRANSITION_FIELDS} }
          }
          ${ERROR_FIELDS}
        }
      }`,
      { input },
    );
    return data.result;
  }

  /** NONE → STAGING → PRODUCTION; returns the PRODUCTION move. */
  async function promote(versionId: string): Promise<MoveResult> {
    await moveOk({ modelVersionId: versionId, stage: "STAGING" });
    return moveOk({ modelVersionId: versionId, stage: "PRODUCTION" });
  }

  async function newModel(): Promise<{ id: string; projectId: string }> {
    const project = await createProject(client);
    const model = await createModel(client, project.id);
    return { id: model.id, projectId: project.id };
  }

  async function versionHistory(versionId: string): Promise<{ stage: Stage; stageHistory: { totalCount: number; nodes: TransitionNode[] } }> {
    const data = await client.request(
      `query($id: ID!) { node(id: $id) { ... on ModelVersion { stage stageHistory { totalCount nodes { ${TRANSITION_FIELDS} } } } } }`,
      { id: versionId },
    );
    return data.node;
  }

  async function stagesOf(modelId: string): Promise<Record<number, Stage>> {
    const data = await client.request(
      `query($id: ID!) { node(id: $id) { ... on Model { versions(first: 500) { nodes { number stage } } } } }`,
      { id: modelId },
    );
    return Object.fromEntries(data.node.versions.nodes.map((v: { number: number; stage: Stage }) => [v.number, v.stage]));
  }

  async function productionVersion(modelId: string): Promise<{ id: string; number: number } | null> {
    const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { productionVersion { id number } } } }`, { id: modelId });
    return data.node.productionVersion;
  }

  async function versionAt(modelId: string, stage: Stage, at: string | Date): Promise<number | null> {
    const instant = typeof at === "string" ? at : at.toISOString();
    const data = await client.request(
      `query($id: ID!, $stage: ModelVersionStage!, $at: DateTime!) { node(id: $id) { ... on Model { versionAt(stage: $stage, at: $at) { number } } } }`,
      { id: modelId, stage, at: instant },
    );
    return data.node.versionAt?.number ?? null;
  }

  const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

  describe("promotion to PRODUCTION", () => {
    it("archives the incumbent in the same move and records it as AUTO_ARCHIVE", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);

      const first = await promote(v1.id);
      expect(first.modelVersion).toEqual({ id: v1.id, number: 1, stage: "PRODUCTION" });
      expect(first.archivedVersions).toEqual([]);
      expect(first.transition).toMatchObject({ fromStage: "STAGING", toStage: "PRODUCTION", cause: "MANUAL", modelVersion: { id: v1.id } });

      await moveOk({ modelVersionId: v2.id, stage: "STAGING" });
      const second = await moveOk({ modelVersionId: v2.id, stage: "PRODUCTION", comment: "better recall" });
      expect(second.modelVersion).toEqual({ id: v2.id, number: 2, stage: "PRODUCTION" });
      expect(second.archivedVersions).toEqual([{ id: v1.id, number: 1, stage: "ARCHIVED" }]);
      expect(second.transition).toMatchObject({ fromStage: "STAGING", toStage: "PRODUCTION", cause: "MANUAL", comment: "better recall" });

      // The incumbent's history ends with the automatic archive, recorded with (not after) the promotion.
      const h1 = await versionHistory(v1.id);
      expect(h1.stage).toBe("ARCHIVED");
      expect(h1.stageHistory.nodes.map((t) => [t.fromStage, t.toStage, t.cause])).toEqual([
        ["NONE", "STAGING", "MANUAL"],
        ["STAGING", "PRODUCTION", "MANUAL"],
        ["PRODUCTION", "ARCHIVED", "AUTO_ARCHIVE"],
      ]);
      const autoArchive = h1.stageHistory.nodes[2]!;
      expect(autoArchive.comment).toMatch(/version 2/);
      expect(Date.parse(autoArchive.at)).toBeLessThanOrEqual(Date.parse(second.transition.at));

      // The model's history shows the archive immediately before the promotion that caused it.
      const data = await client.request(
        `query($id: ID!) { node(id: $id) { ... on Model { productionVersion { id } stageHistory(direction: DESC, first: 2) { nodes { ${TRANSITION_FIELDS} } } } } }`,
        { id: model.id },
      );
      expect(data.node.productionVersion).toEqual({ id: v2.id });
      expect(data.node.stageHistory.nodes.map((t: TransitionNode) => [t.modelVersion.number, t.toStage, t.cause])).toEqual([
        [2, "PRODUCTION", "MANUAL"],
        [1, "ARCHIVED", "AUTO_ARCHIVE"],
      ]);
      expect(data.node.stageHistory.nodes[0].id).toBe(second.transition.id);
    });

    it("leaves exactly one PRODUCTION version when several are promoted at once", async () => {
      const model = await newModel();
      const versions = [];
      for (let i = 0; i < 4; i++) versions.push(await createVersion(client, model.id));
      for (const v of versions) await moveOk({ modelVersionId: v.id, stage: "STAGING" });

      const results = await Promise.all(versions.map((v) => moveOk({ modelVersionId: v.id, stage: "PRODUCTION" })));
      // Every promotion succeeded; all but the first archived exactly the one before it.
      expect(results.every((r) => r.modelVersion.stage === "PRODUCTION")).toBe(true);
      expect(results.map((r) => r.archivedVersions.length).sort()).toEqual([0, 1, 1, 1]);

      const stages = Object.values(await stagesOf(model.id));
      expect(stages.filter((s) => s === "PRODUCTION")).toHaveLength(1);
      expect(stages.filter((s) => s === "ARCHIVED")).toHaveLength(3);

      // Replaying the history in order: each PRODUCTION entry comes right after the archive of the previous holder.
      const data = await client.request(
        `query($id: ID!) { node(id: $id) { ... on Model { productionVersion { id } stageHistory(first: 100) { nodes { ${TRANSITION_FIELDS} } } } } }`,
        { id: model.id },
      );
      const promotions = (data.node.stageHistory.nodes as TransitionNode[]).filter((t) => t.fromStage !== "NONE");
      let holder: string | null = null;
      for (const t of promotions) {
        if (t.toStage === "ARCHIVED") {
          expect(t.cause).toBe("AUTO_ARCHIVE");
          expect(t.modelVersion.id).toBe(holder);
          holder = null;
        } else {
          expect(t.toStage).toBe("PRODUCTION");
          expect(holder).toBeNull();
          holder = t.modelVersion.id;
        }
      }
      expect(data.node.productionVersion.id).toBe(holder);
    });
  });

  describe("archiveExisting", () => {
    it("without it, several versions stay in STAGING together", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      await moveOk({ modelVersionId: v1.id, stage: "STAGING" });
      const r2 = await moveOk({ modelVersionId: v2.id, stage: "STAGING", archiveExisting: false });
      expect(r2.archivedVersions).toEqual([]);
      expect(await stagesOf(model.id)).toEqual({ 1: "STAGING", 2: "STAGING" });
    });

    it("moving to STAGING with archiveExisting archives the other STAGING versions, and only those", async () => {
      const model = await newModel();
      const prod = await createVersion(client, model.id);
      const s1 = await createVersion(client, model.id);
      const s2 = await createVersion(client, model.id);
      const none = await createVersion(client, model.id);
      const incoming = await createVersion(client, model.id);
      await promote(prod.id);
      await moveOk({ modelVersionId: s1.id, stage: "STAGING" });
      await moveOk({ modelVersionId: s2.id, stage: "STAGING" });

      const result = await moveOk({ modelVersionId: incoming.id, stage: "STAGING", archiveExisting: true });
      expect(result.modelVersion).toEqual({ id: incoming.id, number: 5, stage: "STAGING" });
      expect(result.archivedVersions).toEqual([
        { id: s1.id, number: 2, stage: "ARCHIVED" },
        { id: s2.id, number: 3, stage: "ARCHIVED" },
      ]);
      expect(result.transition).toMatchObject({ fromStage: "NONE", toStage: "STAGING", cause: "MANUAL" });
      expect(await stagesOf(model.id)).toEqual({ 1: "PRODUCTION", 2: "ARCHIVED", 3: "ARCHIVED", 4: "NONE", 5: "STAGING" });
      expect(none.stage).toBe("NONE");

      for (const v of [s1, s2]) {
        const h = await versionHistory(v.id);
        expect(h.stageHistory.nodes.at(-1)).toMatchObject({ fromStage: "STAGING", toStage: "ARCHIVED", cause: "AUTO_ARCHIVE" });
      }
      // The PRODUCTION version was not touched.
      expect((await versionHistory(prod.id)).stageHistory.totalCount).toBe(2);
    });
  });

  describe("expectedStage (compare-and-set)", () => {
    it("moves the version when it is in the expected stage", async () => {
      const model = await newModel();
      const v = await createVersion(client, model.id);
      const staged = await moveOk({ modelVersionId: v.id, stage: "STAGING", expectedStage: "NONE" });
      expect(staged.modelVersion.stage).toBe("STAGING");
      expect(staged.transition).toMatchObject({ fromStage: "NONE", toStage: "STAGING" });
      const promoted = await moveOk({ modelVersionId: v.id, stage: "PRODUCTION", expectedStage: "STAGING" });
      expect(promoted.modelVersion.stage).toBe("PRODUCTION");
      const archived = await moveOk({ modelVersionId: v.id, stage: "ARCHIVED", expectedStage: "PRODUCTION" });
      expect(archived.modelVersion.stage).toBe("ARCHIVED");
      expect((await versionHistory(v.id)).stageHistory.totalCount).toBe(3);
    });

    it("refuses with StaleStageError and changes nothing when the version moved meanwhile", async () => {
      const model = await newModel();
      const v = await createVersion(client, model.id);
      await moveOk({ modelVersionId: v.id, stage: "STAGING" });
      const before = await snapshotDatabase(server.app);
      const stale = await move({ modelVersionId: v.id, stage: "PRODUCTION", expectedStage: "NONE" });
      expect(stale).toMatchObject({ __typename: "StaleStageError", expectedStage: "NONE", actualStage: "STAGING" });
      expect(await snapshotDatabase(server.app)).toBe(before);
    });
  });

  describe("rollbackModel", () => {
    it("without a target, returns the version that most recently left PRODUCTION and archives the current one", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      const v3 = await createVersion(client, model.id);
      await promote(v1.id);
      await promote(v2.id);
      await promote(v3.id);

      const result = await rollback({ modelId: model.id, comment: "v3 regressed" });
      expect(result.__typename).toBe("RollbackModelPayload");
      // v2 left PRODUCTION after v1 did: it is the one to come back.
      expect(result.modelVersion).toEqual({ id: v2.id, number: 2, stage: "PRODUCTION" });
      expect(result.archivedVersions).toEqual([{ id: v3.id, number: 3, stage: "ARCHIVED" }]);
      expect(result.transition).toMatchObject({ fromStage: "ARCHIVED", toStage: "PRODUCTION", cause: "ROLLBACK", comment: "v3 regressed", modelVersion: { id: v2.id } });
      expect(await productionVersion(model.id)).toEqual({ id: v2.id, number: 2 });
      expect(await stagesOf(model.id)).toEqual({ 1: "ARCHIVED", 2: "PRODUCTION", 3: "ARCHIVED" });

      const h3 = await versionHistory(v3.id);
      expect(h3.stageHistory.nodes.at(-1)).toMatchObject({ fromStage: "PRODUCTION", toStage: "ARCHIVED", cause: "AUTO_ARCHIVE" });
      const h2 = await versionHistory(v2.id);
      expect(h2.stageHistory.nodes.map((t) => t.cause)).toEqual(["MANUAL", "MANUAL", "AUTO_ARCHIVE", "ROLLBACK"]);

      // Rolling back again undoes the rollback: v3 is now the one that left PRODUCTION last.
      const again = await rollback({ modelId: model.id });
      expect(again.modelVersion).toEqual({ id: v3.id, number: 3, stage: "PRODUCTION" });
      expect(again.archivedVersions).toEqual([{ id: v2.id, number: 2, stage: "ARCHIVED" }]);
      expect(again.transition.cause).toBe("ROLLBACK");
    });

    it("brings back a version that left PRODUCTION for STAGING, when no version is in PRODUCTION", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      await promote(v1.id);
      await moveOk({ modelVersionId: v1.id, stage: "STAGING" });
      expect(await productionVersion(model.id)).toBeNull();
      const result = await rollback({ modelId: model.id });
      expect(result.modelVersion).toEqual({ id: v1.id, number: 1, stage: "PRODUCTION" });
      expect(result.archivedVersions).toEqual([]);
      expect(result.transition).toMatchObject({ fromStage: "STAGING", toStage: "PRODUCTION", cause: "ROLLBACK" });
    });

    it("with toVersionId, returns that earlier PRODUCTION version", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      const v3 = await createVersion(client, model.id);
      await promote(v1.id);
      await promote(v2.id);
      await promote(v3.id);

      const result = await rollback({ modelId: model.id, toVersionId: v1.id });
      expect(result.__typename).toBe("RollbackModelPayload");
      expect(result.modelVersion).toEqual({ id: v1.id, number: 1, stage: "PRODUCTION" });
      expect(result.archivedVersions).toEqual([{ id: v3.id, number: 3, stage: "ARCHIVED" }]);
      expect(result.transition).toMatchObject({ fromStage: "ARCHIVED", toStage: "PRODUCTION", cause: "ROLLBACK" });
      expect(await stagesOf(model.id)).toEqual({ 1: "PRODUCTION", 2: "ARCHIVED", 3: "ARCHIVED" });
    });

    it("refuses a version that was never in PRODUCTION (InvalidStageTransitionError) and changes nothing", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      const archivedOnly = await createVersion(client, model.id);
      await promote(v1.id);
      await moveOk({ modelVersionId: v2.id, stage: "STAGING" });
      await moveOk({ modelVersionId: archivedOnly.id, stage: "ARCHIVED" });

      const before = await snapshotDatabase(server.app);
      for (const target of [v2, archivedOnly]) {
        const result = await rollback({ modelId: model.id, toVersionId: target.id });
        expect(result.__typename).toBe("InvalidStageTransitionError");
        expect(result.toStage).toBe("PRODUCTION");
        expect(result.message).toMatch(/PRODUCTION/);
      }
      // The current PRODUCTION version itself is not a rollback target either.
      const self = await rollback({ modelId: model.id, toVersionId: v1.id });
      expect(self.__typename).toBe("InvalidStageTransitionError");
      expect(await snapshotDatabase(server.app)).toBe(before);
      expect(await productionVersion(model.id)).toEqual({ id: v1.id, number: 1 });
    });

    it("refuses with ValidationError when no version has left PRODUCTION", async () => {
      const model = await newModel();
      const before = await snapshotDatabase(server.app);
      // No version at all.
      const empty = await rollback({ modelId: model.id });
      expect(empty.__typename).toBe("ValidationError");
      expect(empty.issues).toEqual([expect.objectContaining({ path: ["input", "modelId"] })]);

      // Versions, one in PRODUCTION, none ever left it.
      const v1 = await createVersion(client, model.id);
      await createVersion(client, model.id);
      await promote(v1.id);
      const afterPromotion = await snapshotDatabase(server.app);
      expect(afterPromotion).not.toBe(before);
      const none = await rollback({ modelId: model.id });
      expect(none.__typename).toBe("ValidationError");
      expect(none.issues?.[0]?.path).toEqual(["input", "modelId"]);
      expect(await snapshotDatabase(server.app)).toBe(afterPromotion);
    });
  });

  describe("versionAt (point in time)", () => {
    it("answers which version held PRODUCTION before, between and after promotions", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      await sleep(15);
      const beforeAny = new Date();
      await sleep(15);

      await moveOk({ modelVersionId: v1.id, stage: "STAGING" });
      await sleep(15);
      const whileStaging = new Date();
      await sleep(15);
      const p1 = await moveOk({ modelVersionId: v1.id, stage: "PRODUCTION" });
      await sleep(15);
      const afterP1 = new Date();
      await sleep(15);

      await moveOk({ modelVersionId: v2.id, stage: "STAGING" });
      await sleep(15);
      const v2Staging = new Date();
      await sleep(15);
      const p2 = await moveOk({ modelVersionId: v2.id, stage: "PRODUCTION" });
      await sleep(15);
      const afterP2 = new Date();
      await sleep(15);

      const rb = await rollback({ modelId: model.id });
      expect(rb.modelVersion.number).toBe(1);
      await sleep(15);
      const afterRollback = new Date();

      // Before the first promotion, nothing was in PRODUCTION.
      expect(await versionAt(model.id, "PRODUCTION", "2000-01-01T00:00:00Z")).toBeNull();
      expect(await versionAt(model.id, "PRODUCTION", beforeAny)).toBeNull();
      expect(await versionAt(model.id, "PRODUCTION", whileStaging)).toBeNull();
      expect(await versionAt(model.id, "PRODUCTION", plusMs(p1.transition.at, -1))).toBeNull();
      // From the instant of each transition on, the new holder answers.
      expect(await versionAt(model.id, "PRODUCTION", p1.transition.at)).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", afterP1)).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", v2Staging)).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", p2.transition.at)).toBe(2);
      expect(await versionAt(model.id, "PRODUCTION", afterP2)).toBe(2);
      expect(await versionAt(model.id, "PRODUCTION", plusMs(rb.transition.at, -1))).toBe(2);
      expect(await versionAt(model.id, "PRODUCTION", rb.transition.at)).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", afterRollback)).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", new Date())).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", "2999-01-01T00:00:00Z")).toBe(1);

      // Other stages have a past too.
      expect(await versionAt(model.id, "STAGING", beforeAny)).toBeNull();
      expect(await versionAt(model.id, "STAGING", whileStaging)).toBe(1);
      expect(await versionAt(model.id, "STAGING", afterP1)).toBeNull();
      expect(await versionAt(model.id, "STAGING", v2Staging)).toBe(2);
      expect(await versionAt(model.id, "ARCHIVED", afterP2)).toBe(1);
      expect(await versionAt(model.id, "ARCHIVED", afterRollback)).toBe(2);
    });

    it("has no instant without a PRODUCTION version while one version replaces another", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      await promote(v1.id);
      await moveOk({ modelVersionId: v2.id, stage: "STAGING" });
      const p2 = await moveOk({ modelVersionId: v2.id, stage: "PRODUCTION" });
      const archive = (await versionHistory(v1.id)).stageHistory.nodes.at(-1)!;
      expect(archive.cause).toBe("AUTO_ARCHIVE");
      // Every millisecond from just before the automatic archive to the promotion answers v1 or v2, never nothing.
      const from = Date.parse(archive.at) - 1;
      const to = Date.parse(p2.transition.at);
      expect(to - from).toBeLessThan(1000);
      for (let t = from; t <= to; t++) {
        const holder = await versionAt(model.id, "PRODUCTION", new Date(t));
        expect(holder, `versionAt(PRODUCTION, ${new Date(t).toISOString()})`).not.toBeNull();
      }
      expect(await versionAt(model.id, "PRODUCTION", new Date(from))).toBe(1);
      expect(await versionAt(model.id, "PRODUCTION", new Date(to))).toBe(2);
    });
  });

  describe("stage history", () => {
    it("lists each version's own moves, and the model's moves in both directions with paging", async () => {
      const model = await newModel();
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id);
      await moveOk({ modelVersionId: v1.id, stage: "STAGING", comment: "c1" });
      await moveOk({ modelVersionId: v1.id, stage: "PRODUCTION", comment: "c2" });
      await moveOk({ modelVersionId: v2.id, stage: "STAGING", comment: "c3" });
      await moveOk({ modelVersionId: v2.id, stage: "PRODUCTION", comment: "c4" }); // + AUTO_ARCHIVE of v1
      await rollback({ modelId: model.id, comment: "c5" }); // + AUTO_ARCHIVE of v2

      const h1 = await versionHistory(v1.id);
      expect(h1.stageHistory.totalCount).toBe(4);
      expect(h1.stageHistory.nodes.every((t) => t.modelVersion.id === v1.id)).toBe(true);
      expect(h1.stageHistory.nodes.map((t) => `${t.fromStage}>${t.toStage}:${t.cause}`)).toEqual([
        "NONE>STAGING:MANUAL",
        "STAGING>PRODUCTION:MANUAL",
        "PRODUCTION>ARCHIVED:AUTO_ARCHIVE",
        "ARCHIVED>PRODUCTION:ROLLBACK",
      ]);
      const h2 = await versionHistory(v2.id);
      expect(h2.stageHistory.nodes.map((t) => `${t.fromStage}>${t.toStage}:${t.cause}`)).toEqual([
        "NONE>STAGING:MANUAL",
        "STAGING>PRODUCTION:MANUAL",
        "PRODUCTION>ARCHIVED:AUTO_ARCHIVE",
      ]);

      const data = await client.request(
        `query($id: ID!, $v: ID!) {
          node(id: $id) { ... on Model {
            asc: stageHistory { totalCount nodes { ${TRANSITION_FIELDS} actor { name } } }
            desc: stageHistory(direction: DESC) { totalCount nodes { ${TRANSITION_FIELDS} } }
          } }
          version: node(id: $v) { ... on ModelVersion { stageHistory(direction: DESC) { nodes { id } } } }
        }`,
        { id: model.id, v: v1.id },
      );
      const asc: TransitionNode[] = data.node.asc.nodes;
      const desc: TransitionNode[] = data.node.desc.nodes;
      expect(data.node.asc.totalCount).toBe(7);
      expect(data.node.desc.totalCount).toBe(7);
      expect(desc.map((t) => t.id)).toEqual([...asc].reverse().map((t) => t.id));
      expect(asc.map((t) => [t.modelVersion.number, t.toStage, t.cause, t.comment])).toEqual([
        [1, "STAGING", "MANUAL", "c1"],
        [1, "PRODUCTION", "MANUAL", "c2"],
        [2, "STAGING", "MANUAL", "c3"],
        [1, "ARCHIVED", "AUTO_ARCHIVE", expect.stringMatching(/version 2/)],
        [2, "PRODUCTION", "MANUAL", "c4"],
        [2, "ARCHIVED", "AUTO_ARCHIVE", expect.stringMatching(/version 1/)],
        [1, "PRODUCTION", "ROLLBACK", "c5"],
      ]);
      // Times never go backwards in commit order.
      for (let i = 1; i < asc.length; i++) expect(Date.parse(asc[i]!.at)).toBeGreaterThanOrEqual(Date.parse(asc[i - 1]!.at));
      expect(data.node.asc.nodes[0].actor).toEqual({ name: "admin" });
      expect(data.version.stageHistory.nodes.map((t: { id: string }) => t.id)).toEqual([...h1.stageHistory.nodes].reverse().map((t) => t.id));

      // Paging DESC with first/after walks the same order, each move once.
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res: any = await client.request(
          `query($id: ID!, $after: String) { node(id: $id) { ... on Model { stageHistory(direction: DESC, first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } } } }`,
          { id: model.id, after },
        );
        const conn = res.node.stageHistory;
        expect(conn.totalCount).toBe(7);
        seen.push(...conn.nodes.map((n: { id: string }) => n.id));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      expect(seen).toEqual(desc.map((t) => t.id));

      // A transition is a node too.
      const node = await client.request(`query($id: ID!) { node(id: $id) { __typename ... on StageTransition { cause modelVersion { id } } } }`, { id: asc[6]!.id });
      expect(node.node).toEqual({ __typename: "StageTransition", cause: "ROLLBACK", modelVersion: { id: v1.id } });
    });
  });
});
