/**
 * @module Store: the one place results are written (by the harness) and read (by the leaderboard).
 * SQLite through drizzle-orm + better-sqlite3. A cell and its metrics go in one transaction, so a
 * process killed at any moment leaves either the whole cell or nothing.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { and, asc, desc, eq, inArray, max, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { WriteError } from '../harness/foundation/util/fs-error.ts';
import { measurementOf } from './history.ts';
import * as schema from './schema.ts';
import type { CellRow, EvaluationRow, MetricRow, ModelRow, RunRow, SourceRow } from './schema.ts';

export const DEFAULT_DB_PATH = 'results/rftbench.db';
const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

export type NewCell = typeof schema.cells.$inferInsert;
export type NewMetric = Omit<typeof schema.metrics.$inferInsert, 'cellId'>;
export type NewRun = typeof schema.runs.$inferInsert;
export type NewSource = typeof schema.sources.$inferInsert;
export type NewModel = typeof schema.models.$inferInsert;
export type NewEvaluation = typeof schema.evaluations.$inferInsert;

export interface CellWithMetrics extends CellRow {
  metrics: MetricRow[];
}

/** How long opening a store waits for other processes: SQLite's busy timeout and whileContended's retries. */
const CONTENDED_MS = 5000;

/**
 * Runs `step` of opening `path` again until it succeeds or CONTENDED_MS have passed: processes started together
 * on one new store file contend for it. Switching a new file to WAL returns SQLITE_BUSY at once, whatever the busy
 * timeout, while another connection is switching it; and drizzle's migrate reads which migrations are applied
 * before it takes the write lock, so a second process found the first one's tables there ("table `cells` already
 * exists"). Both leave nothing half done (the migrations run in one transaction that rolls back), so trying again
 * reads the other's finished work.
 */
