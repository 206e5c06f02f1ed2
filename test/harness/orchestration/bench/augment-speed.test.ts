/**
 * The batch pipeline's bench row (harness/orchestration/bench/augment-speed.ts) at tiny settings: every case timed in the
 * training thread, the augmenting ones also from 1 and 2 prefetch workers, which are all shut down after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePrefetchWorkers } from '../../../../datasets/batch-prefetch.ts';
import { AUGMENT_CASES, benchAugmentation } from '../../../../harness/orchestration/bench/augment-speed.ts';
import { releaseBackend, useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);
afterAll(releaseBackend);

describe('benchAugmentation', () => {
  it('times every case in the thread and the augmenting ones from prefetch workers', async () => {
    const rows = await benchAugmentation({ time: 1, batch: 2, prefetchWorkers: [1, 2] });
    expect(rows.map((r) => r.transform)).toEqual(AUGMENT_CASES.map((c) => c.name));
    for (const [i, r] of rows.entries()) {
      expect(r.batch).toBe(2);
      expect(r.imagesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(r.imagesPerSecond)).toBe(true);
      // The plain uint8-to-float copy has nothing to make ahead.
      expect(r.prefetched.map((p) => p.workers)).toEqual(AUGMENT_CASES[i].augment ? [1, 2] : []);
      for (const p of r.prefetched) expect(Number.isFinite(p.imagesPerSecond) && p.imagesPerSecond > 0).toBe(true);
    }
    expect(livePrefetchWorkers()).toBe(0);
  });
});
