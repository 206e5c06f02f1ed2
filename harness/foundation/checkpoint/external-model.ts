/**
 * @module One loader for models trained elsewhere (a PyTorch `.pt`/`.pth` or a safetensors file): read
 * the state dict, map its keys (key-map.ts), derive our model spec from the options and the file, build
 * the zoo model and load it. Used by `rftbench import`, `rftbench eval` and suites' external sources.
 *
 * Defaults, when an option is not given:
 * - numClasses: the out-features of the file's linear head (its one rank-2 weight);
 * - width: the out-channels of the file's `conv1.weight` (stem), for archs with a width (resnet18/34/50,
 *   small-resnet); omitted from the spec when it equals the arch's default, so the spec is the native one;
 * - inputShape: 224x224 for resnet50, 32x32 for the CIFAR archs, with conv1's in-channels (else 3);
 * - mean/std: the checkpoint's own normaliser (MadryLab `normalizer.new_mean/new_std`), or the spec stored
 *   in an rftbench file, else 0 and 1 per channel (the file's model then sees raw [0,1] pixels).
 * The tensor backend must be initialised before building (the CLI calls initBackend first).
 */
import { StateDictError } from '../nn/module.ts';
import type { Classifier, ModelSpec } from '../models/classifier.ts';
import { buildModel, defaultWidth } from '../models/zoo.ts';
import { loadMappedStateDict, mapStateDictKeys, type MappedStateDict, type MappingReport } from './key-map.ts';
import type { SafeTensor } from './safetensors.ts';
import { readStateDictFile, type StateDictFile } from './state-dict-file.ts';

export interface ExternalModelOptions {
  arch: string;
  numClasses?: number;
  inputShape?: [number, number, number];
  mean?: number[];
  std?: number[];
  width?: number;
  /** Key prefix rewrites FROM → TO, applied in order after the built-in wrapper rules. */
  keyMap?: Record<string, string>;
  /** Key prefixes to leave out (after the renames): modules the file registers but the network never runs. */
  dropKeys?: string[];
}

export interface ExternalModel {
  model: Classifier;
  spec: ModelSpec;
  file: StateDictFile;
  report: MappingReport;
}

/** What a file and the options make, before any tensor is built: checks that need no backend come first. */
export interface PreparedExternalModel {
  spec: ModelSpec;
  file: StateDictFile;
  mapped: MappedStateDict;
}

/** Image size per arch when `inputShape` is not given. */
const DEFAULT_IMAGE_SIZE: Readonly<Record<string, [number, number]>> = { resnet50: [224, 224] };
const CIFAR_IMAGE_SIZE: [number, number] = [32, 32];

export function loadExternalModel(path: string, opts: ExternalModelOptions): ExternalModel {
  return buildExternalModel(prepareExternalModel(path, opts));
}

/** Reads and maps the file and derives the spec; throws (naming the file or option) on bad input. */
export function prepareExternalModel(path: string, opts: ExternalModelOptions): PreparedExternalModel {
  const scalableWidth = defaultWidth(opts.arch); // also rejects an unknown arch, with "did you mean"
  const file = readStateDictFile(path);
  const mapped = mapStateDictKeys(file.tensors, path, opts.keyMap, opts.dropKeys);
  const stored = storedSpec(file.metadata, opts.arch);
  const stem = mapped.tensors.get('conv1.weight');
  const stemShape = stem && stem.shape.length === 4 ? stem.shape : undefined;

  if (opts.width !== undefined && scalableWidth === undefined) {
    throw new Error(`--width: ${opts.arch} takes no width (its channel counts are fixed by its id)`);
  }
  const width = opts.width ?? (scalableWidth !== undefined ? (stemShape?.[0] ?? stored?.width) : undefined);
  const channels = opts.inputShape?.[2] ?? stemShape?.[1] ?? stored?.inputShape[2] ?? 3;
  const imageSize = DEFAULT_IMAGE_SIZE[opts.arch] ?? CIFAR_IMAGE_SIZE;
  const inputShape = opts.inputShape ?? stored?.inputShape ?? [...imageSize, channels];
  const normalizer = mapped.report.normalizer;
  const mean = opts.mean ?? normalizer?.mean ?? stored?.mean ?? Array(channels).fill(0);
  const std = opts.std ?? normalizer?.std ?? stored?.std ?? Array(channels).fill(1);
  for (const [name, v] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (v.length !== inputShape[2]) {
      throw new Error(`--${name}: ${v.length} values for a model with ${inputShape[2]} input channels (${path})`);
    }
  }
  if (std.some((s) => !(s > 0)))
    throw new Error(`--std: every value must be positive, got [${std.join(', ')}] (${path})`);
  const spec: ModelSpec = {
    arch: opts.arch,
    numClasses: opts.numClasses ?? headOutFeatures(mapped.tensors, path),
    inputShape: [inputShape[0], inputShape[1], inputShape[2]],
    mean: [...mean],
    std: [...std],
    // Absent when it is the arch's default, so the spec (and anything hashed from it) is the native one.
    ...(width !== undefined && width !== scalableWidth ? { width } : {}),
  };
  return { spec, file, mapped };
}

/** Builds the zoo model and loads the mapped tensors; a model that fails to load is disposed first. */
export function buildExternalModel({ spec, file, mapped }: PreparedExternalModel): ExternalModel {
  const model = buildModel(spec, 0);
  try {
    loadMappedStateDict(model, mapped, file.path);
  } catch (err) {
    model.dispose();
    if (err instanceof StateDictError) throw new StateDictError(err.report, `${file.path} (as ${describeSpec(spec)})`);
    throw err;
  }
  model.eval();
  return { model, spec, file, report: mapped.report };
}

/** `resnet18 width 8, 10 classes, input 32x32x3`: what the file was loaded as. */
export function describeSpec(spec: ModelSpec): string {
  const width = spec.width ?? defaultWidth(spec.arch);
  const arch = width !== undefined ? `${spec.arch} width ${width}` : spec.arch;
  return `${arch}, ${spec.numClasses} classes, input ${spec.inputShape.join('x')}`;
}

/** The head is the one linear layer of every zoo model, so its weight is the file's only rank-2 weight. */
function headOutFeatures(tensors: ReadonlyMap<string, SafeTensor>, path: string): number {
  const heads = [...tensors].filter(([k, t]) => k.endsWith('.weight') && t.shape.length === 2);
  if (heads.length !== 1) {
    const found = heads.length ? heads.map(([k]) => k).join(', ') : 'none';
    throw new Error(`${path}: cannot tell the number of classes (rank-2 weights: ${found}); give --num-classes`);
  }
  return heads[0][1].shape[0];
}

/** The model spec an rftbench file carries, when it is for the same arch. */
function storedSpec(metadata: Record<string, unknown>, arch: string): ModelSpec | undefined {
  const spec = metadata.spec as ModelSpec | undefined;
  const complete = spec && Array.isArray(spec.inputShape) && Array.isArray(spec.mean) && Array.isArray(spec.std);
  return complete && spec.arch === arch ? spec : undefined;
}
