import type { SessionRegistry } from "./access/sessions.ts";
import type { Viewer } from "./access/viewer.ts";
import type { Config } from "./config.ts";
import type { Prisma } from "./db/database.ts";
import type { ArtifactContext } from "./services/resources.ts";
import type { EventFeed } from "./events/feed.ts";
import type { ArtifactStore } from "./storage/store.ts";

/** A non-fatal notice returned in the response's `extensions.warnings` (e.g. reading a deprecated model). */
export interface Warning {
  code: string;
  message: string;
  subjectId: string;
}

/** The per-request context every resolver receives (HTTP, SSE and WebSocket alike). */
export interface RequestContext extends ArtifactContext {
  prisma: Prisma;
  /** One-statement nested reads (db/sql-reads.ts), absent when DATABASE_SQL_READS is off. */
  read: ((sql: string, params: unknown[]) => Promise<string[]>) | undefined;
  viewer: Viewer;
  store: ArtifactStore;
  config: Config;
  requestId: string;
  /** Scheme, host and port the client used to reach this server, for absolute URLs. */
  origin: string;
  warnings: Map<string, Warning>;
  /** This process's reader of the event log, which subscriptions follow. */
  feed: EventFeed;
  /** Open subscriptions by token, ended when their token stops working (access/sessions.ts). */
  sessions: SessionRegistry;
}
