/**
 * @module The attack registry: id → factory taking the attack's options (norm, eps, ...) and returning a
 * configured Attack. Unknown ids fail with "did you mean". `attacks` is the lazy Registry the harness
 * uses for methods and datasets too; `createAttack` is the synchronous path.
 *
 * @example
 * const attack = createAttack('apgd-t', { norm: 'Linf', eps: 8 / 255 });
 * const lazy = await attacks.get('square');
 */
import { Registry, UnknownIdError } from '../harness/util/registry.ts';
import { apgd, apgdT } from './apgd.ts';
import { autoAttack } from './autoattack.ts';
import { cw } from './cw.ts';
import { fab } from './fab.ts';
import { fgsm } from './fgsm.ts';
import { pgd } from './pgd.ts';
import { square } from './square.ts';
import type { Attack } from './types.ts';

/** Options as a plain record (from a config file or the CLI); each factory validates its own. */
export type AttackFactory = (options?: Record<string, unknown>) => Attack;

// Each factory gets the options it understands; the fixed parts of an id (loss, targeting) win over the options.
const FACTORIES: Readonly<Record<string, AttackFactory>> = {
  fgsm: (opts = {}) => fgsm(opts),
  'fgsm-rs': (opts = {}) => fgsm({ ...opts, randomStart: true }),
  pgd: (opts = {}) => pgd(opts),
  cw: (opts = {}) => cw(opts),
  'apgd-ce': (opts = {}) => apgd({ ...opts, loss: 'ce' }),
  'apgd-dlr': (opts = {}) => apgd({ ...opts, loss: 'dlr' }),
  'apgd-t': (opts = {}) => apgdT(opts),
  fab: (opts = {}) => fab({ ...opts, targeted: false }),
  'fab-t': (opts = {}) => fab({ ...opts, targeted: true }),
  square: (opts = {}) => square(opts),
  autoattack: (opts = {}) => autoAttack(opts),
};

export const attackIds: readonly string[] = Object.keys(FACTORIES);

/** The factory of `id`; unknown ids throw UnknownIdError ("Unknown attack 'pgdd'. Did you mean: pgd?"). */
export function attackFactory(id: string): AttackFactory {
  const f = Object.hasOwn(FACTORIES, id) ? FACTORIES[id] : undefined;
  if (!f) throw new UnknownIdError('attack', id, attackIds);
  return f;
}

export function createAttack(id: string, options: Record<string, unknown> = {}): Attack {
  return attackFactory(id)(options);
}

export const attacks = new Registry<AttackFactory>('attack');
for (const id of attackIds) attacks.register(id, async () => FACTORIES[id]);
attacks.freeze();
