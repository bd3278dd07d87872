// Compare two or more versions of a model side by side: stage, aliases, metrics with deltas against a baseline,
// params of their runs, tags, run and artifact; differing fields highlighted, identical ones hideable. The whole view
// lives in the URL (?versions=1,2,3&baseline=2&identical=hide), so it can be shared and reloaded.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, useState, type FormEvent } from "react";
import { Link, useLocation, useParams, useSearch } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { StageBadge } from "../../components/ui/stage";
import { Empty, ErrorMessage, QueryState } from "../../components/ui/states";
import type { ModelVersionStage } from "../../graphql/graphql";
import { useLiveProject } from "../../lib/live-project";
import { fetchCompared, MAX_COMPARED } from "./api";
import { compareRows, formatDelta, SECTIONS, type Row } from "./rows";

export interface CompareView {
  versions: number[];
  baseline: number | null;
  hideIdentical: boolean;
}

/** The view from the query string: distinct positive version numbers, in order, at most MAX_COMPARED. */
export function parseView(search: string): CompareView {
  const params = new URLSearchParams(search);
  const numbers = (params.get("versions") ?? "")
    .split(",")
    .map((part) => Number(part.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  const versions = [...new Set(numbers)].slice(0, MAX_COMPARED);
  const baseline = Number(params.get("baseline"));
  return { versions, baseline: versions.includes(baseline) ? baseline : null, hideIdentical: params.get("identical") === "hide" };
}

/** The query string of a view (commas kept readable: `versions=1,2,3`). */
export function viewSearch(view: CompareView): string {
  const parts = [`versions=${view.versions.join(",")}`];
  if (view.baseline !== null && view.baseline !== view.versions[0]) parts.push(`baseline=${view.baseline}`);
  if (view.hideIdentical) parts.push("identical=hide");
  return parts.join("&");
}

/** The compare page's path for a selection (the "Compare" link of the versions table builds the same). */
export const comparePath = (project: string, model: string, versions: readonly number[]) =>
  `/projects/${encodeURIComponent(project)}/models/${encodeURIComponent(model)}/compare?versions=${versions.join(",")}`;

export function ComparePage() {
  const { project, model } = useParams<{ project: string; model: string }>();
  const [location, navigate] = useLocation();
  const view = parseView(useSearch());
  const modelPath = `/projects/${encodeURIComponent(project)}/models/${encodeURIComponent(model)}`;
  useCrumbs([{ label: "Projects", href: "/" }, { label: project, href: `/projects/${encodeURIComponent(project)}` }, { label: model, href: modelPath }, { label: "Compare" }]);

  const query = useQuery({
    queryKey: ["compare", project, model, view.versions.join(",")],
    queryFn: () => fetchCompared(project, model, view.versions),
    placeholderData: keepPreviousData,
  });
  useLiveProject(query.data?.projectId, query.data?.eventCursor);
  const setView = (next: Partial<CompareView>) => navigate(`${location}?${viewSearch({ ...view, ...next })}`, { replace: true });

  return (
    <section aria-labelledby="compare-title" className="compare-page">
      <div className="page-head">
        <h1 id="compare-title">Compare versions of {model}</h1>
        <p>
          Deltas and highlights are against the baseline. <Link href={modelPath}>Back to the model</Link>
        </p>
      </div>
      <QueryState query={query} what="the versions">
        {(data) => {
          if (!data) return <ErrorMessage error={new Error(`No project named “${project}” that you can see.`)} />;
          if (!data.model) return <ErrorMessage error={new Error(`No model named “${model}” in ${project}.`)} />;
          const found = data.versions.filter((v) => v.version !== null).map((v) => v.version!);
          const missing = data.versions.filter((v) => v.version === null).map((v) => v.number);
          const baselineNumber = view.baseline !== null && found.some((v) => v.number === view.baseline) ? view.baseline : (found[0]?.number ?? null);
          const baseline = Math.max(0, found.findIndex((v) => v.number === baselineNumber));
          const remove = (n: number) => {
            const versions = view.versions.filter((v) => v !== n);
            setView({ versions, baseline: view.baseline === n ? null : view.baseline });
          };
          return (
            <>
              <Toolbar
                view={view}
                found={found.map((v) => v.number)}
                baseline={baselineNumber}
                recent={data.model.recent}
                onChange={setView}
              />
              {missing.length ? (
                <p className="notice error" role="alert">
                  {missing.map((n) => `v${n}`).join(", ")} {missing.length === 1 ? "is" : "are"} not a live version of {model} (deleted, or never registered).
                </p>
              ) : null}
              {found.length < 2 ? (
                <Empty>Pick at least two versions to compare: add them above, or choose them in the model's versions table.</Empty>
              ) : (
                <CompareTable
                  rows={compareRows(found, baseline)}
                  versions={found}
                  baseline={baseline}
                  hideIdentical={view.hideIdentical}
                  versionPath={(n) => `${modelPath}/versions/${n}`}
                  onRemove={found.length > 2 ? remove : undefined}
                />
              )}
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

function Toolbar({
  view,
  found,
  baseline,
  recent,
  onChange,
}: {
  view: CompareView;
  found: number[];
  baseline: number | null;
  recent: readonly { number: number; stage: string }[];
  onChange: (next: Partial<CompareView>) => void;
}) {
  const [adding, setAdding] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const full = view.versions.length >= MAX_COMPARED;
  const add = (event: FormEvent) => {
    event.preventDefault();
    const n = Number(adding.trim().replace(/^v/i, ""));
    if (!Number.isInteger(n) || n < 1) return setProblem("A version number is a whole number from 1.");
    if (view.versions.includes(n)) return setProblem(`v${n} is already compared.`);
    setProblem(null);
    setAdding("");
    onChange({ versions: [...view.versions, n] });
  };
  return (
    <div className="filters compare-tools">
      <div>
        <label htmlFor="compare-baseline">Baseline</label>
        <select id="compare-baseline" value={baseline ?? ""} disabled={found.length < 2} onChange={(e) => onChange({ baseline: Number(e.target.value) })}>
          {found.map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </div>
      <label className="toggle">
        <input type="checkbox" checked={view.hideIdentical} onChange={(e) => onChange({ hideIdentical: e.target.checked })} />
        Hide identical
      </label>
      <form className="inline" onSubmit={add} aria-label="Add a version">
        <div>
          <label htmlFor="compare-add">Add version</label>
          <input
            id="compare-add"
            inputMode="numeric"
            list="compare-recent"
            value={adding}
            placeholder="number"
            size={8}
            disabled={full}
            aria-describedby={problem ? "compare-add-problem" : undefined}
            onChange={(e) => setAdding(e.target.value)}
          />
          <datalist id="compare-recent">
            {recent
              .filter((v) => !view.versions.includes(v.number))
              .map((v) => (
                <option key={v.number} value={v.number}>
                  v{v.number} {v.stage}
                </option>
              ))}
          </datalist>
        </div>
        <button type="submit" disabled={full || !adding.trim()}>
          Add
        </button>
      </form>
      {problem ? (
        <p id="compare-add-problem" className="notice error" role="alert">
          {problem}
        </p>
      ) : null}
      {full ? <p className="hint">At most {MAX_COMPARED} versions side by side.</p> : null}
    </div>
  );
}

function CompareTable({
  rows,
  versions,
  baseline,
  hideIdentical,
  versionPath,
  onRemove,
}: {
  rows: Row[];
  versions: { number: number; stage: ModelVersionStage }[];
  baseline: number;
  hideIdentical: boolean;
  versionPath: (n: number) => string;
  onRemove?: (n: number) => void;
}) {
  const shown = hideIdentical ? rows.filter((r) => r.differs) : rows;
  const differing = rows.filter((r) => r.differs).length;
  return (
    <div className="table-wrap">
      <table className="compare">
        <caption>
          {differing} of {rows.length} fields differ
          {hideIdentical ? ` · ${rows.length - shown.length} identical hidden` : ""}
        </caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            {versions.map((v, i) => (
              <th scope="col" key={v.number} data-version={v.number} className={i === baseline ? "baseline" : undefined}>
                <Link href={versionPath(v.number)}>v{v.number}</Link> <StageBadge stage={v.stage} />
                {i === baseline ? <span className="chip">baseline</span> : null}
                {onRemove ? (
                  <button type="button" className="remove" aria-label={`Remove v${v.number}`} title={`Remove v${v.number} from the comparison`} onClick={() => onRemove(v.number)}>
                    ×
                  </button>
                ) : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {SECTIONS.map((section) => {
            const inSection = shown.filter((r) => r.section === section);
            if (inSection.length === 0) return null;
            return (
              <Fragment key={section}>
                <tr className="section">
                  <th scope="rowgroup" colSpan={versions.length + 1}>
                    {section}
                  </th>
                </tr>
                {inSection.map((r) => (
                  <tr key={`${section}/${r.label}`} data-field={`${section}/${r.label}`} data-differs={r.differs} className={r.differs ? "differs" : undefined}>
                    <th scope="row">{r.label}</th>
                    {r.cells.map((cell, i) => (
                      <td key={i} className={[cell.changed ? "changed" : "", cell.missing ? "missing" : "", section === "Metrics" ? "num" : ""].join(" ").trim() || undefined}>
                        <span className="value">{cell.text}</span>
                        {cell.delta !== undefined ? (
                          <span className={`delta ${cell.delta > 0 ? "up" : cell.delta < 0 ? "down" : "zero"}`} title={`Against v${versions[baseline]!.number}`}>
                            {formatDelta(cell.delta)}
                          </span>
                        ) : null}
                      </td>
                    ))}
                  </tr>
                ))}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {shown.length === 0 ? <Empty>Every field is identical: untick “Hide identical” to see them.</Empty> : null}
    </div>
  );
}
