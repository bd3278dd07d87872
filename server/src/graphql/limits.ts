// Abuse limits of the GraphQL endpoint: what a request may ask for before it is refused, without being run.
// Every refusal is a GraphQLError whose `extensions.code` names the rule and whose message gives the limit.
// The same plugins run for HTTP/SSE (Yoga) and for graphql-ws (app.ts hands WebSocket operations to
// `yoga.getEnveloped`), except the HTTP-only ones (request body, CSRF), which only see Yoga's requests.
import { createHash } from "node:crypto";
import { EnvelopArmor, EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import {
  GraphQLError,
  Kind,
  defaultFieldResolver,
  TypeInfo,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isLeafType,
  isObjectType,
  parse,
  validate,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { GraphQLLimitsConfig } from "../config.ts";
import {
  MAX_ALIASES_PER_MODEL,
  MAX_ENVIRONMENTS_PER_MODEL,
  MAX_METRICS_PER_ITERATION,
  MAX_METRICS_PER_VERSION,
  MAX_PARAMS,
  MAX_POLICY_APPROVALS,
  MAX_POLICY_METRIC_RULES,
  MAX_PROMOTION_POLICIES_PER_MODEL,
  MAX_TAGS,
} from "../domain/rules.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./builder.ts";
import { metricHistoryPageSize } from "./experiments.ts";

/** `extensions.code` of each refusal. */
export const LimitCode = {
  depth: "MAX_DEPTH_EXCEEDED",
  cost: "MAX_COST_EXCEEDED",
  aliases: "MAX_ALIASES_EXCEEDED",
  directives: "MAX_DIRECTIVES_EXCEEDED",
  tokens: "MAX_TOKENS_EXCEEDED",
  selections: "MAX_SELECTIONS_EXCEEDED",
  nodeIds: "MAX_NODE_IDS_EXCEEDED",
  responseSize: "RESPONSE_TOO_LARGE",
  bodySize: "REQUEST_BODY_TOO_LARGE",
  introspection: "INTROSPECTION_DISABLED",
  csrf: "CSRF_PREFLIGHT_REQUIRED",
  persistedOnly: "PERSISTED_OPERATION_REQUIRED",
  persistedNotFound: "PERSISTED_OPERATION_NOT_FOUND",
} as const;

function refusal(code: string, message: string, status: number, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status } } });
}

/**
 * A graphql-armor `onReject` handler: armor words its errors "Syntax Error: Query depth limit of 15 exceeded,
 * found 50."; we keep the words, drop the misleading prefix and add a code and the limit. Validation rules get a
 * ValidationContext (report, so every broken rule is listed); the token counter runs inside the parser and gets
 * null (throw, which stops the parse at the limit).
 */
function reject(code: string, limit: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const refused = refusal(code, error.message.replace(/^Syntax Error: /, ""), 400, { limit });
    if (context) context.reportError(refused);
    else throw refused;
  };
}

/** Refuses `__schema` and `__type` (`__typename` stays: clients need it to tell union members apart). */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name === "__schema" || name === "__type") {
      context.reportError(
        new GraphQLError(`Introspection is disabled on this server: "${name}" cannot be queried.`, {
          nodes: [node],
          extensions: { code: LimitCode.introspection, http: { status: 400 } },
        }),
      );
    }
  },
});

/** Content types a browser may send cross-site without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]);
/** Headers a cross-site page cannot send without a preflight (which our CORS answer does not allow). */
const PREFLIGHT_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight", "graphql-require-preflight"];

/**
 * Cross-site request forgery prevention, as Apollo's `csrfPrevention`: a request a browser could send from
 * another site without a CORS preflight (GET, or POST with a form or text content type, and no custom header) is
 * refused before it is parsed or authenticated. `content-type: application/json`, a `Bearer` Authorization
 * header (browsers never attach one on their own) or `x-graphql-yoga-csrf` each prove a preflighted request.
 * GraphiQL's page (GET, accept: text/html) is answered by Yoga before this check. SSE subscriptions
 * (GET, accept: text/event-stream) are left to authentication: they are read-only (Yoga runs no mutation over GET),
 * EventSource cannot send a header, and one without a token keeps its documented answer, 401.
 */
