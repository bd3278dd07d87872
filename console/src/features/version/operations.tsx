// Where the version runs and what happened to it: its deployment attempts (newest first) and the model's log lines
// about it.
import { useQuery } from "@tanstack/react-query";
import { formatTime } from "../../components/ui/format";
import { Empty, QueryState } from "../../components/ui/states";
import type { ConsoleVersionQuery } from "../../graphql/graphql";
import { request } from "../../lib/client";
import { VersionLogsQuery } from "./api";

type Deployments = NonNullable<NonNullable<NonNullable<ConsoleVersionQuery["project"]>["model"]>["version"]>["deployments"];

export function DeploymentsTable({ deployments }: { deployments: Deployments }) {
  return (
    <section aria-labelledby="deployments-title">
      <h2 id="deployments-title">Deployments</h2>
      {deployments.nodes.length === 0 ? (
        <Empty>Never deployed.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="deployments">
            <thead>
              <tr>
                <th scope="col">Environment</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">Reported by</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {deployments.nodes.map((d) => (
                <tr key={d.id} data-environment={d.environment} data-status={d.status}>
                  <th scope="row">{d.environment}</th>
                  <td>
                    <span className={`deploy deploy-${d.status.toLowerCase()}`}>{d.status}</span>
                    {d.retiredAt ? <span className="meta"> since {formatTime(d.retiredAt)}</span> : null}
                  </td>
                  <td>{formatTime(d.startedAt)}</td>
                  <td>{formatTime(d.finishedAt)}</td>
                  <td>{d.reportedBy?.name ?? "—"}</td>
                  <td className="message">{d.message ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deployments.totalCount > deployments.nodes.length ? <p className="hint">The latest {deployments.nodes.length} of {deployments.totalCount} attempts.</p> : null}
    </section>
  );
}

export function VersionLogs({ modelId, versionId }: { modelId: string; versionId: string }) {
  const query = useQuery({
    queryKey: ["version-logs", modelId, versionId],
    queryFn: () => request(VersionLogsQuery, { modelId, versionId }),
  });
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <QueryState query={query} what="the logs">
        {(data) => {
          const logs = data.node && "logs" in data.node ? data.node.logs : null;
          if (!logs || logs.nodes.length === 0) return <Empty>No log lines about this version.</Empty>;
          return (
            <>
              <ol className="feed logs">
                {logs.nodes.map((line) => (
                  <li key={line.id} data-success={String(line.success)}>
                    <span className={`verdict ${line.success ? "pass" : "fail"}`}>{line.success ? "ok" : "failed"}</span> {line.message}{" "}
                    <span className="meta">
                      <time dateTime={line.at}>{formatTime(line.at)}</time> by {line.actor?.name ?? "the system"}
                    </span>
                  </li>
                ))}
              </ol>
              {logs.totalCount > logs.nodes.length ? <p className="hint">The latest {logs.nodes.length} of {logs.totalCount} lines.</p> : null}
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
