// A Yoga plugin that times and logs GraphQL operations and counts live subscriptions.
//   - HTTP (POST/GET, SSE): one log line and one metric sample per request, when the response is ready, with the
//     HTTP status; requests refused before execution (401, 503, invalid documents) are counted too.
//   - WebSocket: one per executed query or mutation, and one per subscription started.
// Nothing secret is logged: no variables, no headers, no tokens; only names, types, statuses and error codes.
import { getOperationAST, type DocumentNode, type GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import type { Logger } from "../log.ts";
import type { Instruments } from "./instruments.ts";

/** What is learnt about one HTTP request on its way through Yoga. */
interface Trace {
  start: number;
  requestId: string;
  operationName?: string;
  operationType?: string;
  errorCodes: Set<string>;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
/** The first operation of a document, when it is written first: `query Name`, `mutation Name`, `{` (a query). */
const LEADING_OPERATION = /^\s*(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/;

/** A bounded, safe label for an operation name (client-chosen text). */
function operationLabel(name: string | null | undefined): string {
  if (!name) return "anonymous";
  return NAME.test(name) ? name : "invalid";
}

/** The code a client sees for this error (unmasked errors are classified as the masking will present them). */
export function errorCode(error: GraphQLError): string {
  const code = error.extensions?.code;
  if (typeof code === "string") return code;
  if (isDatabaseUnavailable(error)) return "SERVICE_UNAVAILABLE";
  if (!error.originalError || error.originalError.name === "GraphQLError") return "GRAPHQL_ERROR";
  return "INTERNAL_SERVER_ERROR";
}

function describe(document: DocumentNode, operationName: string | null | undefined): { name: string; type: string } {
  const operation = getOperationAST(document, operationName);
  return { name: operationLabel(operation?.name?.value ?? operationName), type: operation?.operation ?? "unknown" };
}

export function useObservability(instruments: Instruments, log: Logger): Plugin<{ request: Request }, { requestId?: string }> {
  const traces = new WeakMap<Request, Trace>();

  const record = (name: string, type: string, ok: boolean, durationSeconds: number | undefined) => {
    instruments.graphqlRequests.inc({ operation_name: name, operation_type: type, result: ok ? "ok" : "error" });
    if (durationSeconds !== undefined) instruments.graphqlDuration.observe({ operation_name: name, operation_type: type }, durationSeconds);
  };

  return {
    onRequest({ request, serverContext }) {
      if (new URL(request.url).pathname !== "/graphql") return;
      traces.set(request, { start: performance.now(), requestId: serverContext?.requestId ?? "", errorCodes: new Set() });
    },
    onParams({ params, request }) {
      // A first guess, for requests refused before their document is parsed (401, 503); execution corrects it.
      const trace = traces.get(request);
      if (!trace) return;
      const head = typeof params.query === "string" ? LEADING_OPERATION.exec(params.query) : null;
      trace.operationName = operationLabel(params.operationName ?? head?.[2]);
      if (head) trace.operationType = head[1];
    },
    onExecute({ args }) {
      const op = describe(args.document, args.operationName);
      const trace = traces.get(args.contextValue.request);
      const start = performance.now();
      if (trace) {
        trace.operationName = op.name;
        trace.operationType = op.type;
      }
      return {
        onExecuteDone({ result }) {
          if (trace || Symbol.asyncIterator in result) return; // HTTP: see onResultProcess and onResponse
          const codes = (result.errors ?? []).map(errorCode);
          // WebSocket: no HTTP response; this is the operation's end.
          const durationMs = performance.now() - start;
          record(op.name, op.type, codes.length === 0, durationMs / 1000);
          log.info("graphql request", {
            transport: "ws",
            operationName: op.name,
            operationType: op.type,
            durationMs: Math.round(durationMs * 10) / 10,
            result: codes.length === 0 ? "ok" : "error",
            ...(codes.length ? { errors: [...new Set(codes)] } : {}),
          });
        },
      };
    },
    onSubscribe({ args }) {
      const op = describe(args.document, args.operationName);
      const trace = traces.get(args.contextValue.request);
      if (trace) {
        trace.operationName = op.name;
        trace.operationType = op.type;
      }
      // WebSocket subscriptions are counted and logged per subscriber where graphql-ws hands each one its stream
      // (recordWebSocketSubscription): identical ones share one execution, hence one call of this hook.
      if (!trace) return;
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) return;
          instruments.subscriptions.inc({ transport: "sse" });
          return { onEnd: () => instruments.subscriptions.dec({ transport: "sse" }) };
        },
      };
    },
    onResultProcess({ request, result }) {
      // The final (masked) result of an HTTP request, including refusals before execution (401, 503).
      const trace = traces.get(request);
      if (!trace) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        if (Symbol.asyncIterator in single) continue;
        for (const error of single.errors ?? []) trace.errorCodes.add(errorCode(error as GraphQLError));
      }
    },
    onResponse({ request, response }) {
      const trace = traces.get(request);
      if (!trace) return;
      traces.delete(request);
      const durationMs = performance.now() - trace.start;
      const name = trace.operationName ?? "anonymous";
      const type = trace.operationType ?? "unknown";
      const ok = response.status < 400 && trace.errorCodes.size === 0;
      // An SSE subscription's response is its stream: its duration is the subscription's lifetime, not a latency.
      record(name, type, ok, type === "subscription" ? undefined : durationMs / 1000);
      log.info("graphql request", {
        requestId: trace.requestId,
        transport: "http",
        method: request.method,
        operationName: name,
        operationType: type,
        status: response.status,
        durationMs: Math.round(durationMs * 10) / 10,
        result: ok ? "ok" : "error",
        ...(trace.errorCodes.size ? { errors: [...trace.errorCodes] } : {}),
      });
    },
  };
}

/** Counts and logs one WebSocket subscriber's subscription (`result`: its stream, or the errors that refused it). */
export function recordWebSocketSubscription(instruments: Instruments, log: Logger, args: { document: DocumentNode; operationName?: string | null }, result: unknown): void {
  const op = describe(args.document, args.operationName);
  const refused = !result || typeof result !== "object" || !(Symbol.asyncIterator in result);
  const codes = refused ? ((result as { errors?: readonly GraphQLError[] } | null)?.errors ?? []).map(errorCode) : [];
  instruments.graphqlRequests.inc({ operation_name: op.name, operation_type: op.type, result: refused ? "error" : "ok" });
  log.info("graphql request", {
    transport: "ws",
    operationName: op.name,
    operationType: op.type,
    result: refused ? "error" : "ok",
    ...(codes.length ? { errors: [...new Set(codes)] } : {}),
  });
}
