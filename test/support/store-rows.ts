/** A completed cell row for store tests; `over` replaces any field. */
import type { NewCell } from '../../results/store.ts';

export function cellRow(id: string, over: Partial<NewCell> = {}): NewCell {
  return {
    id,
    suite: 'quick',
    tier: 'quick',
    taskId: 'fmnist-transfer/linf-8',
    methodId: 'at',
    seed: 0,
    status: 'completed',
    runId: 'run-1',
    spec: { seed: 0 },
    provenance: { backend: 'wasm' },
    artifacts: {},
    startedAt: 10,
    finishedAt: 20,
    trainSeconds: 5,
    evalSeconds: 1,
    ...over,
  };
}
