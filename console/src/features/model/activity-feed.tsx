// The model's latest stage moves, newest first (refetched live as events arrive).
import type { ConsoleStageMoveFragment } from "../../graphql/graphql";
import { formatTime } from "../../components/ui/format";
import { StageBadge } from "../../components/ui/stage";
import { Empty } from "../../components/ui/states";

export function ActivityFeed({ moves }: { moves: readonly ConsoleStageMoveFragment[] }) {
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      {moves.length === 0 ? (
        <Empty>No stage moves yet.</Empty>
      ) : (
        <ol className="feed" aria-live="polite">
          {moves.map((m) => (
            <li key={m.id}>
              <time dateTime={m.at}>{formatTime(m.at)}</time> <strong>v{m.modelVersion.number}</strong> <StageBadge stage={m.fromStage} /> →{" "}
              <StageBadge stage={m.toStage} /> <span className="meta">by {m.actor?.name ?? "the system"} ({m.cause.toLowerCase().replaceAll("_", " ")})</span>
              {m.comment ? <span className="meta"> — “{m.comment}”</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
