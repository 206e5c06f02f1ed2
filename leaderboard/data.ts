/**
 * @module The leaderboard's read model: turns store rows into boards (one per task and tier), method
 * and cell views, and comparisons. Read-only; results are cached until the store's data version
 * changes, so a harness writing while the site serves is picked up on the next request.
 */
import { createHash } from 'node:crypto';
import type { CellWithMetrics, Store } from '../results/store.ts';
import type { MetricRow, ModelRow } from '../results/schema.ts';
import { href, meanStd } from './format.ts';
import type { MethodCatalog, MethodInfo } from './methods.ts';
import { taskSourceOf } from './task-source.ts';
import {
  SUMMARY_METRICS,
  type Board,
  type BoardRow,
  type CellDetail,
  type Compare,
  type CompareRow,
  type Dir,
  type MethodDetail,
  type MethodSummary,
  type MetricStat,
  type SortColumn,
  type SummaryMetric,
  type TaskSummary,
} from './schemas.ts';

/** The method every entry's robustness gain is measured against. */
export const BASELINE_METHOD = 'at';
/** When a task has several tiers, its page shows the most thorough by default. */
export const TIER_ORDER = ['standard', 'quick', 'smoke'];
export const AUTOATTACK_COMPONENTS = ['apgd-ce', 'apgd-t', 'fab-t', 'square'];

export class NotFound extends Error {
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`No ${what} '${id}'`);
    this.name = 'NotFound';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (isObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

const shortHash = (v: unknown) => createHash('sha256').update(canonical(v)).digest('hex').slice(0, 8);

/** What the cell page shows of a kept model (null: the cell kept none). */
function modelOf(row: ModelRow | undefined): CellDetail['model'] {
  if (!row) return null;
  return { sha256: row.sha256, bytes: row.bytes, url: href.cellModel(row.cellId), unloadable: row.unloadable, createdAt: row.createdAt };
}

/** The method config a cell ran with: `spec.method.config` (harness) or `spec.methodConfig`. */
export function configOf(cell: CellWithMetrics): Json {
  const spec = cell.spec as Json;
  const m = spec.method;
  if (isObject(m) && isObject(m.config)) return m.config;
  if (isObject(spec.methodConfig)) return spec.methodConfig;
  return {};
}

export function threatOf(cell: { spec: Json }): { norm: string; eps: number } | null {
  const task = cell.spec.task;
  const t = isObject(task) ? task.threat : undefined;
  return isObject(t) && typeof t.norm === 'string' && typeof t.eps === 'number' ? { norm: t.norm, eps: t.eps } : null;
}

export const costUnit = (cell: { provenance: Json }): 'CPU' | 'GPU' => (cell.provenance.backend === 'tensorflow-gpu' ? 'GPU' : 'CPU');

export function flagsOf(metrics: readonly MetricRow[]): string[] {
  const out = new Set<string>();
  for (const m of metrics) {
    const f = isObject(m.details) ? m.details.flags : undefined;
    if (Array.isArray(f)) for (const x of f) out.add(`${m.name}: ${String(x)}`);
  }
  return [...out];
}

function stat(cells: readonly CellWithMetrics[], name: string): MetricStat | undefined {
  const values = [];
  for (const c of cells) {
    const m = c.metrics.find((x) => x.name === name);
    if (m) values.push({ seed: c.seed, cellId: c.id, value: m.value, n: m.n, ciLow: m.ciLow, ciHigh: m.ciHigh });
  }
  if (!values.length) return undefined;
  values.sort((a, b) => a.seed - b.seed);
  const { mean, std } = meanStd(values.map((v) => v.value));
  return { mean, std, seeds: values.length, values };
}

/** AutoAttack when any completed cell of the board has it, else PGD. */
function robustMetricOf(cells: readonly CellWithMetrics[]): 'autoattack' | 'pgd' {
  return cells.some((c) => c.status === 'completed' && c.metrics.some((m) => m.name === 'autoattack')) ? 'autoattack' : 'pgd';
}

const NUMERIC_DEFAULT_DIR: Record<SortColumn, Dir> = {
  rank: 'asc', method: 'asc', clean: 'desc', pgd: 'desc', autoattack: 'desc', corruption: 'desc', gain: 'desc', cost: 'asc', seeds: 'desc',
};

export const defaultDir = (col: SortColumn): Dir => NUMERIC_DEFAULT_DIR[col];

function sortValue(row: BoardRow, col: SortColumn): number | string | null {
  switch (col) {
    case 'rank':
      return row.rank;
    case 'method':
      return `${row.title.toLowerCase()} ${row.variant ?? ''}`;
    case 'gain':
      return row.gain;
    case 'cost':
      return row.cost?.hoursPerSeed ?? null;
    case 'seeds':
      return row.seeds.length;
    default:
      return row.metrics[col]?.mean ?? null;
  }
}

/** Sorts rows by a column; missing values always go last, ties keep rank order. */
export function sortRows(rows: readonly BoardRow[], col: SortColumn, dir: Dir): BoardRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, col);
    const y = sortValue(b, col);
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    if (x !== null && y !== null && x !== y) return (x < y ? -1 : 1) * sign;
    return (a.rank ?? Infinity) - (b.rank ?? Infinity);
  });
}

