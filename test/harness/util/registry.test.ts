import { describe, expect, it } from 'vitest';
import { Registry, didYouMean } from '../../../harness/util/registry.ts';

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

  it('suggests nothing for far-off names', () => {
    expect(didYouMean('autoattack', ['pgd', 'fgsm'])).toEqual([]);
    expect(didYouMean('standrd', ['standard', 'at'])).toEqual(['standard']);
  });
});
