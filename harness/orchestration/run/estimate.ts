/**
 * @module Cost before running: how many image passes (one image through the model, forward or backward) a
 * cell's fine-tuning and evaluation take, and the hours that is at a measured throughput. Pure arithmetic,
 * so it is unit-tested; `estimate-suite.ts` gathers the inputs (dataset sizes, model MACs, resolved configs).
 *
 * Conventions (upper bounds where the harness may do less):
 * - a training step on an image = 1 forward + 1 backward; an attack step = 1 forward + 1 backward;
 * - AutoAttack attacks every point with every component (the harness only attacks points still robust);
 * - a backward pass costs 2 forwards, so a training step costs 3 forward-equivalents.
 */

export interface Passes {
  readonly forward: number;
  readonly backward: number;
}

const P = (forward: number, backward: number): Passes => ({ forward, backward });
export const addPasses = (...ps: Passes[]): Passes =>
  P(
    ps.reduce((a, p) => a + p.forward, 0),
    ps.reduce((a, p) => a + p.backward, 0),
  );
export const scalePasses = (p: Passes, k: number): Passes => P(p.forward * k, p.backward * k);

/** What the training count needs of a cell. */
export interface TrainingInput {
  readonly methodId: string;
  /** The resolved method config (defaults filled in, as `resolveMethods` gives it). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Training examples per epoch (the split, capped by the budget's maxTrainExamples). */
  readonly examples: number;
  readonly epochs: number;
  /** The tier's training attack steps (adversarial entries). */
  readonly attackSteps: number;
  /** Conv/Linear modules of the model (RiFT measures the criticality of each). */
  readonly modules: number;
}

const cfgNum = (c: TrainingInput['config'], key: string, fallback: number): number => {
  const v = c[key];
  return typeof v === 'number' ? v : fallback;
};

/** Passes per training example per epoch of the one-stage entries; `s` is the attack's steps. */
const PER_EXAMPLE: Record<string, (s: number) => Passes> = {
  standard: () => P(1, 1),
  'linear-probe': () => P(1, 1),
  partial: () => P(1, 1),
  cartl: () => P(1, 1),
  // LwF also runs the frozen source on each batch.
  lwf: () => P(2, 1),
  at: (s) => P(1 + s, 1 + s),
  'twins-at': (s) => P(1 + s, 1 + s),
  // TRADES: clean logits once for the KL attack, s attack steps, then clean + adversarial forward and backward.
  trades: (s) => P(3 + s, 2 + s),
  'twins-trades': (s) => P(3 + s, 2 + s),
};

/** RiFT: stage 1 (AT), module criticality on a PGD set, clean fine-tuning of one module, alpha selection. */
function riftPasses(t: TrainingInput): Passes {
  const c = t.config;
  const holdout = Math.min(cfgNum(c, 'holdout', 500), t.examples);
  const train = t.examples - holdout;
  const atEpochs = cfgNum(c, 'atEpochs', t.epochs);
  const ftEpochs = cfgNum(c, 'ftEpochs', t.epochs);
  const mrcN = Math.min(cfgNum(c, 'mrcExamples', 512), train);
  const stage1 = scalePasses(P(1 + t.attackSteps, 1 + t.attackSteps), train * atEpochs);
  const mrcSet = scalePasses(P(cfgNum(c, 'mrcAttackSteps', 10), cfgNum(c, 'mrcAttackSteps', 10)), mrcN);
  const mrc = scalePasses(P(1, 1), t.modules * cfgNum(c, 'mrcEpochs', 10) * mrcN);
  const ft = addPasses(scalePasses(P(1, 1), train * ftEpochs), P(holdout * ftEpochs, 0));
  // 11 interpolation weights, each scored clean and under PGD on the held-out set.
  const steps = cfgNum(c, 'selectAttackSteps', 10);
  const select = scalePasses(P(1 + steps + 1, steps), 11 * holdout);
  return addPasses(stage1, mrcSet, mrc, ft, select);
}

