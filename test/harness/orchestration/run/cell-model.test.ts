/**
 * saveCellModel / readKeptModel on real files: content addressing (equal models, one file), the metadata
 * the file carries, and a model whose layers a method swapped (TWINS' twin BN left in place) kept with the
 * reason it cannot be rebuilt from its spec, and refused when loaded.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { expandSuite } from '../../../../harness/protocol/cells.ts';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { modelsDir, readKeptModel, saveCellModel } from '../../../../harness/orchestration/run/cell-model.ts';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { twinAllBatchNorms } from '../../../../methods/twins/twin-batchnorm.ts';
import type { ModelRow } from '../../../../results/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-cell-model-'));
const spec = {
  arch: 'small-resnet',
  numClasses: 2,
  inputShape: [8, 8, 3],
  mean: [0.5, 0.5, 0.5],
  std: [0.25, 0.25, 0.25],
} as const;
const cell = expandSuite(loadSuite('smoke'))[0];

beforeAll(async () => {
  await initBackend();
});
afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('saveCellModel', () => {
  it('names the file by its sha256, writes the metadata, and stores equal models once', () => {
    const model = buildModel(spec, 7);
    try {
      const opts = { cellId: cell.id, cellSpec: cell.spec, provenance: { backend: 'test' }, dataDir: dir };
      const a = saveCellModel(model, opts);
      const b = saveCellModel(model, opts);
      expect(b.sha256).toBe(a.sha256);
      expect(readdirSync(modelsDir(dir))).toEqual([`${a.sha256}.safetensors`]);
      expect(a.unloadable).toBeNull();
      const file = readCheckpointFile(a.path);
      expect(file.sha256).toBe(a.sha256);
      expect(file.metadata).toEqual({
        kind: 'rftbench-cell-model',
        cellId: cell.id,
        spec,
        cellSpec: JSON.parse(JSON.stringify(cell.spec)),
        provenance: { backend: 'test' },
      });
      expect(readKeptModel(a as ModelRow).metadata.cellId).toBe(cell.id);
      // Another cell's record pointing at this file is refused.
      expect(() => readKeptModel({ ...(a as ModelRow), cellId: 'other' })).toThrow(/not the kept model of cell other/);
    } finally {
      model.dispose();
    }
  });

  it('keeps a model with swapped layers, recording why the zoo cannot rebuild it', () => {
    const model = buildModel(spec, 8);
    try {
      expect(twinAllBatchNorms(model)).toBeGreaterThan(0);
      const row = saveCellModel(model, { cellId: 'twin-cell', cellSpec: cell.spec, provenance: {}, dataDir: dir });
      expect(row.unloadable).toMatch(/modules differ from the zoo's small-resnet/);
      expect(readCheckpointFile(row.path).metadata.unloadable).toBe(row.unloadable);
      expect(() => readKeptModel(row as ModelRow)).toThrow(/cannot be rebuilt from its spec/);
    } finally {
      model.dispose();
    }
  });
});
