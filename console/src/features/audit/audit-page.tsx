// The audit log: who changed what, newest first, filtered by project, action, actor, object and time range, paged
// by cursor; each entry's before/after as a field diff. Every filter and the page are in the URL. Admins only.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useLocation, useSearch } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatTime } from "../../components/ui/format";
import { Empty, ErrorMessage, QueryState } from "../../components/ui/states";
import type { AuditLogFilter, ConsoleAuditLogQuery } from "../../graphql/graphql";
import { AUDIT_PAGE_SIZE, fetchAuditLog, useAuditAccess, type AuditAccess } from "./api";
import { jsonDiff } from "./json-diff";

type Entry = ConsoleAuditLogQuery["auditLog"]["edges"][number]["node"];

const FILTER_KEYS = ["project", "action", "actor", "target", "from", "to"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

/** A `datetime-local` value (read as UTC) as an ISO instant; null when empty or not a date. */
function utcInstant(local: string): string | null {
  if (!local) return null;
  const date = new Date(`${local.length === 16 ? `${local}:00` : local}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function AuditPage() {
  useCrumbs([{ label: "Audit log" }]);
  const access = useAuditAccess();
  return (
    <section aria-labelledby="audit-title" className="audit-page">
      <h1 id="audit-title">Audit log</h1>
      <QueryState query={access} what="your access">
        {(data) =>
          data.allowed ? (
            <AuditLog access={data} />
          ) : (
            <div className="state admins-only" role="alert">
              <h2>Admins only</h2>
              <p>
                The audit log is readable by instance admins, and by a project's ADMINs for that project. You are neither: ask an admin if you need an
                entry.
              </p>
            </div>
          )
        }
      </QueryState>
    </section>
  );
}

function AuditLog({ access }: { access: AuditAccess }) {
  const params = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const get = (key: FilterKey) => params.get(key) ?? "";
  // A project ADMIN must name a project: theirs, the first by default.
  const projectName = get("project") || (access.isInstanceAdmin ? "" : access.projects[0]!.name);
  const project = access.projects.find((p) => p.name === projectName) ?? null;
  const filter: AuditLogFilter = {
    projectId: project?.id ?? null,
    action: get("action").trim() || null,
    actorId: get("actor") || null,
    targetId: get("target") || null,
    after: utcInstant(get("from")),
    before: utcInstant(get("to")),
  };
  const page = { after: params.get("after") ?? undefined, before: params.get("before") ?? undefined };
  const unknownProject = projectName !== "" && project === null;
  const query = useQuery({
    queryKey: ["audit", filter, page],
    queryFn: () => fetchAuditLog(filter, page),
    placeholderData: keepPreviousData,
    enabled: !unknownProject,
  });

  /** Changes filters (and goes back to the first page), or moves to a page. */
  const go = (changes: Partial<Record<FilterKey | "after" | "before", string>>) => {
    const next = new URLSearchParams(params);
    const paging = "after" in changes || "before" in changes;
    if (!paging) {
      next.delete("after");
      next.delete("before");
    }
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    const text = next.toString();
    navigate(`${location}${text ? `?${text}` : ""}`, { replace: !paging });
  };
  const projectNames = new Map(access.projects.map((p) => [p.id, p.name]));
  const active = FILTER_KEYS.some((k) => get(k));

  return (
    <>
      <form className="filters audit-filters" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="audit-project">Project</label>
          <select id="audit-project" value={projectName} onChange={(e) => go({ project: e.target.value })}>
            {access.isInstanceAdmin ? <option value="">All projects</option> : null}
            {access.projects.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-action">Action (mutation)</label>
          <input id="audit-action" type="search" value={get("action")} placeholder="createModelVersion" onChange={(e) => go({ action: e.target.value })} />
        </div>
        <div>
          <label htmlFor="audit-from">From (UTC)</label>
          <input id="audit-from" type="datetime-local" value={get("from")} onChange={(e) => go({ from: e.target.value })} />
        </div>
        <div>
          <label htmlFor="audit-to">Before (UTC)</label>
          <input id="audit-to" type="datetime-local" value={get("to")} onChange={(e) => go({ to: e.target.value })} />
        </div>
        {get("actor") ? <FilterChip label="Actor" value={actorLabel(query.data?.auditLog.edges, get("actor"))} onClear={() => go({ actor: "" })} /> : null}
        {get("target") ? <FilterChip label="Object" value={get("target")} onClear={() => go({ target: "" })} /> : null}
        {active ? (
          <button type="button" onClick={() => navigate(location, { replace: true })}>
            Clear filters
          </button>
        ) : null}
      </form>
      {unknownProject ? (
        <ErrorMessage error={new Error(`No project named “${projectName}” whose audit log you can read.`)} />
      ) : (
        <QueryState query={query} what="the audit log">
          {(data) => {
            const edges = data.auditLog.edges;
            const info = data.auditLog.pageInfo;
            // Newest first: "newer" is backward through the connection, "older" forward.
            const hasNewer = page.before ? info.hasPreviousPage : Boolean(page.after);
            const hasOlder = page.before ? true : info.hasNextPage;
            return (
              <>
                {edges.length === 0 ? (
                  <Empty>{active ? "No entry matches these filters." : "No entries yet: every successful mutation is recorded here."}</Empty>
                ) : (
                  <ol className="audit" aria-label="Audit entries">
                    {edges.map(({ node }) => (
                      <AuditItem key={node.id} entry={node} projectName={node.projectId ? projectNames.get(node.projectId) : undefined} go={go} />
                    ))}
                  </ol>
                )}
                <nav className="pager" aria-label="Pages of the audit log">
                  <button type="button" disabled={!hasNewer} onClick={() => go(info.startCursor ? { before: info.startCursor, after: "" } : { before: "", after: "" })}>
                    ← Newer
                  </button>
                  <span className="meta">
                    {edges.length} entr{edges.length === 1 ? "y" : "ies"} shown, {AUDIT_PAGE_SIZE} a page
                  </span>
                  <button type="button" disabled={!hasOlder || !info.endCursor} onClick={() => go({ after: info.endCursor ?? "", before: "" })}>
                    Older →
                  </button>
                </nav>
              </>
            );
          }}
        </QueryState>
      )}
    </>
  );
}

function actorLabel(edges: { node: Entry }[] | undefined, actorId: string): string {
  const actor = edges?.find((e) => e.node.actor?.id === actorId)?.node.actor;
  return actor ? actor.displayName || actor.name : actorId;
}

function FilterChip({ label, value, onClear }: { label: string; value: string; onClear: () => void }) {
  return (
    <span className="chip filter-chip">
      {label}: {value}
      <button type="button" aria-label={`Clear the ${label.toLowerCase()} filter`} onClick={onClear}>
        ×
      </button>
    </span>
  );
}

function AuditItem({ entry, projectName, go }: { entry: Entry; projectName?: string; go: (changes: Partial<Record<FilterKey, string>>) => void }) {
  const diff = jsonDiff(entry.before, entry.after);
  const changed = diff?.filter((line) => line.change !== "same") ?? [];
  const actor = entry.actor ? entry.actor.displayName || entry.actor.name : "system";
  return (
    <li data-action={entry.action}>
      <div className="audit-head">
        <code className="action">{entry.action}</code>
        <span>
          {entry.targetType ?? "object"}
          {entry.targetId ? (
            <button type="button" className="link" title={entry.targetId} onClick={() => go({ target: entry.targetId! })}>
              only this {entry.targetType ?? "object"}
            </button>
          ) : null}
        </span>
        <span>
          by {actor}
          {entry.actor ? (
            <button type="button" className="link" onClick={() => go({ actor: entry.actor!.id })}>
              only {actor}
            </button>
          ) : null}
        </span>
        {projectName ? (
          <span>
            in <Link href={`/projects/${encodeURIComponent(projectName)}`}>{projectName}</Link>
          </span>
        ) : null}
        <time dateTime={entry.at}>{formatTime(entry.at)}</time>
      </div>
      <details>
        <summary>
          {diff === null ? "Before / after" : `${changed.length} field${changed.length === 1 ? "" : "s"} changed`}
          {entry.requestId ? <span className="meta"> · request {entry.requestId}</span> : null}
        </summary>
        {diff === null ? (
          <div className="raw-json">
            <pre aria-label="Before">{entry.before ?? "—"}</pre>
            <pre aria-label="After">{entry.after ?? "—"}</pre>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="json-diff">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {diff.map((line) => (
                  <tr key={line.path} className={line.change}>
                    <th scope="row">{line.path}</th>
                    <td>{line.before ?? ""}</td>
                    <td>{line.after ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </li>
  );
}
