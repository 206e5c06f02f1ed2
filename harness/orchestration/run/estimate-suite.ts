/**
 * @module A suite's cost before running: per cell its training and evaluation passes (estimate.ts), the
 * multiply-adds of its model (model-macs.ts), and hours at a training throughput measured on ResNet-18 at
 * 32x32 (`rftbench bench`, or a given figure). Source pre-training is counted once per source.
 */
import { attacksOf, componentAttack, type ComponentOverrides } from '../../../attacks/autoattack.ts';
import { BENCHMARK_CORRUPTIONS, SEVERITIES } from '../../../datasets/corruption-set.ts';
import { getDataset } from '../../../datasets/registry.ts';
import type { ModelSpec } from '../../foundation/models/classifier.ts';
import type { Cell } from '../../protocol/cells.ts';
import { isExternalSource, type Suite, type TaskSource } from '../../protocol/schema.ts';
import { sourceId } from '../pretrain/sources.ts';
import { REFERENCE_CASE } from '../bench/saved-throughput.ts';
import {
  addPasses,
  evaluationPasses,
  forwardEquivalents,
  hoursFor,
  scalePasses,
  trainingPasses,
  type Passes,
} from './estimate.ts';
import { modelMacs } from './model-macs.ts';

/**
 * Train / test split sizes of the full datasets, as their loaders give them (class splits scale by their share of
 * the classes). Caltech-256: 60 per class for training of 30,607 images less the 827 clutter images.
 */
export const SPLIT_SIZES: Readonly<Record<string, { train: number; test: number }>> = {
  cifar10: { train: 50000, test: 10000 },
  cifar100: { train: 50000, test: 10000 },
  'cifar100-coarse': { train: 50000, test: 10000 },
  svhn: { train: 73257, test: 26032 },
  gtsrb: { train: 26640, test: 12630 },
  caltech256: { train: 256 * 60, test: 30607 - 827 - 256 * 60 },
  'tiny-imagenet': { train: 100000, test: 10000 },
  'fashion-mnist': { train: 60000, test: 10000 },
  synthetic: { train: 512, test: 256 },
};

function splitSizes(datasetId: string): {
  train: number;
  test: number;
  classes: number;
  shape: readonly [number, number, number];
} {
  const base = datasetId.replace(/\[[^\]]*\]$/, '');
  const full = SPLIT_SIZES[base];
  if (!full)
    throw new Error(`estimate: no split sizes for dataset '${base}' (known: ${Object.keys(SPLIT_SIZES).join(', ')})`);
  const ds = getDataset(datasetId);
  const share = ds.classNames.length / getDataset(base).classNames.length;
  return {
    train: Math.round(full.train * share),
    test: Math.round(full.test * share),
    classes: ds.classNames.length,
    shape: ds.inputShape,
  };
}

function modelSpecOf(source: TaskSource, numClasses: number): ModelSpec {
  if (isExternalSource(source)) {
    return {
      arch: source.arch,
      width: source.width,
      inputShape: source.inputShape,
      numClasses,
      mean: source.mean,
      std: source.std,
    };
  }
  const shape = getDataset(source.dataset).inputShape;
  return {
    arch: source.arch,
    inputShape: shape,
    numClasses,
    mean: Array(shape[2]).fill(0),
    std: Array(shape[2]).fill(1),
  };
}

export interface CellEstimate {
  readonly cellId: string;
  readonly taskId: string;
  readonly methodId: string;
  readonly seed: number;
  readonly model: string;
  readonly macs: number;
  readonly train: Passes;
  readonly evaluation: Passes;
  /** Null when no throughput was given. */
  readonly hours: number | null;
  /** The method has no cost model here; counted as adversarial training. */
  readonly assumed: boolean;
}

export interface SourceEstimate {
  readonly sourceId: string;
  readonly description: string;
  readonly macs: number;
  readonly passes: Passes;
  readonly hours: number | null;
}

export interface SuiteEstimate {
  readonly cells: readonly CellEstimate[];
  readonly sources: readonly SourceEstimate[];
  readonly total: { readonly passes: Passes; readonly forwardMacs: number; readonly hours: number | null };
  /** Training images/s of the reference model, where the figure came from. */
  readonly throughput: { readonly imagesPerSecond: number; readonly basis: string } | null;
}

/** Passes of a recipe source's pre-training (external checkpoints cost nothing but their download). */
function sourcePasses(source: TaskSource): Passes | undefined {
  if (isExternalSource(source)) return undefined;
  const examples = Math.min(source.maxTrainExamples ?? Infinity, splitSizes(source.dataset).train);
  const steps = source.recipe === 'fgsm-rs' ? 1 : source.steps;
  const per =
    source.recipe === 'trades'
      ? { forward: 3 + steps, backward: 2 + steps }
      : { forward: 1 + steps, backward: 1 + steps };
  return scalePasses(per, examples * source.epochs);
}

const describeModel = (s: ModelSpec) => `${s.arch}${s.width ? ` w${s.width}` : ''} ${s.inputShape.join('x')}`;

