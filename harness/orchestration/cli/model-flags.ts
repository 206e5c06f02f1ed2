/**
 * @module The flags that say how to load a model trained elsewhere (`--arch`, `--num-classes`,
 * `--input-shape`, `--mean`, `--std`, `--width`, `--map`, `--drop`), shared by `rftbench import` and `rftbench eval`,
 * and "the model a command's flags name": an rftbench checkpoint (its spec in its metadata) or, with
 * `--arch`, any PyTorch or safetensors state dict through the external-model loader.
 */
import { UsageError } from './command.ts';
import { loadTorchTensors, readCheckpointFile } from '../../foundation/checkpoint/checkpoint.ts';
import {
  buildExternalModel,
  prepareExternalModel,
  type ExternalModelOptions,
} from '../../foundation/checkpoint/external-model.ts';
import { describeMapping, parseKeyMapRule } from '../../foundation/checkpoint/key-map.ts';
import type { Classifier, ModelSpec } from '../../foundation/models/classifier.ts';
import { buildModel } from '../../foundation/models/zoo.ts';

/** parseArgs options of the external-model flags. */
export const EXTERNAL_MODEL_FLAGS = {
  arch: { type: 'string' },
  'num-classes': { type: 'string' },
  'input-shape': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  width: { type: 'string' },
  map: { type: 'string', multiple: true },
  drop: { type: 'string', multiple: true },
} as const;

export const EXTERNAL_MODEL_USAGE = `  --arch ID          zoo architecture of the file's model (resnet18, resnet50, wrn-28-10, …)
  --num-classes N    classes of its head (default: the out-features of its linear head)
  --input-shape HxWxC  input size (default 224x224 for resnet50, else 32x32; C from conv1)
  --mean M1,M2,M3    per-channel normalisation (default: the checkpoint's normaliser, else 0)
  --std S1,S2,S3     (default: the checkpoint's normaliser, else 1)
  --width W          stem channels, stages scale with it (default: conv1's out-channels)
  --map FROM=TO      rename a key prefix after the built-in rules (module., model., MadryLab's);
                     repeatable, applied in order
  --drop PREFIX      leave out the keys under PREFIX (after --map): a module the file registers but never
                     runs, e.g. RobustBench's sub_block1.; repeatable`;

export interface ExternalModelFlagValues {
  arch?: string;
  'num-classes'?: string;
  'input-shape'?: string;
  mean?: string;
  std?: string;
  width?: string;
  map?: string[];
  drop?: string[];
}

/** The loader options the flags give, or undefined without `--arch`; every bad value names its flag. */
export function externalModelOptions(v: ExternalModelFlagValues): ExternalModelOptions | undefined {
  if (v.arch === undefined) {
    const stray = (['num-classes', 'input-shape', 'mean', 'std', 'width', 'map', 'drop'] as const).find(
      (f) => v[f] !== undefined,
    );
    if (stray) throw new UsageError(`--${stray} needs --arch (it describes a checkpoint made outside rftbench)`);
    return undefined;
  }
  if (!v.arch) throw new UsageError('--arch must name an architecture');
  const opts: ExternalModelOptions = { arch: v.arch };
  if (v['num-classes'] !== undefined) opts.numClasses = positiveInt(v['num-classes'], '--num-classes');
  if (v.width !== undefined) opts.width = positiveInt(v.width, '--width');
  if (v['input-shape'] !== undefined) {
    const parts = v['input-shape'].split('x');
    if (parts.length !== 3) {
      throw new UsageError(`--input-shape must look like HxWxC (e.g. 32x32x3), got '${v['input-shape']}'`);
    }
    const [h, w, c] = parts.map((p) => positiveInt(p, '--input-shape'));
    opts.inputShape = [h, w, c];
  }
  if (v.mean !== undefined) opts.mean = numberList(v.mean, '--mean');
  if (v.std !== undefined) {
    opts.std = numberList(v.std, '--std');
    if (opts.std.some((s) => s <= 0)) throw new UsageError(`--std values must be positive, got '${v.std}'`);
  }
  if (v.map?.length) {
    opts.keyMap = {};
    for (const text of v.map) {
      let rule: [string, string];
      try {
        rule = parseKeyMapRule(text);
      } catch (err) {
        throw new UsageError(`--map: ${(err as Error).message}`);
      }
      if (rule[0] in opts.keyMap) throw new UsageError(`--map: prefix '${rule[0]}' is mapped twice`);
      opts.keyMap[rule[0]] = rule[1];
    }
  }
  if (v.drop?.length) {
    if (v.drop.some((p) => !p)) throw new UsageError('--drop needs a key prefix, e.g. --drop sub_block1.');
    opts.dropKeys = [...v.drop];
  }
  return opts;
}

/** A model named by flags, checked and described before anything is built. */
export interface FlaggedModel {
  spec: ModelSpec;
  sha256: string;
  /** How the file was read and mapped, one line each. */
  describe: string[];
  /** Builds the model and loads its weights (initialise the backend first); the caller disposes it. */
  load(): Classifier;
}

/**
 * `--model PATH` with the external-model flags: with `--arch` through the external loader (PyTorch
 * `.pt`/`.pth` or safetensors); without, an rftbench checkpoint whose metadata holds its spec.
 */
export function modelFromFlags(path: string, values: ExternalModelFlagValues): FlaggedModel {
  const opts = externalModelOptions(values);
  if (opts) {
    const prepared = prepareExternalModel(path, opts);
    const { file } = prepared;
    const describe = [`${path}: ${file.format}, container ${file.container}, ${file.tensors.size} tensors`];
    describe.push(...describeMapping(prepared.mapped.report).map((l) => `  ${l}`));
    return { spec: prepared.spec, sha256: file.sha256, describe, load: () => buildExternalModel(prepared).model };
  }
  if (!path.endsWith('.safetensors')) {
    throw new UsageError(
      `--arch is required for ${path}: only rftbench's .safetensors checkpoints carry their model spec`,
    );
  }
  const file = readCheckpointFile(path);
  const spec = specOf(path, file.metadata);
  const load = () => {
    const model = buildModel(spec, 0);
    try {
      loadTorchTensors(model, file.tensors, path, { strict: true });
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model.eval();
  };
  return { spec, sha256: file.sha256, describe: [`${path}: rftbench checkpoint`], load };
}

function specOf(path: string, metadata: Record<string, unknown>): ModelSpec {
  const spec = metadata.spec as ModelSpec | undefined;
  if (!spec || typeof spec.arch !== 'string' || !Array.isArray(spec.inputShape)) {
    throw new Error(
      `${path}: the checkpoint's metadata has no model spec ('spec' with arch, numClasses, inputShape, mean, std); ` +
        'rftbench saves it with every source and cell model (for a state dict made elsewhere, give --arch)',
    );
  }
  return spec;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`${flag} must be a positive integer, got '${text}'`);
  }
  return n;
}

function numberList(text: string, flag: string): number[] {
  const values = text.split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (!values.length || values.some((x) => !Number.isFinite(x))) {
    throw new UsageError(
      `${flag} must be comma-separated numbers (one per channel, e.g. 0.485,0.456,0.406), got '${text}'`,
    );
  }
  return values;
}
