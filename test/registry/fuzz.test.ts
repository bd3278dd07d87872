// A schema-driven fuzz pass: random inputs generated from each mutation's input type (the schema is imported, not
// listed by hand) are sent over HTTP to a real server, mixing valid ids of a small data set with garbage. Every
// answer must be a payload or a typed error (a result-union error, or a top-level error with a code that is not
// INTERNAL_SERVER_ERROR), and afterwards the database invariants of DESIGN.md hold.
// Each case is generated from (SEED, mutation, case number) alone: a failure names all three and its input.
import { createHash } from "node:crypto";
import http from "node:http";
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  isNonNullType,
  type GraphQLInputType,
} from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeGlobalId, encodeGlobalId } from "../../server/src/domain/ids.ts";

/** The base64 `Type:id` ids of before, with contents no real id has: garbage for the fuzzer. */
const oldStyleId = (type: string, id: string) => Buffer.from(`${type}:${id}`, "utf8").toString("base64");
import { schema } from "../../server/src/graphql/schema.ts";
import { GraphQLClient } from "../support/client.ts";
import { createExperiment, createIteration, createModel, createProject, createResource, createVersion, mutate, transition, uniqueName } from "../support/fixtures.ts";
import { ADMIN_TOKEN, databaseAvailable, startTestServer, type TestServer } from "../support/server.ts";

const SEED = 0x5eed2026;
/** Cases per mutation (fewer if the time budget runs out first: every round covers every mutation). */
const CASES_PER_MUTATION = 120;
/**
 * Extra rounds beyond MIN_ROUNDS while time is left. The assertions are about MIN_ROUNDS (every mutation, destructive
 * ones included, is always covered whatever the clock); the budget only adds random cases, and it is spent twice per
 * suite run (PGlite and PostgreSQL) on CPU-bound work: 8 s keeps hundreds of extra cases without holding a worker 18 s.
 */
const TIME_BUDGET_MS = 8_000;
const CONCURRENCY = 4;
/** Rounds run whatever the clock says, so every mutation (destructive ones included) is always covered. */
const MIN_ROUNDS = 8;
/** Mutations that destroy the data set the others need: they run in every fourth round only. */
const DESTRUCTIVE = new Set(["archiveProject", "archiveExperiment", "archiveModel", "deleteModelVersion", "deleteResource", "deleteWebhook", "revokeApiToken", "removeProjectMember"]);

/** mulberry32: a small seeded PRNG, so every case can be regenerated from its numbers. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hash32 = (text: string) => createHash("sha256").update(text).digest().readUInt32LE(0);

class Rand {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const KB100 = "x".repeat(100 * 1024);
const UNICODE = ["模型", "🤖🚀", "مرحبا بالعالم", "שלום", "e\u0301", "\u202Eevil", "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}", "Ω≈ç√", "\t\n\r", "\u00A0", "\uFEFF"];
const HOSTILE = ["a\u0000b", "\u0000", "x\ud800", "\udc00y", "\ud83d", "", " ", "%", "_", "\\", "'; DROP TABLE \"Project\"; --", "${x}", "<script>", "../../etc/passwd", "null", "undefined", "NaN", "Infinity", "-Infinity", "1e999", "0x10", "a".repeat(256), KB100];

function randomString(r: Rand): string {
  switch (r.int(6)) {
    case 0:
      return r.pick(HOSTILE);
    case 1:
      return r.pick(UNICODE) + r.pick(UNICODE);
    case 2:
      return `fz-${r.int(1e9).toString(36)}`;
    case 3:
      return "x".repeat(r.pick([1, 127, 128, 129, 255, 256, 4096, 4097, 32768, 32769]));
    case 4:
      return String.fromCodePoint(...Array.from({ length: 1 + r.int(20) }, () => r.int(0x30000)).map((c) => (c >= 0xd800 && c <= 0xdfff ? 0x41 : c)));
    default:
      return r.pick(["a", "main", "prod", "lr", "accuracy", "0.01", "https://example.com/hook"]);
  }
}

/** What the fuzzer knows: valid ids of a small data set, of every kind, in two projects. */
interface Pool {
  ids: string[];
  names: string[];
  /** The first project's objects: destructive mutations never get them, so the others keep reaching deep paths. */
  kept: Set<string>;
}