/** Estimates every given cell of a resolved suite (method configs with their defaults). */
export function estimateSuite(
  suite: Suite,
  cells: readonly Cell[],
  throughput: { imagesPerSecond: number; basis: string } | null,
): SuiteEstimate {
  const reference = {
    imagesPerSecond: throughput?.imagesPerSecond ?? 1,
    referenceMacs: modelMacs(REFERENCE_CASE.spec).macs,
  };
  const hours = (p: Passes, macs: number) => (throughput ? hoursFor(p, macs, reference) : null);
  const ev = suite.tier.evaluation;
  const out: CellEstimate[] = [];
  const sources = new Map<string, SourceEstimate>();
  for (const cell of cells) {
    const { task, method, seed } = cell.spec;
    const target = splitSizes(task.target);
    const spec = modelSpecOf(task.source, target.classes);
    const { macs, modules } = modelMacs(spec);
    const examples = Math.min(suite.tier.budget.maxTrainExamples ?? Infinity, target.train);
    const trained = trainingPasses({
      methodId: method.id,
      config: method.config,
      examples,
      epochs: suite.tier.budget.epochs,
      attackSteps: suite.tier.trainAttack.steps,
      modules,
    });
    const aa = ev.autoattack;
    const evaluation = evaluationPasses({
      n: Math.min(ev.n, target.test),
      pgdSteps: ev.pgd.steps,
      pgdRestarts: ev.pgd.restarts,
      numClasses: target.classes,
      autoattack: aa && {
        n: Math.min(aa.n, target.test),
        components: attacksOf(aa.version, aa.attacks).map((name) => ({
          name,
          ...componentAttack(
            name,
            aa.version,
            task.threat.norm,
            task.threat.eps,
            aa.overrides as ComponentOverrides | undefined,
          ).options,
        })),
      },
      corruptions:
        task.corruptions && ev.corruptions
          ? {
              splits: (ev.corruptions.only?.length ?? BENCHMARK_CORRUPTIONS.length) * SEVERITIES.length,
              n: Math.min(ev.corruptions.n, target.test),
            }
          : undefined,
    });
    const both = addPasses(trained.passes, evaluation);
    out.push({
      cellId: cell.id,
      taskId: task.id,
      methodId: method.id,
      seed,
      model: describeModel(spec),
      macs,
      train: trained.passes,
      evaluation,
      hours: hours(both, macs),
      assumed: trained.assumed,
    });
    const sid = sourceId(task.source);
    const sp = sources.has(sid) ? undefined : sourcePasses(task.source);
    if (sp && !isExternalSource(task.source)) {
      const sSpec = modelSpecOf(task.source, splitSizes(task.source.dataset).classes);
      const sMacs = modelMacs(sSpec).macs;
      const r = task.source;
      const description = `${r.recipe} ${describeModel(sSpec)} on ${r.dataset}, ${r.epochs} epochs`;
      sources.set(sid, { sourceId: sid, description, macs: sMacs, passes: sp, hours: hours(sp, sMacs) });
    }
  }
  const all = [
    ...out.map((c) => ({ p: addPasses(c.train, c.evaluation), macs: c.macs, hours: c.hours })),
    ...[...sources.values()].map((s) => ({ p: s.passes, macs: s.macs, hours: s.hours })),
  ];
  const passes = addPasses(...all.map((x) => x.p));
  const forwardMacs = all.reduce((a, x) => a + forwardEquivalents(x.p) * x.macs, 0);
  const totalHours = throughput ? all.reduce((a, x) => a + x.hours!, 0) : null;
  return { cells: out, sources: [...sources.values()], total: { passes, forwardMacs, hours: totalHours }, throughput };
}

const UNITS: readonly [number, string, number][] = [
  [1e18, 'E', 2],
  [1e15, 'P', 2],
  [1e12, 'T', 2],
  [1e9, 'G', 2],
  [1e6, 'M', 2],
  [1e3, 'k', 1],
];
const big = (x: number) => {
  const u = UNITS.find(([at]) => x >= at);
  return u ? `${(x / u[0]).toFixed(u[2])}${u[1]}` : String(Math.round(x));
};
const fmtPasses = (p: Passes) => `${big(p.forward)} fwd + ${big(p.backward)} bwd`;
const fmtHours = (h: number | null) =>
  h === null ? '-' : h < 0.1 ? `${(h * 60).toFixed(1)} min` : `${h.toFixed(1)} h`;

/** The estimate as text lines: one per cell, one per pre-trained source, and the total with its basis. */
export function formatEstimate(e: SuiteEstimate): string[] {
  const lines = e.cells.map(
    (c) =>
      `cell ${c.cellId}  ${c.taskId} · ${c.methodId} · seed ${c.seed}  [${c.model}, ${big(c.macs)} MAC/img]  ` +
      `train ${fmtPasses(c.train)}, eval ${fmtPasses(c.evaluation)}  ${fmtHours(c.hours)}` +
      (c.assumed ? '  (no cost model for this method: counted as AT)' : ''),
  );
  for (const s of e.sources) {
    lines.push(
      `source ${s.sourceId}  ${s.description}  [${big(s.macs)} MAC/img]  ${fmtPasses(s.passes)}  ${fmtHours(s.hours)}`,
    );
  }
  const basis = e.throughput
    ? `at ${e.throughput.imagesPerSecond.toFixed(1)} training images/s of ${REFERENCE_CASE.name} (${e.throughput.basis}), ` +
      "scaled by each model's multiply-adds"
    : 'no throughput: give --throughput IMG_PER_S or run rftbench bench on this machine for hours';
  lines.push(
    `total: ${fmtPasses(e.total.passes)} image passes (${big(e.total.forwardMacs)} forward-equivalent MACs), ` +
      `${e.total.hours === null ? '-' : `${e.total.hours.toFixed(1)} h`} ${basis}. An estimate: AutoAttack is counted on every point, ` +
      'a backward as two forwards.',
  );
  return lines;
}