function preventCsrf(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (!["GET", "HEAD", "POST"].includes(request.method)) return;
      if (request.method === "GET" && request.headers.get("accept")?.includes("text/event-stream")) return;
      const contentType = request.headers.get("content-type")?.split(";")[0]!.trim().toLowerCase();
      if (contentType && !SIMPLE_CONTENT_TYPES.has(contentType)) return;
      if (PREFLIGHT_HEADERS.some((header) => request.headers.has(header))) return;
      if (/^\s*Bearer\s+\S/i.test(request.headers.get("authorization") ?? "")) return;
      const message =
        "Request refused to prevent cross-site request forgery: send it with content-type: application/json, " +
        "an Authorization: Bearer header or an x-graphql-yoga-csrf header.";
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: LimitCode.csrf } }] }), {
          status: 403,
          headers: { "content-type": "application/json; charset=utf-8" },
        }),
      );
    },
  };
}

/**
 * Refuses request bodies over `limit` bytes with 413, before reading them when Content-Length says so. Node's HTTP
 * parser never delivers more body than Content-Length, so only bodies without one (chunked) are counted as they
 * stream, and refused at the first byte over. (Yoga's own `maxRequestBodySize` counts every body, which costs
 * throughput, and does not say the limit; it is turned off in app.ts.) Must come after Yoga's request parsers.
 */
function limitRequestBody(limit: number): Plugin {
  const tooLarge = () => refusal(LimitCode.bodySize, `Request body exceeds the limit of ${limit} bytes.`, 413, { limit });
  return {
    // A declared size over the limit is answered at once, before Yoga builds anything for the request (the
    // body is never read into the request: Node only discards it from the socket).
    onRequest({ request, endResponse, fetchAPI }) {
      const contentLength = request.headers.get("content-length");
      if (contentLength === null || !/^\d+$/.test(contentLength) || Number(contentLength) <= limit) return;
      const { message, extensions } = tooLarge();
      const { http: _status, ...visible } = extensions as Record<string, unknown>;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: visible }] }), {
          status: 413,
          headers: { "content-type": "application/json; charset=utf-8" },
        }),
      );
    },
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get("content-length");
      if (contentLength !== null) {
        if (!/^\d+$/.test(contentLength)) throw refusal("BAD_REQUEST", "Content-Length header is invalid.", 400);
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => {
        let bytes = 0;
        const counted = req.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.byteLength;
              if (bytes > limit) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, signal: req.signal, body: counted, duplex: "half" } as RequestInit));
      });
    },
  };
}

/**
 * Lists that are not connections (no `first`), with the most entries one can have: the cost counts them at that
 * size. S3 presigns at most 10,000 parts; a move archives the one incumbent; a ValidationError's issues are bounded
 * by the input that caused them. Every list of objects in the schema must be a connection's or be listed here
 * (checked when the plugin is built), so a new list cannot escape the cost check unnoticed.
 */
const LIST_SIZES: Record<string, number | ((args: Record<string, unknown>) => number)> = {
  "ModelVersion.metrics": MAX_METRICS_PER_VERSION,
  "Iteration.metrics": MAX_METRICS_PER_ITERATION,
  "Iteration.metricHistory": (args) => metricHistoryPageSize(typeof args.first === "number" ? args.first : null),
  "Iteration.params": MAX_PARAMS,
  "Project.tags": MAX_TAGS,
  "Experiment.tags": MAX_TAGS,
  "Iteration.tags": MAX_TAGS,
  "Model.tags": MAX_TAGS,
  "ModelVersion.tags": MAX_TAGS,
  "Model.aliases": MAX_ALIASES_PER_MODEL,
  "ModelVersionComparison.metrics": 2 * MAX_METRICS_PER_VERSION,
  "ModelVersionComparison.paramChanges": 2 * MAX_PARAMS,
  "ModelVersionComparison.tagChanges": 2 * MAX_TAGS,
  "PresignedUpload.parts": 10_000,
  "Model.environments": MAX_ENVIRONMENTS_PER_MODEL,
  // Only the environment's one previous live deployment.
  "ReportDeploymentPayload.retired": 1,
  "ApproveTransitionRequestPayload.archivedVersions": 1,
  "RollbackModelPayload.archivedVersions": 1,
  "TransitionModelVersionStagePayload.archivedVersions": 1,
  "ValidationError.issues": 1,
  // Promotion policies: one per target, each with bounded rule lists; a check lists each rule (a gate twice: min, max).
  "Model.promotionPolicies": MAX_PROMOTION_POLICIES_PER_MODEL,
  "PromotionPolicy.metricGates": MAX_POLICY_METRIC_RULES,
  "PromotionPolicy.mustBeatIncumbent": MAX_POLICY_METRIC_RULES,
  "PromotionCheck.rules": 3 * MAX_POLICY_METRIC_RULES + 2,
  "PromotionCheck.violations": 3 * MAX_POLICY_METRIC_RULES + 2,
  "PolicyViolationError.violations": 3 * MAX_POLICY_METRIC_RULES + 2,
  "TransitionRequest.approvals": MAX_POLICY_APPROVALS,
  // Multiplied by the length of `ids` like any list argument (and `ids` is capped).
  "Query.nodes": 1,
};

