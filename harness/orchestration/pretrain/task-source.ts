/**
 * @module A task's source, whichever its form: a recipe pre-trained and cached here (sources.ts) or a
 * published checkpoint (external-sources.ts). Both give the same SourceHandle to run-cell.
 */
import { isExternalSource, type TaskSource } from '../../protocol/schema.ts';
import { ensureExternalSource, type EnsureExternalSourceOptions } from './external-sources.ts';
import { ensureSource, type SourceHandle } from './sources.ts';

export function ensureTaskSource(source: TaskSource, opts: EnsureExternalSourceOptions): Promise<SourceHandle> {
  return isExternalSource(source) ? ensureExternalSource(source, opts) : ensureSource(source, opts);
}

/** What a cell's provenance adds about a published source (origin, checksum, format, citation, key mapping). */
export function sourceProvenance(h: SourceHandle): Record<string, unknown> {
  const ext = h.metadata.external;
  if (!ext) return {};
  const { source, ...facts } = ext;
  return {
    source: { kind: 'external', ...(source.catalog ? { catalog: source.catalog } : {}), arch: source.arch, ...facts },
  };
}

/** One line naming a source: `small-resnet on fashion-mnist[0-4] (fgsm-rs)`, `resnet50 from salman2020-…`. */
export function describeTaskSource(source: TaskSource): string {
  if (!isExternalSource(source)) return `${source.arch} on ${source.dataset} (${source.recipe})`;
  return `${source.arch} from ${source.catalog ?? source.checkpoint.url ?? source.checkpoint.path}`;
}
