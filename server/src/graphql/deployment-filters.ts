// Filter → Prisma `where` of the deployment and model-log connections (ModelVersionFilter.environment lives with
// the other version conditions in access/version-filter.ts).
import { decodeGlobalId } from "../domain/ids.ts";
import type { DeploymentStatus } from "../domain/deployments.ts";

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