/** The type of object an ID field names: `modelVersionId` a ModelVersion, `id` of updateModel a Model. */
function idTypeOf(field: string, mutation: string): string | undefined {
  const aliases: Record<string, string> = { parentVersion: "ModelVersion", toVersion: "ModelVersion", request: "TransitionRequest" };
  if (field === "id") return mutation.replace(/^(update|archive|delete|deprecate|revoke)/, "");
  const stem = field.replace(/Ids?$/, "");
  return aliases[stem] ?? stem.charAt(0).toUpperCase() + stem.slice(1);
}

function randomId(r: Rand, pool: Pool, type: string | undefined, mutation: string): string {
  const ids = DESTRUCTIVE.has(mutation) ? pool.ids.filter((id) => !pool.kept.has(id)) : pool.ids;
  const ofType = ids.filter((id) => decodeGlobalId(id)?.typename === type);
  if (ofType.length > 0 && r.chance(0.6)) return r.pick(ofType);
  if (r.chance(0.4)) return r.pick(ids);
  return r.pick([
    "",
    "x",
    "pr_",
    "mv_AAAAAAAAAAAAAAAAAAAAAA",
    encodeGlobalId("Project", "00000000-0000-0000-0000-000000000000"),
    "mv_not-a-uuid",
    "nope_1",
    "a".repeat(41),
    "mv_" + "\u0000",
    "mv_\ud800",
    r.pick(pool.ids).slice(0, -1),
    r.pick(pool.ids) + "A",
    r.pick(pool.ids).toUpperCase(),
    "-1",
    "0",
    "9223372036854775808",
    oldStyleId(type ?? "Model", "\u0000"),
    oldStyleId(type ?? "Model", "x".repeat(2000)),
    oldStyleId(type ?? "Model", "'; SELECT 1; --"),
    oldStyleId(type ?? "Model", "\ud800"),
    KB100,
  ]);
}

/** A value for a named field, with hints from its name so that enough cases pass the rules and go deeper. */
function randomScalar(r: Rand, type: GraphQLScalarType, field: string, pool: Pool, mutation: string): unknown {
  switch (type.name) {
    case "ID":
      return randomId(r, pool, idTypeOf(field, mutation), mutation);
    case "Boolean":
      return r.chance(0.5);
    case "Int":
      return r.pick([0, 1, -1, 2, 100, 2147483647, -2147483648, r.int(1000)]);
    case "Float":
      return r.pick([0, -0, 1, -1, 0.5, 1e308, -1.7976931348623157e308, 5e-324, 1e-300, 123456789.123, r.next()]);
    case "BigInt":
      return r.pick(["0", "1", "-1", "10", "33", "9223372036854775807", "-9223372036854775808", String(2 ** 53 + 1), 2 ** 31, 2 ** 53 - 1, "1099511627776"]);
    case "DateTime":
      return r.pick(["2030-01-01T00:00:00Z", "2000-01-01T00:00:00.000Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00+14:00", "2026-01-01T00:00:00"]);
    case "String": {
      if (field === "name" && r.chance(0.5)) return r.chance(0.2) ? r.pick(pool.names) : `fz-${r.int(1e9).toString(36)}`;
      if (field === "sha256" && r.chance(0.6)) return createHash("sha256").update(String(r.int(8))).digest("hex");
      if (field === "url" && r.chance(0.6))
        return r.pick(["https://example.com/hook", "http://127.0.0.1:1/x", "ftp://example.com/", "not a url", "javascript:alert(1)", "https://user:pass@example.com/", `https://example.com/${KB100}`, "https://[::1]/", "https://例え.jp/"]);
      if (field === "secret" && r.chance(0.5)) return "s".repeat(r.pick([0, 15, 16, 255, 256]));
      if (field === "idempotencyKey" && r.chance(0.6)) return `key-${r.int(4)}`;
      if (field === "contentType" && r.chance(0.5)) return r.pick(["application/octet-stream", "text/html", "a\r\nb", "x/y; charset=utf-8", "*/*"]);
      return randomString(r);
    }
    default:
      throw new Error(`the fuzzer has no generator for scalar ${type.name}: add one`);
  }
}

