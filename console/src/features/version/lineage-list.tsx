// The lineage as a plain list: the narrow-screen view and the "as a list" toggle of the graph. Same nodes as the
// graph (lineage.ts), each with its links.
import { Link } from "wouter";
import { KIND_LABEL, type Lineage } from "./lineage";

export function LineageList({ lineage, labelledBy }: { lineage: Lineage; labelledBy: string }) {
  const order = ["experiment", "run", "parent", "version", "artifact", "child"] as const;
  const nodes = [...lineage.nodes].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return (
    <ol className="lineage" aria-labelledby={labelledBy}>
      {nodes.map((node) => (
        <li key={node.id} data-node-kind={node.kind} className={`kind-${node.kind}`}>
          <span className="kind">{KIND_LABEL[node.kind]}</span> {node.href ? <Link href={node.href}>{node.title}</Link> : <strong>{node.title}</strong>}
          {node.lines.map((line, i) => (
            <span className="chip" key={i}>
              {line}
            </span>
          ))}
          {node.sha256 ? (
            <>
              {" "}
              <code title="sha256">{node.sha256}</code>
            </>
          ) : null}
          {node.download ? (
            <>
              {" "}
              <a href={node.download.href} download>
                {node.download.label}
              </a>
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
