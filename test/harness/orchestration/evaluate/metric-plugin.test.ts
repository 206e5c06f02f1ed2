/**
 * A metric plug-in added from this file alone (its details schema, runner and board column) is computed by the
 * harness's one evaluation entry point, stored with the cell, and shown as a column of the task table and of the
 * method page's results served by the Hono app; a plug-in whose details break its own schema fails the cell naming
 * the field.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { batchIndices, toBatch } from '../../../../datasets/batches.ts';
import { accuracyMetric } from '../../../../harness/orchestration/evaluate/metric.ts';
import type { MetricRunner } from '../../../../harness/orchestration/evaluate/metric-runner.ts';
import { defineMetricPlugin } from '../../../../harness/protocol/metrics/define.ts';
import { registerMetricPlugin, unregisterMetricPlugin } from '../../../../harness/protocol/metrics/registry.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { createApp } from '../../../../leaderboard/app.tsx';
import type { Board } from '../../../../leaderboard/schemas.ts';
import { Store } from '../../../../results/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-metric-plugin-'));
afterAll(async () => {
  unregisterMetricPlugin('top2');
  unregisterMetricPlugin('broken');
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

/** Top-2 accuracy: the label among the two largest logits, on the evaluation's first n points. */
const top2Runner: MetricRunner = {
  applies: () => true,
  async run({ logits, test, evaluation }) {
    const n = Math.min(evaluation.n, test.n);
    let correct = 0;
    for (const idx of batchIndices(n, { batchSize: evaluation.batchSize })) {
      const { x, y } = toBatch(test, idx);
      correct += tf.tidy(() => tf.sum(tf.cast(inTop2(logits(x), y), 'int32')).dataSync()[0]);
      tf.dispose([x, y]);
    }
    return [accuracyMetric('top2', correct, n, { k: 2 })];
  },
};

/** 1 where the label's logit is one of the two largest (synchronous, for use inside tf.tidy). */
function inTop2(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  const { indices } = tf.topk(logits, 2);
  return tf.any(tf.equal(indices, tf.expandDims(tf.cast(y, 'int32'), 1)), 1);
}

const top2 = defineMetricPlugin({
  id: 'top2',
  metrics: [
    {
      name: 'top2',
      label: 'Top-2',
      details: z.looseObject({ correct: z.number().int(), k: z.literal(2) }),
      column: { label: 'Top-2', order: 15 },
    },
  ],
  runner: async () => top2Runner,
});

/** The smoke suite cut to one task, one method, one seed. */
function oneCell() {
  const smoke = loadSuite('smoke');
  return {
    ...smoke,
    tasks: smoke.tasks.slice(0, 1),
    methods: [{ id: 'standard', config: {} }],
    seeds: smoke.seeds.slice(0, 1),
  };
}

describe('metric plug-ins', () => {
  it('computes, stores and shows a metric added from a test file', async () => {
    registerMetricPlugin(top2);
    const suite = oneCell();
    const store = Store.open(join(dir, 'plugin.db'));
    try {
      const [summary] = await runSuite({
        suite,
        store,
        command: 'test',
        dataDir: join(dir, 'data'),
        log: () => {},
        keepModels: 'none',
      });
      expect(summary.status, summary.error).toBe('completed');
      const names = summary.metrics.map((m) => m.name);
      expect(names.slice(0, 2)).toEqual(['clean', 'pgd']);
      expect(names).toContain('top2');

      const stored = store.getCell(summary.cell.id)!.metrics.find((m) => m.name === 'top2')!;
      const clean = store.getCell(summary.cell.id)!.metrics.find((m) => m.name === 'clean')!;
      expect(stored.details).toMatchObject({ k: 2 });
      expect(stored.n).toBe(clean.n);
      // Top-2 accuracy can only be at least top-1 (clean) accuracy on the same points.
      expect(stored.value).toBeGreaterThanOrEqual(clean.value);

      const app = createApp(store);
      const taskId = suite.tasks[0].id;
      const board = (await (await app.request(`/api/task/${encodeURIComponent(taskId)}`)).json()) as Board;
      expect(board.rows[0].metrics.top2?.mean).toBe(stored.value);
      const res = await app.request(`/task/${encodeURIComponent(taskId)}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      // The column sits where its order puts it (after Clean at 10, before PGD at 20) and holds the stored value.
      expect(page).toMatch(/data-col="clean"[\s\S]*data-col="top2"[^>]*>\s*Top-2[\s\S]*data-col="pgd"/);
      expect(page).toContain(`${(stored.value * 100).toFixed(1)}`);
      const sorted = await app.request(`/task/${encodeURIComponent(taskId)}?sort=top2`);
      expect(sorted.status).toBe(200);

      // The method page's results table takes the same plug-in columns: header and value in the column's place.
      const method = await app.request('/method/standard');
      expect(method.status).toBe(200);
      const html = await method.text();
      const results = html.slice(html.indexOf('id="results"'), html.indexOf('</table>', html.indexOf('id="results"')));
      expect(results).toMatch(/data-col="clean"[^>]*>Clean<[\s\S]*data-col="top2"[^>]*>Top-2<[\s\S]*data-col="pgd"/);
      const pgd = store.getCell(summary.cell.id)!.metrics.find((m) => m.name === 'pgd')!;
      const valueCells = [...results.matchAll(/<td class="num[^"]*" data-v="([^"]*)"/g)].map((m) => m[1]);
      expect(valueCells.slice(0, 3)).toEqual([clean.value, stored.value, pgd.value].map(String));
      expect(results).toContain(`${(stored.value * 100).toFixed(1)}%`);
      // The cell page's breakdown names it by the definition's label too.
      const cellPage = await (await app.request(`/cell/${summary.cell.id}`)).text();
      expect(cellPage).toContain('<td>Top-2</td>');
    } finally {
      store.close();
      unregisterMetricPlugin('top2');
    }
  }, 300_000);

  it('fails the cell when a plug-in breaks its own details schema, naming the metric and field', async () => {
    registerMetricPlugin({
      id: 'broken',
      metrics: [{ name: 'broken', label: 'Broken', details: z.looseObject({ k: z.number() }) }],
      runner: async () => ({ applies: () => true, run: async () => [accuracyMetric('broken', 1, 2, { k: 'two' })] }),
    });
    const store = Store.open(join(dir, 'broken.db'));
    try {
      const [summary] = await runSuite({
        suite: oneCell(),
        store,
        command: 'test',
        dataDir: join(dir, 'data'),
        log: () => {},
        keepModels: 'none',
      });
      expect(summary.status).toBe('failed');
      expect(summary.error).toMatch(/metric 'broken': invalid details[\s\S]*details\.k/);
    } finally {
      store.close();
      unregisterMetricPlugin('broken');
    }
  }, 300_000);
});