function randomValue(r: Rand, type: GraphQLInputType, field: string, pool: Pool, mutation: string): unknown {
  if (type instanceof GraphQLNonNull) return randomValue(r, type.ofType, field, pool, mutation);
  if (type instanceof GraphQLList) {
    const length = r.chance(0.05) ? 65 + r.int(10) : r.int(5);
    return Array.from({ length }, () => randomValue(r, type.ofType, field, pool, mutation));
  }
  if (type instanceof GraphQLEnumType) return r.pick(type.getValues()).name;
  if (type instanceof GraphQLScalarType) return randomScalar(r, type, field, pool, mutation);
  return randomObject(r, type as GraphQLInputObjectType, pool, mutation);
}

function randomObject(r: Rand, type: GraphQLInputObjectType, pool: Pool, mutation: string): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  const fields = Object.values(type.getFields());
  // A oneOf input object takes exactly one field.
  if (type.isOneOf) {
    const field = r.pick(fields);
    return { [field.name]: randomValue(r, field.type, field.name, pool, mutation) };
  }
  for (const field of fields) {
    if (isNonNullType(field.type) || r.chance(0.6)) value[field.name] = randomValue(r, field.type, field.name, pool, mutation);
    else if (r.chance(0.25)) value[field.name] = null;
  }
  return value;
}

/** Breaks a valid-shaped input the way a buggy client would; GraphQL must refuse it with a coded error. */
function corrupt(r: Rand, input: Record<string, unknown>, type: GraphQLInputObjectType): { input: Record<string, unknown>; raw?: [string, string] } {
  const fields = Object.values(type.getFields());
  const field = r.pick(fields);
  const named = getNamedType(field.type);
  const required = fields.filter((f) => isNonNullType(f.type));
  switch (r.int(7)) {
    case 0:
      return { input: { ...input, [field.name]: { nested: "object" } } };
    case 1:
      return { input: { ...input, unknownField: 1 } };
    case 2:
      if (required.length > 0) {
        const { [required[0]!.name]: _gone, ...rest } = input;
        return { input: rest };
      }
      return { input: { ...input, unknownField: null } };
    case 3:
      return named instanceof GraphQLEnumType ? { input: { ...input, [field.name]: "NOT_A_VALUE" } } : { input: { ...input, [field.name]: [[[true]]] } };
    case 4:
      // Numbers JSON.stringify cannot write: the raw body gets them as literals.
      return { input: { ...input, [field.name]: "__RAW__" }, raw: ['"__RAW__"', r.pick(["1e999", "-1e999", "NaN", "Infinity", "1" + "0".repeat(400)])] };
    case 5: {
      // A value of the wrong kind for the field's type (a list of it is no better).
      const wrong: Record<string, unknown[]> = {
        Int: [2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1.5, "1", "NaN", true],
        Float: ["NaN", "Infinity", "-Infinity", "1.5", true],
        BigInt: ["1e3", 1.5, 2 ** 53 + 2, "NaN", "9223372036854775808", "-9223372036854775809", "0x10", " 1", true],
        DateTime: ["yesterday", 5, "2026-13-45T00:00:00Z", "01/02/2026", true],
        Boolean: ["true", 1, 0, "yes"],
        String: [true, 1.5, 7],
        ID: [true, 1.5],
      };
      const values = named instanceof GraphQLEnumType ? ["not_a_value", 1] : named instanceof GraphQLScalarType ? wrong[named.name]! : ["an object was expected", 3];
      return { input: { ...input, [field.name]: r.pick(values) } };
    }
    default:
      return { input: "not an object" as never };
  }
}

interface Answer {
  status: number;
  body: any;
  text: string;
}

function post(url: string, agent: http.Agent, token: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL("/graphql", url),
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", accept: "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            // judged below: a body that is not JSON is a failure
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Long strings shortened, so a failure report stays readable but still shows what was sent. */
function shorten(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "string" && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v)));
}

const ERROR_TYPES = new Set(
  Object.values(schema.getTypeMap())
    .filter((t) => t instanceof GraphQLObjectType && t.getInterfaces().some((i) => i.name === "Error"))
    .map((t) => t.name),
);

