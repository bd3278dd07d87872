// A model: its aliases, versions (with a metric chart), environments, the approval queue and the activity feed, kept
// live by the project's events.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation, useParams, useSearch } from "wouter";
import { useCrumbs } from "../../app/crumbs";
import { tagText } from "../../components/ui/format";
import { ErrorMessage, QueryState } from "../../components/ui/states";
import { request } from "../../lib/client";
import { useLiveProject } from "../../lib/live-project";
import { ActivityFeed } from "./activity-feed";
import { ModelPageQuery } from "./api";
import { ApprovalQueue } from "./approval-queue";
import { Aliases } from "./aliases";
import { Environments } from "./environments";
import { searchOf, viewOf, type TableView } from "./view";
import { VersionsTable } from "./versions-table";

export function ModelPage() {
  const { project, model } = useParams<{ project: string; model: string }>();
  const search = useSearch();
  const [location, navigate] = useLocation();
  const [notice, setNotice] = useState<{ message: string; ok: boolean } | null>(null);
  const projectHref = `/projects/${encodeURIComponent(project)}`;
  const modelHref = `${projectHref}/models/${encodeURIComponent(model)}`;
  const onResult = (message: string, ok: boolean) => setNotice({ message, ok });
  useCrumbs([{ label: "Projects", href: "/" }, { label: project, href: projectHref }, { label: model }]);
  const query = useQuery({ queryKey: ["model", project, model], queryFn: () => request(ModelPageQuery, { project, model }) });
  useLiveProject(query.data?.project?.id, query.data?.project?.eventCursor);

  const params = new URLSearchParams(search);
  const view = viewOf(params);
  const setView = (change: Partial<TableView>) => {
    const text = searchOf({ ...view, ...change });
    navigate(`${location}${text ? `?${text}` : ""}`, { replace: true });
  };

  return (
    <QueryState query={query} what="the model">
      {(data) => {
        const m = data.project?.model;
        if (!m) return <ErrorMessage error={new Error(`No model “${model}” in project “${project}” that you can see.`)} />;
        return (
          <article aria-labelledby="model-title" className="model">
            <header className="page-head">
              <h1 id="model-title">{m.name}</h1>
              <p>{m.description || "No description."}</p>
              <dl className="facts">
                <div>
                  <dt>Production</dt>
                  <dd data-testid="production-version">{m.productionVersion ? `v${m.productionVersion.number}` : "none"}</dd>
                </div>
                <div>
                  <dt>Needs approval</dt>
                  <dd>{m.requireApprovalFor.length ? m.requireApprovalFor.join(", ") : "nothing"}</dd>
                </div>
                <div>
                  <dt>Tags</dt>
                  <dd>{tagText(m.tags).join(", ") || "none"}</dd>
                </div>
              </dl>
            </header>
            <div className="notice-slot" role="status" aria-live="polite">
              {notice ? <p className={notice.ok ? "notice ok" : "notice error"}>{notice.message}</p> : null}
            </div>
            <Aliases modelId={m.id} aliases={m.aliases} protectedAliases={m.protectedAliases} policy={m} baseHref={modelHref} onResult={onResult} />
            <div className="columns">
              <VersionsTable
                modelId={m.id}
                baseHref={modelHref}
                policy={m}
                aliases={m.aliases}
                view={view}
                setView={setView}
                onResult={onResult}
              />
              <aside>
                <Environments environments={m.environments} baseHref={modelHref} />
                <ApprovalQueue requests={m.pendingTransitionRequests.nodes} onResult={onResult} />
                <ActivityFeed moves={m.stageHistory.nodes} />
              </aside>
            </div>
          </article>
        );
      }}
    </QueryState>
  );
}
