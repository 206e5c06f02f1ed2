/**
 * @module Charts drawn on the server as inline SVG: a labelled scatter plot (the clean-vs-robust
 * trade-off), line charts (training curves) and horizontal bars (RiFT module criticality). Styling
 * comes from classes in site.css; text goes through hono/jsx, so labels are escaped.
 */

/** Tick step and rounded bounds covering [lo, hi] with at most ~6 ticks. */
export function niceScale(
  lo: number,
  hi: number,
  maxTicks = 6,
): { lo: number; hi: number; step: number; ticks: number[] } {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) * 0.1 || 0.05;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / maxTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= maxTicks) ?? 10 * mag;
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = a; t <= b + step * 1e-6; t += step) ticks.push(Number(t.toPrecision(12)));
  return { lo: a, hi: b, step, ticks };
}

const fmtTick = (v: number, percent: boolean) =>
  percent ? `${Math.round(v * 1000) / 10}%` : Number(v.toPrecision(3)).toString();

export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  href?: string;
  title?: string;
  muted?: boolean;
}

/** Rough width of a label in 11px system-ui. */
const textWidth = (s: string) => s.length * 6.1;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Greedy label placement: each label (in plot order, top first) takes the first candidate position
 * (right, left, above, below its point) that stays inside the plot and clear of every point and of
 * the labels placed before it; failing that, it goes right and moves down until clear.
 */
export function placeLabels<T extends { q: ScatterPoint; x: number; y: number }>(
  pts: T[],
  area: { l: number; r: number; t: number; b: number },
): (T & { lx: number; ly: number })[] {
  const dots: Box[] = pts.map((p) => ({ x0: p.x - 7, y0: p.y - 7, x1: p.x + 7, y1: p.y + 7 }));
  const taken: Box[] = [];
  const out: (T & { lx: number; ly: number })[] = [];
  const free = (b: Box, self: number) =>
    b.x0 >= area.l &&
    b.x1 <= area.r + 20 &&
    b.y0 >= area.t - 4 &&
    b.y1 <= area.b + 4 &&
    !taken.some((t) => overlaps(t, b)) &&
    !dots.some((d, i) => i !== self && overlaps(d, b));
  const order = pts.map((p, i) => ({ p, i })).sort((a, b) => a.p.y - b.p.y);
  for (const { p, i } of order) {
    const w = textWidth(p.q.label);
    // Candidate baselines (lx, ly) and the label box each gives.
    const candidates: [number, number][] = [
      [p.x + 10, p.y + 4],
      [p.x - 10 - w, p.y + 4],
      [p.x - w / 2, p.y - 11],
      [p.x - w / 2, p.y + 20],
    ];
    const box = ([lx, ly]: [number, number]): Box => ({ x0: lx, y0: ly - 10, x1: lx + w, y1: ly + 3 });
    let pick = candidates.find((c) => free(box(c), i));
    if (!pick) {
      const startX = p.x + 10 + w <= area.r ? p.x + 10 : p.x - 10 - w;
      let ly = p.y + 4;
      while (!free(box([startX, ly]), i) && ly < area.b + 200) ly += 13;
      pick = [startX, ly];
    }
    taken.push(box(pick));
    out[i] = { ...p, lx: pick[0], ly: pick[1] };
  }
  return out;
}

const W = 640;
const H = 380;
const M = { l: 58, r: 24, t: 16, b: 46 };

/** A scatter of accuracies (both axes in [0,1], drawn as percent) with one labelled point each. */
export function Scatter(p: { points: ScatterPoint[]; xLabel: string; yLabel: string; caption?: string }) {
  const { points } = p;
  if (!points.length) return <p class="muted">No completed entries to plot.</p>;
  const pad = 0.03;
  const xs = niceScale(
    Math.max(0, Math.min(...points.map((q) => q.x)) - pad),
    Math.min(1, Math.max(...points.map((q) => q.x)) + pad),
  );
  const ys = niceScale(
    Math.max(0, Math.min(...points.map((q) => q.y)) - pad),
    Math.min(1, Math.max(...points.map((q) => q.y)) + pad),
  );
  const px = (v: number) => M.l + ((v - xs.lo) / (xs.hi - xs.lo)) * (W - M.l - M.r);
  const py = (v: number) => H - M.b - ((v - ys.lo) / (ys.hi - ys.lo)) * (H - M.t - M.b);
  const placed = placeLabels(
    points.map((q) => ({ q, x: px(q.x), y: py(q.y) })),
    { l: M.l, r: W - M.r, t: M.t, b: H - M.b },
  );
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        role="img"
        aria-label={`${p.yLabel} against ${p.xLabel}`}
      >
        {xs.ticks.map((t) => (
          <g>
            <line class="grid" x1={px(t)} x2={px(t)} y1={M.t} y2={H - M.b} />
            <text class="tick" x={px(t)} y={H - M.b + 16} text-anchor="middle">
              {fmtTick(t, true)}
            </text>
          </g>
        ))}
        {ys.ticks.map((t) => (
          <g>
            <line class="grid" x1={M.l} x2={W - M.r} y1={py(t)} y2={py(t)} />
            <text class="tick" x={M.l - 6} y={py(t) + 4} text-anchor="end">
              {fmtTick(t, true)}
            </text>
          </g>
        ))}
        <line class="axis" x1={M.l} x2={W - M.r} y1={H - M.b} y2={H - M.b} />
        <line class="axis" x1={M.l} x2={M.l} y1={M.t} y2={H - M.b} />
        <text class="label" x={(M.l + W - M.r) / 2} y={H - 8} text-anchor="middle">
          {p.xLabel}
        </text>
        <text
          class="label"
          x={14}
          y={(M.t + H - M.b) / 2}
          text-anchor="middle"
          transform={`rotate(-90 14 ${(M.t + H - M.b) / 2})`}
        >
          {p.yLabel}
        </text>
        {placed.map(({ q, x, y, lx, ly }) => {
          const body = (
            <g>
              <circle class={q.muted ? 'pt base' : 'pt'} cx={x} cy={y} r={6}>
                <title>{q.title ?? q.label}</title>
              </circle>
              <text x={lx} y={ly}>
                {q.label}
              </text>
            </g>
          );
          return q.href ? <a href={q.href}>{body}</a> : body;
        })}
      </svg>
      {p.caption && <figcaption>{p.caption}</figcaption>}
    </figure>
  );
}

