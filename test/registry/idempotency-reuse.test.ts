// Idempotency keys of createModelVersion (DESIGN.md §1 "Model versions"): the same key with the same input returns
// the same version (whatever the order of its tags or metrics); the same key with a different input is an
// IdempotencyKeyReuseError that creates nothing, consumes no number and leaves no audit entry or event. Concurrent
// calls sharing a key produce one version, whether they agree or not. All through the real API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createResource, createVersion } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";
import { snapshotDatabase } from "../support/snapshot.ts";

describe.runIf(databaseAvailable)("idempotency key reuse", () => {
  let server: TestServer;
  let client: GraphQLClient;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    projectId = (await createProject(client)).id;
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  async function create(input: Record<string, unknown>) {
    const data = await client.request(
      `mutation($input: CreateModelVersionInput!) {
        result: createModelVersion(input: $input) {
          __typename
          ... on CreateModelVersionPayload { modelVersion { id number idempotencyKey } }
          ... on Error { message }
          ... on IdempotencyKeyReuseError { idempotencyKey }
        }
      }`,
      { input },
    );
    return data.result;
  }

  it("replays the same input, refuses a different one and changes nothing", async () => {
    const model = await createModel(client, projectId);
    const resource = await createResource(client, projectId);
    const other = await createResource(client, projectId);
    const input = {
      modelId: model.id,
      idempotencyKey: "train-run-7",
      resourceId: resource.id,
      description: "nightly",
      tags: [{ key: "a", value: "1" }, { key: "b", value: "2" }],
      metrics: [{ name: "acc", value: 0.9 }, { name: "loss", value: 0.1 }],
    };
    const first = await create(input);
    expect(first.__typename, first.message).toBe("CreateModelVersionPayload");

    // The same request, its lists in another order: the same version.
    const replay = await create({ ...input, tags: [...input.tags].reverse(), metrics: [...input.metrics].reverse() });
    expect(replay).toEqual(first);

    const snapshot = await snapshotDatabase(server.app);
    const changes: Record<string, unknown>[] = [
      { description: "nightly, retried" },
      { description: undefined },
      { metrics: [{ name: "acc", value: 0.91 }, { name: "loss", value: 0.1 }] },
      { metrics: [] },
      { tags: [{ key: "a", value: "1" }] },
      { resourceId: other.id },
      { resourceId: null },
      { parentVersionId: first.modelVersion.id },
    ];
    for (const change of changes) {
      const result = await create({ ...input, ...change });
      expect(result, JSON.stringify(change)).toMatchObject({ __typename: "IdempotencyKeyReuseError", idempotencyKey: "train-run-7" });
      expect(result.message).toMatch(/different input/);
    }
    // Nothing was created, audited or emitted, and no number was consumed.
    expect(await snapshotDatabase(server.app)).toBe(snapshot);
    expect((await createVersion(client, model.id)).number).toBe(first.modelVersion.number + 1);
    // The original request still replays.
    expect(await create(input)).toEqual(first);
  });

  it("concurrent calls sharing a key create one version, identical or not", async () => {
    const model = await createModel(client, projectId);
    const same = await Promise.all(Array.from({ length: 6 }, () => create({ modelId: model.id, idempotencyKey: "same", description: "d" })));
    expect(same.map((r) => r.__typename)).toEqual(Array(6).fill("CreateModelVersionPayload"));
    expect(new Set(same.map((r) => r.modelVersion.id)).size).toBe(1);

    const mixed = await Promise.all(Array.from({ length: 6 }, (_, i) => create({ modelId: model.id, idempotencyKey: "mixed", description: `attempt ${i}` })));
    const created = mixed.filter((r) => r.__typename === "CreateModelVersionPayload");
    expect(created).toHaveLength(1);
    expect(mixed.filter((r) => r.__typename === "IdempotencyKeyReuseError")).toHaveLength(5);

    const data = await client.request(`query($id: ID!) { node(id: $id) { ... on Model { versions { nodes { number idempotencyKey } } } } }`, { id: model.id });
    expect(data.node.versions.nodes).toEqual([
      { number: 2, idempotencyKey: "mixed" },
      { number: 1, idempotencyKey: "same" },
    ]);
  });
});
