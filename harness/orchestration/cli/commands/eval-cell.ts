/**
 * @module `rftbench eval --cell ID`: re-evaluates a stored cell's kept model on its task's target test split
 * with its threat, after checking the file's sha256 against the store, and records the result beside the
 * cell's (`evaluations`). Defaults come from the cell spec (threat, tier evaluation, seed); flags override.
 * Without `--attack` it runs the cell's whole tier evaluation again, so every number can be compared.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { getDataset } from '../../../../datasets/registry.ts';
import type { CellRow, EvaluationMetric } from '../../../../results/schema.ts';
import { DEFAULT_DB_PATH, Store } from '../../../../results/store.ts';
import { loadTorchTensors } from '../../../foundation/checkpoint/checkpoint.ts';
import { evaluateRobustness, type EvaluationConfig } from '../../evaluate/evaluate.ts';
import type { MetricValue } from '../../evaluate/metric.ts';
import type { Classifier } from '../../../foundation/models/classifier.ts';
import { buildModel } from '../../../foundation/models/zoo.ts';
import { resolvePgd } from '../../../protocol/attack-specs.ts';
import type { CellSpec } from '../../../protocol/cells.ts';
import { AutoAttackEvaluationSchema, type Threat, type Tier } from '../../../protocol/schema.ts';
import { autoAttackSeed } from '../../../protocol/seeds.ts';
import { adaptTaskInputs } from '../../run/adapt-input.ts';
import { readKeptModel } from '../../run/cell-model.ts';
import { describeEnvironment } from '../../run/provenance.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';
import { UsageError, intFlag, parseFlags } from '../command.ts';
import { parseAttack, parseEps } from './eval.ts';

/** What to run: the tier's whole evaluation, clean accuracy alone, AutoAttack, or one attack. */
type Mode =
  | { kind: 'protocol' }
  | { kind: 'clean' }
  | { kind: 'autoattack'; version?: string }
  | { kind: 'attack'; id: string };

function parseMode(text: string | undefined): Mode {
  if (text === undefined || text === 'protocol') return { kind: 'protocol' };
  if (text === 'clean') return { kind: 'clean' };
  const { id, version } = parseAttack(text);
  return id === 'autoattack' ? { kind: 'autoattack', version } : { kind: 'attack', id };
}

function modeLabel(mode: Mode): string {
  if (mode.kind === 'autoattack') return mode.version ? `autoattack:${mode.version}` : 'autoattack';
  return mode.kind === 'attack' ? mode.id : mode.kind;
}

interface Settings {
  threat: Threat;
  n: number;
  batchSize: number;
  seed: number;
}

interface Evaluated {
  metrics: MetricValue[];
  /** The attack settings actually used (AutoAttack config, attack options), for the record. */
  details: Record<string, unknown>;
}

interface EvaluateContext {
  dataDir?: string;
  log: (line: string) => void;
}

async function evaluate(
  model: Classifier,
  mode: Mode,
  s: Settings,
  cell: CellSpec,
  ctx: EvaluateContext,
): Promise<Evaluated> {
  const tier: Tier = cell.tier;
  const loaded = await getDataset(cell.task.target, { dataDir: ctx.dataDir }).load('test');
  // The test images as the cell saw them (the task's resize and channel rules, batch by batch, as in run-cell).
  // Only the test split is scored, so it also stands in for the train split, whose shape the rules check.
  const { test } = adaptTaskInputs(cell.task, model.spec.inputShape, { train: loaded, test: loaded }, cell.seed);
  const { threat, seed, log } = { ...s, ...ctx };
  const size = { n: s.n, batchSize: s.batchSize };
  const run = (
    evaluation: EvaluationConfig,
    extra: { corruptions?: { dataset: string; load: { dataDir?: string } }; autoattack?: { seed: number } } = {},
  ) => evaluateRobustness(model, test, { threat, evaluation, seed, log, ...extra });
  if (mode.kind === 'protocol') {
    const evaluation = { ...tier.evaluation, ...size };
    const corruptions = cell.task.corruptions
      ? { dataset: cell.task.corruptions, load: { dataDir: ctx.dataDir } }
      : undefined;
    return { metrics: await run(evaluation, { corruptions }), details: { evaluation } };
  }
  if (mode.kind === 'clean') return { metrics: await run(size), details: {} };
  if (mode.kind === 'autoattack') {
    // The tier's AutoAttack (components, overrides) unless a version is asked for.
    const tierAa = tier.evaluation.autoattack;
    const asked = mode.version || !tierAa ? { version: mode.version ?? 'standard', ...size } : { ...tierAa, ...size };
    const config = AutoAttackEvaluationSchema.parse(asked);
    // The seed is AutoAttack's own here (settingsOf derived it from the cell's as the cell's run did).
    return {
      metrics: await run({ ...size, autoattack: config }, { autoattack: { seed } }),
      details: { autoattack: config },
    };
  }
  const spec = mode.id === 'pgd' ? resolvePgd(threat, tier.evaluation.pgd) : { id: mode.id, options: { ...threat } };
  return { metrics: await run({ ...size, attack: spec }), details: { attack: spec } };
}

