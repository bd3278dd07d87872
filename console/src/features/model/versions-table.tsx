// A model's versions: chosen metrics as columns, sortable by number or any metric, filtered by stage and tag (in the
// URL, so a view can be shared), loaded 100 at a time.
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "wouter";
import type { ModelVersionStage } from "../../graphql/graphql";
import { formatMetric, formatTime, tagText } from "../../components/ui/format";
import { StageBadge, STAGES } from "../../components/ui/stage";
import { Empty, QueryState } from "../../components/ui/states";
import { request } from "../../lib/client";
import { ModelVersionsQuery } from "./api";
import { StageActions, type ModelPolicy } from "./stage-actions";

export interface TableView {
  stage: ModelVersionStage | "";
  tag: string;
  metrics: string[] | null;
  sort: string;
  direction: "asc" | "desc";
}

/** The URL's view parameters. */
export function viewOf(params: URLSearchParams): TableView {
  const stage = params.get("stage") ?? "";
  const metrics = params.get("metrics");
  return {
    stage: (STAGES as readonly string[]).includes(stage) ? (stage as ModelVersionStage) : "",
    tag: params.get("tag") ?? "",
    metrics: metrics === null ? null : metrics.split(",").filter(Boolean),
    sort: params.get("sort") ?? "number",
    direction: params.get("dir") === "asc" ? "asc" : "desc",
  };
}

function tagFilter(text: string) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const at = trimmed.indexOf("=");
  return at < 0 ? { key: trimmed, value: "" } : { key: trimmed.slice(0, at).trim(), value: trimmed.slice(at + 1).trim() };
}

export function VersionsTable({
  modelId,
  baseHref,
  policy,
  view,
  setView,
  onResult,
}: {
  modelId: string;
  baseHref: string;
  policy: ModelPolicy;
  view: TableView;
  setView: (change: Partial<TableView>) => void;
  onResult: (message: string, ok: boolean) => void;
}) {
  const filter = { stages: view.stage ? [view.stage] : null, tag: tagFilter(view.tag) };
  const query = useInfiniteQuery({
    queryKey: ["model-versions", modelId, view.stage, view.tag],
    queryFn: ({ pageParam }) => request(ModelVersionsQuery, { modelId, after: pageParam, filter }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => {
      const info = last.node && "versions" in last.node ? last.node.versions.pageInfo : null;
      return info?.hasNextPage ? info.endCursor : null;
    },
    placeholderData: keepPreviousData,
  });
  const pages = query.data?.pages ?? [];
  const versions = useMemo(() => pages.flatMap((p) => (p.node && "versions" in p.node ? p.node.versions.nodes : [])), [pages]);
  const total = pages[0]?.node && "versions" in pages[0].node ? pages[0].node.versions.totalCount : 0;
  const metricNames = useMemo(() => [...new Set(versions.flatMap((v) => v.metrics.map((m) => m.name)))].sort(), [versions]);
  const shown = view.metrics ?? metricNames.slice(0, 4);

  const rows = useMemo(() => {
    const value = (v: (typeof versions)[number]) =>
      view.sort === "number" ? v.number : view.sort === "created" ? Date.parse(v.createdAt) : v.metrics.find((m) => m.name === view.sort)?.value;
    const sign = view.direction === "asc" ? 1 : -1;
    // Versions without the metric go last, whatever the direction.
    return [...versions].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
      return (x - y) * sign || b.number - a.number;
    });
  }, [versions, view.sort, view.direction]);

  const sortBy = (column: string) =>
    setView({ sort: column, direction: view.sort === column ? (view.direction === "asc" ? "desc" : "asc") : column === "number" ? "desc" : "desc" });
  const ariaSort = (column: string) => (view.sort === column ? (view.direction === "asc" ? "ascending" : "descending") : "none");
  const header = (column: string, label: string) => (
    <th scope="col" aria-sort={ariaSort(column)}>
      <button type="button" className="sort" onClick={() => sortBy(column)}>
        {label}
        <span aria-hidden="true">{view.sort === column ? (view.direction === "asc" ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );

  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="stage-filter">Stage</label>
          <select id="stage-filter" value={view.stage} onChange={(e) => setView({ stage: e.target.value as ModelVersionStage | "" })}>
            <option value="">Any stage</option>
            {STAGES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="tag-filter">Tag (key=value)</label>
          <input id="tag-filter" type="search" value={view.tag} placeholder="dataset=v2" onChange={(e) => setView({ tag: e.target.value })} />
        </div>
        {metricNames.length ? (
          <fieldset className="metric-picker">
            <legend>Metric columns</legend>
            {metricNames.map((name) => (
              <label key={name}>
                <input
                  type="checkbox"
                  checked={shown.includes(name)}
                  onChange={(e) => setView({ metrics: e.target.checked ? [...shown, name] : shown.filter((n) => n !== name) })}
                />
                {name}
              </label>
            ))}
          </fieldset>
        ) : null}
      </form>
      <QueryState query={query} what="versions">
        {() =>
          rows.length === 0 ? (
            <Empty>{view.stage || view.tag ? "No version matches the filter." : "No versions yet: a pipeline registers them with createModelVersion."}</Empty>
          ) : (
            <>
              <div className="table-wrap">
                <table className="versions">
                  <caption>
                    {rows.length === total ? `${total} version${total === 1 ? "" : "s"}` : `${rows.length} of ${total} versions loaded`}
                    {view.sort !== "number" && rows.length < total ? " (sorted among those loaded)" : ""}
                  </caption>
                  <thead>
                    <tr>
                      {header("number", "Version")}
                      <th scope="col">Stage</th>
                      {shown.map((name) => (
                        <th scope="col" key={name} aria-sort={ariaSort(name)} className="num">
                          <button type="button" className="sort" onClick={() => sortBy(name)} aria-label={`Sort by ${name}`}>
                            {name}
                            <span aria-hidden="true">{view.sort === name ? (view.direction === "asc" ? " ▲" : " ▼") : ""}</span>
                          </button>
                        </th>
                      ))}
                      <th scope="col">Tags</th>
                      {header("created", "Created")}
                      {policy.viewerCanTransition ? <th scope="col">Actions</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((v) => (
                      <tr key={v.id} data-version={v.number}>
                        <th scope="row">
                          <Link href={`${baseHref}/versions/${v.number}`}>v{v.number}</Link>
                        </th>
                        <td>
                          <StageBadge stage={v.stage} />
                        </td>
                        {shown.map((name) => (
                          <td key={name} className="num">
                            {formatMetric(v.metrics.find((m) => m.name === name)?.value)}
                          </td>
                        ))}
                        <td>
                          {tagText(v.tags).map((t) => (
                            <span className="chip" key={t}>
                              {t}
                            </span>
                          ))}
                        </td>
                        <td>{formatTime(v.createdAt)}</td>
                        {policy.viewerCanTransition ? (
                          <td>{v.viewerCanTransition ? <StageActions version={v} policy={policy} onResult={onResult} /> : null}</td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {query.hasNextPage ? (
                <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
                  {query.isFetchingNextPage ? "Loading…" : "Load 100 more"}
                </button>
              ) : null}
            </>
          )
        }
      </QueryState>
    </section>
  );
}