/** Training passes of one cell, and whether the method's cost model is an assumption (unknown entry). */
export function trainingPasses(t: TrainingInput): { passes: Passes; assumed: boolean } {
  if (t.methodId === 'rift') return { passes: riftPasses(t), assumed: false };
  const per = PER_EXAMPLE[t.methodId];
  // An entry we have no cost model for (a submission) is counted as adversarial training, the usual upper end.
  const perExample = per ? per(t.attackSteps) : PER_EXAMPLE.at(t.attackSteps);
  return { passes: scalePasses(perExample, t.examples * t.epochs), assumed: !per };
}

/** One AutoAttack component with its settings (as `componentAttack` builds it). */
export interface AttackComponent {
  readonly name: string;
  readonly nIter?: number;
  readonly restarts?: number;
  readonly nTargetClasses?: number;
  readonly eotIter?: number;
  readonly nQueries?: number;
}

/** Per point: APGD/FAB iterate forward + backward; targeted ones once per target; Square only queries. */
export function autoAttackPassesPerPoint(components: readonly AttackComponent[], numClasses: number): Passes {
  const parts = components.map((a) => {
    const restarts = a.restarts ?? 1;
    const targets = Math.min(a.nTargetClasses ?? 9, numClasses - 1);
    const iters = a.nIter ?? 100;
    switch (a.name) {
      case 'apgd-ce':
      case 'apgd-dlr':
        return scalePasses(P(1, 1), restarts * iters * (a.eotIter ?? 1));
      case 'apgd-t':
        return scalePasses(P(1, 1), targets * restarts * iters);
      // FAB: a forward for the step and one for the check, a backward for the linearisation (untargeted: of every class).
      case 'fab':
        return scalePasses(P(2, numClasses), restarts * iters);
      case 'fab-t':
        return scalePasses(P(2, 1), targets * restarts * iters);
      case 'square':
        return P(restarts * (a.nQueries ?? 5000), 0);
      default:
        throw new Error(`estimate: no cost model for AutoAttack component '${a.name}'`);
    }
  });
  return addPasses(...parts);
}

export interface EvaluationInput {
  /** Points clean and PGD accuracy are measured on (the tier's n, capped by the test split). */
  readonly n: number;
  readonly pgdSteps: number;
  readonly pgdRestarts: number;
  /** AutoAttack's points and components (absent: not run). */
  readonly autoattack?: { readonly n: number; readonly components: readonly AttackComponent[] };
  readonly numClasses: number;
  /** -C evaluation: (corruption, severity) splits and points per split. */
  readonly corruptions?: { readonly splits: number; readonly n: number };
}

/** Evaluation passes: clean forward, PGD (steps + a final forward per restart), AutoAttack, -C forwards. */
export function evaluationPasses(e: EvaluationInput): Passes {
  const clean = P(e.n, 0);
  const pgd = scalePasses(P(e.pgdSteps + 1, e.pgdSteps), e.n * e.pgdRestarts);
  const aa = e.autoattack
    ? scalePasses(autoAttackPassesPerPoint(e.autoattack.components, e.numClasses), e.autoattack.n)
    : P(0, 0);
  const corr = e.corruptions ? P(e.corruptions.splits * e.corruptions.n, 0) : P(0, 0);
  return addPasses(clean, pgd, aa, corr);
}

/** Forward-equivalents of a pass count (a backward costs two forwards). */
export const forwardEquivalents = (p: Passes): number => p.forward + 2 * p.backward;

/**
 * Hours for `passes` of a model of `macs` multiply-adds per image, at a training throughput measured on a
 * reference model: `imagesPerSecond` training steps (1 forward + 1 backward) of a `referenceMacs` model.
 * Cost is taken to scale with MACs, which holds for the convolution-dominated zoo at the batch sizes used.
 */
export function hoursFor(
  passes: Passes,
  macs: number,
  throughput: { imagesPerSecond: number; referenceMacs: number },
): number {
  if (!(throughput.imagesPerSecond > 0))
    throw new Error(`estimate: throughput must be a positive images/s, got ${throughput.imagesPerSecond}`);
  const forwardMacsPerSecond = throughput.imagesPerSecond * 3 * throughput.referenceMacs;
  return (forwardEquivalents(passes) * macs) / forwardMacsPerSecond / 3600;
}
