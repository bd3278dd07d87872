// Abuse limits of the GraphQL endpoint: what a request may ask for before it is refused, without being run.
// Every refusal is a GraphQLError whose `extensions.code` names the rule and whose message gives the limit.
// The same plugins run for HTTP/SSE (Yoga) and for graphql-ws (app.ts hands WebSocket operations to
// `yoga.getEnveloped`), except the HTTP-only ones (request body, CSRF), which only see Yoga's requests.
import { createHash } from "node:crypto";
import { EnvelopArmor, EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import {
  GraphQLError,
  Kind,
  TypeInfo,
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
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { GraphQLLimitsConfig } from "../config.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./builder.ts";

/** `extensions.code` of each refusal. */
export const LimitCode = {
  depth: "MAX_DEPTH_EXCEEDED",
  cost: "MAX_COST_EXCEEDED",
  aliases: "MAX_ALIASES_EXCEEDED",
  directives: "MAX_DIRECTIVES_EXCEEDED",
  tokens: "MAX_TOKENS_EXCEEDED",
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
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get("content-length");
      if (contentLength !== null) {
        if (!/^\d+$/.test(contentLength)) throw refusal("BAD_REQUEST", "Content-Length header is invalid.", 400);
        if (Number(contentLength) > limit) throw tooLarge();
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
 * The cost limit, with the page sizes the server will really use. graphql-armor multiplies a list's cost by its
 * `first`/`last` only when that is a literal, so `first: $n` would count as 1 and a connection without either as 1,
 * while the server returns up to 500 and 50 rows. Before execution (when the variables are known) this rewrites
 * each connection's page size to what Pothos will use — the variable's value, or the default — capped at the
 * maximum, and runs armor's cost rule on that. Documents whose page sizes do not depend on variables are
 * checked once (Yoga hands the same parsed document back for the same text).
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
  const checked = new WeakMap<DocumentNode, readonly GraphQLError[]>();

  const refusals = (args: ExecutionArgs): readonly GraphQLError[] => {
    const cached = checked.get(args.document);
    if (cached) return cached;
    const { document, dependsOnVariables } = withPageSizes(args.schema, args.document, args.variableValues ?? {});
    const errors = validate(args.schema, document, [rule]);
    if (!dependsOnVariables) checked.set(args.document, errors);
    return errors;
  };
  const stop = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: never) => void }) => {
    const errors = refusals(args);
    if (errors.length > 0) setResultAndStopExecution({ errors } as never);
  };
  return { onExecute: stop, onSubscribe: stop };
}

/** The page size Pothos will use for a `first`/`last` value (absent: the default; capped at the maximum). */
function effectivePageSize(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(Math.max(value, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/** `document` with every connection's page size as a literal: what the cost of the real execution depends on. */
function withPageSizes(schema: GraphQLSchema, original: DocumentNode, variables: Record<string, unknown>): { document: DocumentNode; dependsOnVariables: boolean } {
  let dependsOnVariables = false;
  const typeInfo = new TypeInfo(schema);
  const literal = (size: number) => ({ kind: Kind.INT, value: String(size) }) as const;
  const document = visit(
    original,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode) {
        const definition = typeInfo.getFieldDef();
        if (!definition?.args.some((arg) => arg.name === "first")) return undefined;
        const args = node.arguments ?? [];
        const sized = args.find((arg) => arg.name.value === "first" || arg.name.value === "last");
        let size: number;
        if (!sized) size = DEFAULT_PAGE_SIZE;
        else if (sized.value.kind === Kind.VARIABLE) {
          dependsOnVariables = true;
          size = effectivePageSize(variables[sized.value.name.value]);
        } else if (sized.value.kind === Kind.INT) size = effectivePageSize(Number(sized.value.value));
        else return undefined;
        // armor reads the first `first`/`last` argument it finds: put the real size first.
        const rest = args.filter((arg) => arg !== sized);
        const first: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: "first" }, value: literal(size) };
        return { ...node, arguments: [first, ...rest] };
      },
    }),
  );
  return { document, dependsOnVariables };
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

/** Yoga (and envelop) plugins enforcing the limits of `config`, in the order they must run. */
export function graphqlLimitPlugins(config: GraphQLLimitsConfig): Plugin[] {
  const plugins: Plugin[] = [
    preventCsrf(),
    limitRequestBody(config.maxBodyBytes),
    EnvelopArmorPlugin({
      blockFieldSuggestion: { enabled: true },
      maxTokens: { n: config.maxTokens, propagateOnRejection: false, onReject: [reject(LimitCode.tokens, config.maxTokens)] },
      maxDepth: {
        n: config.maxDepth,
        flattenFragments: true,
        propagateOnRejection: false,
        onReject: [reject(LimitCode.depth, config.maxDepth)],
      },
      // The cost needs the variables: checked before execution (limitCost).
      costLimit: { enabled: false },
      maxAliases: { n: config.maxAliases, propagateOnRejection: false, onReject: [reject(LimitCode.aliases, config.maxAliases)] },
      maxDirectives: {
        n: config.maxDirectives,
        propagateOnRejection: false,
        onReject: [reject(LimitCode.directives, config.maxDirectives)],
      },
    }) as Plugin,
    limitCost(config),
  ];
  if (!config.introspection) plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(noIntrospection) });
  const manifest = config.persistedOperations;
  if (manifest) plugins.push({ onParams: ({ params, setParams }) => setParams(resolvePersistedOperation(manifest, params)) });
  return plugins;
}
