// A model's versions on the API's search: filtered by stage, tag, alias and metric conditions, sorted by the server
// (a metric sort is the API's order, so the first page holds the best versions of all 10,000), 50 a page with "Load
// more"; chosen metrics as columns and in a chart; rows picked to compare. The view lives in the URL (view.ts).
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { Link } from "wouter";
import type { ConsoleModelAliasFragment, ModelVersionStage } from "../../graphql/graphql";
import { formatMetric, formatTime, tagText } from "../../components/ui/format";
import { StageBadge, STAGES } from "../../components/ui/stage";
import { Empty, ErrorMessage, Loading, QueryState } from "../../components/ui/states";
import { request } from "../../lib/client";
import { ModelVersionsQuery } from "./api";
import { StageActions, type ModelPolicy } from "./stage-actions";
import { filterOf, isFiltered, isMetricSort, metricConditions, orderOf, type TableView } from "./view";

const PAGE_SIZE = 50;
const MetricChart = lazy(() => import("./metric-chart"));

export function VersionsTable({
  modelId,
  baseHref,
  policy,
  aliases,
  view,
  setView,
  onResult,
}: {
  modelId: string;
  baseHref: string;
  policy: ModelPolicy;
  aliases: readonly ConsoleModelAliasFragment[];
  view: TableView;
  setView: (change: Partial<TableView>) => void;
  onResult: (message: string, ok: boolean) => void;
}) {
  const filter = filterOf(view);
  const orderBy = orderOf(view);
  const query = useInfiniteQuery({
    queryKey: ["model-versions", modelId, filter, orderBy],
    queryFn: ({ pageParam }) => request(ModelVersionsQuery, { modelId, first: PAGE_SIZE, after: pageParam, filter, orderBy }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => {
      const info = last.node && "versions" in last.node ? last.node.versions.pageInfo : null;
      return info?.hasNextPage ? info.endCursor : null;
    },
    placeholderData: keepPreviousData,
  });
  const pages = query.data?.pages;
  const rows = useMemo(() => (pages ?? []).flatMap((p) => (p.node && "versions" in p.node ? p.node.versions.nodes : [])), [pages]);
  const first = pages?.[0]?.node;
  const total = first && "versions" in first ? first.versions.totalCount : 0;
  const metricNames = useMemo(() => {
    const names = new Set(rows.flatMap((v) => v.metrics.map((m) => m.name)));
    for (const name of view.metrics ?? []) names.add(name);
    if (isMetricSort(view.sort)) names.add(view.sort);
    return [...names].sort();
  }, [rows, view.metrics, view.sort]);
  const shown = view.metrics ?? metricNames.slice(0, 4);

  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const pickedList = [...picked].sort((a, b) => a - b);
  const togglePick = (number: number, on: boolean) =>
    setPicked((old) => {
      const next = new Set(old);
      if (on) next.add(number);
      else next.delete(number);
      return next;
    });

  const sortBy = (column: string) => setView({ sort: column, direction: view.sort === column && view.direction === "desc" ? "asc" : "desc" });
  const ariaSort = (column: string) => (view.sort === column ? (view.direction === "asc" ? "ascending" : "descending") : "none");
  const sortButton = (column: string, label: string) => (
    <button type="button" className="sort" onClick={() => sortBy(column)} aria-label={`Sort by ${label}`}>
      {label}
      <span aria-hidden="true">{view.sort === column ? (view.direction === "asc" ? " ▲" : " ▼") : ""}</span>
    </button>
  );

  return (
    <section aria-labelledby="versions-title" className="versions-section">
      <h2 id="versions-title">Versions</h2>
      <Filters view={view} setView={setView} aliases={aliases} />
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
      <QueryState query={query} what="versions">
        {() =>
          rows.length === 0 ? (
            <Empty>{isFiltered(view) ? "No version matches the filter." : "No versions yet: a pipeline registers them with createModelVersion."}</Empty>
          ) : (
            <>
              <div className="compare-bar">
                {pickedList.length >= 2 ? (
                  <Link href={`${baseHref}/compare?versions=${pickedList.join(",")}`} className="button">
                    Compare {pickedList.map((n) => `v${n}`).join(", ")}
                  </Link>
                ) : (
                  <span className="meta">Pick two or more versions to compare them.</span>
                )}
                {picked.size ? (
                  <button type="button" onClick={() => setPicked(new Set())}>
                    Clear selection
                  </button>
                ) : null}
              </div>
              <div className="table-wrap">
                <table className="versions" aria-busy={query.isFetching}>
                  <caption>
                    {rows.length === total ? `${total} version${total === 1 ? "" : "s"}` : `${rows.length} of ${total} versions`}
                    {isMetricSort(view.sort) ? `, by ${view.sort} (${view.direction === "asc" ? "lowest" : "highest"} first; versions without it last)` : ""}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">
                        <span className="visually-hidden">Pick</span>
                      </th>
                      <th scope="col" aria-sort={ariaSort("number")}>
                        {sortButton("number", "Version")}
                      </th>
                      <th scope="col">Stage</th>
                      {shown.map((name) => (
                        <th scope="col" key={name} aria-sort={ariaSort(name)} className="num">
                          {sortButton(name, name)}
                        </th>
                      ))}
                      <th scope="col">Tags</th>
                      <th scope="col" aria-sort={ariaSort("created")}>
                        {sortButton("created", "Created")}
                      </th>
                      {policy.viewerCanTransition ? <th scope="col">Actions</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((v) => (
                      <tr key={v.id} data-version={v.number}>
                        <td>
                          <input type="checkbox" aria-label={`Pick v${v.number} to compare`} checked={picked.has(v.number)} onChange={(e) => togglePick(v.number, e.target.checked)} />
                        </td>
                        <th scope="row">
                          <Link href={`${baseHref}/versions/${v.number}`}>v{v.number}</Link>
                          {v.aliases.map((a) => (
                            <span className="chip alias" key={a}>
                              @{a}
                            </span>
                          ))}
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
                  {query.isFetchingNextPage ? "Loading…" : `Load ${Math.min(PAGE_SIZE, total - rows.length)} more`}
                </button>
              ) : null}
              {query.isFetchNextPageError ? <ErrorMessage error={query.error} retry={() => void query.fetchNextPage()} /> : null}
              {shown.length ? (
                <Suspense fallback={<Loading what="the chart" />}>
                  <MetricChart versions={rows} metrics={shown} />
                </Suspense>
              ) : null}
            </>
          )
        }
      </QueryState>
    </section>
  );
}

/** Stage and alias apply at once; tag and metric conditions when the form is submitted (Enter or Apply). */
function Filters({ view, setView, aliases }: { view: TableView; setView: (change: Partial<TableView>) => void; aliases: readonly ConsoleModelAliasFragment[] }) {
  const [tag, setTag] = useState(view.tag);
  const [where, setWhere] = useState(view.where);
  useEffect(() => setTag(view.tag), [view.tag]);
  useEffect(() => setWhere(view.where), [view.where]);
  const [tried, setTried] = useState(false);
  const parsed = metricConditions(where);
  const whereError = "error" in parsed ? parsed.error : null;
  return (
    <form
      className="filters"
      role="search"
      aria-label="Filter versions"
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        if (!whereError) setView({ tag: tag.trim(), where: where.trim() });
      }}
    >
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
        <label htmlFor="alias-filter">Alias</label>
        <select id="alias-filter" value={view.alias} onChange={(e) => setView({ alias: e.target.value })}>
          <option value="">Any alias</option>
          {[...new Set([...aliases.map((a) => a.name), ...(view.alias ? [view.alias] : [])])].map((name) => (
            <option key={name} value={name}>
              @{name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor="tag-filter">Tag (key=value)</label>
        <input id="tag-filter" type="search" value={tag} placeholder="dataset=v2" onChange={(e) => setTag(e.target.value)} />
      </div>
      <div>
        <label htmlFor="metric-filter">Metric condition</label>
        <input
          id="metric-filter"
          type="search"
          value={where}
          placeholder="accuracy > 0.9"
          aria-invalid={tried && whereError ? true : undefined}
          aria-describedby={tried && whereError ? "metric-filter-error" : undefined}
          onChange={(e) => {
            setWhere(e.target.value);
            setTried(false);
          }}
        />
      </div>
      <div className="filter-actions">
        <button type="submit">Apply</button>
        {view.stage || view.tag || view.alias || view.where ? (
          <button type="button" onClick={() => setView({ stage: "", tag: "", alias: "", where: "" })}>
            Clear filters
          </button>
        ) : null}
      </div>
      {tried && whereError ? (
        <p id="metric-filter-error" className="field-error" role="alert">
          {whereError}
        </p>
      ) : null}
    </form>
  );
}
