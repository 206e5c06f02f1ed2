/**
 * @module The RNG streams of one training run, by name, so a training checkpoint can save every stream's
 * position and a resumed run can put them back. A stream is named by its fork path from the run's root
 * (`root/method#0/data#1/epoch-3#0`); `#n` counts forks of the same path, so two `fork('data')` of one
 * stream (two fits of a multi-stage method) stay apart.
 */
import { Rng } from '../../foundation/rng.ts';

/** Stream name -> position (Rng.getState()). */
export type RngPositions = Record<string, number>;

/** An Rng whose forks are registered in the same RngStreams. */
class TrackedRng extends Rng {
  constructor(
    seed: number,
    private readonly streams: RngStreams,
    readonly path: string,
  ) {
    super(seed);
  }

  override fork(label: string): Rng {
    return this.streams.register(super.fork(label).seed, `${this.path}/${label}`);
  }
}

export class RngStreams {
  private readonly live = new Map<string, Rng>();
  private readonly forks = new Map<string, number>();

  /** The run's root stream: every stream forked from it (at any depth) is tracked. */
  root(seed: number, name = 'root'): Rng {
    return this.register(seed, name);
  }

  /** @internal Called by tracked streams when they fork. */
  register(seed: number, path: string): Rng {
    const n = this.forks.get(path) ?? 0;
    this.forks.set(path, n + 1);
    const name = `${path}#${n}`;
    const rng = new TrackedRng(seed, this, name);
    this.live.set(name, rng);
    return rng;
  }

  positions(): RngPositions {
    return Object.fromEntries([...this.live].map(([name, rng]) => [name, rng.getState()]));
  }

  /**
   * Puts every live stream named in `saved` back at its saved position. Streams the saved run had but this
   * one has not made (forked inside a skipped fit or stage) are not needed again and are left out.
   */
  restore(saved: RngPositions): void {
    for (const [name, rng] of this.live) {
      const position = saved[name];
      if (position !== undefined) rng.setState(position);
    }
  }
}
