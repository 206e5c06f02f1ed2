/**
 * @module `rftbench import`: convert a published PyTorch (or foreign safetensors) checkpoint into an
 * rftbench checkpoint: keys mapped to the zoo model's names, the model spec and the file's origin in the
 * metadata, checked by one forward pass on fixed inputs whose logits are stored beside the weights.
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { EXTERNAL_MODEL_FLAGS, EXTERNAL_MODEL_USAGE, externalModelOptions } from '../model-flags.ts';
import { saveCheckpoint } from '../../../foundation/checkpoint/checkpoint.ts';
import {
  buildExternalModel,
  describeSpec,
  prepareExternalModel,
} from '../../../foundation/checkpoint/external-model.ts';
import { describeMapping } from '../../../foundation/checkpoint/key-map.ts';
import type { Classifier } from '../../../foundation/models/classifier.ts';
import { Rng } from '../../../foundation/rng.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';

/** The probe: this many images of uniform pixels from this seed. */
export const PROBE = { seed: 0, n: 2 } as const;

/** Logits of the probe images; throws unless they are finite and [n, numClasses]. */
export function probeLogits(model: Classifier, source: string): number[][] {
  const [h, w, c] = model.spec.inputShape;
  const rng = new Rng(PROBE.seed);
  const pixels = Float32Array.from({ length: PROBE.n * h * w * c }, () => rng.next());
  const logits = tf.tidy(() => model.forward(tf.tensor4d(pixels, [PROBE.n, h, w, c])));
  try {
    const expected = [PROBE.n, model.spec.numClasses];
    if (!tf.util.arraysEqual(logits.shape, expected)) {
      throw new Error(`${source}: the forward pass gave logits of shape [${logits.shape}], expected [${expected}]`);
    }
    const rows = logits.arraySync();
    if (rows.flat().some((v) => !Number.isFinite(v)))
      throw new Error(`${source}: the forward pass gave non-finite logits`);
    return rows;
  } finally {
    logits.dispose();
  }
}

const command: Command = {
  name: 'import',
  summary: 'convert a PyTorch checkpoint (.pt/.pth, MadryLab, RobustBench) into an rftbench checkpoint',
  usage: `Usage: rftbench import FILE --arch ID [--num-classes N] [--input-shape HxWxC] [--mean M1,M2,M3]
                       [--std S1,S2,S3] [--width W] [--map FROM=TO]... --out X.safetensors

  FILE               a PyTorch checkpoint (zip or legacy torch.save) or a safetensors file
${EXTERNAL_MODEL_USAGE}
  --out PATH         the rftbench checkpoint to write (.safetensors; written atomically)

Example: rftbench import imagenet_linf_4.pt --arch resnet50 --out ~/models/madry-imagenet-linf4.safetensors`,
  async run(argv) {
    const flags = { ...EXTERNAL_MODEL_FLAGS, out: { type: 'string' } } as const;
    const { values, positionals } = parseFlags(argv, flags, { positionals: 1 });
    const [input] = positionals;
    if (!input) throw new UsageError('FILE (the checkpoint to import) is required');
    if (!values.arch) throw new UsageError('--arch is required (the zoo architecture of the checkpoint)');
    if (!values.out) throw new UsageError('--out is required (the .safetensors file to write)');
    if (!values.out.endsWith('.safetensors'))
      throw new UsageError(`--out must end in .safetensors, got '${values.out}'`);
    if (resolve(values.out) === resolve(input)) throw new UsageError('--out must differ from FILE (the input is kept)');
    const opts = externalModelOptions(values)!;

    const prepared = prepareExternalModel(input, opts);
    const { file, spec } = prepared;
    console.log(`read ${input}: ${file.format}, container ${file.container}, ${file.tensors.size} tensors`);
    console.log(`  sha256 ${file.sha256}`);
    const extras = Object.entries(file.extras).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
    if (extras.length) console.log(`  beside the weights: ${extras.join(', ')}`);
    if (file.placeholders.length) console.log(`  objects not interpreted (kept out): ${file.placeholders.join(', ')}`);
    await initBackend();
    const { model, report } = buildExternalModel(prepared);
    try {
      for (const line of describeMapping(report)) console.log(`  ${line}`);
      const fmt = (v: readonly number[]) => v.map((x) => Number(x.toPrecision(6))).join(', ');
      console.log(`loaded as ${describeSpec(spec)}; mean [${fmt(spec.mean)}], std [${fmt(spec.std)}]`);
      const logits = probeLogits(model, input);
      const shape = `[${PROBE.n}, ${spec.numClasses}]`;
      console.log(`forward pass on ${PROBE.n} fixed inputs (seed ${PROBE.seed}): logits ${shape}, finite`);
      const origin = {
        path: resolve(input),
        sha256: file.sha256,
        format: file.format,
        container: file.container,
        placeholders: file.placeholders,
        extras: file.extras,
      };
      const sha256 = saveCheckpoint(values.out, model, { spec, origin, mapping: report, probe: { ...PROBE, logits } });
      console.log(`wrote ${values.out} (sha256 ${sha256})`);
      return 0;
    } finally {
      model.dispose();
    }
  },
};

export default command;