function whileContended(path: string, what: string, step: () => void): void {
  const deadline = Date.now() + CONTENDED_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      step();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Store: cannot ${what} ${path}: ${(err as Error).message.split('\n')[0]}`);
      // Paused by pid, so that contenders retry at different moments.
      Atomics.wait(pause, 0, 0, 20 + (process.pid % 30));
    }
  }
}

export class Store {
  readonly db: BetterSQLite3Database<typeof schema>;

  private constructor(
    readonly path: string,
    private readonly sqlite: Database.Database,
  ) {
    this.db = drizzle(sqlite, { schema });
  }

  /** Opens (creating if needed) a store and brings its schema up to date. `:memory:` works too. */
  static open(path: string = DEFAULT_DB_PATH, { readonly = false } = {}): Store {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    let sqlite: Database.Database;
    try {
      sqlite = new Database(path, { readonly, fileMustExist: readonly });
    } catch (err) {
      throw new Error(`Store: cannot open ${path}: ${(err as Error).message}`);
    }
    // First: runners started together on one new file wait for each other's locks (WAL's switch included).
    sqlite.pragma(`busy_timeout = ${CONTENDED_MS}`);
    if (!readonly) {
      whileContended(path, 'switch to WAL', () => sqlite.pragma('journal_mode = WAL'));
      sqlite.pragma('synchronous = NORMAL');
    }
    sqlite.pragma('foreign_keys = ON');
    const store = new Store(path, sqlite);
    if (!readonly)
      whileContended(path, 'bring up to date the schema of', () => migrate(store.db, { migrationsFolder: MIGRATIONS }));
    return store;
  }

  close(): void {
    this.sqlite.close();
  }

  /** Runs `fn` in one transaction (nested writes become savepoints): all of it lands or none. */
  transaction<T>(fn: () => T): T {
    return this.writing(() => this.sqlite.transaction(fn)());
  }

  /**
   * Like `transaction`, but takes the write lock at BEGIN (BEGIN IMMEDIATE): a read-then-write decision
   * (claiming a cell) cannot race another process's.
   */
  immediateTransaction<T>(fn: () => T): T {
    return this.writing(() => this.sqlite.transaction(fn).immediate());
  }

  /**
   * SQLite's own failures (a full disk: SQLITE_FULL, an I/O error) become `cannot write <db path>: <cause>`.
   * SQLite rolls the transaction back, so every record written before stays readable.
   */
  private writing<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw err instanceof Database.SqliteError ? new WriteError(this.path, err) : err;
    }
  }

  startRun(run: NewRun): void {
    this.writing(() => this.db.insert(schema.runs).values(run).run());
  }

  finishRun(id: string, status: RunRow['status']): void {
    this.writing(() =>
      this.db.update(schema.runs).set({ status, finishedAt: Date.now() }).where(eq(schema.runs.id, id)).run(),
    );
  }

  /**
   * Marks as interrupted the runs still `running` that were started on `host` by a process that no longer
   * exists. Runs of other hosts (other shards, maybe alive) are never touched. Returns how many were marked.
   */
  markInterruptedRuns(host: string, alive: (pid: number) => boolean): number {
    const running = this.db.select().from(schema.runs).where(eq(schema.runs.status, 'running')).all();
    let marked = 0;
    for (const r of running) {
      const env = r.environment as { host?: unknown; pid?: unknown };
      if (env.host !== host || typeof env.pid !== 'number' || alive(env.pid)) continue;
      this.db.update(schema.runs).set({ status: 'interrupted' }).where(eq(schema.runs.id, r.id)).run();
      marked++;
    }
    return marked;
  }

  getRun(id: string): RunRow | undefined {
    return this.db.select().from(schema.runs).where(eq(schema.runs.id, id)).get();
  }

  listRuns(): RunRow[] {
    return this.db.select().from(schema.runs).orderBy(desc(schema.runs.startedAt)).all();
  }

  /**
   * Writes an ended cell and its metrics atomically, and appends it to the cell's measurement history
   * (`results/history.ts`). A cell that failed before may be replaced (retry); a completed cell is replaced only
   * by a measurement of a self-reported one or when `replace` says the caller re-measured it on purpose (its
   * code changed, `--force`, a new night): the old record stays in the history. The cell's kept model
   * (`models` row), when given, lands in the same transaction; a replaced cell's old model row goes.
   */
  recordCell(cell: NewCell, metrics: NewMetric[], model?: NewModel, opts: RecordOptions = {}): void {
    this.transaction(() => {
      const prior = this.db
        .select({ status: schema.cells.status, verification: schema.cells.verification })
        .from(schema.cells)
        .where(eq(schema.cells.id, cell.id))
        .get();
      // Only a measurement may replace a self-reported (submitted) record; nothing replaces a measured one silently.
      const verifying = prior?.verification === 'self-reported' && (cell.verification ?? 'measured') === 'measured';
      if (prior?.status === 'completed' && !verifying && !opts.replace) {
        throw new Error(`Store: cell ${cell.id} is already completed; refusing to overwrite it`);
      }
      if (prior) {
        // Updated in place, so re-evaluations of the cell (and their model hashes) stay with it.
        this.db.delete(schema.metrics).where(eq(schema.metrics.cellId, cell.id)).run();
        this.db.delete(schema.models).where(eq(schema.models.cellId, cell.id)).run();
        const { id: _id, ...rest } = cell;
        this.db
          .update(schema.cells)
          .set({ error: null, verification: 'measured', ...rest })
          .where(eq(schema.cells.id, cell.id))
          .run();
      } else {
        this.db.insert(schema.cells).values(cell).run();
      }
      if (metrics.length) {
        this.db
          .insert(schema.metrics)
          .values(metrics.map((m) => ({ ...m, cellId: cell.id })))
          .run();
      }
      if (model) {
        if (model.cellId !== cell.id)
          throw new Error(`Store: model row for cell ${model.cellId} given with cell ${cell.id}`);
        this.db.insert(schema.models).values(model).run();
      }
      this.db
        .insert(schema.measurements)
        .values(measurementOf(cell, metrics, opts.night))
        .onConflictDoNothing()
        .run();
    });
  }

  /**
   * Whether the schema has `table`. A store opened read-only is not migrated, so one written by an older
   * rftbench lacks the newer tables; its readers then see none of their rows instead of an error.
   */
  hasTable(table: string): boolean {
    return !!this.sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  }

  /** The kept model of a cell, if it kept one. */
  getModel(cellId: string): ModelRow | undefined {
    if (!this.hasTable('models')) return undefined;
    return this.db.select().from(schema.models).where(eq(schema.models.cellId, cellId)).get();
  }

  listModels(): ModelRow[] {
    if (!this.hasTable('models')) return [];
    return this.db.select().from(schema.models).orderBy(asc(schema.models.cellId)).all();
  }

  /** Records a re-evaluation of a cell's kept model; the cell must exist. */
  recordEvaluation(evaluation: NewEvaluation): void {
    this.db.insert(schema.evaluations).values(evaluation).run();
  }

  /** A cell's re-evaluations, oldest first. */
  evaluationsOf(cellId: string): EvaluationRow[] {
    if (!this.hasTable('evaluations')) return [];
    const { evaluations } = schema;
    return this.db
      .select()
      .from(evaluations)
      .where(eq(evaluations.cellId, cellId))
      .orderBy(asc(evaluations.createdAt), asc(evaluations.id))
      .all();
  }

  listEvaluations(): EvaluationRow[] {
    if (!this.hasTable('evaluations')) return [];
    return this.db
      .select()
      .from(schema.evaluations)
      .orderBy(asc(schema.evaluations.createdAt), asc(schema.evaluations.id))
      .all();
  }

  /** Status of each given cell id that has ended; ids absent from the map have not. */
  cellStatuses(ids: readonly string[]): Map<string, CellRow['status']> {
    const out = new Map<string, CellRow['status']>();
    // SQLite caps bound parameters; chunk the lookup.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = this.db
        .select({ id: schema.cells.id, status: schema.cells.status })
        .from(schema.cells)
        .where(inArray(schema.cells.id, ids.slice(i, i + 500)))
        .all();
      for (const r of rows) out.set(r.id, r.status);
    }
    return out;
  }

  /** The given cell ids whose stored record is self-reported (submitted, not yet re-run here). */
  selfReportedCells(ids: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = this.db
        .select({ id: schema.cells.id })
        .from(schema.cells)
        .where(and(inArray(schema.cells.id, ids.slice(i, i + 500)), eq(schema.cells.verification, 'self-reported')))
        .all();
      for (const r of rows) out.add(r.id);
    }
    return out;
  }

  getCell(id: string): CellWithMetrics | undefined {
    const cell = this.db.select().from(schema.cells).where(eq(schema.cells.id, id)).get();
    return cell && { ...cell, metrics: this.metricsOf(cell.id) };
  }

  metricsOf(cellId: string): MetricRow[] {
    return this.db
      .select()
      .from(schema.metrics)
      .where(eq(schema.metrics.cellId, cellId))
      .orderBy(asc(schema.metrics.name))
      .all();
  }

  /** Cells with their metrics, optionally filtered, oldest first. */
  listCells(filter: CellQuery = {}): CellWithMetrics[] {
    return this.queryCells(filter);
  }

  putSource(source: NewSource): void {
    this.writing(() =>
      this.db
        .insert(schema.sources)
        .values(source)
        .onConflictDoUpdate({ target: schema.sources.id, set: source })
        .run(),
    );
  }

  getSource(id: string): SourceRow | undefined {
    return this.db.select().from(schema.sources).where(eq(schema.sources.id, id)).get();
  }

  listSources(): SourceRow[] {
    return this.db.select().from(schema.sources).orderBy(asc(schema.sources.createdAt)).all();
  }

  // ---- Read methods for the leaderboard (read-only; they never write). ----

  /**
   * A number that changes whenever the database changes, through this connection or any other (the
   * harness writing while the site reads), so a reader can cache what it derives from the store.
   */
  dataVersion(): string {
    const external = this.sqlite.pragma('data_version', { simple: true }) as number;
    const own = (this.sqlite.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    return `${external}.${own}`;
  }

  /** One row per (task, tier) that has cells: counts, suites and the last time a cell of it ended. */
  listTaskTiers(): TaskTierSummary[] {
    const rows = this.db
      .select({
        taskId: schema.cells.taskId,
        tier: schema.cells.tier,
        cells: sql<number>`count(*)`,
        completed: sql<number>`sum(case when ${schema.cells.status} = 'completed' then 1 else 0 end)`,
        methods: sql<number>`count(distinct ${schema.cells.methodId})`,
        suites: sql<string>`group_concat(distinct ${schema.cells.suite})`,
        lastFinishedAt: max(schema.cells.finishedAt),
      })
      .from(schema.cells)
      .groupBy(schema.cells.taskId, schema.cells.tier)
      .orderBy(asc(schema.cells.taskId), asc(schema.cells.tier))
      .all();
    return rows.map((r) => ({
      ...r,
      completed: Number(r.completed ?? 0),
      suites: (r.suites ?? '').split(',').filter(Boolean).sort(),
      lastFinishedAt: r.lastFinishedAt ?? 0,
    }));
  }

  /** Distinct method ids that have at least one cell, sorted. */
  listMethodIds(): string[] {
    return this.db
      .selectDistinct({ id: schema.cells.methodId })
      .from(schema.cells)
      .orderBy(asc(schema.cells.methodId))
      .all()
      .map((r) => r.id);
  }

  /**
   * Like listCells, with a tier filter and, optionally, only the named metrics (exact names, or
   * prefixes ending in `/`, e.g. `autoattack/`), so a summary does not load every per-corruption row.
   */
  queryCells(filter: CellQuery = {}, opts: { metrics?: readonly string[] } = {}): CellWithMetrics[] {
    const conds = [
      filter.suite ? eq(schema.cells.suite, filter.suite) : undefined,
      filter.tier ? eq(schema.cells.tier, filter.tier) : undefined,
      filter.taskId ? eq(schema.cells.taskId, filter.taskId) : undefined,
      filter.methodId ? eq(schema.cells.methodId, filter.methodId) : undefined,
      filter.status ? eq(schema.cells.status, filter.status) : undefined,
    ].filter((c) => c !== undefined);
    const cells = this.db
      .select()
      .from(schema.cells)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(asc(schema.cells.finishedAt), asc(schema.cells.id))
      .all();
    const byCell = new Map<string, MetricRow[]>();
    const wanted = opts.metrics;
    const keep = (name: string) => !wanted || wanted.some((w) => (w.endsWith('/') ? name.startsWith(w) : name === w));
    for (let i = 0; i < cells.length; i += 500) {
      const ids = cells.slice(i, i + 500).map((c) => c.id);
      const rows = this.db
        .select()
        .from(schema.metrics)
        .where(inArray(schema.metrics.cellId, ids))
        .orderBy(asc(schema.metrics.name))
        .all();
      for (const m of rows) if (keep(m.name)) byCell.set(m.cellId, [...(byCell.get(m.cellId) ?? []), m]);
    }
    return cells.map((c) => ({ ...c, metrics: byCell.get(c.id) ?? [] }));
  }
}

export interface RecordOptions {
  /** The night the measurement belongs to (YYYY-MM-DD); default: the day the cell finished (UTC). */
  night?: string;
  /** The caller re-measured a completed cell on purpose: replace it, keeping the old record as history. */
  replace?: boolean;
}

export interface CellQuery {
  suite?: string;
  tier?: string;
  taskId?: string;
  methodId?: string;
  status?: CellRow['status'];
}

export interface TaskTierSummary {
  taskId: string;
  tier: string;
  cells: number;
  completed: number;
  methods: number;
  suites: string[];
  lastFinishedAt: number;
}
