import { useEffect, useState } from 'preact/hooks';

interface Box {
  readonly id: string;
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
interface Laid {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly Box[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly points: readonly { x: number; y: number }[] }[];
}

interface GraphLabel {
  rankdir?: string;
  nodesep?: number;
  ranksep?: number;
  marginx?: number;
  marginy?: number;
  width?: number;
  height?: number;
}
interface NodeLabel {
  label: string;
  width: number;
  height: number;
  x: number;
  y: number;
}
interface EdgeLabel {
  points?: { x: number; y: number }[];
}

const MAX_LABEL = 56;
const short = (s: string): string => (s.length <= MAX_LABEL ? s : `…${s.slice(-(MAX_LABEL - 1))}`);

/** dagre lays the path out (its own chunk, loaded on first use); the drawing is plain SVG. */
async function layoutPath(path: readonly string[]): Promise<Laid> {
  const { Graph, layout } = await import('@dagrejs/dagre');
  const g = new Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of new Set(path)) g.setNode(id, { label: short(id), width: 16 + 7.2 * short(id).length, height: 30, x: 0, y: 0 });
  for (let i = 0; i + 1 < path.length; i++) g.setEdge(path[i]!, path[i + 1]!);
  layout(g);
  const info = g.graph();
  return {
    width: Math.ceil(info.width ?? 0),
    height: Math.ceil(info.height ?? 0),
    nodes: g.nodes().map((id) => {
      const n = g.node(id);
      return { id, label: short(id), x: n.x, y: n.y, width: n.width, height: n.height };
    }),
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
  };
}

export function PathGraph({ path }: { path: readonly string[] }) {
  const [laid, setLaid] = useState<Laid | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    layoutPath(path).then(setLaid, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [path.join('\n')]);
  if (error !== null) return <p class="error">The path could not be drawn: {error}</p>;
  if (laid === null) return <p aria-busy="true">Drawing the path…</p>;
  const first = path[0];
  const last = path[path.length - 1];
  return (
    <figure class="path-graph">
      <svg
        role="img"
        aria-label={`Call path of ${path.length} functions from ${first ?? ''} to ${last ?? ''}`}
        width={laid.width}
        height={laid.height}
        viewBox={`0 0 ${laid.width} ${laid.height}`}
        data-nodes={laid.nodes.length}
        data-edges={laid.edges.length}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {laid.edges.map((e) => (
          <polyline
            key={`${e.from}->${e.to}`}
            class="edge"
            points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
            marker-end="url(#arrow)"
            fill="none"
          />
        ))}
        {laid.nodes.map((n) => (
          <g key={n.id} class={`node${n.id === first ? ' entry' : ''}${n.id === last ? ' target' : ''}`} data-symbol={n.id}>
            <title>{n.id}</title>
            <rect x={n.x - n.width / 2} y={n.y - n.height / 2} width={n.width} height={n.height} rx="6" />
            <text x={n.x} y={n.y + 4} text-anchor="middle">
              {n.label}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        <ol class="path-list">
          {path.map((s, i) => (
            <li key={`${i}:${s}`} class="mono">
              {s}
            </li>
          ))}
        </ol>
      </figcaption>
    </figure>
  );
}
