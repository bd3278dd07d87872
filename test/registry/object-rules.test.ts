// Behaviour of the object rules (DESIGN.md §1): archiving frees names and hides objects from lists and name
// lookups (not from id lookups), renames keep ids, deprecated objects stay usable but reads warn, and deleted
// versions are tombstones whose numbers are never reused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createModel, createProject, createResource, createVersion, mutate, uniqueName } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const cap = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

describe.runIf(databaseAvailable)("object rules", () => {
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

  /** Runs a mutation that must succeed; returns its payload. */
  const ok = (field: string, input: Record<string, unknown>, selection = "__typename") =>
    mutate(client, field, `${cap(field)}Input`, input, selection);

  /** Runs a mutation and returns its result, whatever its type. */
  async function attempt(field: string, input: Record<string, unknown>, selection = "__typename"): Promise<any> {
    const data = await client.request(
      `mutation($input: ${cap(field)}Input!) { result: ${field}(input: $input) { __typename ... on Error { message } ... on ${cap(field)}Payload { ${selection} } } }`,
      { input },
    );
    return data.result;
  }

  async function projectsListed(nameContains: string, status?: string[]): Promise<string[]> {
    const data = await client.request(
      `query($filter: NamedObjectFilter) { projects(filter: $filter, first: 500) { totalCount nodes { id } } }`,
      { filter: { nameContains, ...(status ? { status } : {}) } },
    );
    expect(data.projects.totalCount).toBe(data.projects.nodes.length);
    return data.projects.nodes.map((n: { id: string }) => n.id);
  }

  async function childrenListed(projectId: string, list: "models" | "experiments", status?: string[]): Promise<string[]> {
    const data = await client.request(
      `query($id: ID!, $filter: NamedObjectFilter) { node(id: $id) { ... on Project { ${list}(filter: $filter, first: 500) { totalCount nodes { id } } } } }`,
      { id: projectId, filter: status ? { status } : null },
    );
    const conn = data.node[list];
    expect(conn.totalCount).toBe(conn.nodes.length);
    return conn.nodes.map((n: { id: string }) => n.id);
  }

  async function projectByName(name: string): Promise<string | null> {
    const data = await client.request(`query($name: String!) { project(by: { name: $name }) { id } }`, { name });
    return data.project?.id ?? null;
  }

  async function childByName(projectId: string, kind: "model" | "experiment", name: string): Promise<string | null> {
    const data = await client.request(
      `query($id: ID!, $name: String!) { project(by: { id: $id }) { child: ${kind}(name: $name) { id } } }`,
      { id: projectId, name },
    );
    return data.project.child?.id ?? null;
  }

  async function nodeById(id: string): Promise<{ id: string; name: string; status: string } | null> {
    const data = await client.request(
      `query($id: ID!) { node(id: $id) { id ... on Project { name status } ... on Model { name status } ... on Experiment { name status } } }`,
      { id },
    );
    return data.node;
  }

  describe("archiving", () => {
    it("frees a project's name, case-insensitively", async () => {
      const name = uniqueName("Xproj");
      const first = await createProject(client, name);
      expect((await attempt("createProject", { name: name.toLowerCase() })).__typename).toBe("NameConflictError");
      await ok("archiveProject", { id: first.id });
      const second = await createProject(client, name.toLowerCase());
      expect(second.id).not.toBe(first.id);
      // Both exist; only the live one answers to the name.
      expect(await projectByName(name)).toBe(second.id);
      expect((await nodeById(first.id))?.status).toBe("ARCHIVED");
    });

    it("frees a model's and an experiment's name within the project", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id, { name: "X" });
      const exp = await createExperiment(client, project.id, "X");
      await ok("archiveModel", { id: model.id });
      await ok("archiveExperiment", { id: exp.id });
      const model2 = await createModel(client, project.id, { name: "x" });
      const exp2 = await createExperiment(client, project.id, "x");
      expect(model2.id).not.toBe(model.id);
      expect(exp2.id).not.toBe(exp.id);
      expect(await childByName(project.id, "model", "X")).toBe(model2.id);
      expect(await childByName(project.id, "experiment", "X")).toBe(exp2.id);
      // Archiving the second frees the name once more: any number of archived objects may share it.
      await ok("archiveModel", { id: model2.id });
      const model3 = await createModel(client, project.id, { name: "X" });
      expect(await childrenListed(project.id, "models", ["ARCHIVED"])).toEqual(expect.arrayContaining([model.id, model2.id]));
      expect(await childrenListed(project.id, "models")).toEqual([model3.id]);
    });

    it("frees the name for a rename too", async () => {
      const project = await createProject(client);
      const old = await createModel(client, project.id, { name: "resnet" });
      const other = await createModel(client, project.id, { name: "other" });
      expect((await attempt("updateModel", { id: other.id, name: "ResNet" })).__typename).toBe("NameConflictError");
      await ok("archiveModel", { id: old.id });
      const renamed = await ok("updateModel", { id: other.id, name: "ResNet" }, "model { id name }");
      expect(renamed.model).toEqual({ id: other.id, name: "ResNet" });
    });

    it("hides a project from default lists and name lookups, not from its filter or id", async () => {
      const prefix = uniqueName("hide");
      const kept = await createProject(client, `${prefix}-kept`);
      const gone = await createProject(client, `${prefix}-gone`);
      expect(await projectsListed(prefix)).toEqual([gone.id, kept.id]);
      await ok("archiveProject", { id: gone.id });
      expect(await projectsListed(prefix)).toEqual([kept.id]);
      expect(await projectsListed(prefix, ["ARCHIVED"])).toEqual([gone.id]);
      expect(await projectsListed(prefix, ["ACTIVE", "ARCHIVED"])).toEqual([gone.id, kept.id]);
      expect(await projectByName(gone.name)).toBeNull();
      expect(await projectByName(gone.name.toUpperCase())).toBeNull();
      expect(await nodeById(gone.id)).toEqual({ id: gone.id, name: gone.name, status: "ARCHIVED" });
      const byId = await client.request(`query($id: ID!) { project(by: { id: $id }) { id status } }`, { id: gone.id });
      expect(byId.project).toEqual({ id: gone.id, status: "ARCHIVED" });
    });

    it("hides a model and an experiment from default lists and name lookups, not from their filter or id", async () => {
      const project = await createProject(client);
      const kept = await createModel(client, project.id);
      const gone = await createModel(client, project.id);
      const exp = await createExperiment(client, project.id);
      await ok("archiveModel", { id: gone.id });
      await ok("archiveExperiment", { id: exp.id });
      expect(await childrenListed(project.id, "models")).toEqual([kept.id]);
      expect(await childrenListed(project.id, "models", ["ARCHIVED"])).toEqual([gone.id]);
      expect(await childrenListed(project.id, "experiments")).toEqual([]);
      expect(await childrenListed(project.id, "experiments", ["ARCHIVED"])).toEqual([exp.id]);
      expect(await childByName(project.id, "model", gone.name)).toBeNull();
      expect(await childByName(project.id, "experiment", exp.name)).toBeNull();
      expect(await nodeById(gone.id)).toEqual({ id: gone.id, name: gone.name, status: "ARCHIVED" });
      expect(await nodeById(exp.id)).toEqual({ id: exp.id, name: exp.name, status: "ARCHIVED" });
    });

    it("keeps an archived model's versions readable", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id);
      const v1 = await createVersion(client, model.id);
      await ok("archiveModel", { id: model.id });
      const data = await client.request(
        `query($id: ID!, $v: ID!) { model: node(id: $id) { ... on Model { versions { nodes { id number } } } } version: node(id: $v) { id } }`,
        { id: model.id, v: v1.id },
      );
      expect(data.model.versions.nodes).toEqual([{ id: v1.id, number: 1 }]);
      expect(data.version).toEqual({ id: v1.id });
    });
  });

  describe("renaming", () => {
    it("keeps the id of a model, an experiment and a project", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id, { name: "before" });
      const exp = await createExperiment(client, project.id, "before");
      const v1 = await createVersion(client, model.id);

      const m = await ok("updateModel", { id: model.id, name: "after" }, "model { id name }");
      const e = await ok("updateExperiment", { id: exp.id, name: "after" }, "experiment { id name }");
      const newProjectName = uniqueName("renamed");
      const p = await ok("updateProject", { id: project.id, name: newProjectName }, "project { id name }");
      expect(m.model).toEqual({ id: model.id, name: "after" });
      expect(e.experiment).toEqual({ id: exp.id, name: "after" });
      expect(p.project).toEqual({ id: project.id, name: newProjectName });

      expect(await childByName(project.id, "model", "AFTER")).toBe(model.id);
      expect(await childByName(project.id, "model", "before")).toBeNull();
      expect(await childByName(project.id, "experiment", "after")).toBe(exp.id);
      expect(await projectByName(newProjectName)).toBe(project.id);
      expect(await projectByName(project.name)).toBeNull();
      // Children follow: the version still belongs to the renamed model.
      const data = await client.request(`query($id: ID!) { node(id: $id) { ... on ModelVersion { number model { id name } } } }`, { id: v1.id });
      expect(data.node).toEqual({ number: 1, model: { id: model.id, name: "after" } });
    });

    it("allows a change of case of the object's own name", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id, { name: "bert" });
      const res = await ok("updateModel", { id: model.id, name: "BERT" }, "model { id name }");
      expect(res.model).toEqual({ id: model.id, name: "BERT" });
    });
  });

  describe("deprecation", () => {
    const readModel = (id: string) => client.raw(`query($id: ID!) { node(id: $id) { ... on Model { name status } } }`, { id });

    it("hides a model from default lists, keeps it usable, and warns on reads until it is un-deprecated", async () => {
      const project = await createProject(client);
      const kept = await createModel(client, project.id);
      const model = await createModel(client, project.id);

      const active = await readModel(model.id);
      expect(active.errors).toBeUndefined();
      expect(active.extensions?.warnings).toBeUndefined();

      await ok("deprecateModel", { id: model.id });
      expect(await childrenListed(project.id, "models")).toEqual([kept.id]);
      expect(await childrenListed(project.id, "models", ["DEPRECATED"])).toEqual([model.id]);

      // Reads by id and by name find it, with a warning naming it.
      const byId = await readModel(model.id);
      expect(byId.errors).toBeUndefined();
      expect(byId.data.node).toEqual({ name: model.name, status: "DEPRECATED" });
      expect(byId.extensions?.warnings).toEqual([{ code: "DEPRECATED", subjectId: model.id, message: expect.stringContaining(model.name) }]);
      const byName = await client.raw(`query($p: ID!, $n: String!) { project(by: { id: $p }) { model(name: $n) { id } } }`, {
        p: project.id,
        n: model.name.toUpperCase(),
      });
      expect(byName.data.project.model).toEqual({ id: model.id });
      expect(byName.extensions?.warnings).toEqual([expect.objectContaining({ code: "DEPRECATED", subjectId: model.id })]);
      // Listing with the status filter warns too; a read of an active sibling alone does not.
      const listed = await client.raw(
        `query($p: ID!) { node(id: $p) { ... on Project { models(filter: { status: [ACTIVE, DEPRECATED] }) { nodes { id name } } } } }`,
        { p: project.id },
      );
      expect(listed.extensions?.warnings).toEqual([expect.objectContaining({ code: "DEPRECATED", subjectId: model.id })]);
      expect((await readModel(kept.id)).extensions?.warnings).toBeUndefined();

      // Still usable: versions can be registered and moved.
      const v1 = await createVersion(client, model.id);
      expect(v1.number).toBe(1);
      const moved = await ok("transitionModelVersionStage", { modelVersionId: v1.id, stage: "STAGING" }, "modelVersion { stage }");
      expect(moved.modelVersion.stage).toBe("STAGING");

      // Un-deprecating removes the warning and brings it back into default lists.
      const restored = await ok("updateModel", { id: model.id, status: "ACTIVE" }, "model { id status }");
      expect(restored.model).toEqual({ id: model.id, status: "ACTIVE" });
      const after = await readModel(model.id);
      expect(after.data.node.status).toBe("ACTIVE");
      expect(after.extensions?.warnings).toBeUndefined();
      expect((await childrenListed(project.id, "models")).sort()).toEqual([kept.id, model.id].sort());
    });

    it("keeps a deprecated model's name taken", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id);
      await ok("deprecateModel", { id: model.id });
      const res = await attempt("createModel", { projectId: project.id, name: model.name.toUpperCase() });
      expect(res.__typename).toBe("NameConflictError");
    });

    it("warns on reads of a deprecated project and hides it from `projects`", async () => {
      const prefix = uniqueName("dep");
      const project = await createProject(client, `${prefix}-p`);
      await ok("updateProject", { id: project.id, status: "DEPRECATED" });
      expect(await projectsListed(prefix)).toEqual([]);
      expect(await projectsListed(prefix, ["DEPRECATED"])).toEqual([project.id]);
      const read = await client.raw(`query($n: String!) { project(by: { name: $n }) { id name } }`, { n: project.name });
      expect(read.data.project.id).toBe(project.id);
      expect(read.extensions?.warnings).toEqual([expect.objectContaining({ code: "DEPRECATED", subjectId: project.id })]);
      // Still usable: new children and versions can be created in it.
      const model = await createModel(client, project.id);
      await createVersion(client, model.id);
    });
  });

  describe("soft delete of versions", () => {
    const versionsQuery = `query($id: ID!, $n: Int!) {
      node(id: $id) { ... on Model {
        versions { totalCount nodes { number } }
        all: versions(filter: { includeDeleted: true }) { totalCount nodes { number deletedAt } }
        live: version(number: $n) { id }
        tomb: version(number: $n, includeDeleted: true) { id number deletedAt }
        latestVersion { number }
      } }
    }`;

    it("hides the version from lists, keeps it readable with includeDeleted, and never reuses its number", async () => {
      const project = await createProject(client);
      const model = await createModel(client, project.id);
      const resource = await createResource(client, project.id);
      const v1 = await createVersion(client, model.id);
      const v2 = await createVersion(client, model.id, { resourceId: resource.id });
      const v3 = await createVersion(client, model.id);

      const deleted = await ok("deleteModelVersion", { id: v2.id }, "modelVersion { id number deletedAt }");
      expect(deleted.modelVersion).toMatchObject({ id: v2.id, number: 2 });
      expect(Date.parse(deleted.modelVersion.deletedAt)).not.toBeNaN();

      let data = (await client.request(versionsQuery, { id: model.id, n: 2 })).node;
      expect(data.versions).toEqual({ totalCount: 2, nodes: [{ number: 3 }, { number: 1 }] });
      expect(data.all.totalCount).toBe(3);
      expect(data.all.nodes.map((n: any) => [n.number, n.deletedAt !== null])).toEqual([
        [3, false],
        [2, true],
        [1, false],
      ]);
      expect(data.live).toBeNull();
      expect(data.tomb).toEqual({ id: v2.id, number: 2, deletedAt: deleted.modelVersion.deletedAt });

      // The resource is not deleted with the version.
      const res = await client.request(`query($id: ID!) { node(id: $id) { id ... on Resource { status } } }`, { id: resource.id });
      expect(res.node?.id).toBe(resource.id);

      // Deleting the highest number does not free it either.
      await ok("deleteModelVersion", { id: v3.id });
      data = (await client.request(versionsQuery, { id: model.id, n: 3 })).node;
      expect(data.latestVersion).toEqual({ number: 1 });
      expect(data.tomb.deletedAt).not.toBeNull();
      const v4 = await createVersion(client, model.id);
      expect(v4.number).toBe(4);
      data = (await client.request(versionsQuery, { id: model.id, n: 4 })).node;
      expect(data.versions.nodes).toEqual([{ number: 4 }, { number: 1 }]);
      expect(data.live).toEqual({ id: v4.id });

      // A deleted version is gone for writes: it cannot be moved or deleted again.
      const again = await attempt("deleteModelVersion", { id: v2.id });
      expect(again.__typename).toBe("NotFoundError");
      const move = await attempt("transitionModelVersionStage", { modelVersionId: v2.id, stage: "STAGING" });
      expect(move.__typename).toBe("NotFoundError");
      expect(v1.number).toBe(1);
    });
  });
  describe("names are compared literally, whatever characters they hold", () => {
    it("finds a project, a model and an experiment by exact name only: `_` and `%` are no wildcards", async () => {
      const stem = uniqueName("lit").replaceAll("-", "").replaceAll("_", "");
      // `x` stands where the looked-up name has `_`: a LIKE pattern "a_c" would match "axc".
      const decoy = await createProject(client, `${stem}xc`);
      expect((await client.request(`query($name: String!) { project(by: { name: $name }) { id } }`, { name: `${stem}_c` })).project).toBeNull();
      const real = await createProject(client, `${stem}_c`);
      for (const name of [`${stem}_c`, `${stem.toUpperCase()}_C`]) {
        expect((await client.request(`query($name: String!) { project(by: { name: $name }) { id } }`, { name })).project).toEqual({ id: real.id });
      }
      for (const name of ["%", `${stem}%`, `${stem}_`, "_%"]) {
        expect((await client.request(`query($name: String!) { project(by: { name: $name }) { id } }`, { name })).project).toBeNull();
      }
      expect(await projectsListed(`${stem}_`)).toEqual([real.id]);
      expect(await projectsListed(`${stem}%`)).toEqual([]);
      expect((await client.request(`query($name: String!) { project(by: { name: $name }) { id } }`, { name: decoy.name })).project).toEqual({ id: decoy.id });

      await ok("createModel", { projectId: real.id, name: "m1x" });
      await ok("createExperiment", { projectId: real.id, name: "e1x" });
      const inProject = await client.request(
        `query($id: ID!) { node(id: $id) { ... on Project { m: model(name: "m1_") { id } e: experiment(name: "e1_") { id }
          mp: model(name: "m%") { id } ep: experiment(name: "%") { id } M: model(name: "M1X") { name } } } }`,
        { id: real.id },
      );
      expect(inProject.node).toEqual({ m: null, e: null, mp: null, ep: null, M: { name: "m1x" } });
    });
  });
});
