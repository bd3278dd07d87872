// One version: stage, metrics, tags, its lineage (experiment → run → version → artifact, parent and children) and
// its stage history.
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatMetric, formatTime, tagText } from "../../components/ui/format";
import { StageBadge } from "../../components/ui/stage";
import { Empty, ErrorMessage, QueryState } from "../../components/ui/states";
import { graphql } from "../../graphql";
import { request } from "../../lib/client";
import { useLiveProject } from "../../lib/live-project";

const VersionQuery = graphql(`
  query ConsoleVersion($project: String!, $model: String!, $number: Int!) {
    project(by: { name: $project }) {
      id
      eventCursor
      model(name: $model) {
        id
        name
        version(number: $number) {
          id
          number
          stage
          description
          createdAt
          stageChangedAt
          createdBy {
            name
          }
          tags {
            key
            value
          }
          metrics {
            name
            value
          }
          iteration {
            number
            status
            params {
              key
              value
            }
            experiment {
              name
            }
          }
          resource {
            name
            sha256
            sizeBytes
            format
            downloadUrl
          }
          parentVersion {
            number
            model {
              name
            }
          }
          childVersions(first: 20) {
            nodes {
              number
              model {
                name
              }
            }
          }
          stageHistory(first: 50) {
            nodes {
              id
              at
              fromStage
              toStage
              cause
              actor {
                name
              }
            }
          }
        }
      }
    }
  }
`);

export function VersionPage() {
  const { project, model, number } = useParams<{ project: string; model: string; number: string }>();
  const projectHref = `/projects/${encodeURIComponent(project)}`;
  const modelHref = (name: string) => `${projectHref}/models/${encodeURIComponent(name)}`;
  useCrumbs([{ label: "Projects", href: "/" }, { label: project, href: projectHref }, { label: model, href: modelHref(model) }, { label: `v${number}` }]);
  const n = Number.parseInt(number, 10);
  const query = useQuery({
    queryKey: ["version", project, model, n],
    queryFn: () => request(VersionQuery, { project, model, number: n }),
    enabled: Number.isSafeInteger(n),
  });
  useLiveProject(query.data?.project?.id, query.data?.project?.eventCursor);
  if (!Number.isSafeInteger(n)) return <ErrorMessage error={new Error(`“${number}” is not a version number.`)} />;
  return (
    <QueryState query={query} what="the version">
      {(data) => {
        const v = data.project?.model?.version;
        if (!v) return <ErrorMessage error={new Error(`No version ${number} of “${model}” in “${project}” that you can see.`)} />;
        return (
          <article aria-labelledby="version-title">
            <header className="page-head">
              <h1 id="version-title">
                {model} v{v.number} <StageBadge stage={v.stage} />
              </h1>
              <p>{v.description || "No description."}</p>
              <dl className="facts">
                <div>
                  <dt>Created</dt>
                  <dd>
                    {formatTime(v.createdAt)} by {v.createdBy?.name ?? "—"}
                  </dd>
                </div>
                <div>
                  <dt>Stage since</dt>
                  <dd>{formatTime(v.stageChangedAt)}</dd>
                </div>
                <div>
                  <dt>Tags</dt>
                  <dd>{tagText(v.tags).join(", ") || "none"}</dd>
                </div>
              </dl>
            </header>
            <div className="columns">
              <section aria-labelledby="metrics-title">
                <h2 id="metrics-title">Metrics</h2>
                {v.metrics.length === 0 ? (
                  <Empty>No metrics recorded.</Empty>
                ) : (
                  <table>
                    <tbody>
                      {v.metrics.map((m) => (
                        <tr key={m.name}>
                          <th scope="row">{m.name}</th>
                          <td className="num">{formatMetric(m.value)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
                <h2 id="lineage-title">Lineage</h2>
                <ol className="lineage" aria-labelledby="lineage-title">
                  <li>
                    <span className="kind">Experiment</span> {v.iteration ? v.iteration.experiment.name : "—"}
                  </li>
                  <li>
                    <span className="kind">Run</span>{" "}
                    {v.iteration ? (
                      <>
                        #{v.iteration.number} ({v.iteration.status.toLowerCase()}){" "}
                        {v.iteration.params.map((p) => (
                          <span className="chip" key={p.key}>
                            {p.key}={p.value}
                          </span>
                        ))}
                      </>
                    ) : (
                      "—"
                    )}
                  </li>
                  <li>
                    <span className="kind">Parent</span>{" "}
                    {v.parentVersion ? <Link href={`${modelHref(v.parentVersion.model.name)}/versions/${v.parentVersion.number}`}>{`${v.parentVersion.model.name} v${v.parentVersion.number}`}</Link> : "—"}
                  </li>
                  <li>
                    <span className="kind">Artifact</span>{" "}
                    {v.resource ? (
                      <>
                        {v.resource.name} ({v.resource.format}, {v.resource.sizeBytes} bytes) <code title="sha256">{v.resource.sha256}</code>
                      </>
                    ) : (
                      "—"
                    )}
                  </li>
                  <li>
                    <span className="kind">Children</span>{" "}
                    {v.childVersions.nodes.length
                      ? v.childVersions.nodes.map((c) => (
                          <Link key={`${c.model.name}-${c.number}`} href={`${modelHref(c.model.name)}/versions/${c.number}`} className="chip">
                            {`${c.model.name} v${c.number}`}
                          </Link>
                        ))
                      : "—"}
                  </li>
                </ol>
              </section>
              <aside>
                <section aria-labelledby="history-title">
                  <h2 id="history-title">Stage history</h2>
                  {v.stageHistory.nodes.length === 0 ? (
                    <Empty>Never moved.</Empty>
                  ) : (
                    <ol className="feed">
                      {v.stageHistory.nodes.map((h) => (
                        <li key={h.id}>
                          <time dateTime={h.at}>{formatTime(h.at)}</time> <StageBadge stage={h.fromStage} /> → <StageBadge stage={h.toStage} />{" "}
                          <span className="meta">by {h.actor?.name ?? "the system"}</span>
                        </li>
                      ))}
                    </ol>
                  )}
                </section>
              </aside>
            </div>
          </article>
        );
      }}
    </QueryState>
  );
}
