// The metrics of a modelgraph process (README "Operations" lists them). Request metrics are recorded as
// requests are served; the state of the pool, the event feed and the webhook queue is read at scrape time.
import type { Database } from "../db/database.ts";
import type { EventFeed } from "../events/feed.ts";
import type { WebhookWorker } from "../events/webhooks.ts";
import type { TokenCache } from "../access/token-cache.ts";
import { readWithTimeout, Registry } from "./metrics.ts";

/** Seconds: 5 ms … 30 s, for request durations. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: 1 ms … 60 s, for the time from an event's transaction to its delivery to this process's feed. */
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];

export type Instruments = ReturnType<typeof createInstruments>;

export function createInstruments() {
  const registry = new Registry();
  return {
    registry,
    graphqlRequests: registry.counter(
      "modelgraph_graphql_requests_total",
      "GraphQL operations served, by operation name and type and result (ok, or error: top-level errors or HTTP status >= 400).",
      ["operation_name", "operation_type", "result"],
    ),
    graphqlDuration: registry.histogram(
      "modelgraph_graphql_request_duration_seconds",
      "Time to serve a GraphQL query or mutation (HTTP: request to response; WebSocket: execution).",
      ["operation_name", "operation_type"],
      DURATION_BUCKETS,
    ),
    httpRequests: registry.counter("modelgraph_http_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"]),
    httpDuration: registry.histogram(
      "modelgraph_http_request_duration_seconds",
      "Time until the response finished, by route (artifact transfers included; SSE streams excluded).",
      ["route", "method"],
      DURATION_BUCKETS,
    ),
    unavailable: registry.counter(
      "modelgraph_database_unavailable_errors_total",
      "Requests refused with 503 SERVICE_UNAVAILABLE because the database could not be reached.",
      ["route"],
    ),
    subscriptionExecutions: registry.counter(
      "modelgraph_subscription_executions_total",
      "Executions of a WebSocket subscription's selection for one event; subscribers sharing an execution count once.",
    ),
    subscriptions: registry.gauge("modelgraph_subscriptions_active", "Live subscriptions on this process, by transport (ws, sse).", ["transport"]),
    eventDeliveryLag: registry.histogram(
      "modelgraph_event_delivery_lag_seconds",
      "Time from an event's transaction to its delivery to this process's event feed (cross-replica latency).",
      [],
      LAG_BUCKETS,
    ),
  };
}

/** Gauges and totals read from the running parts at each scrape. */
export function observeRuntime(
  instruments: Instruments,
  parts: { db: Database; feed: EventFeed; webhooks: WebhookWorker; draining: () => boolean; info: Record<string, string> },
): void {
  const { registry } = instruments;
  const { db, feed, webhooks } = parts;
  registry.gauge("modelgraph_info", "Constant 1, labelled with how this process is configured.", Object.keys(parts.info)).set(parts.info, 1);
  // process_start_time_seconds and process_resident_memory_bytes come from prom-client's default collectors; this
  // one predates them (their name for it is nodejs_heap_size_used_bytes) and stays for existing dashboards.
  registry.gaugeReading("nodejs_heap_used_bytes", "V8 heap in use, in bytes.", [], () => [{ value: process.memoryUsage().heapUsed }]);
  registry.gaugeReading("modelgraph_shutting_down", "1 once the process received SIGTERM/SIGINT and drains its requests.", [], () => [
    { value: parts.draining() ? 1 : 0 },
  ]);

  registry.gaugeReading("modelgraph_db_pool_max", "Connections the database pool may open (PGlite: 1, in-process).", [], () => [{ value: db.pool().max }]);
  registry.gaugeReading(
    "modelgraph_db_pool_connections",
    "Database connections by state: total (open), idle, waiting (callers queued for one). PGlite: total only.",
    ["state"],
    () => {
      const pool = db.pool();
      const readings = [{ labels: { state: "total" }, value: pool.total }];
      if (pool.idle !== undefined) readings.push({ labels: { state: "idle" }, value: pool.idle });
      if (pool.waiting !== undefined) readings.push({ labels: { state: "waiting" }, value: pool.waiting });
      return readings;
    },
  );
  registry.counterReading("modelgraph_db_statements_total", "SQL statements sent to the database.", [], () => [{ value: db.stats.statements }]);

  registry.gaugeReading("modelgraph_event_feed_seq", "Seq of the last event this process's feed delivered.", [], () => [{ value: Number(feed.seq) }]);
  registry.gaugeReading("modelgraph_event_bus_announced_seq", "Highest seq announced on the event bus; minus the feed's seq, the events not yet delivered here.", [], () => [
    { value: Number(feed.announced) },
  ]);
  registry.gaugeReading("modelgraph_event_feed_lag_seconds", "Delivery lag of the newest event the feed delivered.", [], () => [{ value: feed.lastLagMs / 1000 }]);
  registry.counterReading("modelgraph_events_delivered_total", "Events this process's feed handed to its subscriptions (none are read while it has none).", [], () => [
    { value: feed.delivered },
  ]);

  registry.gaugeReading(
    "modelgraph_webhook_deliveries_pending",
    "Webhook deliveries waiting to be sent or retried (whole deployment).",
    [],
    readWithTimeout(async () => {
      const rows = await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "WebhookDelivery" WHERE "status" = 'PENDING'`;
      return Number(rows[0]?.n ?? 0);
    }),
  );
  registry.gaugeReading("modelgraph_webhook_deliveries_in_flight", "Webhook requests this process is sending now.", [], () => [{ value: webhooks.sending }]);
  registry.counterReading("modelgraph_webhook_attempts_total", "Webhook delivery attempts made by this process, by result (succeeded, failed).", ["result"], () => [
    { labels: { result: "succeeded" }, value: webhooks.stats.succeeded },
    { labels: { result: "failed" }, value: webhooks.stats.failed },
  ]);
}

/** Lookups in the cache of authenticated tokens (access/token-cache.ts), by result. */
export function observeTokenCache(instruments: Instruments, cache: TokenCache): void {
  instruments.registry.counterReading(
    "modelgraph_auth_cache_lookups_total",
    "Bearer tokens looked up in this process's cache of authenticated tokens, by result (hit: no database read; miss: read).",
    ["result"],
    () => [
      { labels: { result: "hit" }, value: cache.stats.hits },
      { labels: { result: "miss" }, value: cache.stats.misses },
    ],
  );
}