/** Throws if a list of objects of `schema` is neither a connection's `edges`/`nodes` nor sized in LIST_SIZES. */
function assertListsSized(schema: GraphQLSchema): void {
  const unsized: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type)) || isLeafType(getNamedType(field.type))) continue;
      if (type.name.endsWith("Connection") && (field.name === "edges" || field.name === "nodes")) continue;
      if (!(`${type.name}.${field.name}` in LIST_SIZES)) unsized.push(`${type.name}.${field.name}`);
    }
  }
  if (unsized.length > 0) throw new Error(`graphql/limits.ts: give these lists a size in LIST_SIZES: ${unsized.join(", ")}`);
}

/**
 * The cost limit, with the sizes the server will really return. graphql-armor multiplies a field's cost by its
 * `first`/`last` only when that is a literal, so `first: $n` would count as 1, a connection without either as 1
 * (the server returns up to 500 and 50 rows), a plain list such as `metrics` as 1 (up to 1,000) and
 * `nodes(ids: $ids)` as 1 (one object per id). Before execution (when the variables are known) this rewrites each
 * field's multiplier to the real worst case — see `fieldMultiplier` — as a literal `first`, and runs armor's cost
 * rule on that. The same walk refuses `nodes(ids:)` over its cap. Documents whose sizes do not depend on
 * variables are checked once (Yoga hands the same parsed document back for the same text).
 */
function limitCost(config: GraphQLLimitsConfig): Plugin {
  let costRule: ValidationRule | undefined;
  const armor = new EnvelopArmor({
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { enabled: false },
    maxAliases: { enabled: false },
    maxDirectives: { enabled: false },
    costLimit: {
      maxCost: config.maxCost,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reject(LimitCode.cost, config.maxCost)],
    },
  });
  for (const plugin of armor.protect().plugins as Plugin[]) {
    plugin.onValidate?.({ addValidationRule: (rule: ValidationRule) => (costRule = rule) } as never);
  }
  if (!costRule) throw new Error("graphql-armor's cost rule was not found");
  const rule = costRule;
  // Per document: its refusals, or (when sizes read variables) its refusals per sizeKey of the variables.
  const checked = new WeakMap<DocumentNode, readonly GraphQLError[] | Map<string, readonly GraphQLError[]>>();
  const sizedSchemas = new WeakSet<GraphQLSchema>();

  const refusals = (args: ExecutionArgs): readonly GraphQLError[] => {
    if (!sizedSchemas.has(args.schema)) {
      assertListsSized(args.schema);
      sizedSchemas.add(args.schema);
    }
    const cached = checked.get(args.document);
    if (Array.isArray(cached)) return cached;
    const key = sizeKey(args.variableValues ?? {});
    const known = key === null ? undefined : (cached as Map<string, readonly GraphQLError[]> | undefined)?.get(key);
    if (known) return known;
    const sized = withListSizes(args.schema, args.document, args.variableValues ?? {}, config.maxNodeIds);
    const errors = [...sized.refusals, ...validate(args.schema, sized.document, [rule])];
    if (!sized.dependsOnVariables) checked.set(args.document, errors);
    else if (key !== null) {
      let byKey = cached as Map<string, readonly GraphQLError[]> | undefined;
      if (!byKey || byKey.size >= MAX_SIZE_KEYS) checked.set(args.document, (byKey = new Map()));
      byKey.set(key, errors);
    }
    return errors;
  };
  const stop = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: never) => void }) => {
    const errors = refusals(args);
    if (errors.length > 0) setResultAndStopExecution({ errors } as never);
  };
  return { onExecute: stop, onSubscribe: stop };
}

/** Distinct variable shapes remembered per document, and the longest key worth remembering. */
const MAX_SIZE_KEYS = 256;
const MAX_SIZE_KEY_LENGTH = 4096;

/**
 * The variables as the sizes depend on them, or null when too long to remember: numbers, booleans, nulls and the
 * structure of lists and objects kept, every string the same. No size rule reads a string's value (page sizes and
 * LIST_SIZES take numbers, lists count entries), so requests that differ only in ids or names, such as
 * `project(by: { id: $id })` for each project, share one check instead of walking and validating every time.
 */
