/**
 * @module The protocol's attacks resolved once, from the threat and the tier's settings, into the concrete
 * options that are both run and recorded. The step-size rule lives here only: a tier gives the step as a
 * multiple of eps (2/255 at eps 8/255 = 0.25).
 */
import type { Threat } from './threat.ts';

/** The absolute step of an attack whose tier gives it as `stepSizeOverEps` times eps. */
export const stepSizeOf = (threat: Threat, stepSizeOverEps: number) => stepSizeOverEps * threat.eps;

/** An attack by its registry id with its options (what a worker thread rebuilds it from). */
export interface AttackSpec {
  readonly id: string;
  readonly options: Record<string, unknown>;
}

export interface PgdSpec extends AttackSpec {
  readonly id: 'pgd';
  readonly options: {
    readonly norm: Threat['norm'];
    readonly eps: number;
    /** The absolute step (pgd.ts calls it alpha). */
    readonly alpha: number;
    readonly steps: number;
    readonly restarts: number;
    readonly randomStart: true;
  };
}

/** The evaluation's PGD (a tier's `evaluation.pgd`) at a threat. */
export function resolvePgd(threat: Threat, pgd: { steps: number; stepSizeOverEps: number; restarts: number }): PgdSpec {
  const options = {
    norm: threat.norm,
    eps: threat.eps,
    alpha: stepSizeOf(threat, pgd.stepSizeOverEps),
    steps: pgd.steps,
    restarts: pgd.restarts,
  };
  return { id: 'pgd', options: { ...options, randomStart: true } };
}

/** The training attack a tier grants adversarial methods (a tier's `trainAttack`) at a threat. */
export function resolveTrainAttack<T extends { steps: number; stepSizeOverEps: number }>(
  threat: Threat,
  trainAttack: T,
) {
  return {
    ...trainAttack,
    stepSize: stepSizeOf(threat, trainAttack.stepSizeOverEps),
    eps: threat.eps,
    norm: threat.norm,
  };
}
