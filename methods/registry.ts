/**
 * @module The method registry: id → lazy import of the entry. To add a method: write
 * `methods/<id>.ts` default-exporting `defineMethod({...})`, register it here, run
 * `rftbench methods show <id>` (see the README, "Add a method in three steps"). Keep each entry as
 * `.register('<id>', async () => (await import('<file>')).default)`: the run's code identity reads this file.
 */
import { Registry } from '../harness/foundation/util/registry.ts';
import type { MethodEntry } from './define.ts';

export const methods = new Registry<MethodEntry>('method')
  .register('standard', async () => (await import('./standard.ts')).default)
  .register('at', async () => (await import('./at.ts')).default)
  .register('linear-probe', async () => (await import('./linear-probe.ts')).default)
  .register('partial', async () => (await import('./partial.ts')).default)
  .register('lwf', async () => (await import('./lwf.ts')).default)
  .register('trades', async () => (await import('./trades.ts')).default)
  .register('twins-at', async () => (await import('./twins/twins-at.ts')).default)
  .register('twins-trades', async () => (await import('./twins/twins-trades.ts')).default)
  .register('cartl', async () => (await import('./cartl/cartl.ts')).default)
  .register('rift', async () => (await import('./rift/rift.ts')).default)
  .freeze();