function sizeKey(variables: Record<string, unknown>): string | null {
  const key = JSON.stringify(variables, (_name, value: unknown) => (typeof value === "string" ? "" : value));
  return key.length <= MAX_SIZE_KEY_LENGTH ? key : null;
}

/** The page size Pothos will use for a `first`/`last` value (absent: the default; capped at the maximum). */
function effectivePageSize(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(Math.max(value, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/** The JavaScript value of an argument: literals as they are written, variables from `variables`. */
function argumentValue(node: ValueNode, variables: Record<string, unknown>, used: { variables: boolean }): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      used.variables = true;
      return variables[node.name.value];
    case Kind.LIST:
      return node.values.map((value) => argumentValue(value, variables, used));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, argumentValue(field.value, variables, used)]));
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    default:
      return "value" in node ? node.value : undefined;
  }
}

/** Entries of every list in an argument value (lists inside input objects included). */
function listEntries(value: unknown): number {
  if (Array.isArray(value)) return value.length + value.reduce((sum: number, item) => sum + nestedListEntries(item), 0);
  return nestedListEntries(value);
}
function nestedListEntries(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  if (Array.isArray(value)) return listEntries(value);
  return Object.values(value).reduce((sum: number, item) => sum + listEntries(item), 0);
}

/**
 * How many times a field's selection can be produced, per parent: a connection's page size (variable or default
 * included), a plain list's cap (LIST_SIZES), times the entries of the lists among its arguments — `nodes(ids:)`
 * answers one object per id, and a filter list (`stages`, `status`, `types` …) becomes an IN list the database
 * matches for every parent, so a list of 50,000 repeated values costs 50,000 times one. Mutation arguments are left
 * out: their lists are input, capped by the domain's rules before any work (tags 64, metrics 1,000, points 10,000).
 */
function fieldMultiplier(parent: string, node: FieldNode, hasPageSize: boolean, variables: Record<string, unknown>, used: { variables: boolean }): number {
  const args = Object.fromEntries((node.arguments ?? []).map((arg) => [arg.name.value, argumentValue(arg.value, variables, used)]));
  let size = 1;
  if (hasPageSize) size = effectivePageSize(args.first ?? args.last);
  const listed = LIST_SIZES[`${parent}.${node.name.value}`];
  if (listed !== undefined) size = typeof listed === "function" ? listed(args) : listed;
  if (parent !== "Mutation") size *= Math.max(1, Object.values(args).reduce((sum: number, value) => sum + listEntries(value), 0));
  return size;
}

/**
 * `document` with every field's multiplier as a literal `first` (what the cost of the real execution depends on),
 * and the refusals of `nodes(ids:)` lists over `maxNodeIds`.
 */
function withListSizes(
  schema: GraphQLSchema,
  original: DocumentNode,
  variables: Record<string, unknown>,
  maxNodeIds: number,
): { document: DocumentNode; dependsOnVariables: boolean; refusals: GraphQLError[] } {
  const used = { variables: false };
  const refusals: GraphQLError[] = [];
  const typeInfo = new TypeInfo(schema);
  const document = visit(
    original,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode) {
        const definition = typeInfo.getFieldDef();
        const parent = typeInfo.getParentType()?.name;
        if (!definition || !parent || !node.selectionSet) return undefined;
        if (parent === "Query" && node.name.value === "nodes") {
          const ids = (node.arguments ?? []).find((arg) => arg.name.value === "ids");
          const value = ids ? argumentValue(ids.value, variables, used) : undefined;
          const count = Array.isArray(value) ? value.length : 1;
          if (count > maxNodeIds) {
            refusals.push(
              refusal(LimitCode.nodeIds, `nodes(ids:) takes at most ${maxNodeIds} ids (got ${count}).`, 400, { limit: maxNodeIds }),
            );
          }
        }
        const hasPageSize = definition.args.some((arg) => arg.name === "first") && getNamedType(definition.type).name.endsWith("Connection");
        const size = fieldMultiplier(parent, node, hasPageSize, variables, used);
        // armor reads the first `first`/`last` argument it finds: put the real size first.
        const rest = (node.arguments ?? []).filter((arg) => arg.name.value !== "first" && arg.name.value !== "last");
        const first: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: "first" }, value: { kind: Kind.INT, value: String(size) } };
        return { ...node, arguments: [first, ...rest] };
      },
    }),
  );
  return { document, dependsOnVariables: used.variables, refusals };
}

