/** @module The page frame and the small pieces every page uses (metric cells, badges, flags). */
import type { Child } from 'hono/jsx';
import { ci, hours, href, pct } from '../format.ts';
import type { BoardRow, MetricStat } from '../schemas.ts';

export function Layout(p: { title: string; active?: 'home' | 'methods' | 'compare'; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${p.title} · rftbench`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/site.css" />
        <script src="/assets/sort.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            rftbench
          </a>
          <nav>
            <a href="/" class={p.active === 'home' ? 'active' : undefined}>
              Leaderboards
            </a>
            <a href="/methods" class={p.active === 'methods' ? 'active' : undefined}>
              Methods
            </a>
            <a href="/compare" class={p.active === 'compare' ? 'active' : undefined}>
              Compare
            </a>
            <a href="/changes">Since last night</a>
            <a href="/api/openapi.json">API</a>
          </nav>
        </header>
        <main>{p.children}</main>
        <footer>
          Robust fine-tuning of adversarially pre-trained models. Every number is measured by the fixed rftbench
          evaluation unless marked self-reported; accuracies carry 95% Wilson intervals (hover a number).
        </footer>
      </body>
    </html>
  );
}

/** Title text for a metric over seeds: each seed's value, interval and n. */
export function statTitle(s: MetricStat): string {
  return s.values.map((v) => `seed ${v.seed}: ${pct(v.value)} (${ci(v.ciLow, v.ciHigh)}, n = ${v.n})`).join('\n');
}

/** A table cell with mean ± std over seeds, the seeds' intervals on hover, and a sort key. */
/** A table's header of plain columns; those named in `num` hold numbers (right-aligned). */
export function TableHead(p: { cols: readonly string[]; num?: readonly string[] }) {
  return (
    <thead>
      <tr>
        {p.cols.map((c) => (
          <th class={p.num?.includes(c) ? 'num' : undefined}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}

export function StatCell(p: { s?: MetricStat | null; emph?: boolean }) {
  const cls = p.emph ? 'num key' : 'num';
  if (!p.s)
    return (
      <td class={cls} data-v="">
        —
      </td>
    );
  return (
    <td class={cls} data-v={String(p.s.mean)} title={statTitle(p.s)}>
      {pct(p.s.mean)}
      {p.s.std !== null && <span class="sd">{` ± ${(p.s.std * 100).toFixed(1)}`}</span>}
    </td>
  );
}

export function Badge(p: { kind: string; children?: Child; title?: string }) {
  return (
    <span class={`badge ${p.kind}`} title={p.title}>
      {p.children ?? p.kind}
    </span>
  );
}

/** A board row's fine-tuning + evaluation time per seed. */
export function costPerSeed(cost: BoardRow['cost']): string {
  return cost ? hours(cost.hoursPerSeed, cost.unit === 'mixed' ? 'CPU/GPU' : cost.unit) : '—';
}

/** A board row's last cells: its flags (with its failed seeds linked, where asked) and its verification badge. */
export function RowChecks(p: { row: BoardRow; failedSeeds?: boolean }) {
  return (
    <>
      <td>
        <Flags flags={p.row.flags} />
        {p.failedSeeds &&
          p.row.failed.map((f) => (
            <a class="chip failed" href={href.cell(f.cellId)} title={f.error ?? 'failed'}>
              {`seed ${f.seed} failed`}
            </a>
          ))}
      </td>
      <td>
        <Badge kind={p.row.verification} />
      </td>
    </>
  );
}

export function Flags(p: { flags: string[] }) {
  return (
    <>
      {p.flags.map((f) => (
        <span class="chip" title="evaluation sanity flag">
          {f}
        </span>
      ))}
    </>
  );
}

/** Sortable header: a link that sorts server-side, intercepted by sort.js to sort in place. */
export function SortTh(p: {
  col: string;
  label: string;
  current: string;
  dir: 'asc' | 'desc';
  defaultDir: 'asc' | 'desc';
  href: (col: string, dir: string) => string;
  num?: boolean;
  emph?: boolean;
  title?: string;
}) {
  const active = p.col === p.current;
  const next = active ? (p.dir === 'asc' ? 'desc' : 'asc') : p.defaultDir;
  const cls = [p.num ? 'num' : '', p.emph ? 'key' : ''].filter(Boolean).join(' ') || undefined;
  return (
    <th class={cls} aria-sort={active ? (p.dir === 'asc' ? 'ascending' : 'descending') : undefined} title={p.title}>
      <a href={p.href(p.col, next)} data-col={p.col} data-dir={p.defaultDir}>
        {p.label}
      </a>
    </th>
  );
}

export function ErrorPage(p: { status: number; title: string; message: string }) {
  return (
    <Layout title={p.title}>
      <h1>{`${p.status} · ${p.title}`}</h1>
      <p class="error-box">{p.message}</p>
      <p>
        <a href="/">Back to the leaderboards</a>
      </p>
    </Layout>
  );
}
