// A project's models: production version, aliases as chips, version count, last change, live environments; search
// by name and by tag (both API filters: NamedObjectFilter.nameContains and .tag). Live.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useLocation, useParams, useSearch } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatTime, tagText } from "../../components/ui/format";
import { Empty, ErrorMessage, QueryState } from "../../components/ui/states";
import { graphql } from "../../graphql";
import { request } from "../../lib/client";
import { useLiveProject } from "../../lib/live-project";
import { tagFilter } from "../projects/tag-filter";

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
          aliases {
            name
            protected
            version {
              number
            }
          }
          environments {
            name
            liveVersion {
              number
            }
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

/** The later of the model's own last change and its newest version's registration (ISO strings compare in order). */
const lastChange = (updatedAt: string, latestVersionAt: string | undefined) => (latestVersionAt && latestVersionAt > updatedAt ? latestVersionAt : updatedAt);

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
                    <th scope="col">Aliases</th>
                    <th scope="col">Versions</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Live in</th>
                    <th scope="col">Tags</th>
                    <th scope="col">Last change</th>
                  </tr>
                </thead>
                <tbody>
                  {models.map((m) => {
                    const path = `/projects/${encodeURIComponent(project)}/models/${encodeURIComponent(m.name)}`;
                    const live = m.environments.filter((e) => e.liveVersion);
                    return (
                      <tr key={m.id} data-model={m.name}>
                        <th scope="row">
                          <Link href={path}>{m.name}</Link>
                          {m.requireApprovalFor.length ? <span className="chip" title="Stages that need an approved request">gated: {m.requireApprovalFor.join(", ")}</span> : null}
                        </th>
                        <td data-testid="production">
                          {m.productionVersion ? <Link href={`${path}/versions/${m.productionVersion.number}`}>v{m.productionVersion.number}</Link> : "—"}
                        </td>
                        <td className="aliases">
                          {m.aliases.length
                            ? m.aliases.map((a) => (
                                <Link key={a.name} className="chip alias" href={`${path}/versions/${a.version.number}`} title={a.protected ? "Protected alias" : undefined}>
                                  {a.name} → v{a.version.number}
                                </Link>
                              ))
                            : "—"}
                        </td>
                        <td className="num" data-testid="version-count">{m.versions.totalCount}</td>
                        <td>{m.latestVersion ? `v${m.latestVersion.number}` : "—"}</td>
                        <td>
                          {live.length
                            ? live.map((e) => (
                                <span className="chip env" key={e.name}>
                                  {e.name}: v{e.liveVersion!.number}
                                </span>
                              ))
                            : "—"}
                        </td>
                        <td>
                          {tagText(m.tags).map((t) => (
                            <span className="chip" key={t}>
                              {t}
                            </span>
                          ))}
                        </td>
                        <td>{formatTime(lastChange(m.updatedAt, m.latestVersion?.createdAt))}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          );
        }}
      </QueryState>
    </section>
  );
}