/**
 * Refuses a document with more than `limit` selections (fields, fragment spreads and inline fragments as written),
 * right after parsing and before validation: graphql-js's OverlappingFieldsCanBeMerged compares same-named
 * selections pairwise, so 400 repeated `viewer { id }` (4.4 KB, under the token limit) cost half a second of CPU,
 * and unique operation names defeat the validation cache.
 */
function limitSelections(limit: number): Plugin {
  const counted = new WeakMap<DocumentNode, number>();
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (!result || result instanceof Error || (result as DocumentNode).kind !== Kind.DOCUMENT) return;
        const document = result as DocumentNode;
        let selections = counted.get(document);
        if (selections === undefined) {
          selections = 0;
          visit(document, {
            Field: () => void selections!++,
            FragmentSpread: () => void selections!++,
            InlineFragment: () => void selections!++,
          });
          counted.set(document, selections);
        }
        if (selections > limit) {
          replaceParseResult(
            refusal(LimitCode.selections, `Selection limit of ${limit} exceeded, found ${selections}.`, 400, { limit }),
          );
        }
      };
    },
  };
}

/** Bytes counted so far for one execution's result, and the refusal once over. */
interface ResponseBudget {
  bytes: number;
  readonly limit: number;
  exceeded: GraphQLError | undefined;
}

const budgets = new WeakMap<object, ResponseBudget>();

/** JSON bytes a resolved leaf value (or list of them) takes, about: strings by length, other scalars ≤ 24. */
function leafBytes(value: unknown): number {
  if (typeof value === "string") return value.length + 2;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + leafBytes(item) + 1, 2);
  return 24;
}

function charge(budget: ResponseBudget, bytes: number): void {
  budget.bytes += bytes;
  if (budget.bytes > budget.limit && !budget.exceeded) {
    budget.exceeded = refusal(
      LimitCode.responseSize,
      `Response size limit of ${budget.limit} bytes exceeded: ask for fewer objects or smaller pages.`,
      400,
      { limit: budget.limit },
    );
  }
}

/**
 * Makes every field of `schema` count, into its execution's budget (see `limitResponseSize`), the bytes its value
 * adds to the JSON response: the key and, for a leaf, the value. Once over, every further field throws the same
 * refusal, so the rest of the result is never built (nor are further rows loaded beneath it), and
 * `limitResponseSize` answers with that one error instead of the partial data. Call once on the built schema.
 */
export function countResponseBytes(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (type.name === "Subscription") continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const leaf = isLeafType(getNamedType(field.type));
      field.resolve = (source, args, context, info) => {
        const budget = budgets.get(context as object);
        if (!budget) return resolve(source, args, context, info);
        if (budget.exceeded) throw budget.exceeded;
        charge(budget, (info.path.key as string).length + 4);
        const value = resolve(source, args, context, info);
        if (!leaf) return value;
        if (typeof (value as PromiseLike<unknown> | null)?.then === "function") {
          return (value as PromiseLike<unknown>).then((settled) => (charge(budget, leafBytes(settled)), settled));
        }
        charge(budget, leafBytes(value));
        return value;
      };
    }
  }
  return schema;
}

/**
 * A response whose JSON would exceed `limit` bytes is refused (RESPONSE_TOO_LARGE) instead of being built in full:
 * the fields count their bytes as they resolve (countResponseBytes) and stop at the limit, so the result tree a
 * request holds is bounded by about the limit. Queries and mutations; one subscription event is small.
 */
function limitResponseSize(limit: number): Plugin {
  return {
    onExecute({ args }) {
      const budget: ResponseBudget = { bytes: 0, limit, exceeded: undefined };
      budgets.set(args.contextValue as object, budget);
      return {
        onExecuteDone({ result, setResult }) {
          budgets.delete(args.contextValue as object);
          if (budget.exceeded && !(Symbol.asyncIterator in (result as object))) setResult({ errors: [budget.exceeded] });
        },
      };
    },
  };
}

/** The parameters of one GraphQL operation, as sent over HTTP or graphql-ws. */
interface OperationParams {
  query?: string | null;
  extensions?: Record<string, unknown> | null;
}

/** The sha256 (hex) of a document: its key in a persisted-operations manifest. */
export function documentHash(document: string): string {
  return createHash("sha256").update(document).digest("hex");
}

