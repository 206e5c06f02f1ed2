/**
 * @module Which TWINS wing blew up. The frozen wing normalises with the source's fixed statistics, so nothing
 * rescales its activations when the shared convolutions grow (the adaptive wing's batch statistics do); at a
 * large learning rate its half of the loss explodes while AT, with batch statistics everywhere, trains on.
 * A divergence therefore names the lr and both halves' losses of its last steps, not only "NaN".
 */
import { DivergenceError } from '../../harness/orchestration/train/divergence.ts';

export interface WingLosses {
  frozen: number | null;
  adaptive: number | null;
}

/** The halves' losses of the last two steps (the one that diverged and the one before it). */
export class WingLossLog {
  private readonly steps: WingLosses[] = [];

  record(losses: WingLosses): void {
    this.steps.push(losses);
    if (this.steps.length > 2) this.steps.shift();
  }

  /** `err` with the lr and the halves' losses added when it is a divergence; anything else unchanged. */
  explain(err: unknown, lr: number): unknown {
    if (!(err instanceof DivergenceError)) return err;
    const [before, at] = this.steps.length === 2 ? this.steps : [undefined, this.steps[0]];
    const show = (w: WingLosses | undefined) =>
      w ? `frozen-wing half ${fmt(w.frozen)}, adaptive-wing half ${fmt(w.adaptive)}` : 'not recorded';
    const wing = at ? culprit(at, before) : 'training';
    const why =
      wing === 'the frozen wing'
        ? ". The frozen wing keeps the source's statistics, so its activations grow with the shared weights"
        : '';
    err.message =
      `${err.message} at lr ${lr} (config.lr): ${wing} diverged; losses at that step: ${show(at)}` +
      `${before ? `; the step before: ${show(before)}` : ''}${why}; lower config.lr`;
    return err;
  }
}

/** The wing whose loss alone is not finite, else the one whose loss was 10x the other's the step before. */
function culprit(at: WingLosses, before: WingLosses | undefined): string {
  const bad = (v: number | null) => v !== null && !Number.isFinite(v);
  if (bad(at.frozen) !== bad(at.adaptive)) return bad(at.frozen) ? 'the frozen wing' : 'the adaptive wing';
  const f = before?.frozen ?? Number.NaN;
  const a = before?.adaptive ?? Number.NaN;
  return f > 10 * a ? 'the frozen wing' : a > 10 * f ? 'the adaptive wing' : 'both wings';
}

const fmt = (v: number | null) =>
  v === null ? 'none (empty half)' : Math.abs(v) >= 1e5 ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
