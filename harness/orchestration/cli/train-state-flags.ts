/** @module `--checkpoint-minutes N` and `--keep-train-state`, shared by the commands that train (run, pretrain). */
import { DEFAULT_CHECKPOINT_MINUTES, type TrainStateOptions } from '../train/train-state.ts';
import { UsageError } from './command.ts';

const MINUTES = DEFAULT_CHECKPOINT_MINUTES;

export const TRAIN_STATE_USAGE = `--checkpoint-minutes N  training checkpoint every N minutes in an epoch (default ${MINUTES};
                   0: every step) and at every epoch end, under <data>/train-state/; a killed run resumes there
  --keep-train-state  keep those files once the cell or source is recorded (default: removed)`;

export const trainStateOptions = {
  'checkpoint-minutes': { type: 'string' },
  'keep-train-state': { type: 'boolean', default: false },
} as const;

type TrainStateFlags = { 'checkpoint-minutes'?: string; 'keep-train-state'?: boolean };

export function parseTrainStateFlags(values: TrainStateFlags): TrainStateOptions {
  const raw = values['checkpoint-minutes'];
  const minutes = raw === undefined ? DEFAULT_CHECKPOINT_MINUTES : Number(raw);
  if (raw !== undefined && (raw.trim() === '' || !Number.isFinite(minutes) || minutes < 0)) {
    throw new UsageError(`--checkpoint-minutes must be a number >= 0 (0: after every step), got '${raw}'`);
  }
  return { checkpointMinutes: minutes, keepTrainState: values['keep-train-state'] ?? false };
}
