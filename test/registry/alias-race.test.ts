// Aliases under concurrency (DESIGN.md §1 "Aliases", compare-and-set): in each round, 50 clients race
// setModelAlias on one alias, all expecting the version it points at now, each moving it elsewhere. Exactly one wins
// per round, every other gets StaleAliasError naming the winner's version; the recorded history replays to the final
// state, and versionAt(alias:, at:) answers right at every recorded instant and just before it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphQLClient } from "../support/client.ts";
import { createModel, createProject, createVersion } from "../support/fixtures.ts";
import { databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const CLIENTS = 50;
const ROUNDS = 4;
const VERSIONS = 8;

const SET = `mutation($input: SetModelAliasInput!) {
  result: setModelAlias(input: $input) {
    __typename
    ... on SetModelAliasPayload { modelVersion { id } change { id at } }
    ... on StaleAliasError { alias expectedVersionId actualVersionId }
    ... on Error { message }
  }
}`;

const HISTORY = `query($id: ID!) {
  node(id: $id) {
    ... on Model {
      aliasHistory(alias: "champion", first: 500) { totalCount nodes { id at from { id } to { id } } }
      current: version(alias: "champion") { id }
    }
  }
}`;

const VERSION_AT = `query($id: ID!, $at: DateTime!) { node(id: $id) { ... on Model { versionAt(alias: "champion", at: $at) { id } } } }`;

interface Change {
  id: string;
  at: string;
  from: { id: string } | null;
  to: { id: string } | null;
}

describe.runIf(databaseAvailable)("aliases under concurrency", () => {
  let server: TestServer;
  let clients: GraphQLClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    clients = Array.from({ length: CLIENTS }, () => new GraphQLClient(server.url));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  it(`lets exactly one of ${CLIENTS} compare-and-set calls win each round, with a replayable history`, async () => {
    const admin = clients[0]!;
    const project = await createProject(admin);
    const model = await createModel(admin, project.id);
    const versions: string[] = [];
    for (let i = 0; i < VERSIONS; i++) versions.push((await createVersion(admin, model.id)).id);

    let current = null as string | null;
    const winners: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const expected: string | null = current;
      // Everyone moves it away from where it is (never a no-op), to various versions.
      const others: string[] = versions.filter((v) => v !== expected);
      const results = await Promise.all(
        clients.map(async (client, i): Promise<{ target: string; result: any }> => {
          const target = others[(i + round) % others.length]!;
          const data = await client.request(SET, { input: { modelId: model.id, alias: "champion", modelVersionId: target, expectedVersionId: expected, comment: `round ${round} client ${i}` } });
          return { target, result: data.result };
        }),
      );
      const won = results.filter((r) => r.result.__typename === "SetModelAliasPayload");
      expect(won, `round ${round}`).toHaveLength(1);
      const winner = won[0]!;
      expect(winner.result.modelVersion.id).toBe(winner.target);
      expect(winner.result.change).not.toBeNull();
      const lost = results.filter((r) => r !== winner);
      for (const r of lost) {
        expect(r.result).toMatchObject({ __typename: "StaleAliasError", alias: "champion", expectedVersionId: expected, actualVersionId: winner.target });
      }
      current = winner.target;
      winners.push(current);
    }

    // The history holds exactly the winning moves, each from the previous target, ending where the alias is now.
    const read = (await admin.request(HISTORY, { id: model.id })).node;
    const history = read.aliasHistory.nodes as Change[];
    expect(read.aliasHistory.totalCount).toBe(ROUNDS);
    expect(history.map((c) => c.to?.id)).toEqual(winners);
    let replayed: string | null = null;
    for (const change of history) {
      expect(change.from?.id ?? null).toBe(replayed);
      replayed = change.to?.id ?? null;
    }
    expect(replayed).toBe(read.current.id);

    // versionAt at every recorded instant (the new target), and 1 ms before it (the previous one). Instants are
    // non-decreasing in history order; when two moves share a millisecond, the later one is what that instant shows.
    const versionAt = async (at: string) => (await admin.request(VERSION_AT, { id: model.id, at })).node.versionAt?.id ?? null;
    for (let i = 0; i < history.length; i++) {
      const change = history[i]!;
      if (i > 0) expect(Date.parse(change.at)).toBeGreaterThanOrEqual(Date.parse(history[i - 1]!.at));
      const lastAtSameInstant = history.filter((c) => c.at === change.at).at(-1)!;
      expect(await versionAt(change.at)).toBe(lastAtSameInstant.to?.id ?? null);
      const before = new Date(Date.parse(change.at) - 1).toISOString();
      const earlier = history.filter((c) => Date.parse(c.at) <= Date.parse(before)).at(-1);
      expect(await versionAt(before)).toBe(earlier?.to?.id ?? null);
    }
    expect(await versionAt(new Date(Date.now() + 60_000).toISOString())).toBe(current);
  });
});
