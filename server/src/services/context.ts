import type { Viewer } from "../access/viewer.ts";
import type { Prisma } from "../db/database.ts";

/** What every service function needs: the database and who is acting. */
export interface ServiceContext {
  prisma: Prisma;
  viewer: Viewer;
  /** Correlates log lines and audit entries of one request. */
  requestId?: string;
}
