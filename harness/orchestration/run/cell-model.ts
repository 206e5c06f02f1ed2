/**
 * @module Kept cell models: a finished cell's fine-tuned model, exactly as it was evaluated, saved as a
 * safetensors checkpoint (PyTorch layout and names) named by its own sha256 under `<data>/models/`, with the
 * cell id, the model spec, the cell spec and the provenance in its metadata. The store's `models` row
 * (written with the cell) points at it; `rftbench eval --cell` checks the hash before trusting the file.
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import type { NewModel } from '../../../results/store.ts';
import type { ModelRow } from '../../../results/schema.ts';
import { readCheckpointFile, saveCheckpoint, type CheckpointFile } from '../../foundation/checkpoint/checkpoint.ts';
import { rebuildReason } from '../evaluate/workers/attack-pool.ts';
import type { Classifier, ModelSpec } from '../../foundation/models/classifier.ts';
import type { CellSpec } from '../../protocol/cells.ts';

/** `rftbench run --keep-models`: keep every finished cell's model, or none. */
export const KEEP_MODELS = ['all', 'none'] as const;
export type KeepModels = (typeof KEEP_MODELS)[number];

export const CELL_MODEL_KIND = 'rftbench-cell-model';

export interface CellModelMetadata {
  kind: typeof CELL_MODEL_KIND;
  cellId: string;
  /** What the zoo builds the model from (`rftbench eval --model` reads it too). */
  spec: ModelSpec;
  cellSpec: CellSpec;
  provenance: Record<string, unknown>;
  /** Why the zoo cannot rebuild this model from `spec` (a method changed the architecture); absent when it can. */
  unloadable?: string;
}

export function modelsDir(dataDir?: string): string {
  return join(dataRoot({ dataDir }), 'models');
}

export function cellModelPath(sha256: string, dataDir?: string): string {
  return join(modelsDir(dataDir), `${sha256}.safetensors`);
}

export interface SaveCellModelOptions {
  cellId: string;
  cellSpec: CellSpec;
  provenance: Record<string, unknown>;
  dataDir?: string;
}

/** Saves `model` content-addressed and returns the store row that records it (not yet written). */
export function saveCellModel(model: Classifier, opts: SaveCellModelOptions): NewModel {
  const unloadable = rebuildReason(model);
  const metadata: CellModelMetadata = {
    kind: CELL_MODEL_KIND,
    cellId: opts.cellId,
    spec: model.spec,
    cellSpec: opts.cellSpec,
    provenance: opts.provenance,
    ...(unloadable ? { unloadable } : {}),
  };
  // The name is the hash of the bytes, known once they are written: save under a temporary name (itself
  // written atomically), then rename. Equal bytes give the same name, so a rename over one is harmless.
  const incoming = join(modelsDir(opts.dataDir), `.incoming-${opts.cellId}-${process.pid}.safetensors`);
  try {
    const sha256 = saveCheckpoint(incoming, model, metadata as unknown as Record<string, unknown>);
    const path = cellModelPath(sha256, opts.dataDir);
    renameSync(incoming, path);
    return {
      cellId: opts.cellId,
      sha256,
      path,
      bytes: statSync(path).size,
      unloadable: unloadable ?? null,
      createdAt: Date.now(),
    };
  } catch (err) {
    throw new Error(
      `saving the model of cell ${opts.cellId} under ${modelsDir(opts.dataDir)} failed: ${(err as Error).message}`,
    );
  } finally {
    rmSync(incoming, { force: true });
  }
}

/**
 * Reads a cell's kept model file and checks it is the one the store recorded: same sha256, a cell model of
 * that cell, loadable into the zoo. Every refusal names the file.
 */
export function readKeptModel(row: ModelRow): Omit<CheckpointFile, 'metadata'> & { metadata: CellModelMetadata } {
  let file: CheckpointFile;
  try {
    file = readCheckpointFile(row.path);
  } catch (err) {
    throw new Error(`the model file of cell ${row.cellId} is unreadable or gone: ${(err as Error).message}`);
  }
  if (file.sha256 !== row.sha256) {
    const why = `sha256 is ${file.sha256} but the store recorded ${row.sha256} for cell ${row.cellId}`;
    throw new Error(`${row.path}: ${why}; the file was changed, refusing to use it`);
  }
  const metadata = file.metadata as unknown as CellModelMetadata;
  if (metadata.kind !== CELL_MODEL_KIND || metadata.cellId !== row.cellId) {
    const found = `metadata kind '${String(metadata.kind)}', cellId '${String(metadata.cellId)}'`;
    throw new Error(`${row.path}: not the kept model of cell ${row.cellId} (${found})`);
  }
  if (row.unloadable) {
    throw new Error(`${row.path}: the model of cell ${row.cellId} cannot be rebuilt from its spec: ${row.unloadable}`);
  }
  return { ...file, metadata };
}
