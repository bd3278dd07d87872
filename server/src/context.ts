import type { Viewer } from "./access/viewer.ts";
import type { Config } from "./config.ts";
import type { Prisma } from "./db/database.ts";
import type { ServiceContext } from "./services/context.ts";

/** A non-fatal notice returned in the response's `extensions.warnings` (e.g. reading a deprecated model). */
export interface Warning {
  code: string;
  message: string;
  subjectId: string;
}

/** The per-request context every resolver receives (HTTP, SSE and WebSocket alike). */
export interface RequestContext extends ServiceContext {
  prisma: Prisma;
  viewer: Viewer;
  config: Config;
  requestId: string;
  warnings: Map<string, Warning>;
}
