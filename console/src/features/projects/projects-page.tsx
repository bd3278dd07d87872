// Projects you can see, with a search by name.
import { useQuery } from "@tanstack/react-query";
import { Link, useSearch, useLocation } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatTime } from "../../components/ui/format";
import { Empty, QueryState } from "../../components/ui/states";
import { graphql } from "../../graphql";
import { request } from "../../lib/client";

const ProjectsQuery = graphql(`
  query ConsoleProjects($nameContains: String) {
    projects(first: 200, filter: { nameContains: $nameContains }, orderBy: { field: NAME }) {
      totalCount
      nodes {
        id
        name
        description
        updatedAt
        viewerRole
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
  const query = useQuery({ queryKey: ["projects", q], queryFn: () => request(ProjectsQuery, { nameContains: q || null }) });
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="project-search">Search by name</label>
        <input
          id="project-search"
          type="search"
          value={q}
          onChange={(e) => navigate(e.target.value ? `/?q=${encodeURIComponent(e.target.value)}` : "/", { replace: true })}
        />
      </form>
      <QueryState query={query} what="projects">
        {(data) =>
          data.projects.nodes.length === 0 ? (
            <Empty>{q ? `No project's name contains “${q}”.` : "No projects yet, or none you are a member of. An instance admin creates them (createProject)."}</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Project</th>
                    <th scope="col">Description</th>
                    <th scope="col">Models</th>
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