/**
 * Persisted-operations mode: the operation must be one of the manifest's, named by its hash
 * (`extensions.persistedQuery: { version: 1, sha256Hash }`, as Apollo clients send) or sent as its exact text
 * (so the SDK works unchanged when the manifest is its own). Returns the params with the manifest's document.
 */
export function resolvePersistedOperation<P extends OperationParams>(manifest: ReadonlyMap<string, string>, params: P): P {
  const persisted = params.extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (persisted && typeof persisted.sha256Hash === "string") {
    const document = manifest.get(persisted.sha256Hash);
    if (document === undefined) {
      throw refusal(LimitCode.persistedNotFound, `No persisted operation has the hash ${persisted.sha256Hash}.`, 400);
    }
    return { ...params, query: document };
  }
  if (params.query && manifest.has(documentHash(params.query))) return params;
  throw refusal(
    LimitCode.persistedOnly,
    "This server only runs persisted operations: send extensions.persistedQuery { version: 1, sha256Hash } of a known operation (or its exact text).",
    400,
  );
}

/**
 * Refuses a document of more than `limit` lexical tokens while parsing it, with graphql-js's own `maxTokens` (the
 * parser stops at the limit). graphql-armor's token limit does the same through a Proxy on the lexer, which costs
 * ~2 ms for the 10,000 tokens a refused document is lexed up to; this one keeps its message and code.
 */
function limitTokens(limit: number): Plugin {
  const parseWithLimit = (source: Parameters<typeof parse>[0], options?: Parameters<typeof parse>[1]) => {
    try {
      return parse(source, { ...options, maxTokens: limit });
    } catch (error) {
      // graphql-js words it "Syntax Error: Document contains more that 10000 tokens. Parsing aborted." (sic)
      if (error instanceof GraphQLError && / tokens\. Parsing aborted\.$/.test(error.message)) {
        throw refusal(LimitCode.tokens, `Token limit of ${limit} exceeded.`, 400, { limit });
      }
      throw error;
    }
  };
  return { onParse: ({ setParseFn }) => setParseFn(parseWithLimit as never) };
}

/**
 * Depth, aliases and directives are checked on their own, before the rest of validation: a document that breaks one
 * of them is refused without graphql-js's other rules walking it (they cost the most on exactly such documents).
 * The rules are graphql-armor's (same messages and counting, fragments flattened), taken from its plugins.
 */
function limitShape(config: GraphQLLimitsConfig): Plugin {
  const rules: ValidationRule[] = [];
  const armor = new EnvelopArmor({
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    maxDepth: {
      n: config.maxDepth,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reject(LimitCode.depth, config.maxDepth)],
    },
    maxAliases: { n: config.maxAliases, propagateOnRejection: false, onReject: [reject(LimitCode.aliases, config.maxAliases)] },
    maxDirectives: {
      n: config.maxDirectives,
      propagateOnRejection: false,
      onReject: [reject(LimitCode.directives, config.maxDirectives)],
    },
  });
  for (const plugin of armor.protect().plugins as Plugin[]) {
    plugin.onValidate?.({ addValidationRule: (rule: ValidationRule) => rules.push(rule) } as never);
  }
  if (rules.length !== 3) throw new Error(`graphql-armor's depth, alias and directive rules were not found (got ${rules.length})`);
  return {
    onValidate({ params, setResult }) {
      const errors = validate(params.schema, params.documentAST, rules);
      if (errors.length > 0) setResult(errors);
    },
  };
}

/** Yoga (and envelop) plugins enforcing the limits of `config`, in the order they must run. */
export function graphqlLimitPlugins(config: GraphQLLimitsConfig): Plugin[] {
  const plugins: Plugin[] = [
    preventCsrf(),
    limitRequestBody(config.maxBodyBytes),
    limitTokens(config.maxTokens),
    limitSelections(config.maxSelections),
    // Field suggestions off ("Did you mean …?" would list the schema to a client without introspection).
    EnvelopArmorPlugin({
      blockFieldSuggestion: { enabled: true },
      maxTokens: { enabled: false },
      maxDepth: { enabled: false },
      maxAliases: { enabled: false },
      maxDirectives: { enabled: false },
      // The cost needs the variables: checked before execution (limitCost).
      costLimit: { enabled: false },
    }) as Plugin,
    limitShape(config),
    limitCost(config),
    limitResponseSize(config.maxResponseBytes),
  ];
  if (!config.introspection) plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(noIntrospection) });
  const manifest = config.persistedOperations;
  if (manifest) plugins.push({ onParams: ({ params, setParams }) => setParams(resolvePersistedOperation(manifest, params)) });
  return plugins;
}
