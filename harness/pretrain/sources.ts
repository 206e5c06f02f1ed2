/**
 * @module The source-model cache. A recipe's hash names its checkpoint under
 * `<cache>/sources/<id>.safetensors`; the file carries its recipe, measured robustness and provenance
 * in its metadata, and the store keeps a row for the site. Runs use the cached model; only a missing
 * or corrupt file is re-trained.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot } from '../../datasets/cache-dir.ts';
import type { Store } from '../../results/store.ts';
import { loadCheckpoint, readCheckpointFile, saveCheckpoint } from '../checkpoint/checkpoint.ts';
import type { MetricValue } from '../evaluate/evaluate.ts';
import type { Classifier, ModelSpec } from '../models/classifier.ts';
import { buildModel } from '../models/zoo.ts';
import { hashOf } from '../protocol/cells.ts';
import type { SourceRecipe } from '../protocol/schema.ts';
import type { Environment } from '../run/provenance.ts';
import { pretrainSource } from './pretrain.ts';

/** Bumped when pre-training code changes what a recipe produces. */
export const SOURCE_PROTOCOL = 1;

export interface SourceMetadata {
  kind: 'rftbench-source';
  id: string;
  spec: ModelSpec;
  recipe: SourceRecipe;
  metrics: MetricValue[];
  curve: unknown[];
  datasetVersion: string;
  trainSeconds: number;
  /** Recipe-specific facts (FDM's boundary block, TRADES' beta); absent in files written before recipes had any. */
  details?: Record<string, unknown>;
  provenance: Environment;
  createdAt: number;
}

export interface SourceHandle {
  id: string;
  path: string;
  sha256: string;
  metadata: SourceMetadata;
}

export function sourceId(recipe: SourceRecipe): string {
  return hashOf({ recipe, protocol: SOURCE_PROTOCOL });
}

export function sourcePath(id: string, dataDir?: string): string {
  return join(dataRoot({ dataDir }), 'sources', `${id}.safetensors`);
}

export interface EnsureSourceOptions {
  store?: Store;
  environment: Environment;
  dataDir?: string;
  log?: (m: string) => void;
  /** Re-train even when a cached checkpoint exists. */
  force?: boolean;
}

function metricValue(metrics: MetricValue[], name: string): number | null {
  return metrics.find((m) => m.name === name)?.value ?? null;
}

/** Returns the cached source for a recipe, pre-training and caching it first when needed. */
export async function ensureSource(recipe: SourceRecipe, opts: EnsureSourceOptions): Promise<SourceHandle> {
  const log = opts.log ?? (() => {});
  const id = sourceId(recipe);
  const path = sourcePath(id, opts.dataDir);
  if (!opts.force && existsSync(path)) {
    try {
      const file = readCheckpointFile(path);
      const metadata = file.metadata as unknown as SourceMetadata;
      if (metadata?.kind === 'rftbench-source' && metadata.id === id) {
        const handle = { id, path, sha256: file.sha256, metadata };
        recordSource(handle, opts.store);
        return handle;
      }
      log(`source ${id}: cached file ${path} has other metadata; re-training`);
    } catch (err) {
      log(`source ${id}: cached file ${path} is unusable (${(err as Error).message}); re-training`);
    }
  }
  const params = recipe.recipe === 'at-fdm' ? `, FDM k ${recipe.fdm!.k} lambda ${recipe.fdm!.lambda}` : recipe.recipe === 'trades' ? `, beta ${recipe.beta}` : '';
  log(`source ${id}: pre-training ${recipe.arch} on ${recipe.dataset} (${recipe.recipe}${params}, ${recipe.epochs} epochs)`);
  const result = await pretrainSource(recipe, { log, dataDir: opts.dataDir });
  const metadata: SourceMetadata = {
    kind: 'rftbench-source',
    id,
    spec: result.model.spec,
    recipe,
    metrics: result.metrics,
    curve: result.curve,
    datasetVersion: result.datasetVersion,
    trainSeconds: result.trainSeconds,
    details: result.details,
    provenance: opts.environment,
    createdAt: Date.now(),
  };
  try {
    const sha256 = await saveCheckpoint(path, result.model, metadata as unknown as Record<string, unknown>);
    const handle = { id, path, sha256, metadata };
    recordSource(handle, opts.store);
    const clean = metricValue(result.metrics, 'clean');
    const pgd = metricValue(result.metrics, 'pgd');
    log(`source ${id}: clean ${pct(clean)}, PGD-20 ${pct(pgd)}; cached at ${path}`);
    return handle;
  } finally {
    result.model.dispose();
  }
}

function pct(v: number | null): string {
  return v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`;
}

function recordSource(h: SourceHandle, store?: Store): void {
  store?.putSource({
    id: h.id,
    recipe: h.metadata.recipe as unknown as Record<string, unknown>,
    path: h.path,
    sha256: h.sha256,
    cleanAcc: metricValue(h.metadata.metrics, 'clean'),
    robustAcc: metricValue(h.metadata.metrics, 'pgd'),
    provenance: { ...h.metadata.provenance, datasetVersion: h.metadata.datasetVersion, trainSeconds: h.metadata.trainSeconds } as Record<string, unknown>,
    createdAt: h.metadata.createdAt,
  });
}

/** Loads a cached source into a fresh model (eval mode, every parameter frozen). */
export function loadSourceModel(h: SourceHandle, seed: number): Classifier {
  const model = buildModel(h.metadata.spec, seed);
  try {
    loadCheckpoint(h.path, model, { strict: true });
  } catch (err) {
    model.dispose();
    throw err;
  }
  model.setTrainable(() => true, false);
  return model.eval();
}
