/**
 * @module Published checkpoints as task sources. The file is obtained and verified (external-checkpoint.ts),
 * loaded through the external-model loader (key mapping, spec), measured when the source asks for it, and
 * cached as an rftbench source file `<data>/sources/<id>.safetensors` (id: hash of the whole source object).
 * Runs then load it like a pre-trained source, and the evaluation workers rebuild it from its spec. The
 * cache is used only while the published file's sha256 is the one it was converted from.
 */
import { existsSync } from 'node:fs';
import { getDataset } from '../../../datasets/registry.ts';
import { readCheckpointFile, saveCheckpoint } from '../../foundation/checkpoint/checkpoint.ts';
import { describeSpec, loadExternalModel } from '../../foundation/checkpoint/external-model.ts';
import type { MappingReport } from '../../foundation/checkpoint/key-map.ts';
import { evaluateRobustness, type MetricValue } from '../evaluate/evaluate.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import type { ExternalSource } from '../../protocol/schema.ts';
import { obtainCheckpoint, type CheckpointFile, type ObtainOptions } from './external-checkpoint.ts';
import { SOURCE_EVALUATION } from './pretrain.ts';
import {
  recordSource,
  sourceId,
  sourcePath,
  type EnsureSourceOptions,
  type SourceHandle,
  type SourceMetadata,
} from './sources.ts';

export type EnsureExternalSourceOptions = EnsureSourceOptions & Pick<ObtainOptions, 'download' | 'downloadOptions'>;

/** The mapping report in a few lines: what was renamed, dropped and filled, and where mean/std came from. */
export function summarizeMapping(report: MappingReport): Record<string, unknown> {
  return {
    rewrites: report.rewrites.map((r) => `${r.from} -> ${r.to || "''"} (${r.keys} keys, ${r.rule})`),
    dropped: report.dropped.map((d) => `${d.prefix} (${d.keys} keys: ${d.reason})`),
    filled: report.filled.length,
    normalizerInFile: report.normalizer !== undefined,
  };
}

/** Measures clean and PGD-20 accuracy as for pre-trained sources (SOURCE_EVALUATION), on the source's own data. */
async function measure(
  model: Classifier,
  source: ExternalSource,
  opts: EnsureExternalSourceOptions,
): Promise<{ metrics: MetricValue[]; datasetVersion: string }> {
  const dataset = getDataset(source.measure!, { dataDir: opts.dataDir });
  const test = await dataset.load('test');
  if (test.shape.some((d, k) => d !== source.inputShape[k])) {
    const shapes = `its images are ${test.shape.join('x')}, the checkpoint takes ${source.inputShape.join('x')}`;
    throw new Error(`source measure '${source.measure}': ${shapes}`);
  }
  const evaluation = SOURCE_EVALUATION;
  const metrics = await evaluateRobustness(model, test, { threat: source.threat!, evaluation, seed: 0, log: opts.log });
  return { metrics, datasetVersion: dataset.version };
}

function cachedHandle(id: string, path: string, file: CheckpointFile): SourceHandle | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const metadata = readCheckpointFile(path).metadata as unknown as SourceMetadata;
    if (metadata?.kind === 'rftbench-source' && metadata.id === id && metadata.external?.sha256 === file.sha256) {
      return { id, path, sha256: file.sha256, metadata };
    }
  } catch {
    // unreadable: converted again below
  }
  return undefined;
}

/** The cached conversion of a published checkpoint, converting (and measuring) it first when needed. */
export async function ensureExternalSource(
  source: ExternalSource,
  opts: EnsureExternalSourceOptions,
): Promise<SourceHandle> {
  const log = opts.log ?? (() => {});
  const id = sourceId(source);
  const path = sourcePath(id, opts.dataDir);
  const { dataDir, download, downloadOptions } = opts;
  const file = await obtainCheckpoint(source.checkpoint, { dataDir, log, download, downloadOptions });
  const cached = opts.force ? undefined : cachedHandle(id, path, file);
  if (cached) {
    recordSource(cached, opts.store);
    return cached;
  }
  const { arch, numClasses, inputShape, mean, std, width, keyMap, dropKeys } = source;
  const shape: [number, number, number] = [...inputShape];
  const ext = loadExternalModel(file.path, { arch, numClasses, inputShape: shape, mean, std, width, keyMap, dropKeys });
  try {
    log(`source ${id}: ${file.origin} loaded as ${describeSpec(ext.spec)}`);
    const measured = source.measure ? await measure(ext.model, source, opts) : { metrics: [], datasetVersion: '' };
    const metadata: SourceMetadata = {
      kind: 'rftbench-source',
      id,
      spec: ext.model.spec,
      external: {
        source,
        origin: file.origin,
        sha256: file.sha256,
        format: source.checkpoint.format,
        verifiedBy: file.verifiedBy,
        citation: source.citation,
        mapping: summarizeMapping(ext.report),
      },
      metrics: measured.metrics,
      curve: [],
      datasetVersion: measured.datasetVersion,
      trainSeconds: 0, // nothing was trained here
      provenance: opts.environment,
      createdAt: Date.now(),
    };
    saveCheckpoint(path, ext.model, metadata as unknown as Record<string, unknown>);
    const handle = { id, path, sha256: file.sha256, metadata };
    recordSource(handle, opts.store);
    log(`source ${id}: cached at ${path}`);
    return handle;
  } finally {
    ext.model.dispose();
  }
}
