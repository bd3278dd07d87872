// Where the model runs: each environment with the version live there now and its latest deployment attempt.
import { Link } from "wouter";
import type { ConsoleEnvironmentFragment } from "../../graphql/graphql";
import { formatTime } from "../../components/ui/format";
import { Empty } from "../../components/ui/states";

export function Environments({ environments, baseHref }: { environments: readonly ConsoleEnvironmentFragment[]; baseHref: string }) {
  return (
    <section aria-labelledby="environments-title">
      <h2 id="environments-title">Environments</h2>
      {environments.length === 0 ? (
        <Empty>Not deployed anywhere yet: a deployer reports with reportDeployment.</Empty>
      ) : (
        <ul className="environments">
          {environments.map((env) => {
            const last = env.lastDeployment;
            return (
              <li key={env.name} data-environment={env.name}>
                <div className="env-head">
                  <strong>{env.name}</strong>{" "}
                  {env.liveVersion ? (
                    <span data-testid="live-version">
                      live: <Link href={`${baseHref}/versions/${env.liveVersion.number}`}>v{env.liveVersion.number}</Link>
                    </span>
                  ) : (
                    <span className="meta">nothing live</span>
                  )}
                </div>
                <div className="meta">
                  last: v{last.modelVersion.number} <span className={`deploy-status ${last.status.toLowerCase()}`}>{last.status}</span> {formatTime(last.updatedAt)}
                  {last.reportedBy ? ` by ${last.reportedBy.name}` : ""}
                  {last.message ? ` — “${last.message}”` : ""}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
