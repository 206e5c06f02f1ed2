/** @module Compare two cells, two methods, or a cell with a method, metric by metric, side by side. */
import { metricLabel } from '../../harness/protocol/metrics/registry.ts';
import { href, pct, pp, qs } from '../format.ts';
import type { Compare, CompareRow } from '../schemas.ts';
import { Layout } from './layout.tsx';

function Value(p: { v: number | null; std: number | null }) {
  return (
    <td class="num">
      {pct(p.v)}
      {p.std !== null && <span class="sd">{` ± ${(p.std * 100).toFixed(1)}`}</span>}
    </td>
  );
}

export function CompareForm(p: { a?: string; b?: string; options: string[] }) {
  return (
    <form class="compare" method="get" action="/compare">
      <label>
        A (cell or method id)
        <input name="a" value={p.a ?? ''} list="refs" required maxlength={200} />
      </label>
      <label>
        B (cell or method id)
        <input name="b" value={p.b ?? ''} list="refs" required maxlength={200} />
      </label>
      <button type="submit">Compare</button>
      <datalist id="refs">
        {p.options.map((o) => (
          <option value={o} />
        ))}
      </datalist>
    </form>
  );
}

export function ComparePage(p: { cmp?: Compare; options: string[] }) {
  const c = p.cmp;
  const groups = new Map<string, CompareRow[]>();
  for (const r of c?.rows ?? []) {
    const k = `${r.taskId} (${r.tier})`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const sideHref = (s: Compare['a']) => (s.kind === 'cell' ? href.cell(s.id) : href.method(s.id));
  return (
    <Layout title="Compare" active="compare">
      <h1>Compare</h1>
      <CompareForm a={c?.a.id} b={c?.b.id} options={p.options} />
      {c && (
        <>
          <div class="scroll">
            <table id="compare">
              <thead>
                <tr>
                  <th>Metric</th>
                  <th class="num">
                    {'A: '}
                    <a href={sideHref(c.a)}>{c.a.label}</a>
                  </th>
                  <th class="num">
                    {'B: '}
                    <a href={sideHref(c.b)}>{c.b.label}</a>
                  </th>
                  <th class="num">B − A</th>
                </tr>
              </thead>
              <tbody>
                {[...groups.entries()].map(([task, rows]) => (
                  <>
                    <tr class="group">
                      <td colspan={4}>
                        <a href={href.task(rows[0].taskId, { tier: rows[0].tier })}>{task}</a>
                      </td>
                    </tr>
                    {rows.map((r) => (
                      <tr>
                        <td>{metricLabel(r.metric)}</td>
                        <Value v={r.a} std={r.aStd} />
                        <Value v={r.b} std={r.bStd} />
                        <td
                          class={`num ${r.diff !== null && r.diff > 0.0005 ? 'pos' : r.diff !== null && r.diff < -0.0005 ? 'neg' : ''}`}
                        >
                          {pp(r.diff)}
                        </td>
                      </tr>
                    ))}
                  </>
                ))}
              </tbody>
            </table>
          </div>
          {groups.size === 0 && <p class="muted">No results in common to compare.</p>}
          <p class="muted">
            A method's values are its mean ± standard deviation over seeds on each task; a cell's are that run's.
          </p>
          <p class="links">
            Data: <a href={`/api/compare${qs({ a: c.a.id, b: c.b.id })}`}>JSON</a>{' '}
            <a href={`/api/compare${qs({ a: c.a.id, b: c.b.id, format: 'csv' })}`}>CSV</a>
          </p>
        </>
      )}
    </Layout>
  );
}
