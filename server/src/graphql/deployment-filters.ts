// Filter → Prisma `where` pieces about deployments, kept apart from the feature files so that other filters
// (ModelVersionFilter in versions.ts) can use them without an import cycle.
import { decodeGlobalId } from "../domain/ids.ts";
import type { DeploymentStatus } from "../domain/deployments.ts";

/** ModelVersionFilter.environment: versions DEPLOYED (live) in that environment now. */
export function deployedInEnvironmentWhere(environment: string | null | undefined) {
  return environment == null ? {} : { deployments: { some: { environment, status: "DEPLOYED" as const } } };
}

/** The database id of a global id of `typename`, or an id that matches nothing (a filter on a foreign id is empty). */
function filterId(typename: string, globalId: string): string {
  const decoded = decodeGlobalId(globalId);
  return decoded?.typename === typename ? decoded.id : "00000000-0000-0000-0000-000000000000";
}

export interface DeploymentFilterArgs {
  environment?: string | null;
  status?: DeploymentStatus | null;
  modelVersionId?: string | null;
}

export function deploymentWhere(filter: DeploymentFilterArgs | null | undefined) {
  return {
    ...(filter?.environment != null ? { environment: filter.environment } : {}),
    ...(filter?.status != null ? { status: filter.status } : {}),
    ...(filter?.modelVersionId != null ? { modelVersionId: filterId("ModelVersion", filter.modelVersionId) } : {}),
  };
}

export interface ModelLogFilterArgs {
  success?: boolean | null;
  modelVersionId?: string | null;
}

export function modelLogWhere(filter: ModelLogFilterArgs | null | undefined) {
  return {
    ...(filter?.success != null ? { success: filter.success } : {}),
    ...(filter?.modelVersionId != null ? { modelVersionId: filterId("ModelVersion", filter.modelVersionId) } : {}),
  };
}
