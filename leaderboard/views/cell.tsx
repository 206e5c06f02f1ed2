/**
 * @module A run page: one method on one task with one seed. Status, per-attack breakdown,
 * corruption x severity table, training curves, RiFT criticality, provenance and the full spec.
 */
import { memberLabel, metricLabel, metricOrder } from '../../harness/protocol/metrics/registry.ts';
import { BASELINE_METHOD } from '../read/ordering.ts';
import { ci, date, eps, hours, href, pct, seconds } from '../format.ts';
import type { CellDetail } from '../schemas.ts';
import { EvaluationsTable, ModelSection } from './cell-model.tsx';
import { Bars, LineChart } from './charts.tsx';
import { Badge, Layout, TableHead } from './layout.tsx';
import { verificationOf, type CellHistory } from '../history.ts';
import { CellHistorySection, VerificationSection } from './history.tsx';

type Metric = CellDetail['metrics'][number];
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

function detailText(m: Metric): string {
  const d = m.details;
  const parts: string[] = [];
  if (typeof d.steps === 'number') parts.push(`${d.steps} steps`);
  if (typeof d.restarts === 'number') parts.push(`${d.restarts} restart${d.restarts === 1 ? '' : 's'}`);
  if (typeof d.norm === 'string' && typeof d.eps === 'number') parts.push(`${d.norm} ε ${eps(d.eps)}`);
  if (typeof d.maxPerturbation === 'number') parts.push(`max ‖δ‖ ${Number(d.maxPerturbation.toPrecision(4))}`);
  if (typeof d.nanCount === 'number') parts.push(`NaN ${d.nanCount}`);
  if (typeof d.version === 'string') parts.push(`version ${d.version}`);
  return parts.join(' · ');
}

function flagsOfMetric(m: Metric): string[] {
  return Array.isArray(m.details.flags) ? (m.details.flags as unknown[]).map(String) : [];
}

/** `heat` = [min, max] of the table: the cell is shaded by where its value falls in that range. */
function AccCell(p: { m?: Metric; heat?: [number, number] }) {
  if (!p.m) return <td class="num">—</td>;
  const [lo, hi] = p.heat ?? [0, 0];
  const heat = p.heat
    ? ` h${hi > lo ? Math.max(0, Math.min(7, Math.floor(((p.m.value - lo) / (hi - lo)) * 7.999))) : 7}`
    : '';
  return (
    <td class={`num${heat}`} title={`${ci(p.m.ciLow, p.m.ciHigh)}, n = ${p.m.n}`}>
      {pct(p.m.value)}
    </td>
  );
}

/** The metric plug-in's label; a family's member (`after APGD-CE`) indented under its family's row. */
function EvaluationName(p: { name: string }) {
  const member = memberLabel(p.name);
  return member === undefined ? metricLabel(p.name) : <span class="sub">{`\u2003${member}`}</span>;
}