const summaryFilter = [...SUMMARY_METRICS];

interface Cache {
  version: string;
  entries: Map<string, Promise<unknown>>;
}

export class Leaderboard {
  private cache: Cache = { version: '', entries: new Map() };

  constructor(
    readonly store: Store,
    readonly catalog: MethodCatalog,
  ) {}

  /** Memoises a computation until the store changes (bounded; cleared on every data change). */
  private memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const version = this.store.dataVersion();
    if (version !== this.cache.version) this.cache = { version, entries: new Map() };
    let p = this.cache.entries.get(key) as Promise<T> | undefined;
    if (!p) {
      if (this.cache.entries.size >= 500) this.cache.entries.clear();
      p = compute();
      this.cache.entries.set(key, p);
      p.catch(() => this.cache.entries.delete(key));
    }
    return p;
  }

  private async infos(ids: Iterable<string>): Promise<Map<string, MethodInfo>> {
    const list = [...new Set(ids)];
    const got = await Promise.all(list.map((id) => this.catalog.info(id)));
    return new Map(list.map((id, i) => [id, got[i]]));
  }

  /** Tiers a task has cells in, most thorough first. */
  tiersOf(taskId: string): string[] {
    const tiers = this.store.listTaskTiers().filter((t) => t.taskId === taskId).map((t) => t.tier);
    return tiers.sort((a, b) => rankTier(a) - rankTier(b));
  }

  /** The leaderboard of one task and tier; throws NotFound for a task with no cells. */
  board(taskId: string, q: { tier?: string; sort?: SortColumn; dir?: Dir } = {}): Promise<Board> {
    const sort = q.sort ?? 'rank';
    const dir = q.dir ?? defaultDir(sort);
    return this.memo(`board|${taskId}|${q.tier ?? ''}|${sort}|${dir}`, async () => {
      const tiers = this.tiersOf(taskId);
      if (!tiers.length) throw new NotFound('task', taskId);
      const tier = q.tier ?? tiers[0];
      if (!tiers.includes(tier)) throw new NotFound('tier', `${tier}' of task '${taskId}`);
      const cells = this.store.queryCells({ taskId, tier }, { metrics: summaryFilter });
      const rows = await this.rowsOf(cells);
      return {
        taskId,
        tier,
        tiers,
        suites: [...new Set(cells.map((c) => c.suite))].sort(),
        threat: cells.map((c) => threatOf(c)).find((t) => t) ?? null,
        source: taskSourceOf(cells, this.store),
        robustMetric: robustMetricOf(cells),
        baseline: rows.some((r) => r.methodId === BASELINE_METHOD && r.robust) ? BASELINE_METHOD : null,
        sort,
        dir,
        lastFinishedAt: Math.max(0, ...cells.map((c) => c.finishedAt)),
        rows: sortRows(rows, sort, dir),
      };
    });
  }

  /** Rows of a board, ranked by the robust metric (then clean accuracy, then title). */
  private async rowsOf(cells: readonly CellWithMetrics[]): Promise<BoardRow[]> {
    const robustName = robustMetricOf(cells);
    const infos = await this.infos(cells.map((c) => c.methodId));
    const groups = new Map<string, CellWithMetrics[]>();
    for (const c of cells) {
      const key = `${c.methodId}\u0000${shortHash({ config: configOf(c), protocol: (c.spec as Json).protocol ?? null })}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const variants = new Map<string, number>();
    for (const key of groups.keys()) {
      const id = key.split('\u0000')[0];
      variants.set(id, (variants.get(id) ?? 0) + 1);
    }
    const rows: BoardRow[] = [];
    for (const [key, group] of groups) {
      const [methodId, configHash] = key.split('\u0000');
      const done = group.filter((c) => c.status === 'completed');
      const failed = group.filter((c) => c.status === 'failed');
      const metrics: BoardRow['metrics'] = {};
      for (const name of SUMMARY_METRICS) {
        const s = stat(done, name);
        if (s) metrics[name] = s;
      }
      const units = new Set(done.map(costUnit));
      const total = done.reduce((a, c) => a + c.trainSeconds + c.evalSeconds, 0) / 3600;
      const info = infos.get(methodId)!;
      rows.push({
        rank: null,
        methodId,
        title: info.title,
        registered: info.registered,
        config: configOf(group[0]),
        configHash,
        variant: (variants.get(methodId) ?? 0) > 1 ? `config ${configHash}` : null,
        metrics,
        robust: metrics[robustName] ?? null,
        gain: null,
        cost: done.length ? { hoursPerSeed: total / done.length, totalHours: total, unit: units.size > 1 ? 'mixed' : [...units][0] } : null,
        seeds: done.map((c) => c.seed).sort((a, b) => a - b),
        failed: failed.map((c) => ({ seed: c.seed, cellId: c.id, error: c.error })).sort((a, b) => a.seed - b.seed),
        cells: group.map((c) => ({ id: c.id, seed: c.seed, status: c.status })).sort((a, b) => a.seed - b.seed),
        flags: [...new Set(done.flatMap((c) => flagsOf(c.metrics)))],
        verification: group.some((c) => c.verification === 'self-reported') ? 'self-reported' : 'measured',
      });
    }
    rows.sort(
      (a, b) =>
        (b.robust?.mean ?? -1) - (a.robust?.mean ?? -1) ||
        (b.metrics.clean?.mean ?? -1) - (a.metrics.clean?.mean ?? -1) ||
        a.title.localeCompare(b.title),
    );
    rows.forEach((r, i) => {
      if (r.robust) r.rank = i + 1;
    });
    const base = rows.find((r) => r.methodId === BASELINE_METHOD && r.robust);
    if (base) for (const r of rows) r.gain = r.robust ? r.robust.mean - base.robust!.mean : null;
    return rows;
  }

  /** Every (task, tier) with its best entry and the date of its last cell. */
  tasks(): Promise<TaskSummary[]> {
    return this.memo('tasks', async () => {
      const out: TaskSummary[] = [];
      for (const t of this.store.listTaskTiers()) {
        const board = await this.board(t.taskId, { tier: t.tier });
        const best = board.rows[0]?.robust ? board.rows[0] : undefined;
        out.push({
          taskId: t.taskId,
          tier: t.tier,
          suites: t.suites,
          threat: board.threat,
          methods: t.methods,
          cells: t.cells,
          completed: t.completed,
          lastFinishedAt: t.lastFinishedAt,
          robustMetric: board.robustMetric,
          best: best ? { methodId: best.methodId, title: best.title, robust: best.robust!.mean, clean: best.metrics.clean?.mean ?? null } : null,
        });
      }
      return out.sort((a, b) => a.taskId.localeCompare(b.taskId) || rankTier(a.tier) - rankTier(b.tier));
    });
  }

  /** Registered methods and methods found in the store, registered first. */
  methods(): Promise<MethodSummary[]> {
    return this.memo('methods', async () => {
      const stored = this.store.listMethodIds();
      const registered = await this.catalog.ids();
      const ids = [...new Set([...registered, ...stored])];
      const infos = await this.infos(ids);
      const counts = new Map<string, { tasks: Set<string>; cells: number }>();
      for (const c of this.store.queryCells({}, { metrics: [] })) {
        const e = counts.get(c.methodId) ?? { tasks: new Set(), cells: 0 };
        e.tasks.add(c.taskId);
        e.cells++;
        counts.set(c.methodId, e);
      }
      return ids.map((id) => {
        const i = infos.get(id)!;
        return {
          id,
          title: i.title,
          registered: i.registered,
          paper: i.paper ? { ...i.paper } : null,
          description: i.description,
          tasks: counts.get(id)?.tasks.size ?? 0,
          cells: counts.get(id)?.cells ?? 0,
        };
      });
    });
  }

  /** One method: its registry metadata, config defaults and its rows on every board. */
  method(id: string): Promise<MethodDetail> {
    return this.memo(`method|${id}`, async () => {
      const info = await this.catalog.info(id);
      const cells = this.store.queryCells({ methodId: id }, { metrics: [] });
      if (!info.registered && !cells.length) throw new NotFound('method', id);
      const results: MethodDetail['results'] = [];
      const boards = [...new Set(cells.map((c) => `${c.taskId}\u0000${c.tier}`))].sort();
      for (const key of boards) {
        const [taskId, tier] = key.split('\u0000');
        const board = await this.board(taskId, { tier });
        for (const row of board.rows.filter((r) => r.methodId === id)) {
          results.push({ taskId, tier, robustMetric: board.robustMetric, of: board.rows.filter((r) => r.rank !== null).length, row });
        }
      }
      return {
        id,
        title: info.title,
        registered: info.registered,
        paper: info.paper ? { ...info.paper } : null,
        description: info.description,
        tasks: new Set(cells.map((c) => c.taskId)).size,
        cells: cells.length,
        configSchema: info.configSchema,
        defaults: info.defaults,
        loadError: info.loadError,
        results,
      };
    });
  }

  /** One cell with every metric; throws NotFound. */
  cell(id: string): Promise<CellDetail> {
    return this.memo(`cell|${id}`, async () => {
      const c = this.store.getCell(id);
      if (!c) throw new NotFound('cell', id);
      const info = await this.catalog.info(c.methodId);
      return {
        id: c.id,
        suite: c.suite,
        tier: c.tier,
        taskId: c.taskId,
        methodId: c.methodId,
        methodTitle: info.title,
        seed: c.seed,
        status: c.status,
        error: c.error,
        runId: c.runId,
        verification: c.verification,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt,
        trainSeconds: c.trainSeconds,
        evalSeconds: c.evalSeconds,
        cost: { hours: (c.trainSeconds + c.evalSeconds) / 3600, unit: costUnit(c) },
        flags: flagsOf(c.metrics),
        spec: c.spec,
        provenance: c.provenance,
        artifacts: c.artifacts,
        metrics: c.metrics,
        model: modelOf(this.store.getModel(c.id)),
        evaluations: this.store.evaluationsOf(c.id).map(({ cellId: _cell, ...e }) => e),
      };
    });
  }

  /** Side by side: two cells, two methods (all their boards), or a cell against a method on its task. */
  compare(a: string, b: string): Promise<Compare> {
    return this.memo(`compare|${a}|${b}`, async () => {
      const [sa, sb] = [await this.side(a, 'a'), await this.side(b, 'b')];
      const keys = [...new Set([...sa.entries.keys(), ...sb.entries.keys()])];
      // A cell compared with a method: only the cell's board matters.
      const scoped = sa.kind === 'cell' ? [...sa.entries.keys()] : sb.kind === 'cell' ? [...sb.entries.keys()] : keys;
      const rows: CompareRow[] = [];
      for (const key of scoped.sort()) {
        const [taskId, tier] = key.split('\u0000');
        const ma = sa.entries.get(key) ?? new Map();
        const mb = sb.entries.get(key) ?? new Map();
        const names = [...new Set([...ma.keys(), ...mb.keys()])].sort(compareMetricNames);
        for (const metric of names) {
          const x = ma.get(metric);
          const y = mb.get(metric);
          rows.push({
            taskId,
            tier,
            metric,
            a: x?.mean ?? null,
            aStd: x?.std ?? null,
            b: y?.mean ?? null,
            bStd: y?.std ?? null,
            diff: x && y ? y.mean - x.mean : null,
          });
        }
      }
      return { a: sa.side, b: sb.side, rows };
    });
  }

  private async side(ref: string, param: 'a' | 'b') {
    const cell = this.store.getCell(ref);
    const entries = new Map<string, Map<string, { mean: number; std: number | null }>>();
    if (cell) {
      const info = await this.catalog.info(cell.methodId);
      const m = new Map<string, { mean: number; std: number | null }>();
      for (const x of cell.metrics) if (!x.name.startsWith('corruption/')) m.set(x.name, { mean: x.value, std: null });
      entries.set(`${cell.taskId}\u0000${cell.tier}`, m);
      return { kind: 'cell' as const, entries, side: { kind: 'cell' as const, id: ref, label: `${info.title} · ${cell.taskId} · seed ${cell.seed}` } };
    }
    const info = await this.catalog.info(ref);
    const cells = this.store.queryCells({ methodId: ref, status: 'completed' }, { metrics: [...SUMMARY_METRICS, 'autoattack/'] });
    if (!info.registered && !cells.length) throw new NotFound(`cell or method (parameter '${param}')`, ref);
    const byBoard = new Map<string, CellWithMetrics[]>();
    for (const c of cells) {
      const key = `${c.taskId}\u0000${c.tier}`;
      byBoard.set(key, [...(byBoard.get(key) ?? []), c]);
    }
    for (const [key, group] of byBoard) {
      // With several configs on one board, the best-ranked one represents the method.
      const [taskId, tier] = key.split('\u0000');
      const row = (await this.board(taskId, { tier })).rows.filter((r) => r.methodId === ref).sort((x, y) => (x.rank ?? 1e9) - (y.rank ?? 1e9))[0];
      const members = group.filter((c) => !row || row.cells.some((rc) => rc.id === c.id));
      const names = [...new Set(members.flatMap((c) => c.metrics.map((m) => m.name)))];
      const m = new Map<string, { mean: number; std: number | null }>();
      for (const name of names) {
        const s = stat(members, name);
        if (s) m.set(name, { mean: s.mean, std: s.std });
      }
      entries.set(key, m);
    }
    return { kind: 'method' as const, entries, side: { kind: 'method' as const, id: ref, label: info.title } };
  }
}

function rankTier(t: string): number {
  const i = TIER_ORDER.indexOf(t);
  return i < 0 ? TIER_ORDER.length : i;
}

const METRIC_ORDER = ['clean', 'pgd', 'autoattack', ...AUTOATTACK_COMPONENTS.map((c) => `autoattack/${c}`), 'corruption'];

export function compareMetricNames(a: string, b: string): number {
  const ia = METRIC_ORDER.indexOf(a);
  const ib = METRIC_ORDER.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a.localeCompare(b);
}

export type { SummaryMetric };
