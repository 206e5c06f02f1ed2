/**
 * Training checkpoints in one process: RNG and optimiser state round-trip exactly; a fit stopped at a chosen
 * step (the graceful-stop path) and resumed under a fresh TrainState ends bit-identical to an uninterrupted
 * one, curves and method-owned state included; stages run once; a damaged checkpoint is refused naming its file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../../../datasets/synthetic.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import { parseTrainStateFlags } from '../../../../harness/orchestration/cli/train-state-flags.ts';
import { stateSha256 } from '../../../../harness/foundation/checkpoint/state-sha256.ts';
import type { Classifier } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { crossEntropy } from '../../../../harness/foundation/nn/losses.ts';
import { Adam, SGD } from '../../../../harness/foundation/nn/optim.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { fit } from '../../../../harness/orchestration/train/fit.ts';
import {
  clearStopRequest,
  requestStop,
  TrainingStopped,
} from '../../../../harness/orchestration/train/graceful-stop.ts';
import { sgd } from '../../../../harness/orchestration/train/optimizer.ts';
import { TrainState } from '../../../../harness/orchestration/train/train-state.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-train-state-'));
let train: DataSplit;

beforeAll(async () => {
  await useBackend();
  const ds = syntheticDataset({ trainSize: 96, testSize: 8 });
  train = await ds.load('train');
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await releaseBackend();
});

function makeModel(): Classifier {
  return buildModel({ arch: 'small-resnet', numClasses: 4, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] }, 7);
}

/**
 * Two fits (as a multi-stage method has), each step drawing noise from a tracked stream, and state kept
 * outside the model as RiFT keeps its best epoch (here: every epoch's loss and the first epoch's weights,
 * which a resumed run cannot recompute); `stopAt` asks for a stop inside the given step of this process.
 */
interface Trained {
  sha: string;
  kept: unknown;
  curves: Record<string, number>[];
}

