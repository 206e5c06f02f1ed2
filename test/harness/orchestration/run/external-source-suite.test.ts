/**
 * End to end with published checkpoints as sources: a smoke-scale suite whose tasks name checkpoint files by
 * path (a PyTorch-made CIFAR ResNet-18 fixture, resized and channel-repeated targets; and a safetensors file
 * with a measured source accuracy) runs through the real runner into a real SQLite store; its provenance and
 * the source show on the site (Hono routes); a URL nobody serves fails its cell with the offline hint.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { loadExternalModel } from '../../../../harness/foundation/checkpoint/external-model.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { ensureExternalSource } from '../../../../harness/orchestration/pretrain/external-sources.ts';
import { externalFolder } from '../../../../harness/orchestration/pretrain/external-checkpoint.ts';
import { loadSourceModel, sourceId, sourcePath } from '../../../../harness/orchestration/pretrain/sources.ts';
import {
  isExternalSource,
  parseSuite,
  type ExternalSource,
  type SuiteInput,
} from '../../../../harness/protocol/schema.ts';
import { describeEnvironment } from '../../../../harness/orchestration/run/provenance.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { createApp } from '../../../../leaderboard/app.tsx';
import type { Board } from '../../../../leaderboard/schemas.ts';
import { Store } from '../../../../results/store.ts';
import { serveFiles } from '../../../support/file-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-extsrc-'));
const quiet = () => {};
const EPS = 8 / 255;
const FIXTURE = new URL('../../../fixtures/torch/cifar_resnet18_w8.zip.pt', import.meta.url).pathname;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const CITATION =
  'Fixture: a CIFAR ResNet-18 (stage widths 8-64) written by PyTorch (test/fixtures/torch/make_fixtures.py)';
const smallFile = join(dir, 'small-resnet.safetensors');

const tier = {
  id: 'smoke',
  budget: { epochs: 1, batchSize: 32 },
  trainAttack: { steps: 2, stepSizeOverEps: 0.5 },
  evaluation: { n: 64, batchSize: 64, pgd: { steps: 5, stepSizeOverEps: 0.25, restarts: 1 } },
} as const;

function suiteInput(): SuiteInput {
  return {
    id: 'external-smoke',
    tier,
    tasks: [
      {
        id: 'fixture-resnet18-to-synthetic/linf-8',
        source: {
          checkpoint: { path: FIXTURE, format: 'torch' },
          arch: 'resnet18',
          width: 8,
          inputShape: [32, 32, 3],
          mean: [0.4914, 0.4822, 0.4465],
          std: [0.2471, 0.2435, 0.2616],
          numClasses: 10,
          citation: CITATION,
        },
        target: 'synthetic[2-3]',
        resize: 32,
        channels: 'repeat',
        threat: { norm: 'Linf', eps: EPS },
      },
      {
        id: 'fixture-small-to-synthetic/linf-8',
        source: {
          checkpoint: { path: smallFile, format: 'safetensors' },
          arch: 'small-resnet',
          inputShape: [8, 8, 1],
          mean: [0.5],
          std: [0.25],
          numClasses: 2,
          threat: { norm: 'Linf', eps: EPS },
          measure: 'synthetic[0-1]',
          citation: 'Fixture: a seeded, untrained small ResNet saved by rftbench',
        },
        target: 'synthetic[2-3]',
        threat: { norm: 'Linf', eps: EPS },
      },
    ],
    methods: [{ id: 'standard' }],
    seeds: [0],
  };
}

beforeAll(async () => {
  process.env.RFTBENCH_DATA = join(dir, 'data');
  await initBackend();
  const model = buildModel({ arch: 'small-resnet', numClasses: 2, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] }, 3);
  try {
    saveCheckpoint(smallFile, model, { note: 'test source' });
  } finally {
    model.dispose();
  }
});

afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('suites with published checkpoint sources', () => {
  it('run end to end, record the source in every cell and show it on the site', async () => {
    const suite = parseSuite(suiteInput());
    const store = Store.open(join(dir, 'ext.db'));
    try {
      const first = await runSuite({ suite, store, command: 'test', log: quiet });
      expect(first.map((s) => [s.status, s.error])).toEqual([
        ['completed', undefined],
        ['completed', undefined],
      ]);
      for (const s of first) {
        const clean = s.metrics.find((m) => m.name === 'clean')!;
        expect(clean.n).toBe(64);
        expect(s.metrics.find((m) => m.name === 'pgd')!.value).toBeLessThanOrEqual(clean.value);
      }
      const [big, small] = suite.tasks.map((t) => t.source as ExternalSource);
      const cells = store.listCells({ suite: 'external-smoke' }).sort((a, b) => a.taskId.localeCompare(b.taskId));
      const bigCell = cells.find((c) => c.taskId === suite.tasks[0].id)!;
      expect(bigCell.spec).toMatchObject({
        task: { resize: 32, channels: 'repeat', source: { checkpoint: { path: FIXTURE } } },
      });
      expect(bigCell.provenance).toMatchObject({
        sourceId: sourceId(big),
        sourceSha256: sha(readFileSync(FIXTURE)),
        source: {
          kind: 'external',
          arch: 'resnet18',
          origin: FIXTURE,
          sha256: sha(readFileSync(FIXTURE)),
          format: 'torch',
          verifiedBy: 'unchecked path',
          citation: CITATION,
          mapping: { rewrites: [], dropped: [], filled: 0, normalizerInFile: false },
        },
      });

      // The store's sources table has both, the measured one with its accuracy.
      const rows = new Map(store.listSources().map((r) => [r.id, r]));
      expect(rows.get(sourceId(big))).toMatchObject({
        sha256: sha(readFileSync(FIXTURE)),
        cleanAcc: null,
        recipe: { arch: 'resnet18', checkpoint: { format: 'torch' } },
      });
      const smallRow = rows.get(sourceId(small))!;
      expect(smallRow.cleanAcc).toEqual(expect.any(Number));
      expect(smallRow.robustAcc!).toBeLessThanOrEqual(smallRow.cleanAcc!);
      expect(smallRow.provenance).toMatchObject({ external: { format: 'safetensors', origin: smallFile } });

      // The site: provenance on the cell page, the source on the task pages and in the API.
      const app = createApp(store);
      const get = async (path: string) => {
        const res = await app.request(`http://localhost${path}`);
        expect(res.status, path).toBe(200);
        return res.text();
      };
      const cellPage = await get(`/cell/${bigCell.id}`);
      expect(cellPage).toContain(FIXTURE);
      expect(cellPage).toContain(CITATION);
      expect(cellPage).toContain(sha(readFileSync(FIXTURE)));
      const bigTask = await get(`/task/${suite.tasks[0].id}`);
      expect(bigTask).toMatch(/id="task-source"[\s\S]*resnet18[\s\S]*published checkpoint[\s\S]*not measured here/);
      expect(bigTask).toContain(CITATION);
      const smallTask = await get(`/task/${suite.tasks[1].id}`);
      expect(smallTask).toContain(`Its own accuracy here: clean ${(smallRow.cleanAcc! * 100).toFixed(1)}%`);
      const board = JSON.parse(await get(`/api/task/${encodeURIComponent(suite.tasks[1].id)}`)) as Board;
      expect(board.source).toMatchObject({
        kind: 'external',
        id: sourceId(small),
        arch: 'small-resnet',
        origin: smallFile,
        clean: smallRow.cleanAcc,
      });

      // Resuming skips every cell, and the conversion cache is reused as it is.
      const cached = sourcePath(sourceId(big));
      const mtime = statSync(cached).mtimeMs;
      const second = await runSuite({ suite, store, command: 'test', log: quiet });
      expect(second.map((s) => s.status)).toEqual(['skipped', 'skipped']);
      const handle = await ensureExternalSource(big, { store, environment: describeEnvironment(await initBackend()) });
      expect(statSync(cached).mtimeMs).toBe(mtime);

      // The cached conversion computes what the published file does.
      const ours = loadSourceModel(handle, 0);
      const theirs = loadExternalModel(FIXTURE, {
        arch: 'resnet18',
        width: 8,
        inputShape: [32, 32, 3],
        mean: big.mean,
        std: big.std,
        numClasses: 10,
      }).model;
      try {
        const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 5);
        const [a, b] = tf.tidy(() => [ours.forward(x).arraySync(), theirs.forward(x).arraySync()]);
        x.dispose();
        expect(a).toEqual(b);
      } finally {
        ours.dispose();
        theirs.dispose();
      }
    } finally {
      store.close();
    }
  });

  it('a checkpoint URL that cannot be fetched fails its cell, naming the URL and where to put the file', async () => {
    const server = await serveFiles({});
    const url = `${server.url}/robust/resnet18_w8.pt`;
    await server.close();
    process.env.RFTBENCH_DOWNLOAD_RETRIES = '0';
    try {
      const input = suiteInput();
      const task = { ...input.tasks[0], id: 'offline-source/linf-8' };
      task.source = { ...(task.source as object), checkpoint: { url, format: 'torch' } } as typeof task.source;
      const suite = parseSuite({ ...input, id: 'offline-smoke', tasks: [task] });
      expect(isExternalSource(suite.tasks[0].source)).toBe(true);
      const store = Store.open(join(dir, 'offline.db'));
      try {
        const [summary] = await runSuite({ suite, store, command: 'test', log: quiet });
        expect(summary.status).toBe('failed');
        expect(summary.error).toContain(`download ${url}`);
        expect(summary.error).toContain(`put it in ${externalFolder()} as resnet18_w8.pt`);
      } finally {
        store.close();
      }
    } finally {
      delete process.env.RFTBENCH_DOWNLOAD_RETRIES;
    }
  });
});