/** Defaults from the cell: the task's threat, the tier's n and batch size for the attack run, the cell's seed. */
function settingsOf(cell: CellSpec, mode: Mode, values: Record<string, string | boolean | undefined>): Settings {
  const flag = (k: string) => values[k] as string | undefined;
  const norm = flag('norm') ?? cell.task.threat.norm;
  if (norm !== 'Linf' && norm !== 'L2') throw new UsageError(`--norm must be Linf or L2, got '${norm}'`);
  // Another norm than the task's gets eval's defaults (8/255 for Linf, 0.5 for L2).
  const fallbackEps = norm === cell.task.threat.norm ? cell.task.threat.eps : norm === 'Linf' ? 8 / 255 : 0.5;
  const eps = flag('eps') !== undefined ? parseEps(flag('eps')!) : fallbackEps;
  const aa = cell.tier.evaluation.autoattack;
  const isAa = mode.kind === 'autoattack';
  const n = intFlag(flag('n'), '--n', isAa && aa ? aa.n : cell.tier.evaluation.n);
  const batchSize = intFlag(
    flag('batch-size'),
    '--batch-size',
    isAa && aa ? aa.batchSize : cell.tier.evaluation.batchSize,
  );
  // The cell's AutoAttack ran with a seed derived from the cell's; use the same one so the numbers can match.
  const seed = intFlag(flag('seed'), '--seed', isAa ? autoAttackSeed(cell.seed) : cell.seed);
  if (n < 1 || batchSize < 1) throw new UsageError('--n and --batch-size must be at least 1');
  return { threat: { norm, eps }, n, batchSize, seed };
}

const pct = (m: { value: number }) => `${(m.value * 100).toFixed(2)}%`;

/** The cell's own number for a metric of the same name on the same count, for the comparison line. */
function recorded(cell: { metrics: EvaluationMetric[] }, m: MetricValue): EvaluationMetric | undefined {
  return cell.metrics.find((x) => x.name === m.name && x.n === m.n);
}

function comparison(m: MetricValue, r: EvaluationMetric | undefined): string {
  if (!r) return '';
  if (r.value === m.value) return `  = recorded ${pct(r)}`;
  return `  recorded ${pct(r)} (differs by ${((m.value - r.value) * 100).toFixed(2)} points)`;
}

function requireCompleted<C extends CellRow>(cell: C | undefined, id: string, db: string): C {
  if (!cell) throw new Error(`--cell ${id}: no such cell in ${db}`);
  if (cell.status !== 'completed') {
    throw new Error(
      `--cell ${id}: the cell failed (${cell.error ?? 'no reason recorded'}); it has no model to evaluate`,
    );
  }
  return cell;
}

export async function evalCell(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    cell: { type: 'string' },
    db: { type: 'string', default: DEFAULT_DB_PATH },
    attack: { type: 'string' },
    eps: { type: 'string' },
    norm: { type: 'string' },
    n: { type: 'string' },
    'batch-size': { type: 'string' },
    seed: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (!values.cell) throw new UsageError('--cell needs a cell id');
  const mode = parseMode(values.attack);
  // Opening creates a missing store: a wrong --db must not leave an empty one behind.
  if (!existsSync(values.db)) throw new Error(`--db ${values.db}: no results store there`);
  const store = Store.open(values.db);
  try {
    const cell = requireCompleted(store.getCell(values.cell), values.cell, values.db);
    const spec = cell.spec as unknown as CellSpec;
    const settings = settingsOf(spec, mode, values);
    const row = store.getModel(cell.id);
    if (!row) {
      throw new Error(
        `--cell ${cell.id}: the cell kept no model (it ran with --keep-models none, or before models were kept)`,
      );
    }
    const file = readKeptModel(row);
    const backend = await initBackend();
    const model = buildModel(file.metadata.spec, 0);
    try {
      loadTorchTensors(model, file.tensors, row.path, { strict: true });
      model.eval();
      const log = (line: string) => console.error(line);
      const { threat, n } = settings;
      log(
        `cell ${cell.id} (${cell.taskId} · ${cell.methodId} · seed ${cell.seed}): ${modeLabel(mode)} on ${spec.task.target}`,
      );
      log(`  first ${n} test points, ${threat.norm} eps ${threat.eps.toFixed(5)}`);
      const { metrics, details } = await evaluate(model, mode, settings, spec, { dataDir: values.data, log });
      const dataset = getDataset(spec.task.target, { dataDir: values.data });
      const evaluation = {
        id: randomUUID(),
        cellId: cell.id,
        attack: modeLabel(mode),
        settings: { ...settings, dataset: spec.task.target, ...details } as Record<string, unknown>,
        metrics,
        modelSha256: file.sha256,
        provenance: { ...describeEnvironment(backend), datasetVersion: dataset.version } as unknown as Record<
          string,
          unknown
        >,
        createdAt: Date.now(),
      };
      store.recordEvaluation(evaluation);
      if (values.json) {
        console.log(
          JSON.stringify({ ...evaluation, recorded: metrics.map((m) => recorded(cell, m) ?? null) }, null, 2),
        );
      } else {
        console.log(`cell ${cell.id}, model ${row.path} (sha256 ${file.sha256.slice(0, 12)} checked)`);
        for (const m of metrics) {
          console.log(`  ${m.name.padEnd(20)} ${pct(m)} (n ${m.n})${comparison(m, recorded(cell, m))}`);
        }
        console.log(`recorded as evaluation ${evaluation.id} in ${store.path}`);
      }
      return 0;
    } finally {
      model.dispose();
    }
  } finally {
    store.close();
  }
}