export interface Series {
  name: string;
  points: [number, number][];
}

/** A line chart over epochs; several series share the axes. */
export function LineChart(p: {
  series: Series[];
  xLabel: string;
  yLabel: string;
  percent?: boolean;
  width?: number;
  height?: number;
}) {
  const w = p.width ?? 420;
  const h = p.height ?? 240;
  const m = { l: 52, r: 14, t: 14, b: 40 };
  const all = p.series.flatMap((s) => s.points);
  if (!all.length) return <p class="muted">No points.</p>;
  const xs = niceScale(Math.min(...all.map((q) => q[0])), Math.max(...all.map((q) => q[0])), 6);
  const ys = niceScale(Math.min(...all.map((q) => q[1])), Math.max(...all.map((q) => q[1])), 5);
  const px = (v: number) => m.l + ((v - xs.lo) / (xs.hi - xs.lo)) * (w - m.l - m.r);
  const py = (v: number) => h - m.b - ((v - ys.lo) / (ys.hi - ys.lo)) * (h - m.t - m.b);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${w} ${h}`}
      width={w}
      height={h}
      role="img"
      aria-label={`${p.yLabel} by ${p.xLabel}`}
    >
      {xs.ticks.map((t) => (
        <g>
          <line class="grid" x1={px(t)} x2={px(t)} y1={m.t} y2={h - m.b} />
          <text class="tick" x={px(t)} y={h - m.b + 15} text-anchor="middle">
            {fmtTick(t, false)}
          </text>
        </g>
      ))}
      {ys.ticks.map((t) => (
        <g>
          <line class="grid" x1={m.l} x2={w - m.r} y1={py(t)} y2={py(t)} />
          <text class="tick" x={m.l - 6} y={py(t) + 4} text-anchor="end">
            {fmtTick(t, !!p.percent)}
          </text>
        </g>
      ))}
      <line class="axis" x1={m.l} x2={w - m.r} y1={h - m.b} y2={h - m.b} />
      <line class="axis" x1={m.l} x2={m.l} y1={m.t} y2={h - m.b} />
      <text class="label" x={(m.l + w - m.r) / 2} y={h - 6} text-anchor="middle">
        {p.xLabel}
      </text>
      <text
        class="label"
        x={12}
        y={(m.t + h - m.b) / 2}
        text-anchor="middle"
        transform={`rotate(-90 12 ${(m.t + h - m.b) / 2})`}
      >
        {p.yLabel}
      </text>
      {p.series.map((s, i) => (
        <g class={`s${i % 4}`}>
          <polyline
            class={`line s${i % 4}`}
            points={s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}
          />
          {s.points.map(([x, y]) => (
            <circle cx={px(x)} cy={py(y)} r={2.5}>
              <title>{`${s.name} at ${p.xLabel} ${x}: ${p.percent ? `${(y * 100).toFixed(1)}%` : Number(y.toPrecision(4))}`}</title>
            </circle>
          ))}
        </g>
      ))}
    </svg>
  );
}

/** Horizontal bars, largest first; `highlight` marks one bar (e.g. the module RiFT chose). */
export function Bars(p: { values: [string, number][]; highlight?: string; valueLabel: string }) {
  const rows = [...p.values].sort((a, b) => b[1] - a[1]);
  if (!rows.length) return <p class="muted">No values.</p>;
  const w = 640;
  const barH = 18;
  const gap = 6;
  const l = 150;
  const r = 60;
  const h = rows.length * (barH + gap) + 30;
  const max = Math.max(...rows.map((x) => x[1]), 1e-12);
  const bx = (v: number) => (Math.max(0, v) / max) * (w - l - r);
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={p.valueLabel}>
      {rows.map(([name, v], i) => {
        const y = 10 + i * (barH + gap);
        return (
          <g>
            <text x={l - 8} y={y + barH - 5} text-anchor="end">
              {name}
            </text>
            <rect class={name === p.highlight ? 'bar hl' : 'bar'} x={l} y={y} width={Math.max(1, bx(v))} height={barH}>
              <title>{`${name}: ${v}`}</title>
            </rect>
            <text class="tick" x={l + bx(v) + 6} y={y + barH - 5}>
              {Number(v.toPrecision(3)).toString()}
            </text>
          </g>
        );
      })}
      <text class="label" x={l} y={h - 4}>
        {p.valueLabel}
      </text>
    </svg>
  );
}
