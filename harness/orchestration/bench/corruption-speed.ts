/** @module Images/second of each implemented corruption on 32x32x3 images (tinybench), severity 3. */
import { Bench } from 'tinybench';
import { corrupt, IMPLEMENTED_CORRUPTIONS } from '../../../datasets/corruptions/corruptions.ts';
import { Rng } from '../../foundation/rng.ts';

export interface CorruptionSpeedRow {
  corruption: string;
  imagesPerSecond: number;
}

export async function benchCorruptions({ time }: { time: number }): Promise<CorruptionSpeedRow[]> {
  const rng = new Rng(1);
  const img = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.next() * 256));
  const bench = new Bench({
    name: 'corruptions',
    time,
    warmup: true,
    warmupIterations: 2,
    warmupTime: 0,
    throws: true,
  });
  for (const name of IMPLEMENTED_CORRUPTIONS) bench.add(name, () => void corrupt(name, img, [32, 32, 3], 3, rng));
  await bench.run();
  return bench.tasks.map((t) => ({
    corruption: t.name,
    imagesPerSecond: t.result.state === 'completed' ? 1000 / t.result.latency.mean : NaN,
  }));
}
