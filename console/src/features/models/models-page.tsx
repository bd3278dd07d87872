// A project's models: production version, version count, last change; search by name and tag. Live.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useLocation, useParams, useSearch } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatTime, tagText } from "../../components/ui/format";
import { Empty, ErrorMessage, QueryState } from "../../components/ui/states";
import { graphql } from "../../graphql";
import { request } from "../../lib/client";
import { useLiveProject } from "../../lib/live-project";

const ProjectModelsQuery = graphql(`
  query ConsoleProjectModels($project: String!, $filter: NamedObjectFilter) {
    project(by: { name: $project }) {
      id
      name
      description
      eventCursor
      models(first: 200, filter: $filter, orderBy: { field: UPDATED_AT, direction: DESC }) {
        totalCount
        nodes {
          id
          name
          description
          updatedAt
          requireApprovalFor
          tags {
            key
            value
          }
          productionVersion {
            number
          }
          latestVersion {
            number
            createdAt
          }
          versions(first: 1) {
            totalCount
          }
        }
      }
    }
  }
`);

/** `key=value` (or a bare key, value empty) into the API's tag filter. */
function tagFilter(text: string): { key: string; value: string } | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const at = trimmed.indexOf("=");
  return at < 0 ? { key: trimmed, value: "" } : { key: trimmed.slice(0, at).trim(), value: trimmed.slice(at + 1).trim() };
}

export function ModelsPage() {
  const { project } = useParams<{ project: string }>();
  const params = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const q = params.get("q") ?? "";
  const tag = params.get("tag") ?? "";
  useCrumbs([{ label: "Projects", href: "/" }, { label: project }]);
  const filter = { nameContains: q || null, tag: tagFilter(tag) };
  const query = useQuery({
    queryKey: ["project-models", project, q, tag],
    queryFn: () => request(ProjectModelsQuery, { project, filter }),
    placeholderData: keepPreviousData,
  });
  useLiveProject(query.data?.project?.id, query.data?.project?.eventCursor);
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(`${location}${text ? `?${text}` : ""}`, { replace: true });
  };

  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">{project}</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="model-search">Name contains</label>
          <input id="model-search" type="search" value={q} onChange={(e) => setParam("q", e.target.value)} />
        </div>
        <div>
          <label htmlFor="model-tag">Tag (key=value)</label>
          <input id="model-tag" type="search" value={tag} placeholder="team=vision" onChange={(e) => setParam("tag", e.target.value)} />
        </div>
      </form>
      <QueryState query={query} what="models">
        {(data) => {
          if (!data.project) return <ErrorMessage error={new Error(`No project named “${project}” that you can see.`)} />;
          const models = data.project.models.nodes;
          if (models.length === 0) return <Empty>{q || tag ? "No model matches the search." : "No models in this project yet."}</Empty>;
          return (
            <div className="table-wrap">
              <table>
                <caption>
                  {data.project.models.totalCount} model{data.project.models.totalCount === 1 ? "" : "s"}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Production</th>
                    <th scope="col">Versions</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Tags</th>
                    <th scope="col">Last change</th>
                  </tr>
                </thead>
                <tbody>
                  {models.map((m) => (
                    <tr key={m.id}>
                      <th scope="row">
                        <Link href={`/projects/${encodeURIComponent(project)}/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                        {m.requireApprovalFor.length ? <span className="chip" title="Stages that need an approved request">gated: {m.requireApprovalFor.join(", ")}</span> : null}
                      </th>
                      <td>{m.productionVersion ? `v${m.productionVersion.number}` : "—"}</td>
                      <td className="num">{m.versions.totalCount}</td>
                      <td>{m.latestVersion ? `v${m.latestVersion.number}` : "—"}</td>
                      <td>
                        {tagText(m.tags).map((t) => (
                          <span className="chip" key={t}>
                            {t}
                          </span>
                        ))}
                      </td>
                      <td>{formatTime(m.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </QueryState>
    </section>
  );
}
