// The version page itself (loaded lazily by version-page.tsx). One version: stage, metrics, tags; its lineage as a
// graph (experiment → run → version → artifact, parent and children); what blocks PRODUCTION (and alias targets
// with a policy); its stage and alias history; deployments and logs. Live: the project's events refetch it.
import { useQueries, useQuery } from "@tanstack/react-query";
import { Component, lazy, Suspense, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import { useParams } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { formatMetric, formatTime, tagText } from "../../components/ui/format";
import { StageBadge } from "../../components/ui/stage";
import { Empty, ErrorMessage, Loading, QueryState } from "../../components/ui/states";
import { request } from "../../lib/client";
import { useLiveProject } from "../../lib/live-project";
import { AliasCheckQuery, VersionQuery } from "./api";
import { buildLineage, type Lineage } from "./lineage";
import { LineageList } from "./lineage-list";
import { DeploymentsTable, VersionLogs } from "./operations";
import { PromotionCheckView } from "./promotion-check";
import { Timeline } from "./timeline";

// React Flow and dagre load only when a version page draws a graph.
const LineageGraph = lazy(() => import("./lineage-graph"));

/** Below this width the lineage is a list: a graph of 240 px nodes is unreadable on a phone. */
const WIDE_ENOUGH_FOR_GRAPH = "(min-width: 720px)";

function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia(query);
      list.addEventListener("change", onChange);
      return () => list.removeEventListener("change", onChange);
    },
    () => window.matchMedia(query).matches,
  );
}

/** If the graph's code cannot load (a deploy replaced the chunk, the network dropped), the list stands in. */
class GraphBoundary extends Component<{ fallback: ReactNode; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? this.props.fallback : this.props.children;
  }
}

function LineageSection({ lineage }: { lineage: Lineage }) {
  const wide = useMediaQuery(WIDE_ENOUGH_FOR_GRAPH);
  const [asList, setAsList] = useState(false);
  const list = <LineageList lineage={lineage} labelledBy="lineage-title" />;
  return (
    <section aria-labelledby="lineage-title" className="lineage-section">
      <div className="section-head">
        <h2 id="lineage-title">Lineage</h2>
        {wide ? (
          <button type="button" aria-pressed={asList} onClick={() => setAsList(!asList)}>
            {asList ? "Show as graph" : "Show as list"}
          </button>
        ) : null}
      </div>
      {wide && !asList ? (
        <GraphBoundary fallback={list}>
          <Suspense fallback={<Loading what="the lineage graph" />}>
            <LineageGraph lineage={lineage} />
          </Suspense>
        </GraphBoundary>
      ) : (
        list
      )}
    </section>
  );
}

export default function VersionView() {
  const { project, model, number } = useParams<{ project: string; model: string; number: string }>();
  const projectHref = `/projects/${encodeURIComponent(project)}`;
  const modelHref = (name: string) => `${projectHref}/models/${encodeURIComponent(name)}`;
  useCrumbs([{ label: "Projects", href: "/" }, { label: project, href: projectHref }, { label: model, href: modelHref(model) }, { label: `v${number}` }]);
  const n = Number.parseInt(number, 10);
  const valid = Number.isSafeInteger(n) && String(n) === number && n > 0;
  const query = useQuery({
    queryKey: ["version", project, model, n],
    queryFn: () => request(VersionQuery, { project, model, number: n }),
    enabled: valid,
  });
  useLiveProject(query.data?.project?.id, query.data?.project?.eventCursor);
  const m = query.data?.project?.model;
  const v = m?.version;
  const lineage = useMemo(() => (m && v ? buildLineage(m.name, v, (name, num) => `${modelHref(name)}/versions/${num}`) : null), [m, v]);
  // Alias targets with a policy: one check each (an alias is a query argument, so not in the page's document).
  const aliasTargets = (m?.promotionPolicies ?? []).flatMap((p) => (p.alias ? [p.alias] : []));
  const aliasChecks = useQueries({
    queries: aliasTargets.map((alias) => ({
      queryKey: ["version-alias-check", v?.id, alias],
      queryFn: () => request(AliasCheckQuery, { versionId: v!.id, alias }),
      enabled: Boolean(v),
    })),
  });

  if (!valid) return <ErrorMessage error={new Error(`“${number}” is not a version number.`)} />;
  return (
    <QueryState query={query} what="the version">
      {(data) => {
        const m = data.project?.model;
        const v = m?.version;
        if (!data.project) return <ErrorMessage error={new Error(`No project “${project}” that you can see.`)} />;
        if (!m) return <ErrorMessage error={new Error(`No model “${model}” in “${project}” that you can see.`)} />;
        if (!v || !lineage) return <ErrorMessage error={new Error(`No version ${number} of “${model}” in “${project}”.`)} />;
        return (
          <article aria-labelledby="version-title" className="version-page">
            <header className="page-head">
              <h1 id="version-title">
                {m.name} v{v.number} <StageBadge stage={v.stage} />
                {v.aliases.map((a) => (
                  <span className="chip alias" key={a}>
                    @{a}
                  </span>
                ))}
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
            <LineageSection lineage={lineage} />
            <div className="columns">
              <div>
                <section aria-labelledby="check-title" className="promotion">
                  <h2 id="check-title">What blocks PRODUCTION</h2>
                  <PromotionCheckView check={v.production} number={v.number} id="check-production" />
                  {aliasTargets.map((alias, i) => {
                    const check = aliasChecks[i];
                    return (
                      <div key={alias}>
                        <h3>Alias “{alias}”</h3>
                        {check?.isPending ? <Loading what={`the check of “${alias}”`} /> : null}
                        {check?.error ? <ErrorMessage error={check.error} retry={() => void check.refetch()} /> : null}
                        {check?.data?.node && "promotionCheck" in check.data.node ? (
                          <PromotionCheckView check={check.data.node.promotionCheck} number={v.number} id={`check-alias-${i}`} />
                        ) : null}
                      </div>
                    );
                  })}
                </section>
                <section aria-labelledby="metrics-title">
                  <h2 id="metrics-title">Metrics</h2>
                  {v.metrics.length === 0 ? (
                    <Empty>No metrics recorded.</Empty>
                  ) : (
                    <div className="table-wrap">
                      <table className="metrics">
                        <tbody>
                          {v.metrics.map((metric) => (
                            <tr key={metric.name}>
                              <th scope="row">{metric.name}</th>
                              <td className="num">{formatMetric(metric.value)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  )}
                </section>
                <DeploymentsTable deployments={v.deployments} />
                <VersionLogs modelId={m.id} versionId={v.id} />
              </div>
              <aside>
                <Timeline model={m} version={v} />
              </aside>
            </div>
          </article>
        );
      }}
    </QueryState>
  );
}
