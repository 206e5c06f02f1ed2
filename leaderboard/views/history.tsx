/**
 * @module The board over time: a metric's history as an SVG line chart (one point per measurement, its 95% band,
 * a marker with the commit where it moved beyond the gate's noise), the history sections of the cell and task
 * pages, the "since last night" page, a run's (or submission's) page and a re-measured submission's verdict.
 */
import type { HistoryPoint } from '../../harness/orchestration/gate/history.ts';
import { date, href, pct } from '../format.ts';
import type { CellHistory, Changes, MetricSeries, RunDetail, TaskHistory, Verification } from '../history.ts';
import { niceScale } from './charts.tsx';
import { Badge, Layout, TableHead } from './layout.tsx';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const shortCommit = (c: string) => c.replace(/^([0-9a-f]{8})[0-9a-f]*/, '$1');
const xKey = (p: HistoryPoint) => `${p.night}\u0000${String(p.recordedAt).padStart(15, '0')}\u0000${p.measurementId}`;

/** One chart of one metric; `byNight` puts a night's points in one column (a task's cells), else one per point. */
export function HistoryChart(p: { series: MetricSeries[]; title: string; byNight?: boolean }) {
  const w = 560;
  const h = 250;
  const m = { l: 52, r: 40, t: 24, b: 52 };
  const key = (q: HistoryPoint) => (p.byNight ? q.night : xKey(q));
  const keys = [...new Set(p.series.flatMap((s) => s.points.map(key)))].sort();
  const all = p.series.flatMap((s) => s.points);
  if (!all.length) return <p class="muted">No measurements.</p>;
  const ys = niceScale(
    Math.max(0, Math.min(...all.map((q) => Math.min(q.value, q.ciLow)))),
    Math.min(1, Math.max(...all.map((q) => Math.max(q.value, q.ciHigh)))),
    5,
  );
  const px = (k: string) => m.l + (keys.length === 1 ? 0.5 : keys.indexOf(k) / (keys.length - 1)) * (w - m.l - m.r);
  const py = (v: number) => h - m.b - ((v - ys.lo) / (ys.hi - ys.lo)) * (h - m.t - m.b);
  const label = (k: string) => k.split('\u0000')[0];
  const every = Math.max(1, Math.ceil(keys.length / 6));
  return (
    <figure class="history">
      <svg
        class="chart history"
        viewBox={`0 0 ${w} ${h}`}
        width={w}
        height={h}
        role="img"
        aria-label={`${p.title} over time`}
        data-metric={p.title}
      >
        {ys.ticks.map((t) => (
          <g>
            <line class="grid" x1={m.l} x2={w - m.r} y1={py(t)} y2={py(t)} />
            <text class="tick" x={m.l - 6} y={py(t) + 4} text-anchor="end">{`${Math.round(t * 1000) / 10}%`}</text>
          </g>
        ))}
        {keys.map((k, i) =>
          i % every === 0 || i === keys.length - 1 ? (
            <text class="tick" x={px(k)} y={h - m.b + 16} text-anchor="middle">
              {label(k)}
            </text>
          ) : null,
        )}
        <line class="axis" x1={m.l} x2={w - m.r} y1={h - m.b} y2={h - m.b} />
        <line class="axis" x1={m.l} x2={m.l} y1={m.t} y2={h - m.b} />
        <text class="label" x={(m.l + w - m.r) / 2} y={h - 8} text-anchor="middle">
          night (one point per measurement)
        </text>
        {p.series.map((s, i) => {
          const color = COLORS[i % COLORS.length];
          const pts = s.points.map((q) => ({ q, x: px(key(q)) }));
          const band = [
            ...pts.map(({ q, x }) => `${x.toFixed(1)},${py(q.ciHigh).toFixed(1)}`),
            ...[...pts].reverse().map(({ q, x }) => `${x.toFixed(1)},${py(q.ciLow).toFixed(1)}`),
          ].join(' ');
          return (
            <g class="series" data-cell={s.cellId} data-label={s.label}>
              <polygon class="band" points={band} fill={color} fill-opacity="0.12" stroke="none" />
              <path
                class="line"
                d={`M ${pts.map(({ q, x }) => `${x.toFixed(1)},${py(q.value).toFixed(1)}`).join(' L ')}`}
                stroke={color}
                fill="none"
                stroke-width="2"
              />
              {pts.map(({ q, x }) => (
                <circle
                  class="point"
                  cx={x.toFixed(1)}
                  cy={py(q.value).toFixed(1)}
                  r={3.5}
                  fill={color}
                  data-value={q.value}
                  data-night={q.night}
                  data-commit={q.commit}
                >
                  <title>{`${s.label} ${q.night}: ${pct(q.value)} (95% ${pct(q.ciLow)}–${pct(q.ciHigh)}, n ${q.n}), commit ${shortCommit(q.commit)}, code ${q.codeHash ?? 'unknown'}, ${q.backend}`}</title>
                </circle>
              ))}
              {pts
                .filter(({ q }) => q.change === 'regressed' || q.change === 'improved')
                .map(({ q, x }) => {
                  const y = py(q.value);
                  const down = q.change === 'regressed';
                  const tri = down
                    ? `${x - 6},${y - 16} ${x + 6},${y - 16} ${x},${y - 7}`
                    : `${x - 6},${y + 16} ${x + 6},${y + 16} ${x},${y + 7}`;
                  return (
                    <g
                      class={`marker ${q.change}`}
                      data-commit={q.commit}
                      data-night={q.night}
                      data-delta={q.delta ?? 0}
                    >
                      <polygon points={tri} fill={down ? '#dc2626' : '#16a34a'} />
                      <text class="tick" x={x} y={down ? y - 20 : y + 27} text-anchor="middle">
                        {shortCommit(q.commit)}
                      </text>
                      <title>{`${q.change} by ${((q.delta ?? 0) * 100).toFixed(1)} pts (noise ±${((q.tolerance ?? 0) * 100).toFixed(1)}) at commit ${q.commit}`}</title>
                    </g>
                  );
                })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {p.title}
        {p.series.length > 1 &&
          p.series.map((s, i) => <span class="legend" data-color={COLORS[i % COLORS.length]}>{` · ${s.label}`}</span>)}
      </figcaption>
    </figure>
  );
}

export function CellHistorySection(p: { history?: CellHistory }) {
  const hist = p.history;
  if (!hist || hist.measurements === 0) return null;
  return (
    <section id="history">
      <h2>History</h2>
      <p class="sub">
        {`${hist.measurements} measurement${hist.measurements === 1 ? '' : 's'}; the shaded band is the 95% interval, a triangle marks a change beyond the gate's noise (with its commit). `}
        Data: <a href={`/api/history?cell=${encodeURIComponent(hist.cellId)}`}>JSON</a>{' '}
        <a href={`/api/history?cell=${encodeURIComponent(hist.cellId)}&format=csv`}>CSV</a>
      </p>
      <div class="charts">
        {hist.series
          .filter((s) => s.points.length > 0)
          .map((s) => (
            <HistoryChart series={[s]} title={s.metric} />
          ))}
      </div>
    </section>
  );
}

export function TaskHistorySection(p: { history?: TaskHistory }) {
  const hist = p.history;
  if (!hist?.charts.length) return null;
  const q = `task=${encodeURIComponent(hist.taskId)}&tier=${encodeURIComponent(hist.tier)}`;
  return (
    <section id="history">
      <h2>Over time</h2>
      <p class="sub">
        Each cell's last measurement of each night, with its 95% band; triangles mark changes beyond noise. Data:{' '}
        <a href={`/api/history?${q}`}>JSON</a> <a href={`/api/history?${q}&format=csv`}>CSV</a> ·{' '}
        <a href="/changes">since last night</a>
      </p>
      <div class="charts">
        {hist.charts.map((c) => (
          <HistoryChart series={c.series} title={c.metric} byNight />
        ))}
      </div>
    </section>
  );
}

export function VerificationSection(p: { verification: Verification | null }) {
  const v = p.verification;
  if (!v) return null;
  return (
    <section id="verification">
      <h2>
        Submission re-measured: <Badge kind={v.verdict === 'verified' ? 'measured' : 'failed'}>{v.verdict}</Badge>
      </h2>
      <p class="sub">
        The nightly re-ran the submitted code; claimed numbers of run{' '}
        <a href={`/run/${encodeURIComponent(v.claimRunId)}`}>{v.claimRunId}</a> against the measurement, within the
        gate's noise.
      </p>
      <table>
        <TableHead cols={['Metric', 'Claimed', 'Measured', 'Noise', 'Agrees']} num={['Claimed', 'Measured', 'Noise']} />
        <tbody>
          {v.rows.map((r) => (
            <tr>
              <td>{r.name}</td>
              <td class="num">{pct(r.claimed)}</td>
              <td class="num">{r.measured === null ? '—' : pct(r.measured)}</td>
              <td class="num">{r.tolerance === null ? '—' : `±${(r.tolerance * 100).toFixed(1)}`}</td>
              <td>{r.agrees ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ChangesPage(p: { changes: Changes }) {
  const c = p.changes;
  const signed = (v: number | undefined) => (v === undefined ? '—' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}`);
  return (
    <Layout title="Since last night">
      <h1>Since last night</h1>
      {!c.night ? (
        <p class="muted">No measurements yet.</p>
      ) : !c.previous ? (
        <p class="muted">{`${c.night} is the first night: nothing to compare with.`}</p>
      ) : (
        <>
          <p>
            {`${c.night} against each cell's previous measurement (latest night ${c.previous}), by the gate's noise rule: ${c.rows.length} change${c.rows.length === 1 ? '' : 's'}, ${c.unchanged} checks unchanged. `}
            Data: <a href="/api/changes">JSON</a> <a href="/api/changes?format=csv">CSV</a>
          </p>
          {c.rows.length === 0 ? (
            <p class="muted">Nothing moved beyond noise.</p>
          ) : (
            <table id="changes">
              <TableHead
                cols={['Verdict', 'Task', 'Method', 'Seed', 'Metric', 'Before', 'Now', 'Δ pts', 'Noise']}
                num={['Seed', 'Before', 'Now', 'Δ pts', 'Noise']}
              />
              <tbody>
                {c.rows.map((r) => (
                  <tr class={r.verdict} data-cell={r.cellId}>
                    <td>
                      <Badge kind={r.verdict === 'improved' ? 'measured' : 'failed'}>{r.verdict}</Badge>
                    </td>
                    <td>
                      <a href={href.task(r.taskId)}>{r.taskId}</a>
                    </td>
                    <td>
                      <a href={href.cell(r.cellId)}>{r.methodId}</a>
                    </td>
                    <td class="num">{r.seed}</td>
                    <td>{r.metric}</td>
                    <td class="num">{r.baseline === undefined ? '—' : pct(r.baseline)}</td>
                    <td class="num">{r.current === undefined ? '—' : pct(r.current)}</td>
                    <td class="num">{signed(r.delta)}</td>
                    <td class="num">{r.tolerance === undefined ? '—' : `±${(r.tolerance * 100).toFixed(1)}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Layout>
  );
}

export function RunPage(p: { detail: RunDetail }) {
  const { run, cells, submission } = p.detail;
  return (
    <Layout title={`Run ${run.id}`}>
      <h1>{submission ? `Submission of ${submission.entryId}` : `Run ${run.id}`}</h1>
      <div class="meta">
        <Badge kind={run.status === 'completed' ? 'completed' : 'failed'}>{run.status}</Badge>
        <span>
          Suite <b>{run.suite}</b> · tier <b>{run.tier}</b>
        </span>
        <span>
          Started <b>{date(run.startedAt)}</b>
        </span>
        <span>
          Commit{' '}
          <b>
            <code>{shortCommit(run.commit)}</code>
          </b>{' '}
          · {run.backend}
        </span>
      </div>
      <p class="sub">
        <code>{run.command}</code>
      </p>
      <h2>Cells</h2>
      <table id="run-cells">
        <TableHead cols={['Cell', 'Task', 'Method', 'Seed', 'Status', 'Numbers of this run', 'Now']} num={['Seed']} />
        <tbody>
          {cells.map((c) => (
            <tr data-cell={c.cellId}>
              <td>
                <a href={href.cell(c.cellId)}>
                  <code>{c.cellId}</code>
                </a>
              </td>
              <td>{c.taskId}</td>
              <td>{c.methodId}</td>
              <td class="num">{c.seed}</td>
              <td>
                <Badge kind={c.verification === 'self-reported' ? 'self-reported' : c.status} />
              </td>
              <td class="sub">
                {Object.entries(c.metrics)
                  .filter(([n]) => !n.startsWith('corruption/'))
                  .map(([n, v]) => `${n} ${pct(v.value)}`)
                  .join(' · ')}
              </td>
              <td>{c.current}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {submission && (
        <>
          <h2>Submitted code</h2>
          <p class="sub">{`Entry ${submission.entry} (sha256 ${submission.entrySha256}); the nightly re-runs it from these files.`}</p>
          <table id="submission-files">
            <TableHead cols={['File', 'Bytes', 'sha256']} num={['Bytes']} />
            <tbody>
              {submission.files.map((f) => (
                <tr>
                  <td>
                    <code>{f.path}</code>
                  </td>
                  <td class="num">{f.bytes}</td>
                  <td>
                    <code>{f.sha256}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Layout>
  );
}
