/**
 * @module The attack registry: id → factory taking the attack's options (norm, eps, ...) and returning a
 * configured Attack. Unknown ids fail with "did you mean". Attacks are built synchronously (inside the
 * evaluation workers too), so this is an EagerRegistry of the shared shape.
 *
 * @example
 * const attack = createAttack('apgd-t', { norm: 'Linf', eps: 8 / 255 });
 * attacks.ids(); // ['fgsm', 'fgsm-rs', 'pgd', ...]
 */
import { EagerRegistry } from '../harness/foundation/util/registry.ts';
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
export const attacks = new EagerRegistry<AttackFactory>('attack', {
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
}).freeze();

/** A configured attack; unknown ids throw UnknownIdError ("Unknown attack 'pgdd'. Did you mean: pgd?"). */
export function createAttack(id: string, options: Record<string, unknown> = {}): Attack {
  return attacks.get(id)(options);
}
