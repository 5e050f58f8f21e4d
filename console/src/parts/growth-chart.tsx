import { when } from './common';

export interface GrowthPoint {
  readonly size: number;
  readonly at: string;
}

const W = 560;
const H = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/** A step line: the size holds until the next checkpoint, then jumps (the log grows in appends, not smoothly). */
function steps(points: readonly GrowthPoint[], x: (at: string) => number, y: (size: number) => number): string {
  const out: string[] = [];
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (prev !== undefined) out.push(`${x(p.at).toFixed(1)},${y(prev.size).toFixed(1)}`);
    out.push(`${x(p.at).toFixed(1)},${y(p.size).toFixed(1)}`);
  });
  return out.join(' ');
}

/** The log's size over time: one SVG polyline, with the numbers in a table beside it for screen readers. */
export function GrowthChart({ points }: { points: readonly GrowthPoint[] }) {
  if (points.length < 2) return <p>The log has not grown yet: {points[0]?.size ?? 0} entries.</p>;
  const t0 = Date.parse(points[0]!.at);
  const t1 = Math.max(Date.parse(points[points.length - 1]!.at), t0 + 1);
  const max = Math.max(1, ...points.map((p) => p.size));
  const x = (at: string): number => PAD.left + ((Date.parse(at) - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (size: number): number => H - PAD.bottom - (size / max) * (H - PAD.top - PAD.bottom);
  const first = points[0]!;
  const last = points[points.length - 1]!;
  return (
    <figure class="growth">
      <svg
        role="img"
        aria-label={`Log size grew from ${first.size} to ${last.size} entries between ${when(first.at)} and ${when(last.at)}`}
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
      >
        <line class="axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
        <text class="tick" x={PAD.left - 6} y={y(max) + 4} text-anchor="end">
          {max}
        </text>
        <text class="tick" x={PAD.left - 6} y={y(0) + 4} text-anchor="end">
          0
        </text>
        <text class="tick" x={PAD.left} y={H - 8}>
          {when(first.at)}
        </text>
        <text class="tick" x={W - PAD.right} y={H - 8} text-anchor="end">
          {when(last.at)}
        </text>
        <polyline class="series" fill="none" points={steps(points, x, y)} />
      </svg>
      <details>
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Signed at</th>
              <th scope="col">Tree size</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.size}>
                <td>{when(p.at)}</td>
                <td>{p.size}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
