// The lineage drawn as a graph: laid out left to right by dagre (experiment → run → version → artifact, parent
// before, children after), drawn by React Flow. Loaded lazily (the page imports it with import()), so neither
// library weighs on the other pages. Every node is text with real links: a keyboard or screen-reader user reaches
// the same pages and the download as with the mouse.
import { Graph, layout } from "@dagrejs/dagre";
import { Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo, type MouseEvent } from "react";
import { Link, useLocation } from "wouter";
import { KIND_LABEL, type Lineage, type LineageNode } from "./lineage";

const NODE_WIDTH = 240;
/** Lines of a node shown in the graph; the rest are counted ("+3 more") and listed in the tooltip. */
const MAX_LINES = 6;

type FlowNode = Node<{ node: LineageNode }, "lineage">;

/** The node's height as drawn (CSS `.lineage-node`: fixed line heights), so dagre keeps them apart. */
function nodeHeight(node: LineageNode): number {
  const lines = Math.min(node.lines.length, MAX_LINES) + (node.lines.length > MAX_LINES ? 1 : 0);
  return 48 + lines * 18 + (node.sha256 ? 36 : 0) + (node.download ? 20 : 0);
}

function place(lineage: Lineage): { nodes: FlowNode[]; edges: Edge[] } {
  const graph = new Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 72, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of lineage.nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: nodeHeight(node) });
  for (const edge of lineage.edges) graph.setEdge(edge.source, edge.target);
  layout(graph);
  return {
    nodes: lineage.nodes.map((node) => {
      const { x, y, width, height } = graph.node(node.id);
      return { id: node.id, type: "lineage", position: { x: x! - width / 2, y: y! - height / 2 }, data: { node }, style: { width, height } };
    }),
    edges: lineage.edges.map((edge) => ({
      id: edge.id,
      source: edge.source,
      target: edge.target,
      label: edge.label,
      markerEnd: { type: MarkerType.ArrowClosed },
      className: "lineage-edge",
    })),
  };
}

function LineageNodeView({ data: { node } }: NodeProps<FlowNode>) {
  const shown = node.lines.slice(0, MAX_LINES);
  const hidden = node.lines.slice(MAX_LINES);
  return (
    <div className={`lineage-node kind-${node.kind}`} data-node-kind={node.kind}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <span className="kind">{KIND_LABEL[node.kind]}</span>
      <strong className="title">{node.href ? <Link href={node.href}>{node.title}</Link> : node.title}</strong>
      {shown.map((line, i) => (
        <span className="line" key={i} title={line}>
          {line}
        </span>
      ))}
      {hidden.length ? (
        <span className="line meta" title={hidden.join("\n")}>
          +{hidden.length} more
        </span>
      ) : null}
      {node.sha256 ? (
        <code className="sha" title="sha256">
          {node.sha256}
        </code>
      ) : null}
      {node.download ? (
        <a className="line" href={node.download.href} download>
          {node.download.label}
        </a>
      ) : null}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

const nodeTypes = { lineage: LineageNodeView };

export default function LineageGraph({ lineage }: { lineage: Lineage }) {
  const { nodes, edges } = useMemo(() => place(lineage), [lineage]);
  const [, navigate] = useLocation();
  // A click anywhere on a version node opens it (a click on its link is the link's own).
  const open = (event: MouseEvent, flowNode: FlowNode) => {
    if ((event.target as Element).closest("a")) return;
    if (flowNode.data.node.href) navigate(flowNode.data.node.href);
  };
  return (
    <div className="lineage-graph" data-testid="lineage-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodeClick={open}
        fitView
        fitViewOptions={{ padding: 0.08, maxZoom: 1 }}
        minZoom={0.3}
        maxZoom={1.5}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        zoomOnScroll={false}
        preventScrolling={false}
        zoomOnDoubleClick={false}
      >
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
