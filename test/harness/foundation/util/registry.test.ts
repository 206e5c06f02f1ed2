import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attacks } from '../../../../attacks/registry.ts';
import { corruptedDatasets, datasets } from '../../../../datasets/registry.ts';
import { commands } from '../../../../harness/orchestration/cli/main.ts';
import { architectures } from '../../../../harness/foundation/models/zoo.ts';
import { EagerRegistry, Registry, UnknownIdError, didYouMean } from '../../../../harness/foundation/util/registry.ts';
import { methods } from '../../../../methods/registry.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

describe('Registry', () => {
  it('loads lazily, rejects duplicates, suggests near ids', async () => {
    let loads = 0;
    const r = new Registry<number>('attack').register('pgd', async () => ++loads).register('fgsm', async () => 7);
    expect(loads).toBe(0);
    expect(await r.get('pgd')).toBe(1);
    expect(() => r.register('pgd', async () => 2)).toThrow("attack 'pgd' is already registered");
    await expect(r.get('pgdd')).rejects.toThrow(/Unknown attack 'pgdd'\. Did you mean: pgd\?\nAvailable: pgd, fgsm/);
    r.freeze();
    expect(() => r.register('cw', async () => 3)).toThrow(/frozen/);
  });

  it('EagerRegistry: the same shape with synchronous values', () => {
    const r = new EagerRegistry<number>('architecture', { resnet18: 18, resnet34: 34 }).register('resnet50', 50);
    expect(r.ids()).toEqual(['resnet18', 'resnet34', 'resnet50']);
    expect(r.get('resnet34')).toBe(34);
    expect(r.has('resnet50')).toBe(true);
    expect(r.has('toString')).toBe(false); // a Map, not an object: no inherited names
    expect(() => r.get('toString')).toThrow(UnknownIdError);
    expect(() => r.get('resnet-18')).toThrow(/^Unknown architecture 'resnet-18'\. Did you mean: resnet18/);
    expect(() => new EagerRegistry('x', { a: 1 }).register('a', 2)).toThrow("x 'a' is already registered");
    expect(() => r.freeze().register('wrn', 28)).toThrow('architecture registry is frozen');
  });

  it('suggests nothing for far-off names', () => {
    expect(didYouMean('autoattack', ['pgd', 'fgsm'])).toEqual([]);
    expect(didYouMean('standrd', ['standard', 'at'])).toEqual(['standard']);
  });
});

describe('the project registries share one shape', () => {
  // [registry, a typo, the id it should suggest, a check on what get(id) gives]
  const cases = [
    ['methods', methods, 'standrd', 'standard', (m: unknown) => (m as { id: string }).id === 'standard'],
    ['datasets', datasets, 'cifr10', 'cifar10', (f: unknown) => typeof f === 'function'],
    ['corrupted datasets', corruptedDatasets, 'cifar10c', 'cifar10-c', (f: unknown) => typeof f === 'function'],
    ['attacks', attacks, 'apgd-c', 'apgd-ce', (f: unknown) => typeof f === 'function'],
    ['architectures', architectures, 'resnet-18', 'resnet18', (f: unknown) => typeof f === 'function'],
    ['commands', commands, 'pretrian', 'pretrain', (c: unknown) => (c as { name: string }).name === 'pretrain'],
  ] as const;

  for (const [name, registry, typo, near, check] of cases) {
    it(`${name}: get, ids, has, "did you mean", frozen`, async () => {
      expect(registry.ids()).toContain(near);
      expect(registry.has(near)).toBe(true);
      expect(registry.has(typo)).toBe(false);
      expect(check(await registry.get(near))).toBe(true);
      // Lazy registries reject, eager ones throw: awaited, both are the same UnknownIdError.
      const miss = (async () => registry.get(typo))();
      await expect(miss).rejects.toThrow(UnknownIdError);
      await expect(miss).rejects.toThrow(new RegExp(`^Unknown ${registry.kind} '${typo}'\\. Did you mean: ${near}\\b`));
      expect(() => (registry as EagerRegistry<unknown>).register('extra', undefined)).toThrow(/frozen/);
    });
  }

  it('methods and commands load on demand: importing their registries does not load tfjs', () => {
    const script = `
      const { methods } = await import('./methods/registry.ts');
      const { commands } = await import('./harness/orchestration/cli/main.ts');
      const before = [methods.ids().length, commands.ids().length, typeof globalThis._tfengine];
      await methods.get('standard');
      console.log(JSON.stringify([...before, typeof globalThis._tfengine]));`;
    const args = ['--import', 'tsx', '--input-type=module', '-e', script];
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([methods.ids().length, commands.ids().length, 'undefined', 'object']);
  });
});