function AttackTable(p: { metrics: Metric[] }) {
  const order = metricOrder();
  const rows = [
    ...order.map((n) => p.metrics.find((m) => m.name === n)).filter((m): m is Metric => !!m),
    ...p.metrics.filter((m) => !order.includes(m.name) && !m.name.startsWith('corruption/')),
  ];
  if (!rows.length) return <p class="muted">No metrics recorded.</p>;
  return (
    <table id="attacks">
      <TableHead
        cols={['Evaluation', 'Accuracy', '95% interval', 'n', 'Settings', 'Flags']}
        num={['Accuracy', '95% interval', 'n']}
      />
      <tbody>
        {rows.map((m) => (
          <tr>
            <td>
              <EvaluationName name={m.name} />
            </td>
            <AccCell m={m} />
            <td class="num">{`${(m.ciLow * 100).toFixed(1)}–${(m.ciHigh * 100).toFixed(1)}%`}</td>
            <td class="num">{m.n}</td>
            <td class="sub">{detailText(m)}</td>
            <td>
              {flagsOfMetric(m).map((f) => (
                <span class="chip">{f}</span>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CorruptionTable(p: { metrics: Metric[] }) {
  const per = p.metrics.filter((m) => m.name.startsWith('corruption/'));
  if (!per.length) return null;
  const grid = new Map<string, Map<string, Metric>>();
  const severities = new Set<string>();
  for (const m of per) {
    const [, name, severity = '—'] = m.name.split('/');
    severities.add(severity);
    if (!grid.has(name)) grid.set(name, new Map());
    grid.get(name)!.set(severity, m);
  }
  const range: [number, number] = [Math.min(...per.map((m) => m.value)), Math.max(...per.map((m) => m.value))];
  const sev = [...severities].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  return (
    <>
      <h2>Corruptions</h2>
      <div class="scroll">
        <table id="corruptions">
          <thead>
            <tr>
              <th>Corruption</th>
              {sev.map((s) => (
                <th class="num">{`severity ${s}`}</th>
              ))}
              <th class="num">mean</th>
            </tr>
          </thead>
          <tbody>
            {[...grid.entries()].map(([name, row]) => {
              const vals = [...row.values()].map((m) => m.value);
              return (
                <tr>
                  <td>{name.replace(/_/g, ' ')}</td>
                  {sev.map((s) => (
                    <AccCell m={row.get(s)} heat={range} />
                  ))}
                  <td class="num key">{pct(vals.reduce((a, b) => a + b, 0) / vals.length)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Curves(p: { curves: unknown }) {
  if (!Array.isArray(p.curves) || !p.curves.length) return null;
  const points = p.curves.filter(isObject);
  const keys = [...new Set(points.flatMap((c) => Object.keys(c)))].filter(
    (k) => k !== 'epoch' && k !== 'seconds' && points.some((c) => typeof c[k] === 'number'),
  );
  const allKeys = [...new Set(points.flatMap((c) => Object.keys(c)))];
  return (
    <>
      <h2>Training curves</h2>
      <div class="charts">
        {keys.map((k) => {
          const pts = points
            .filter((c) => typeof c[k] === 'number' && typeof c.epoch === 'number')
            .map((c) => [c.epoch as number, c[k] as number] as [number, number]);
          const percent = /acc/i.test(k) && pts.every(([, y]) => y >= 0 && y <= 1);
          return (
            <figure>
              <LineChart series={[{ name: k, points: pts }]} xLabel="epoch" yLabel={k} percent={percent} />
              <figcaption>{k}</figcaption>
            </figure>
          );
        })}
      </div>
      <details>
        <summary>Curve data</summary>
        <table>
          <thead>
            <tr>
              {allKeys.map((k) => (
                <th class="num">{k}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((c) => (
              <tr>
                {allKeys.map((k) => (
                  <td class="num">
                    {typeof c[k] === 'number' ? String(Number((c[k] as number).toPrecision(4))) : String(c[k] ?? '')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}

function Rift(p: { rift: unknown }) {
  if (!isObject(p.rift)) return null;
  const crit = isObject(p.rift.criticality) ? p.rift.criticality : {};
  const values = Object.entries(crit).filter((e): e is [string, number] => typeof e[1] === 'number');
  const module = typeof p.rift.module === 'string' ? p.rift.module : undefined;
  return (
    <>
      <h2>RiFT module criticality</h2>
      <dl class="kv">
        {module && (
          <>
            <dt>Fine-tuned module</dt>
            <dd>
              <code>{module}</code>
            </dd>
          </>
        )}
        {p.rift.alpha !== undefined && (
          <>
            <dt>Interpolation α</dt>
            <dd>{String(p.rift.alpha)}</dd>
          </>
        )}
        {typeof p.rift.rule === 'string' && (
          <>
            <dt>Selection rule</dt>
            <dd>{p.rift.rule}</dd>
          </>
        )}
      </dl>
      {values.length > 0 && (
        <Bars
          values={values}
          highlight={module}
          valueLabel="robust criticality (loss increase under worst-case weight perturbation)"
        />
      )}
    </>
  );
}

/** Flattens nested objects into dotted keys; arrays of scalars are joined, other values shown as JSON. */
export function flatten(obj: Json, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObject(v)) out.push(...flatten(v, key));
    else if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) out.push([key, v.join(', ')]);
    else out.push([key, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return out;
}

function KvTable(p: { obj: Json; id: string }) {
  const rows = flatten(p.obj);
  if (!rows.length) return <p class="muted">Nothing recorded.</p>;
  return (
    <table id={p.id} class="kv">
      <tbody>
        {rows.map(([k, v]) => (
          <tr>
            <th>
              <code>{k}</code>
            </th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CellPage(p: { cell: CellDetail; history?: CellHistory }) {
  const c = p.cell;
  const { curves, rift, ...others } = c.artifacts;
  return (
    <Layout title={`${c.methodTitle} · ${c.taskId} · seed ${c.seed}`}>
      <h1>
        <a href={href.method(c.methodId)}>{c.methodTitle}</a> on{' '}
        <a href={href.task(c.taskId, { tier: c.tier })}>{c.taskId}</a>
        {`, seed ${c.seed}`}
      </h1>
      <div class="meta">
        <Badge kind={c.status} />
        <Badge kind={c.verification} />
        <span>
          Cell{' '}
          <b>
            <code>{c.id}</code>
          </b>
        </span>
        <span>
          Suite <b>{c.suite}</b> · tier <b>{c.tier}</b>
        </span>
        <span>
          Finished <b>{date(c.finishedAt)}</b>
        </span>
        <span title={`fine-tuning ${seconds(c.trainSeconds)}, evaluation ${seconds(c.evalSeconds)}`}>
          Cost <b>{hours(c.cost.hours, c.cost.unit)}</b>
        </span>
      </div>
      {c.error && <p class="error-box">{c.error}</p>}
      <h2>Per-attack breakdown</h2>
      <AttackTable metrics={c.metrics} />
      <VerificationSection verification={verificationOf(c)} />
      <CellHistorySection history={p.history} />
      <CorruptionTable metrics={c.metrics} />
      <ModelSection model={c.model} />
      <EvaluationsTable evaluations={c.evaluations} metrics={c.metrics} modelSha256={c.model?.sha256} />
      <Curves curves={curves} />
      <Rift rift={rift} />
      {Object.keys(others).length > 0 && (
        <>
          <h2>Other artifacts</h2>
          <pre>{JSON.stringify(others, null, 2)}</pre>
        </>
      )}
      <h2>Provenance</h2>
      <KvTable obj={c.provenance} id="provenance" />
      <details>
        <summary>Full cell spec (everything that defines this run; its hash is the cell id)</summary>
        <KvTable obj={c.spec} id="spec" />
      </details>
      <p class="links">
        {c.methodId !== BASELINE_METHOD && (
          <a href={href.compare(BASELINE_METHOD, c.id)}>Compare with the AT baseline</a>
        )}
        Data: <a href={href.apiCell(c.id)}>JSON</a> <a href={href.apiCell(c.id, { format: 'csv' })}>CSV</a>
      </p>
    </Layout>
  );
}
