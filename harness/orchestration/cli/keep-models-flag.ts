/** @module `--keep-models all|none`, shared by the commands that run suites (run, nightly, submit). */
import { KEEP_MODELS, type KeepModels } from '../run/cell-model.ts';
import { UsageError } from './command.ts';

export const KEEP_MODELS_USAGE = `--keep-models K  all (default): save every finished cell's fine-tuned model under <data>/models/
                   (named by its sha256, recorded in the store, downloadable from the cell page); none`;

export const keepModelsOption = { 'keep-models': { type: 'string', default: 'all' } } as const;

export function parseKeepModels(value: string | undefined): KeepModels {
  if (value === undefined) return 'all';
  if (!(KEEP_MODELS as readonly string[]).includes(value)) {
    throw new UsageError(`--keep-models must be ${KEEP_MODELS.join(' or ')}, got '${value}'`);
  }
  return value as KeepModels;
}