async function train2(stateDir: string, stopAt?: number, log?: (m: string) => void): Promise<Trained> {
  const state = TrainState.open(stateDir, { checkpointMinutes: 60, log });
  const rng = state.rngs.root(5);
  const noise = rng.fork('noise');
  const model = makeModel();
  let steps = 0;
  let losses: number[] = [];
  let firstWeights: tf.Tensor | undefined;
  state.persist('kept', {
    save: () => ({ json: losses, tensors: firstWeights ? { w: firstWeights } : undefined }),
    restore: (saved) => {
      losses = saved.json as number[];
      firstWeights?.dispose();
      firstWeights = saved.tensors.w;
    },
  });
  try {
    await state.run(async () => {
      for (const stage of ['a', 'b']) {
        const optimizer = sgd(model, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
        try {
          await fit({
            model,
            train,
            epochs: 2,
            batchSize: 16,
            rng: rng.fork('data'),
            optimizer,
            lrAt: (epoch, progress) => 0.05 * (1 - (epoch + progress) / 4),
            prepare: ({ x }) => {
              if (++steps === stopAt) requestStop();
              return {
                xn: tf.tidy(() => tf.add(x, tf.randomUniform(x.shape, -0.01, 0.01, 'float32', noise.nextSeed()))),
              };
            },
            loss: ({ y }, { xn }) => crossEntropy(model.forward(xn as tf.Tensor4D), y),
            onEpoch: (epoch, s) => {
              state.curves.push({ epoch, [`${stage} loss`]: s.loss });
              losses.push(s.loss);
              firstWeights ??= model.namedParameters()[0][1].clone();
            },
          });
        } finally {
          optimizer.dispose();
        }
      }
    });
    const kept = { losses, first: Array.from(firstWeights!.dataSync()) };
    return { sha: stateSha256(model), kept, curves: state.curves.map((c) => ({ ...c })) };
  } finally {
    model.dispose();
    firstWeights?.dispose();
  }
}

describe('training state', () => {
  it('restores an Rng stream to the draw where it was', () => {
    const a = new Rng(3);
    a.next();
    const saved = a.getState();
    const ahead = [a.next(), a.next()];
    a.setState(saved);
    expect([a.next(), a.next()]).toEqual(ahead);
    expect(() => a.setState(-1)).toThrow(/state must be a 32-bit unsigned integer, got -1/);
  });

  it('carries SGD momentum and Adam moments and step count into a fresh optimiser', () => {
    type Params = [string, tf.Variable][];
    const makers = [
      (p: Params) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true }),
      (p: Params) => new Adam(p, { lr: 0.01 }),
    ];
    for (const make of makers) {
      const w1 = tf.variable(tf.tensor1d([1, -2, 3]));
      const w2 = tf.variable(tf.tensor1d([1, -2, 3]));
      const o1 = make([['w', w1]]);
      const o2 = make([['w', w2]]);
      const grad = (w: tf.Variable) => tf.tidy(() => tf.mul(w, tf.tensor1d([0.3, 0.1, -0.2])));
      for (let i = 0; i < 3; i++) {
        const [g1, g2] = [grad(w1), grad(w2)];
        o1.step({ w: g1 });
        o2.step({ w: g2 });
        tf.dispose([g1, g2]);
      }
      // o3 takes over o2's state; o2 goes away.
      const w3 = tf.variable(w2);
      const o3 = make([['w', w3]]);
      o3.loadState(o2.state());
      o2.dispose();
      for (let i = 0; i < 3; i++) {
        const [g1, g3] = [grad(w1), grad(w3)];
        o1.step({ w: g1 });
        o3.step({ w: g3 });
        tf.dispose([g1, g3]);
      }
      expect(Array.from(w3.dataSync())).toEqual(Array.from(w1.dataSync()));
      const stray = { tensors: { 'momentum.nope': w1, 'm.nope': w1 }, counters: { t: 1 } };
      expect(() => o3.loadState(stray)).toThrow(/'(momentum|m)\.nope' names no parameter/);
      o1.dispose();
      o3.dispose();
      tf.dispose([w1, w2, w3]);
    }
  });

  let reference: Trained;

  it('resumes two fits stopped mid-epoch and at an epoch end bit-identically, curves and kept state included', async () => {
    reference = await train2(join(dir, 'reference'));
    // 96 examples / 16 = 6 steps an epoch, 24 in all: stop at step 4 (fit 1), then 18 steps after the resumed
    // run's start (fit 2's last epoch).
    const stateDir = join(dir, 'stopped');
    for (const stopAt of [4, 18]) {
      try {
        await expect(train2(stateDir, stopAt)).rejects.toThrow(TrainingStopped);
      } finally {
        clearStopRequest();
      }
    }
    const resumed = await train2(stateDir);
    expect(resumed.sha).toBe(reference.sha);
    expect(resumed.curves).toEqual(reference.curves);
    expect(resumed.kept).toEqual(reference.kept);
  });

  it('trains on when a checkpoint cannot be written (the folder is a file here), saying so', async () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'not a folder');
    const logs: string[] = [];
    const trained = await train2(blocked, undefined, (m) => logs.push(m));
    expect(trained.sha).toBe(reference.sha);
    expect(logs).toEqual([
      expect.stringMatching(new RegExp(`^training checkpoint not written \\(cannot write ${blocked}/`)),
    ]);
  });

  it('runs a stage once and hands its JSON result to a resumed run', async () => {
    const stateDir = join(dir, 'stage');
    let calls = 0;
    const compute = () => {
      calls++;
      return { chosen: 'linear', score: 0.1 + 0.2, nothing: undefined };
    };
    const first = await TrainState.open(stateDir).stage('pick', compute);
    const again = await TrainState.open(stateDir).stage('pick', compute);
    expect(calls).toBe(1);
    expect(again).toEqual(first);
    expect(first).toEqual({ chosen: 'linear', score: 0.30000000000000004 });
    const state = TrainState.open(stateDir);
    await state.stage('other', () => 1);
    await expect(state.stage('other', () => 2)).rejects.toThrow(/stage 'other' ran twice/);
  });

  it('refuses a damaged checkpoint, naming its file', () => {
    const stateDir = join(dir, 'damaged');
    mkdirSync(stateDir, { recursive: true });
    const manifest = join(stateDir, 'state.json');
    writeFileSync(manifest, '{"kind": "rftbench-train-state", "vers');
    expect(() => TrainState.open(stateDir)).toThrow(`${manifest}: unreadable training checkpoint`);
    writeFileSync(manifest, '{"kind": "something-else"}');
    expect(() => TrainState.open(stateDir)).toThrow(
      `${manifest}: not a version-1 rftbench training checkpoint; delete ${stateDir}`,
    );
  });

  it('checks --checkpoint-minutes', () => {
    const flags = parseTrainStateFlags({ 'checkpoint-minutes': '0.5', 'keep-train-state': true });
    expect(flags).toEqual({ checkpointMinutes: 0.5, keepTrainState: true });
    expect(parseTrainStateFlags({})).toEqual({ checkpointMinutes: 10, keepTrainState: false });
    expect(() => parseTrainStateFlags({ 'checkpoint-minutes': '-1' })).toThrow(
      /--checkpoint-minutes must be a number >= 0 \(0: after every step\), got '-1'/,
    );
  });
});
