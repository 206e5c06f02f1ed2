/**
 * @module The source-model cache. A recipe's hash names its checkpoint under
 * `<cache>/sources/<id>.safetensors`; the file carries its recipe, measured robustness and provenance
 * in its metadata, and the store keeps a row for the site. Runs use the cached model; only a missing
 * or corrupt file is re-trained.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import type { Store } from '../../../results/store.ts';
import { loadCheckpoint, readCheckpointFile, saveCheckpoint } from '../../foundation/checkpoint/checkpoint.ts';
import { acquireFileLock } from '../../foundation/util/file-lock.ts';
import type { MetricValue } from '../evaluate/evaluate.ts';
import type { Classifier, ModelSpec } from '../../foundation/models/classifier.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import { hashOf } from '../../protocol/cells.ts';
import { isExternalSource, type ExternalSource, type SourceRecipe, type TaskSource } from '../../protocol/schema.ts';
import type { Environment } from '../run/provenance.ts';
import { discardTrainState, type TrainStateOptions } from '../train/train-state.ts';
import { pretrainSource } from './pretrain.ts';

/** Bumped when pre-training code changes what a recipe produces. */
export const SOURCE_PROTOCOL = 1;

export interface SourceMetadata {
  kind: 'rftbench-source';
  id: string;
  spec: ModelSpec;
  /** How it was pre-trained; absent for a published checkpoint (`external`). */
  recipe?: SourceRecipe;
  /** A published checkpoint converted to this file (see external-sources.ts). */
  external?: ExternalSourceRecord;
  metrics: MetricValue[];
  curve: unknown[];
  datasetVersion: string;
  trainSeconds: number;
  /** Recipe-specific facts (FDM's boundary block, TRADES' beta); absent in files written before recipes had any. */
  details?: Record<string, unknown>;
  provenance: Environment;
  createdAt: number;
}

/** Where a published checkpoint came from and how it was loaded: each cell's provenance shows it. */
export interface ExternalSourceRecord {
  source: ExternalSource;
  /** The url, or the path as the task gives it. */
  origin: string;
  /** Of the published file (not of our converted copy). */
  sha256: string;
  format: ExternalSource['checkpoint']['format'];
  verifiedBy: string;
  citation: string;
  /** What the key mapping renamed, dropped and filled (harness/foundation/checkpoint/key-map.ts), in short. */
  mapping: Record<string, unknown>;
}

export interface SourceHandle {
  id: string;
  /** The rftbench checkpoint the runs load. */
  path: string;
  /** Of that file; for a published checkpoint, of the published file (external.sha256). */
  sha256: string;
  metadata: SourceMetadata;
}

/** A recipe's hash, or the hash of a published checkpoint's whole source object; names the cached file. */
export function sourceId(source: TaskSource): string {
  return isExternalSource(source)
    ? hashOf({ external: source, protocol: SOURCE_PROTOCOL })
    : hashOf({ recipe: source, protocol: SOURCE_PROTOCOL });
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
  /** Training checkpoints of the pre-training (harness/orchestration/train/train-state.ts). */
  training?: TrainStateOptions;
}

function metricValue(metrics: MetricValue[], name: string): number | null {
  return metrics.find((m) => m.name === name)?.value ?? null;
}

/** Returns the cached source for a recipe, pre-training and caching it first when needed. */
export async function ensureSource(recipe: SourceRecipe, opts: EnsureSourceOptions): Promise<SourceHandle> {
  // Runs sharing a data folder pre-train a source once: the others wait for the file (and its training
  // checkpoints are never written by two processes). The holder refreshes the lock while it trains.
  const path = sourcePath(sourceId(recipe), opts.dataDir);
  const lock = await acquireFileLock(`${path}.lock`, {
    pollMs: 1000,
    onWait: (holder) => opts.log?.(`source: ${holder} is pre-training ${path}; waiting`),
  });
  const refresh = setInterval(() => lock.refresh(), 60_000).unref();
  try {
    return await ensureSourceLocked(recipe, opts);
  } finally {
    clearInterval(refresh);
    lock.release();
  }
}

async function ensureSourceLocked(recipe: SourceRecipe, opts: EnsureSourceOptions): Promise<SourceHandle> {
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
  const params =
    recipe.recipe === 'at-fdm'
      ? `, FDM k ${recipe.fdm!.k} lambda ${recipe.fdm!.lambda}`
      : recipe.recipe === 'trades'
        ? `, beta ${recipe.beta}`
        : '';
  log(
    `source ${id}: pre-training ${recipe.arch} on ${recipe.dataset} (${recipe.recipe}${params}, ${recipe.epochs} epochs)`,
  );
  const trainStateKey = `source-${id}`;
  const result = await pretrainSource(recipe, { log, dataDir: opts.dataDir, training: opts.training, trainStateKey });
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
    discardTrainState(trainStateKey, { dataDir: opts.dataDir, ...opts.training });
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

/** The store's row for a source; a published checkpoint's row holds its source object where recipes go. */
export function recordSource(h: SourceHandle, store?: Store): void {
  const ext = h.metadata.external;
  store?.putSource({
    id: h.id,
    recipe: (h.metadata.recipe ?? ext?.source) as unknown as Record<string, unknown>,
    path: h.path,
    sha256: h.sha256,
    cleanAcc: metricValue(h.metadata.metrics, 'clean'),
    robustAcc: metricValue(h.metadata.metrics, 'pgd'),
    provenance: {
      ...h.metadata.provenance,
      datasetVersion: h.metadata.datasetVersion,
      trainSeconds: h.metadata.trainSeconds,
      ...(ext
        ? {
            external: {
              origin: ext.origin,
              sha256: ext.sha256,
              format: ext.format,
              verifiedBy: ext.verifiedBy,
              citation: ext.citation,
              mapping: ext.mapping,
            },
          }
        : {}),
    } as Record<string, unknown>,
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
