/**
 * @module `rftbench eval`: evaluate any saved model (a source or a cell's fine-tuned checkpoint, or any
 * safetensors file whose metadata carries its model spec) on a dataset with one attack, printing clean
 * accuracy and robust accuracy (per component for AutoAttack). The checks of the harness apply.
 */
import type { Command } from '../command.ts';
import { UsageError, intFlag, parseFlags } from '../command.ts';
import { EVAL_CELL_USAGE } from './eval-cell-usage.ts';
import { attacks } from '../../../../attacks/registry.ts';
import { getDataset } from '../../../../datasets/registry.ts';
import { UnknownIdError } from '../../../foundation/util/registry.ts';
import { evaluateRobustness, type EvaluationConfig } from '../../evaluate/evaluate.ts';
import type { MetricValue } from '../../evaluate/metric.ts';
import { AutoAttackEvaluationSchema, type Threat } from '../../../protocol/schema.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';
import { EXTERNAL_MODEL_FLAGS, EXTERNAL_MODEL_USAGE, modelFromFlags } from '../model-flags.ts';

/** `8/255`, `0.031`, `0.5`: a positive number, fractions allowed. */
export function parseEps(text: string): number {
  const m = /^\s*([0-9.]+)\s*(?:\/\s*([0-9.]+))?\s*$/.exec(text);
  const v = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!Number.isFinite(v) || v <= 0)
    throw new UsageError(`--eps must be a positive number or fraction like 8/255, got '${text}'`);
  return v;
}

/** `autoattack`, `autoattack:plus`, `apgd-ce`, `pgd`, ... */
export function parseAttack(text: string): { id: string; version?: string } {
  const [id, version, ...rest] = text.split(':');
  if (rest.length || (version !== undefined && id !== 'autoattack'))
    throw new UsageError(`--attack: only autoattack takes a version (autoattack:standard|plus|rand), got '${text}'`);
  if (!attacks.has(id)) throw new UsageError(`--attack: ${new UnknownIdError('attack', id, attacks.ids()).message}`);
  if (version !== undefined && !['standard', 'plus', 'rand'].includes(version))
    throw new UsageError(`--attack: unknown AutoAttack version '${version}' (standard, plus, rand)`);
  return { id, version };
}

/** AutoAttack's metrics as this command prints them: clean, `after <component>` each, then the worst case. */
function byComponent(metrics: MetricValue[]): MetricValue[] {
  const after = metrics
    .filter((m) => m.name.startsWith('autoattack/'))
    .map((m) => ({
      ...m,
      name: `after ${m.name.slice('autoattack/'.length)}`,
      details: { correct: m.details.correct },
    }));
  return [...metrics.filter((m) => m.name === 'clean'), ...after, ...metrics.filter((m) => m.name === 'autoattack')];
}

const pct = (m: MetricValue) =>
  `${(m.value * 100).toFixed(2)}% [${(m.ciLow * 100).toFixed(1)}, ${(m.ciHigh * 100).toFixed(1)}]`;

