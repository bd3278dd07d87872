// The version's history as one timeline, newest first: its stage moves (with cause) and every move of an alias to
// or away from it, each with who, when and their comment.
import { formatTime } from "../../components/ui/format";
import { StageBadge } from "../../components/ui/stage";
import { Empty } from "../../components/ui/states";
import type { ConsoleVersionQuery, ModelVersionStage, TransitionCause } from "../../graphql/graphql";

type Model = NonNullable<NonNullable<ConsoleVersionQuery["project"]>["model"]>;
type Version = NonNullable<Model["version"]>;

type Entry =
  | { kind: "stage"; id: string; at: string; actor: string; comment: string | null; from: ModelVersionStage; to: ModelVersionStage; cause: TransitionCause }
  | { kind: "alias"; id: string; at: string; actor: string; comment: string | null; alias: string; text: string; cause: "APPROVAL" | "MANUAL" };

const CAUSE_TEXT: Record<TransitionCause, string> = {
  MANUAL: "manual",
  APPROVAL: "approved request",
  AUTO_ARCHIVE: "archived automatically",
  ROLLBACK: "rollback",
};

function aliasText(change: Model["aliasHistory"]["nodes"][number], versionId: string): string {
  const from = change.from ? `v${change.from.number}` : null;
  const to = change.to ? `v${change.to.number}` : null;
  if (change.to?.id === versionId) return from ? `moved here from ${from}` : "set here";
  if (to) return `moved away to ${to}`;
  return "removed";
}

export function entriesOf(model: Model, v: Version): Entry[] {
  const stage: Entry[] = v.stageHistory.nodes.map((h) => ({
    kind: "stage",
    id: h.id,
    at: h.at,
    actor: h.actor?.name ?? "the system",
    comment: h.comment,
    from: h.fromStage,
    to: h.toStage,
    cause: h.cause,
  }));
  const alias: Entry[] = model.aliasHistory.nodes
    .filter((c) => c.from?.id === v.id || c.to?.id === v.id)
    .map((c) => ({
      kind: "alias",
      id: c.id,
      at: c.at,
      actor: c.actor?.name ?? "the system",
      comment: c.comment,
      alias: c.alias,
      text: aliasText(c, v.id),
      cause: c.transitionRequest ? "APPROVAL" : "MANUAL",
    }));
  return [...stage, ...alias].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

export function Timeline({ model, version }: { model: Model; version: Version }) {
  const entries = entriesOf(model, version);
  const truncated = version.stageHistory.totalCount > version.stageHistory.nodes.length || model.aliasHistory.totalCount > model.aliasHistory.nodes.length;
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Stage and alias history</h2>
      {entries.length === 0 ? (
        <Empty>Never moved, and no alias ever pointed here.</Empty>
      ) : (
        <ol className="timeline">
          {entries.map((e) => (
            <li key={e.id} data-entry={e.kind} className={`entry-${e.kind}`}>
              <time dateTime={e.at}>{formatTime(e.at)}</time>
              <div className="what">
                {e.kind === "stage" ? (
                  <>
                    <StageBadge stage={e.from} /> → <StageBadge stage={e.to} />
                  </>
                ) : (
                  <>
                    alias <span className="chip alias">{e.alias}</span> {e.text}
                  </>
                )}
              </div>
              <div className="meta">
                by {e.actor} · {CAUSE_TEXT[e.cause]}
              </div>
              {e.comment ? <blockquote className="comment">{e.comment}</blockquote> : null}
            </li>
          ))}
        </ol>
      )}
      {truncated ? <p className="hint">Older moves are not shown (the last 100 of each kind).</p> : null}
    </section>
  );
}
