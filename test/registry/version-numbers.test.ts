// Version numbers under concurrency (DESIGN.md §1 "Model versions"): 1000 createModelVersion calls in flight
// at once, from 20 independent clients, on one model. Numbers must be unique and contiguous (1..n, no gap,
// no duplicate), and an idempotency key must make concurrent retries return one version and take one number.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idOf } from "../../server/src/domain/ids.ts";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const CLIENTS = 20;
const CALLS_PER_CLIENT = 50;
const TOTAL = CLIENTS * CALLS_PER_CLIENT;

const CREATE = `mutation($input: CreateModelVersionInput!) {
  result: createModelVersion(input: $input) {
    __typename
    ... on CreateModelVersionPayload { modelVersion { id number stage idempotencyKey } }
    ... on Error { message }
  }
}`;

const VERSIONS_PAGE = `query($id: ID!, $after: String) {
  node(id: $id) {
    ... on Model {
      versions(first: 500, after: $after, orderBy: { field: NUMBER, direction: ASC }) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id number }
      }
    }
  }
}`;

interface Created {
  id: string;
  number: number;
  idempotencyKey?: string | null;
}

/** Sends one createModelVersion; any answer but the payload (top-level error, error type) is returned as a failure. */
async function create(client: GraphQLClient, input: Record<string, unknown>): Promise<{ ok: true; version: Created } | { ok: false; failure: string }> {
  try {
    const res = await client.raw(CREATE, { input });
    if (res.errors?.length) return { ok: false, failure: `errors: ${JSON.stringify(res.errors)}` };
    const result = res.data?.result;
    if (result?.__typename !== "CreateModelVersionPayload") return { ok: false, failure: `${result?.__typename}: ${result?.message}` };
    return { ok: true, version: result.modelVersion };
  } catch (error) {
    return { ok: false, failure: `transport: ${(error as Error).message}` };
  }
}

/** Every live version of a model through the API, following pages of 500. */
async function listVersions(client: GraphQLClient, modelId: string): Promise<{ totalCount: number; versions: Created[]; pages: number }> {
  const versions: Created[] = [];
  let after: string | null = null;
  let totalCount = -1;
  let pages = 0;
  for (;;) {
    const data: any = await client.request(VERSIONS_PAGE, { id: modelId, after });
    const page = data.node.versions;
    pages++;
    if (totalCount === -1) totalCount = page.totalCount;
    else expect(page.totalCount).toBe(totalCount);
    versions.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return { totalCount, versions, pages };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.runIf(databaseAvailable)("version numbers under concurrency", () => {
  let server: TestServer;
  let clients: GraphQLClient[] = [];
  let modelId: string;

  beforeAll(async () => {
    server = await startTestServer();
    // 20 clients, each with its own keep-alive agent, i.e. its own connections to the server.
    clients = Array.from({ length: CLIENTS }, () => new GraphQLClient(server.url));
    const project = await createProject(clients[0]!);
    modelId = (await createModel(clients[0]!, project.id)).id;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  it(`numbers ${TOTAL} concurrent creations 1..${TOTAL}, contiguous in creation order`, async () => {
    const results = await Promise.all(
      clients.flatMap((client, c) =>
        range(1, CALLS_PER_CLIENT).map((i) => create(client, { modelId, description: `client ${c} call ${i}` })),
      ),
    );

    const failures = results.flatMap((r) => (r.ok ? [] : [r.failure]));
    expect(failures, `failed calls (first 5): ${failures.slice(0, 5).join(" | ")}`).toEqual([]);
    const created = results.flatMap((r) => (r.ok ? [r.version] : []));
    expect(new Set(created.map((v) => v.id)).size).toBe(TOTAL);
    const numbers = created.map((v) => v.number).sort((a, b) => a - b);
    expect(numbers).toEqual(range(1, TOTAL));

    // The API agrees: exactly these 1000 versions, over two pages of 500.
    const listed = await listVersions(clients[1]!, modelId);
    expect(listed.totalCount).toBe(TOTAL);
    expect(listed.pages).toBe(2);
    expect(listed.versions.map((v) => v.number)).toEqual(range(1, TOTAL));
    const byId = new Map(created.map((v) => [v.id, v.number]));
    for (const v of listed.versions) expect(byId.get(v.id)).toBe(v.number);

    // Contiguous in creation order: each creation's event is appended under the model's row lock, so the global
    // event sequence is the order the creations committed in. Observed (read-only) in the database.
    const events = await server.app.db.prisma.event.findMany({
      where: { modelId: idOf("Model", modelId), type: "MODEL_VERSION_CREATED" },
      orderBy: { seq: "asc" },
      select: { payload: true },
    });
    expect(events.map((e) => (e.payload as { number: number }).number)).toEqual(range(1, TOTAL));

    // The counter went on from there: the next version is 1001.
    const next = await createVersion(clients[2]!, modelId);
    expect(next.number).toBe(TOTAL + 1);
  });

  it("concurrent retries with one idempotency key return one version and consume one number", async () => {
    const before = (await listVersions(clients[0]!, modelId)).totalCount;
    const last = (await createVersion(clients[0]!, modelId)).number;
    const key = `train-run-${Date.now()}`;

    const results = await Promise.all(clients.map((client) => create(client, { modelId, idempotencyKey: key, description: "retried" })));

    const failures = results.flatMap((r) => (r.ok ? [] : [r.failure]));
    expect(failures).toEqual([]);
    const versions = results.flatMap((r) => (r.ok ? [r.version] : []));
    expect(new Set(versions.map((v) => v.id)).size).toBe(1);
    expect(versions.every((v) => v.number === last + 1 && v.idempotencyKey === key)).toBe(true);
    // Exactly one creation committed: one MODEL_VERSION_CREATED event for it (observed in the database).
    const createdEvents = await server.app.db.prisma.event.count({
      where: { modelVersionId: idOf("ModelVersion", versions[0]!.id), type: "MODEL_VERSION_CREATED" },
    });
    expect(createdEvents).toBe(1);

    // A later retry with the key still returns it, and the next keyless version takes the very next number.
    const again = await create(clients[3]!, { modelId, idempotencyKey: key, description: "retried" });
    expect(again).toEqual({ ok: true, version: expect.objectContaining({ id: versions[0]!.id, number: last + 1 }) });
    const after = await createVersion(clients[4]!, modelId);
    expect(after.number).toBe(last + 2);
    expect((await listVersions(clients[0]!, modelId)).totalCount).toBe(before + 3);
  });
});
