/**
 * @module Images/second of each implemented corruption on 32x32x3 images (tinybench), severity 3, with the
 * resources two of them need loaded first as the generated sets load them: the JPEG codec, and frost's textures
 * when they are already on disk (a bench downloads nothing; frost is skipped, saying why, without them).
 */
import { Bench } from 'tinybench';
import {
  corrupt,
  frostScale,
  IMPLEMENTED_CORRUPTIONS,
  type CorruptExtras,
} from '../../../datasets/corruptions/corruptions.ts';
import { frostTextures } from '../../../datasets/corruptions/frost-textures.ts';
import { jpegCodec } from '../../../datasets/corruptions/jpeg-codec.ts';
import { Rng } from '../../foundation/rng.ts';

export interface CorruptionSpeedRow {
  corruption: string;
  /** NaN when skipped. */
  imagesPerSecond: number;
  skipped?: string;
}

export async function benchCorruptions({ time }: { time: number }): Promise<CorruptionSpeedRow[]> {
  const rng = new Rng(1);
  const img = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.next() * 256));
  let frostSkipped: string | undefined;
  const frost = await frostTextures(frostScale(32), { download: false }).catch((err: Error) => {
    frostSkipped = err.message;
    return undefined;
  });
  const extras: CorruptExtras = { jpeg: await jpegCodec(), frost };
  const bench = new Bench({
    name: 'corruptions',
    time,
    warmup: true,
    warmupIterations: 2,
    warmupTime: 0,
    throws: true,
  });
  const measured = IMPLEMENTED_CORRUPTIONS.filter((name) => name !== 'frost' || frost);
  for (const name of measured) bench.add(name, () => void corrupt(name, img, [32, 32, 3], 3, rng, extras));
  await bench.run();
  const rows: CorruptionSpeedRow[] = bench.tasks.map((t) => ({
    corruption: t.name,
    imagesPerSecond: t.result.state === 'completed' ? 1000 / t.result.latency.mean : NaN,
  }));
  if (frostSkipped) rows.push({ corruption: 'frost', imagesPerSecond: NaN, skipped: frostSkipped });
  return rows;
}
