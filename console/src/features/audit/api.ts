// Who may read the audit log, and the log itself. Instance admins read every entry; a project ADMIN reads the
// entries of the projects they administer (the API requires the project filter then); anyone else none.
import { useQuery } from "@tanstack/react-query";
import { graphql } from "../../graphql";
import type { AuditLogFilter } from "../../graphql/graphql";
import { request } from "../../lib/client";

const AuditAccessQuery = graphql(`
  query ConsoleAuditAccess {
    viewer {
      id
      name
      isAdmin
    }
    projects(first: 200, orderBy: { field: NAME }) {
      nodes {
        id
        name
        viewerRole
      }
    }
  }
`);

export interface AuditAccess {
  isInstanceAdmin: boolean;
  /** Projects whose entries the viewer may read (all of them for an instance admin). */
  projects: { id: string; name: string }[];
  /** Whether the viewer may read any of the audit log. */
  allowed: boolean;
}

/** The viewer's audit access (one cached request, shared by the nav link and the page). */
export function useAuditAccess() {
  return useQuery({
    queryKey: ["audit-access"],
    staleTime: 60_000,
    queryFn: async (): Promise<AuditAccess> => {
      const data = await request(AuditAccessQuery);
      const isInstanceAdmin = data.viewer.isAdmin;
      const projects = data.projects.nodes.filter((p) => isInstanceAdmin || p.viewerRole === "ADMIN").map(({ id, name }) => ({ id, name }));
      return { isInstanceAdmin, projects, allowed: isInstanceAdmin || projects.length > 0 };
    },
  });
}

export const AUDIT_PAGE_SIZE = 25;

const AuditLogQuery = graphql(`
  query ConsoleAuditLog($filter: AuditLogFilter, $first: Int, $after: String, $last: Int, $before: String) {
    auditLog(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          action
          at
          actor {
            id
            name
            displayName
          }
          targetType
          targetId
          projectId
          requestId
          before
          after
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

/** A page of entries: after `after` (forward, the default) or before `before` (backward). */
export function fetchAuditLog(filter: AuditLogFilter, page: { after?: string; before?: string }) {
  return request(
    AuditLogQuery,
    page.before ? { filter, last: AUDIT_PAGE_SIZE, before: page.before } : { filter, first: AUDIT_PAGE_SIZE, after: page.after ?? null },
  );
}