const command: Command = {
  name: 'eval',
  summary: 'evaluate a saved model on a dataset with an attack (AutoAttack per component)',
  usage: `Usage: rftbench eval --model CHECKPOINT --dataset ID [--attack NAME[:VERSION]] [--eps E] [--norm Linf|L2]
                     [--n N] [--batch-size B] [--seed S] [--state FILE] [--data DIR] [--json]
                     [--arch ID [--num-classes N] [--input-shape HxWxC] [--mean …] [--std …] [--width W] [--map FROM=TO]…]

  --model PATH     a .safetensors checkpoint saved by rftbench (its metadata names the architecture), or
                   with --arch any PyTorch .pt/.pth or safetensors state dict (MadryLab, RobustBench, …)
  --dataset ID     test split to evaluate on, e.g. fashion-mnist[5-9], cifar10
  --attack NAME    autoattack (default; autoattack:plus, autoattack:rand) or one of: ${attacks.ids().join(', ')}
  --eps E          radius, fractions allowed (default 8/255 for Linf, 0.5 for L2)
  --norm N         Linf (default) or L2
  --n N            first N test points (default 1000)
  --batch-size B   points per attack batch (default 250)
  --seed S         attack seed (default 0)
  --state FILE     AutoAttack per-point state: a long evaluation resumes from it
  --json           print the metrics as JSON
  A model made outside rftbench (flags as for rftbench import):
${EXTERNAL_MODEL_USAGE}

A stored cell's kept model, re-evaluated and recorded beside the cell:
${EVAL_CELL_USAGE}

Example: rftbench eval --model ~/.cache/rftbench/sources/ab12.safetensors --dataset fashion-mnist[0-4] --attack autoattack --eps 8/255 --n 500`,
  async run(argv) {
    // --cell: a stored cell's kept model, with the cell's defaults (eval-cell.ts).
    if (argv.some((a) => a === '--cell' || a.startsWith('--cell=')))
      return (await import('./eval-cell.ts')).evalCell(argv);
    const { values } = parseFlags(argv, {
      model: { type: 'string' },
      dataset: { type: 'string' },
      attack: { type: 'string', default: 'autoattack' },
      eps: { type: 'string' },
      norm: { type: 'string', default: 'Linf' },
      n: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      state: { type: 'string' },
      data: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...EXTERNAL_MODEL_FLAGS,
    });
    if (!values.model) throw new UsageError('--model is required');
    if (!values.dataset) throw new UsageError('--dataset is required');
    if (values.norm !== 'Linf' && values.norm !== 'L2')
      throw new UsageError(`--norm must be Linf or L2, got '${values.norm}'`);
    const threat: Threat = {
      norm: values.norm,
      eps: values.eps ? parseEps(values.eps) : values.norm === 'Linf' ? 8 / 255 : 0.5,
    };
    const attack = parseAttack(values.attack);
    const n = intFlag(values.n, '--n', 1000);
    const batchSize = intFlag(values['batch-size'], '--batch-size', 250);
    const seed = intFlag(values.seed, '--seed', 0);
    if (n < 1 || batchSize < 1) throw new UsageError('--n and --batch-size must be at least 1');

    const source = modelFromFlags(values.model, values);
    const { spec } = source;
    const dataset = getDataset(values.dataset, { dataDir: values.data });
    if (dataset.classNames.length !== spec.numClasses) {
      throw new Error(
        `--dataset ${values.dataset} has ${dataset.classNames.length} classes but the model in ${values.model} has ${spec.numClasses}`,
      );
    }
    if (dataset.inputShape.join('x') !== spec.inputShape.join('x')) {
      throw new Error(
        `--dataset ${values.dataset} has ${dataset.inputShape.join('x')} images but the model in ${values.model} takes ${spec.inputShape.join('x')}`,
      );
    }
    await initBackend();
    for (const line of source.describe) console.error(line);
    const model = source.load();
    try {
      const test = await dataset.load('test');
      const count = Math.min(n, test.n);
      const log = (line: string) => console.error(line);
      const evaluation: EvaluationConfig =
        attack.id === 'autoattack'
          ? {
              n: count,
              batchSize,
              autoattack: AutoAttackEvaluationSchema.parse({
                version: attack.version ?? 'standard',
                n: count,
                batchSize,
              }),
            }
          : { n: count, batchSize, attack: { id: attack.id, options: { norm: threat.norm, eps: threat.eps } } };
      // --seed is the attack's own seed (AutoAttack's too), not an evaluation seed to derive it from.
      const evaluated = await evaluateRobustness(model, test, {
        threat,
        evaluation,
        seed,
        log,
        autoattack: { seed, state: values.state },
      });
      const metrics = attack.id === 'autoattack' ? byComponent(evaluated) : evaluated;
      if (values.json) {
        console.log(
          JSON.stringify(
            {
              model: values.model,
              sha256: source.sha256,
              dataset: dataset.id,
              datasetVersion: dataset.version,
              threat,
              n: count,
              seed,
              metrics,
            },
            null,
            2,
          ),
        );
      } else {
        console.log(
          `${values.model}  on ${values.dataset} (first ${count} test points), ${threat.norm} eps ${threat.eps.toFixed(5)}`,
        );
        for (const m of metrics) console.log(`  ${m.name.padEnd(18)} ${pct(m)}`);
        const last = metrics[metrics.length - 1].details;
        const flags = [
          ...((last.flags as string[]) ?? []),
          ...((last.sanityFlags as { message: string }[]) ?? []).map((f) => f.message),
        ];
        for (const f of flags) console.log(`  warning: ${f}`);
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};

export default command;
