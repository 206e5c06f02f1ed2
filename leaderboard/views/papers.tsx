/** @module The task page's papers section: published numbers beside ours, and the seed papers' claims judged. */
import { columnLabel } from '../../harness/protocol/metrics/registry.ts';
import { pct, pp } from '../format.ts';
import type { ClaimView, Papers, ReportedRow } from '../papers.ts';

const points = (x: number | null) => (x === null ? '—' : `${x > 0 ? '+' : ''}${x.toFixed(2)}`);

function intervalText(r: ReportedRow): string {
  const iv = r.measured?.interval;
  if (!iv) return '—';
  const basis = iv.basis === 'seeds' ? `t over ${r.measured!.seeds} seeds` : 'Wilson, 1 seed';
  return `${(iv.low * 100).toFixed(1)}–${(iv.high * 100).toFixed(1)}% (${basis})`;
}

function ReportedTable(p: { rows: ReportedRow[] }) {
  return (
    <div class="scroll">
      <table id="reported">
        <thead>
          <tr>
            <th>Method</th>
            <th>Metric</th>
            <th class="num">Measured</th>
            <th class="num">Reported</th>
            <th class="num">Gap</th>
            <th>Our 95% interval</th>
            <th>Contains reported</th>
            <th>Where reported</th>
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r) => (
            <tr
              data-method={r.methodId}
              data-metric={r.metric}
              data-contains={r.contains === null ? 'n/a' : r.contains ? 'yes' : 'no'}
            >
              <td>
                {r.arm.label}
                <div class="sub">{`printed: ${r.printedMethod}${r.config ? ` ${JSON.stringify(r.config)}` : ''}`}</div>
              </td>
              <td>{columnLabel(r.metric)}</td>
              <td class="num key">{r.measured ? pct(r.measured.mean) : '—'}</td>
              <td class="num">{`${(r.reported * 100).toFixed(2)}%`}</td>
              <td class="num">{pp(r.gap)}</td>
              <td>{intervalText(r)}</td>
              <td>{r.contains === null ? '—' : r.contains ? 'yes' : 'no'}</td>
              <td>
                {r.table}
                <div class="sub citation" title={r.note ?? undefined}>
                  {`source: ${r.printedSource}; ${r.citation}`}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ClaimBlock(p: { c: ClaimView }) {
  const c = p.c;
  return (
    <div class="claim" data-claim={c.id} data-verdict={c.verdict}>
      <p>
        <b>{c.verdict}</b>
        {` — ${c.statement} `}
        <span class="sub citation">{c.citation}</span>
      </p>
      <table>
        <thead>
          <tr>
            <th>Comparison</th>
            <th class="num">Seeds</th>
            <th class="num">Mean difference (pp)</th>
            <th>95% CI (pp)</th>
            <th>Verdict</th>
          </tr>
        </thead>
        <tbody>
          {c.comparisons.map((x) => (
            <tr data-verdict={x.verdict}>
              <td>{`${x.betterLabel} vs ${x.thanLabel}, ${columnLabel(x.metric)}${x.direction === 'within' ? ` within ±${x.margin}` : ' greater'}`}</td>
              <td class="num">{x.seeds.join(', ') || '—'}</td>
              <td class="num">{points(x.mean)}</td>
              <td>{x.ciLow === null ? '—' : `[${points(x.ciLow)}, ${points(x.ciHigh)}]`}</td>
              <td title={x.reason}>{x.verdict}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Nothing when no published number or claim applies to the task. */
export function PapersSection(p: { papers: Papers }) {
  const x = p.papers;
  if (!x.reported.length && !x.claims.length && !x.missingTables.length) return null;
  return (
    <section id="papers">
      {x.protocol && (
        <>
          <h2>Reported vs measured</h2>
          <p class="muted">
            {`Published numbers of the ${x.protocol} protocol for this target, matched by method id. Gap = measured − reported; `}
            our interval is a t interval over seeds (Wilson for one seed). A mini-scale run checks the pipeline, not the
            number.
          </p>
          {x.reported.length ? (
            <ReportedTable rows={x.reported} />
          ) : (
            <p class="note">No published number matches this task's target and methods.</p>
          )}
          {x.missingTables.map((t) => (
            <p class="sub">{`Not read: ${t}`}</p>
          ))}
        </>
      )}
      {x.claims.length > 0 && (
        <>
          <h2>Claims</h2>
          <div id="claims">
            {x.claims.map((c) => (
              <ClaimBlock c={c} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