/** Why an answer is not acceptable, or null. `corrupted` inputs must be refused before any resolver runs. */
function judge(answer: Answer, payloadType: string, corrupted: boolean): string | null {
  if (answer.status >= 500) return `HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (!answer.body || typeof answer.body !== "object") return `HTTP ${answer.status}, not JSON: ${answer.text.slice(0, 300)}`;
  const errors = (answer.body.errors ?? []) as { message: string; extensions?: { code?: string } }[];
  for (const error of errors) {
    const code = error.extensions?.code;
    if (!code || code === "INTERNAL_SERVER_ERROR" || error.message === "Unexpected error.") return `untyped top-level error: ${JSON.stringify(error)}`;
  }
  const result = answer.body.data?.result;
  if (corrupted) return errors.length > 0 && result == null ? null : `a malformed input was not refused by GraphQL: ${answer.text.slice(0, 300)}`;
  if (errors.length > 0) return result == null ? null : `errors next to a result: ${answer.text.slice(0, 300)}`;
  if (!result) return `no result and no error: ${answer.text.slice(0, 300)}`;
  if (result.__typename === payloadType) return null;
  if (ERROR_TYPES.has(result.__typename) && typeof result.message === "string" && result.message.length > 0) return null;
  return `unexpected result ${JSON.stringify(result).slice(0, 300)}`;
}

describe.runIf(databaseAvailable)(`fuzz: every mutation, inputs generated from the schema (seed ${SEED.toString(16)})`, () => {
  let server: TestServer;
  let client: GraphQLClient;
  const pool: Pool = { ids: [], names: [], kept: new Set() };
  const tokens: { role: string; token: string }[] = [{ role: "ADMIN", token: ADMIN_TOKEN }];

  beforeAll(async () => {
    server = await startTestServer();
    client = new GraphQLClient(server.url);
    // Two projects, so foreign ids (the other project's) are in the pool too.
    const build = async (i: number) => {
      const ids: string[] = [];
      const project = await createProject(client);
      pool.names.push(project.name);
      const experiment = await createExperiment(client, project.id);
      const iteration = await createIteration(client, experiment.id, [{ key: "lr", value: "0.1" }]);
      const model = await createModel(client, project.id);
      const gated = await createModel(client, project.id, { requireApprovalFor: ["PRODUCTION"] });
      pool.names.push(model.name, experiment.name);
      const resource = await createResource(client, project.id);
      const pending = await createResource(client, project.id, { upload: false });
      const v1 = await createVersion(client, model.id, { iterationId: iteration.id, resourceId: resource.id, metrics: [{ name: "acc", value: 0.9 }] });
      const v2 = await createVersion(client, model.id, { parentVersionId: v1.id });
      const v3 = await createVersion(client, model.id);
      const g1 = await createVersion(client, gated.id);
      for (const [version, stages] of [[v1, ["STAGING", "PRODUCTION"]], [v2, ["STAGING"]], [g1, ["STAGING"]]] as const) {
        for (const stage of stages) expect((await transition(client, { modelVersionId: version.id, stage })).__typename).toBe("TransitionModelVersionStagePayload");
      }
      const request = await mutate(client, "requestModelVersionTransition", "RequestModelVersionTransitionInput", { modelVersionId: g1.id, stage: "PRODUCTION" }, "transitionRequest { id }");
      const webhook = await mutate(client, "createWebhook", "CreateWebhookInput", { projectId: project.id, url: "https://example.com/hook" }, "webhook { id }");
      ids.push(project.id, experiment.id, iteration.id, model.id, gated.id, resource.id, pending.id, v1.id, v2.id, v3.id, g1.id, request.transitionRequest.id, webhook.webhook.id);
      // Members with each role (and a token each, some used by the fuzzer as that member).
      for (const role of ["EDITOR", "VIEWER"]) {
        const user = await mutate(client, "createUser", "CreateUserInput", { name: uniqueName(role.toLowerCase()) }, "user { id }");
        await mutate(client, "addProjectMember", "AddProjectMemberInput", { projectId: project.id, userId: user.user.id, role }, "project { id }");
        const token = await mutate(client, "createApiToken", "CreateApiTokenInput", { name: "fuzz", userId: user.user.id }, "token apiToken { id }");
        if (i === 0) tokens.push({ role, token: token.token });
        ids.push(user.user.id);
      }
      // A token the fuzzer may revoke (not one it authenticates with).
      const spare = await mutate(client, "createApiToken", "CreateApiTokenInput", { name: "spare" }, "apiToken { id }");
      ids.push(spare.apiToken.id);
      if (i === 0) for (const id of ids) pool.kept.add(id);
      pool.ids.push(...ids);
    };
    await Promise.all([build(0), build(1)]);
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  it("answers every generated input with a payload or a typed error", async () => {
    const mutationType = schema.getMutationType()!;
    const fields = Object.values(mutationType.getFields());
    expect(fields.length).toBeGreaterThan(30);
    const ordinary = fields.filter((f) => !DESTRUCTIVE.has(f.name));
    const destructive = fields.filter((f) => DESTRUCTIVE.has(f.name));
    // Rounds in order; destructive mutations join every fourth one.
    const queue: { field: (typeof fields)[number]; n: number }[] = [];
    for (let n = 0; n < CASES_PER_MUTATION; n++) {
      for (const field of n % 4 === 3 ? fields : ordinary) queue.push({ field, n });
    }
    for (const field of destructive) expect(queue.some((c) => c.field === field)).toBe(true);

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const failures: unknown[] = [];
    const counts = new Map<string, number>();
    const outcomes = new Map<string, number>();
    const deadline = Date.now() + TIME_BUDGET_MS;
    let next = 0;

    async function runCase({ field, n }: (typeof queue)[number]): Promise<void> {
      const r = new Rand(prng(SEED ^ hash32(`${field.name}#${n}`)));
      const inputType = getNamedType(field.args[0]!.type) as GraphQLInputObjectType;
      let input = randomObject(r, inputType, pool, field.name);
      const corrupted = r.chance(0.06);
      let raw: [string, string] | undefined;
      if (corrupted) ({ input, raw } = corrupt(r, input, inputType));
      const { role, token } = r.chance(0.15) ? r.pick(tokens.slice(1)) : tokens[0]!;
      const payloadType = `${field.name.charAt(0).toUpperCase()}${field.name.slice(1)}Payload`;
      const query = `mutation($input: ${inputType.name}!) { result: ${field.name}(input: $input) { __typename ... on Error { message } } }`;
      let body = JSON.stringify({ query, variables: { input } });
      if (raw) body = body.replace(raw[0], raw[1]);
      const answer = await post(server.url, agent, token, body);
      const problem = judge(answer, payloadType, corrupted);
      counts.set(field.name, (counts.get(field.name) ?? 0) + 1);
      const outcome = answer.body?.data?.result?.__typename ?? answer.body?.errors?.[0]?.extensions?.code ?? "?";
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (problem && failures.length < 25) failures.push({ case: `seed ${SEED.toString(16)}, ${field.name} #${n}`, role, input: shorten(input), raw, problem });
    }

    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < queue.length && (queue[next]!.n < MIN_ROUNDS || Date.now() < deadline)) await runCase(queue[next++]!);
      }),
    );
    agent.destroy();

    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.info(`fuzz: ${total} cases over ${counts.size} mutations; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(failures).toEqual([]);
    // Every mutation was reached, the destructive ones included.
    for (const field of ordinary) expect(counts.get(field.name) ?? 0, field.name).toBeGreaterThanOrEqual(MIN_ROUNDS);
    for (const field of destructive) expect(counts.get(field.name) ?? 0, field.name).toBeGreaterThanOrEqual(MIN_ROUNDS / 4);
  });

  it("keeps the database invariants", async () => {
    const db = server.app.db.prisma;
    // At most one PRODUCTION version per model.
    expect(await db.$queryRawUnsafe(`SELECT "modelId", count(*)::int AS n FROM "ModelVersion" WHERE stage = 'PRODUCTION' GROUP BY "modelId" HAVING count(*) > 1`)).toEqual([]);
    // Version numbers 1..n per model, deleted included, and the model's counter is next.
    expect(
      await db.$queryRawUnsafe(
        `SELECT m.id, count(v.id)::int AS n, coalesce(max(v.number), 0) AS max, count(DISTINCT v.number)::int AS distinct, m."nextVersionNumber" AS next
         FROM "Model" m LEFT JOIN "ModelVersion" v ON v."modelId" = m.id GROUP BY m.id
         HAVING count(v.id) <> coalesce(max(v.number), 0) OR count(DISTINCT v.number) <> count(v.id) OR coalesce(min(v.number), 1) <> 1 OR m."nextVersionNumber" <> coalesce(max(v.number), 0) + 1`,
      ),
    ).toEqual([]);
    // Iteration numbers likewise per experiment.
    expect(
      await db.$queryRawUnsafe(
        `SELECT e.id FROM "Experiment" e LEFT JOIN "Iteration" i ON i."experimentId" = e.id GROUP BY e.id
         HAVING count(i.id) <> coalesce(max(i.number), 0) OR count(DISTINCT i.number) <> count(i.id) OR e."nextIterationNumber" <> coalesce(max(i.number), 0) + 1`,
      ),
    ).toEqual([]);
    // Every stage change has a StageTransition and an Event; a version's last transition leads to its stage.
    expect(
      await db.$queryRawUnsafe(
        `SELECT v.id, v.stage,
           (SELECT count(*)::int FROM "StageTransition" t WHERE t."modelVersionId" = v.id) AS transitions,
           (SELECT count(*)::int FROM "Event" e WHERE e."modelVersionId" = v.id AND e.type = 'MODEL_VERSION_STAGE_CHANGED') AS events,
           (SELECT t."toStage" FROM "StageTransition" t WHERE t."modelVersionId" = v.id ORDER BY t.seq DESC LIMIT 1) AS last
         FROM "ModelVersion" v`,
      ).then((rows) => (rows as any[]).filter((row) => row.transitions !== row.events || (row.last ?? "NONE") !== row.stage)),
    ).toEqual([]);
    // Transitions of a version chain: each starts where the previous one ended.
    expect(
      await db.$queryRawUnsafe(
        `SELECT t.id FROM "StageTransition" t
         JOIN LATERAL (SELECT p."toStage" FROM "StageTransition" p WHERE p."modelVersionId" = t."modelVersionId" AND p.seq < t.seq ORDER BY p.seq DESC LIMIT 1) prev ON true
         WHERE prev."toStage" <> t."fromStage"`,
      ),
    ).toEqual([]);
    // At most one PENDING request per version and target stage, and per version and alias (a request names one or
    // the other: GROUP BY would lump the other kind's NULLs together, the unique indexes do not).
    expect(await db.$queryRawUnsafe(`SELECT "modelVersionId" FROM "TransitionRequest" WHERE status = 'PENDING' AND "toStage" IS NOT NULL GROUP BY "modelVersionId", "toStage" HAVING count(*) > 1`)).toEqual([]);
    expect(await db.$queryRawUnsafe(`SELECT "modelVersionId" FROM "TransitionRequest" WHERE status = 'PENDING' AND "toAlias" IS NOT NULL GROUP BY "modelVersionId", "toAlias" HAVING count(*) > 1`)).toEqual([]);
    // Lineage stays inside the model's project.
    expect(
      await db.$queryRawUnsafe(
        `SELECT v.id FROM "ModelVersion" v
         LEFT JOIN "Resource" r ON r.id = v."resourceId" LEFT JOIN "ModelVersion" p ON p.id = v."parentVersionId"
         LEFT JOIN "Iteration" i ON i.id = v."iterationId" LEFT JOIN "Experiment" e ON e.id = i."experimentId"
         WHERE r."projectId" <> v."projectId" OR p."projectId" <> v."projectId" OR e."projectId" <> v."projectId"`,
      ),
    ).toEqual([]);
    // Every READY resource has its bytes in the store, with the declared size and sha256.
    const ready = await db.resource.findMany({ where: { status: "READY", deletedAt: null } });
    expect(ready.length).toBeGreaterThan(0);
    for (const resource of ready) {
      expect(resource.storageKey, resource.id).toBeTruthy();
      const stream = await server.app.store.read(resource.storageKey!);
      const digest = createHash("sha256");
      let size = 0n;
      for await (const chunk of stream) {
        size += BigInt((chunk as Buffer).length);
        digest.update(chunk as Buffer);
      }
      expect({ id: resource.id, size, sha256: digest.digest("hex") }).toEqual({ id: resource.id, size: resource.sizeBytes, sha256: resource.sha256 });
    }
    // No text was stored mangled (an unpaired surrogate would have become U+FFFD; the fuzzer never sends one).
    const tables = ["Project", "Experiment", "Iteration", "Model", "ModelVersion", "Resource", "Webhook", "User", "ApiToken", "AuditEntry", "Event", "StageTransition", "TransitionRequest"];
    for (const table of tables) {
      const rows = await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table}" t WHERE strpos(row_to_json(t)::text, U&'\\FFFD') > 0`);
      expect(rows[0]!.n, table).toBe(0);
    }
  });
});
