/**
 * The new entries' configs and their place in the protocol: unknown or ill-typed keys fail with the
 * key's path before anything runs; `methods show` prints paper and schema; the quick suite runs each
 * entry, CARTL also from an FDM source, without renaming the existing cells.
 */
import { describe, expect, it, vi } from 'vitest';
import methodsCommand from '../../harness/orchestration/cli/commands/methods.ts';
import { expandSuite } from '../../harness/protocol/cells.ts';
import { parseSuite } from '../../harness/protocol/schema.ts';
import { loadSuite } from '../../harness/protocol/suites.ts';
import { resolveMethods } from '../../harness/orchestration/run/runner.ts';

const NEW = ['twins-at', 'twins-trades', 'cartl', 'rift'];

describe('new method entries in the protocol', () => {
  it.each(NEW)('%s: an unknown or ill-typed config key fails with its path', async (id) => {
    const smoke = loadSuite('smoke');
    await expect(
      resolveMethods({
        ...smoke,
        methods: [
          { id: 'standard', config: {} },
          { id, config: { lrr: 0.1 } },
        ],
      }),
    ).rejects.toThrow(
      new RegExp(`bad config for method '${id}'[\\s\\S]*methods\\[1\\]\\.config\\.\\(root\\): Unrecognized key: "lrr"`),
    );
    await expect(resolveMethods({ ...smoke, methods: [{ id, config: { lr: 'fast' } }] })).rejects.toThrow(
      /methods\[0\]\.config\.lr: Invalid input: expected number, received string/,
    );
    const { suite } = await resolveMethods({ ...smoke, methods: [{ id, config: {} }] });
    expect(suite.methods[0].config.momentum).toBe(0.9);
  });

  it('methods show prints the paper and the config schema with defaults', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
    try {
      for (const id of NEW) {
        out.length = 0;
        expect(await methodsCommand.run(['show', id, '--json'])).toBe(0);
        const shown = JSON.parse(out.join('\n'));
        expect(shown.paper.url).toMatch(/^https:\/\/arxiv\.org\//);
        expect(shown.config.properties.lr.default).toBeGreaterThan(0);
      }
      out.length = 0;
      await methodsCommand.run(['list']);
      for (const id of NEW) expect(out.some((l) => l.startsWith(id))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('the quick suite runs every entry; the FDM task only CARTL; restricting a task does not change cell ids', async () => {
    const quick = loadSuite('quick');
    const cells = expandSuite((await resolveMethods(quick)).suite);
    const ids = new Set(cells.map((c) => c.spec.method.id));
    for (const id of ['standard', 'at', ...NEW]) expect(ids.has(id), id).toBe(true);
    const fdm = cells.filter((c) => c.spec.task.id === 'fmnist-transfer-fdm/linf-8');
    expect(fdm.map((c) => c.spec.method.id)).toEqual(['cartl']);
    expect(fdm[0].spec.task.source).toMatchObject({ recipe: 'at-fdm' });
    expect('methods' in fdm[0].spec.task).toBe(false);
    const unrestricted = expandSuite({
      ...(await resolveMethods(quick)).suite,
      tasks: quick.tasks.map(({ methods: _m, ...t }) => t),
    });
    expect(unrestricted.filter((c) => cells.some((d) => d.id === c.id))).toHaveLength(cells.length);
  });

  it('a task naming a method the suite lacks fails with the path', () => {
    const smoke = JSON.parse(JSON.stringify(loadSuite('smoke')));
    smoke.tasks[0].methods = ['standard', 'cartll'];
    expect(() => parseSuite(smoke, 's.json')).toThrow(
      /tasks\.0\.methods\.1: method 'cartll' is not in the suite's methods/,
    );
  });
});
