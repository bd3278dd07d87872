// Projects you can see, with a search by name and by tag (both API filters: NamedObjectFilter.nameContains and .tag),
// kept in the URL.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearch, useLocation } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatTime, tagText } from "../../components/ui/format";
import { Empty, QueryState } from "../../components/ui/states";
import { graphql } from "../../graphql";
import { request } from "../../lib/client";
import { tagFilter } from "./tag-filter";

const ProjectsQuery = graphql(`
  query ConsoleProjects($filter: NamedObjectFilter) {
    projects(first: 200, filter: $filter, orderBy: { field: NAME }) {
      totalCount
      nodes {
        id
        name
        description
        updatedAt
        viewerRole
        tags {
          key
          value
        }
        models(first: 1) {
          totalCount
        }
      }
    }
  }
`);

export function ProjectsPage() {
  useCrumbs([{ label: "Projects", href: "/" }]);
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const q = search.get("q") ?? "";
  const tag = search.get("tag") ?? "";
  const query = useQuery({
    queryKey: ["projects", q, tag],
    queryFn: () => request(ProjectsQuery, { filter: { nameContains: q || null, tag: tagFilter(tag) } }),
    placeholderData: keepPreviousData,
  });
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(text ? `/?${text}` : "/", { replace: true });
  };
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="project-search">Search by name</label>
          <input id="project-search" type="search" value={q} onChange={(e) => setParam("q", e.target.value)} />
        </div>
        <div>
          <label htmlFor="project-tag">Tag (key=value)</label>
          <input id="project-tag" type="search" value={tag} placeholder="team=vision" onChange={(e) => setParam("tag", e.target.value)} />
        </div>
      </form>
      <QueryState query={query} what="projects">
        {(data) =>
          data.projects.nodes.length === 0 ? (
            <Empty>{q || tag ? "No project matches the search." : "No projects yet, or none you are a member of. An instance admin creates them (createProject)."}</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Project</th>
                    <th scope="col">Description</th>
                    <th scope="col">Models</th>
                    <th scope="col">Tags</th>
                    <th scope="col">Your role</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {data.projects.nodes.map((p) => (
                    <tr key={p.id}>
                      <th scope="row">
                        <Link href={`/projects/${encodeURIComponent(p.name)}`}>{p.name}</Link>
                      </th>
                      <td>{p.description || "—"}</td>
                      <td className="num">{p.models.totalCount}</td>
                      <td>
                        {tagText(p.tags).map((t) => (
                          <span className="chip" key={t}>
                            {t}
                          </span>
                        ))}
                      </td>
                      <td>{p.viewerRole ?? "—"}</td>
                      <td>{formatTime(p.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </section>
  );
}
