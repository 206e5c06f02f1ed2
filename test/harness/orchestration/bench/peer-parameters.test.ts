/**
 * bench:peer compares like with like only if PyTorch's builds are our architectures: every bench case's
 * parameter count (and number of parameter tensors) must match ours.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MODEL_CASES } from '../../../../harness/orchestration/bench/model-steps.ts';
import { torchParameterCounts } from '../../../../harness/orchestration/bench/peer.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const torchMissing =
  spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0
    ? undefined
    : '/usr/bin/python3 cannot import torch (apt-get install python3-torch)';

describe('bench:peer, PyTorch builds of the bench cases', () => {
  it('cover ResNet-50 at 64x64, batch 16', () => {
    const r50 = MODEL_CASES.find((c) => c.spec.arch === 'resnet50');
    expect(r50).toMatchObject({ batch: 16, spec: { inputShape: [64, 64, 3] } });
  });

  it.skipIf(torchMissing !== undefined)(
    `have our parameter counts for every case${torchMissing ? ` (skipped: ${torchMissing})` : ''}`,
    async () => {
      await useCpuBackend();
      const torch = torchParameterCounts(MODEL_CASES);
      expect(torch.skipped).toBeUndefined();
      for (const c of MODEL_CASES) {
        const model = buildModel(c.spec, 0);
        const ours = { parameters: model.numParameters(), tensors: model.parameters().length };
        model.dispose();
        expect(torch.counts[c.name], c.name).toEqual(ours);
      }
    },
    60_000,
  );
});
