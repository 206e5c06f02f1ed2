/** @module The home page (every task's best entry) and a task's leaderboard with its trade-off plot. */
import type { TaskHistory } from '../history.ts';
import { TaskHistorySection } from './history.tsx';
import type { RunRow } from '../../results/schema.ts';
import { boardColumns, columnLabel } from '../../harness/protocol/metrics/registry.ts';
import { defaultDir } from '../read/task-board.ts';
import { date, hours, href, pct, pp, threat } from '../format.ts';
import type { Board, BoardRow, TaskSourceInfo, TaskSummary } from '../schemas.ts';
import { Scatter } from './charts.tsx';
import { Badge, costPerSeed, Layout, RowChecks, SortTh, StatCell, TableHead } from './layout.tsx';
import type { Papers } from '../papers.ts';
import { PapersSection } from './papers.tsx';

export function HomePage(p: { tasks: TaskSummary[]; runs: RunRow[] }) {
  return (
    <Layout title="Leaderboards" active="home">
      <h1>Robust fine-tuning leaderboards</h1>
      <p class="lead">
        Adversarially pre-trained source models fine-tuned on a target task by each method, then attacked by the fixed
        evaluation. Entries rank by AutoAttack robust accuracy where it was run, else by PGD.
      </p>
      {p.tasks.length === 0 ? (
        <p class="note">
          The store has no results yet. Run a suite (<code>rftbench run --suite quick</code>) and reload.
        </p>
      ) : (
        <div class="scroll">
          <table id="tasks">
            <TableHead
              cols={[
                'Task',
                'Tier',
                'Threat model',
                'Suites',
                'Methods',
                'Runs',
                'Best entry',
                'Robust',
                'Clean',
                'Last run',
              ]}
              num={['Methods', 'Runs', 'Robust', 'Clean']}
            />
            <tbody>
              {p.tasks.map((t) => (
                <tr>
                  <td class="nowrap">
                    <a href={href.task(t.taskId, { tier: t.tier })}>{t.taskId}</a>
                  </td>
                  <td>
                    <Badge kind="tier">{t.tier}</Badge>
                  </td>
                  <td>{threat(t.threat)}</td>
                  <td>{t.suites.join(', ')}</td>
                  <td class="num">{t.methods}</td>
                  <td class="num" title={`${t.completed} completed, ${t.cells - t.completed} failed`}>
                    {t.completed}
                    {t.cells > t.completed && <span class="sub">{` +${t.cells - t.completed} failed`}</span>}
                  </td>
                  <td>
                    {t.best ? (
                      <a href={href.method(t.best.methodId)}>{t.best.title}</a>
                    ) : (
                      <span class="muted">none</span>
                    )}
                  </td>
                  <td class="num key">
                    {t.best ? `${pct(t.best.robust)}` : '—'} <span class="sub">{columnLabel(t.robustMetric)}</span>
                  </td>
                  <td class="num">{pct(t.best?.clean)}</td>
                  <td>{date(t.lastFinishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.runs.length > 0 && (
        <>
          <h2>Recent runs</h2>
          <table>
            <TableHead cols={['Suite', 'Tier', 'Started', 'Status', 'Backend', 'Commit']} />
            <tbody>
              {p.runs.map((r) => (
                <tr>
                  <td>{r.suite}</td>
                  <td>{r.tier}</td>
                  <td>{date(r.startedAt)}</td>
                  <td>{r.status}</td>
                  <td>{r.backend}</td>
                  <td>
                    <code title={r.commit}>{r.commit.slice(0, 10)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p class="links">
        Data: <a href="/api/tasks">JSON</a> <a href="/api/tasks?format=csv">CSV</a>
      </p>
    </Layout>
  );
}

function GainCell(p: { row: BoardRow; baseline: string | null }) {
  const g = p.row.gain;
  if (g === null)
    return (
      <td class="num" data-v="">
        —
      </td>
    );
  if (p.row.methodId === p.baseline) {
    return (
      <td class="num" data-v={String(g)}>
        <span class="sub">baseline</span>
      </td>
    );
  }
  return (
    <td class={`num ${g > 0 ? 'pos' : g < 0 ? 'neg' : ''}`} data-v={String(g)}>
      {pp(g)}
    </td>
  );
}

/** The model every entry fine-tunes from: where it comes from, its citation and its own accuracy. */
function SourceNote(p: { s: TaskSourceInfo }) {
  const s = p.s;
  const measured = s.clean !== null || s.robust !== null;
  return (
    <p class="source" id="task-source">
      Source <b>{s.arch}</b>
      {s.kind === 'external' ? (
        <>
          {', published checkpoint '}
          {s.catalog && <code>{s.catalog}</code>}
          {' from '}
          {/^https?:\/\//.test(s.origin) ? <a href={s.origin}>{s.origin}</a> : <code>{s.origin}</code>}
        </>
      ) : (
        `, pre-trained here: ${s.origin}`
      )}
      {s.id && <span class="sub">{` (source ${s.id})`}</span>}
      {measured
        ? `. Its own accuracy here: clean ${pct(s.clean)}, PGD ${pct(s.robust)}`
        : '. Its own accuracy was not measured here'}
      {s.reported &&
        `; the publisher reports clean ${pct(s.reported.clean)}${s.reported.robust !== undefined ? `, ${pct(s.reported.robust)} under ${s.reported.attack ?? 'attack'}` : ''}`}
      {'.'}
      {s.citation && <span class="sub citation"> {s.citation}</span>}
    </p>
  );
}

export function TaskPage(p: { board: Board; papers?: Papers; history?: TaskHistory }) {
  const b = p.board;
  const robust = columnLabel(b.robustMetric);
  const link = (sort: string, dir: string) => href.task(b.taskId, { tier: b.tier, sort, dir });
  const th = (col: Board['sort'], label: string, extra: { num?: boolean; emph?: boolean; title?: string } = {}) => (
    <SortTh col={col} label={label} current={b.sort} dir={b.dir} defaultDir={defaultDir(col)} href={link} {...extra} />
  );
  const ranked = b.rows.filter((r) => r.robust && r.metrics.clean);
  // The metric plug-ins' board columns (harness/protocol/metrics/registry.ts), in their order.
  const columns = boardColumns();
  return (
    <Layout title={b.taskId}>
      <h1>{b.taskId}</h1>
      <div class="meta">
        <span>
          Threat model <b>{threat(b.threat)}</b>
        </span>
        <span>
          Ranked by <b>{robust}</b> robust accuracy
        </span>
        <span>
          Suites <b>{b.suites.join(', ')}</b>
        </span>
        <span>
          Last run <b>{date(b.lastFinishedAt)}</b>
        </span>
      </div>
      {b.source && <SourceNote s={b.source} />}
      {b.tiers.length > 1 && (
        <p class="tiers">
          Tier:{' '}
          {b.tiers.map((t) => (
            <a href={href.task(b.taskId, { tier: t })} class={t === b.tier ? 'active' : undefined}>
              {t}
            </a>
          ))}
        </p>
      )}
      <div class="scroll">
        <table class="sortable" id="leaderboard">
          <thead>
            <tr>
              {th('rank', '#', { num: true })}
              {th('method', 'Method')}
              {columns.map((c) => th(c.name, c.label, { num: true, emph: b.robustMetric === c.name, title: c.title }))}
              {th('gain', `Gain vs ${(b.baseline ?? 'at').toUpperCase()}`, {
                num: true,
                title: `${robust} robust accuracy minus the ${b.baseline ?? 'at'} baseline's, in percentage points`,
              })}
              {th('cost', 'Cost / seed', {
                num: true,
                title: "fine-tuning + evaluation time per seed on the run's backend",
              })}
              {th('seeds', 'Seeds', { num: true })}
              <th>Flags</th>
              <th>Verification</th>
            </tr>
          </thead>
          <tbody>
            {b.rows.map((r) => (
              <tr data-rank={r.rank === null ? undefined : String(r.rank)} data-method={r.methodId}>
                <td class="num" data-v={r.rank === null ? '' : String(r.rank)}>
                  {r.rank ?? '—'}
                </td>
                <td class="method" data-v={r.title.toLowerCase()}>
                  <a href={href.method(r.methodId)}>{r.title}</a>
                  {r.title !== r.methodId && <div class="sub">{r.methodId}</div>}
                  {r.variant && (
                    <div class="sub" title={JSON.stringify(r.config)}>
                      {r.variant}
                    </div>
                  )}
                </td>
                {columns.map((c) => (
                  <StatCell s={r.metrics[c.name]} emph={b.robustMetric === c.name} />
                ))}
                <GainCell row={r} baseline={b.baseline} />
                <td
                  class="num"
                  data-v={r.cost ? String(r.cost.hoursPerSeed) : ''}
                  title={
                    r.cost
                      ? `${hours(r.cost.totalHours, r.cost.unit)} in total over ${r.seeds.length} seed(s)`
                      : undefined
                  }
                >
                  {costPerSeed(r.cost)}
                </td>
                <td class="num" data-v={String(r.seeds.length)}>
                  {r.cells
                    .filter((c) => c.status === 'completed')
                    .map((c, i) => (
                      <>
                        {i > 0 && ' '}
                        <a href={href.cell(c.id)} class="seed" title={`run page of seed ${c.seed}`}>
                          {`s${c.seed}`}
                        </a>
                      </>
                    ))}
                </td>
                <RowChecks row={r} failedSeeds />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted">
        Mean ± standard deviation over seeds; hover a number for each seed's value and 95% interval. Seeds link to run
        pages.
      </p>
      <p class="links">
        Data: <a href={href.apiTask(b.taskId, { tier: b.tier })}>JSON</a>{' '}
        <a href={href.apiTask(b.taskId, { tier: b.tier, format: 'csv' })}>CSV</a>
      </p>
      <h2>Clean vs robust accuracy</h2>
      <Scatter
        points={ranked.map((r) => ({
          label: r.variant ? `${r.title} (${r.variant})` : r.title,
          x: r.metrics.clean!.mean,
          y: r.robust!.mean,
          href: href.method(r.methodId),
          title: `${r.title}: clean ${pct(r.metrics.clean!.mean)}, ${robust} ${pct(r.robust!.mean)}`,
          muted: r.methodId === b.baseline,
        }))}
        xLabel="clean accuracy"
        yLabel={`${robust} robust accuracy`}
        caption={`One point per method (mean over seeds). Up and to the right is better; the grey point is the ${b.baseline ?? 'at'} baseline.`}
      />
      {p.papers && <PapersSection papers={p.papers} />}
      <TaskHistorySection history={p.history} />
    </Layout>
  );
}
