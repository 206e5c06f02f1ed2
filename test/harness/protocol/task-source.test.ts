/**
 * A task's source forms: a recipe (ids unchanged), a published checkpoint written out, a catalog id (as a
 * string or `{ catalog }`) expanded into the cell spec, and the catalog's own entries.
 */
import { describe, expect, it } from 'vitest';
import { expandSuite } from '../../../harness/protocol/cells.ts';
import {
  ExternalSourceSchema,
  isExternalSource,
  parseSuite,
  type SuiteInput,
} from '../../../harness/protocol/schema.ts';
import { loadSuite } from '../../../harness/protocol/suites.ts';
import { CATALOG } from '../../../harness/protocol/catalog.ts';
import { checkpointFileName } from '../../../harness/orchestration/pretrain/external-checkpoint.ts';
import { sourceId } from '../../../harness/orchestration/pretrain/sources.ts';
import { architectures } from '../../../harness/foundation/models/zoo.ts';
import { resolveMethods } from '../../../harness/orchestration/run/runner.ts';

const smoke = loadSuite('smoke');
const external = {
  checkpoint: { path: 'test/fixtures/torch/cifar_resnet18_w8.zip.pt', format: 'torch' },
  arch: 'resnet18',
  width: 8,
  inputShape: [32, 32, 3],
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2471, 0.2435, 0.2616],
  numClasses: 10,
  citation: 'fixture',
};

/** The smoke suite with its one task's source (and extra task fields) replaced. */
function withSource(source: unknown, extra: Record<string, unknown> = {}): SuiteInput {
  const input = JSON.parse(JSON.stringify(smoke)) as SuiteInput & { tasks: Record<string, unknown>[] };
  Object.assign(input.tasks[0], { source, ...extra });
  return input;
}

function issues(input: unknown): string {
  try {
    parseSuite(input, 'suite.json');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the suite parsed');
}

describe('task sources', () => {
  it('recipe sources keep their cell and source ids', async () => {
    // Recorded (`rftbench run --suite smoke --dry-run`) before published checkpoints existed: caches and stored cells must not move.
    expect(expandSuite((await resolveMethods(smoke)).suite).map((c) => c.id)).toEqual([
      'd564784538321d28',
      'ea839bd49f2057b5',
    ]);
    expect(sourceId(smoke.tasks[0].source)).toBe('59c0104b6e6b42c5');
    expect(isExternalSource(smoke.tasks[0].source)).toBe(false);
  });

  it('a catalog id, as a string or { catalog }, expands to the whole checkpoint source in the cell spec', () => {
    const id = 'salman2020-resnet50-linf-eps4';
    const a = parseSuite(withSource(id, { resize: 224 }));
    const b = parseSuite(withSource({ catalog: id }, { resize: 224 }));
    const [cellA] = expandSuite(a);
    expect(cellA.id).toBe(expandSuite(b)[0].id);
    const source = cellA.spec.task.source;
    expect(source).toMatchObject({
      catalog: id,
      arch: 'resnet50',
      inputShape: [224, 224, 3],
      numClasses: 1000,
      checkpoint: {
        url: 'https://huggingface.co/madrylab/robust-imagenet-models/resolve/main/resnet50_linf_eps4.0.ckpt',
        format: 'torch',
      },
    });
    expect(JSON.stringify(source)).toContain('Do Adversarially Robust ImageNet Models Transfer Better?');
    // Writing the same source out in full runs the same cells.
    const { catalog: _c, ...full } = source as Record<string, unknown>;
    expect(expandSuite(parseSuite(withSource({ ...full, catalog: id }, { resize: 224 })))[0].id).toBe(cellA.id);
    expect(expandSuite(parseSuite(withSource('salman2020-resnet50-linf-eps8', { resize: 224 })))[0].id).not.toBe(
      cellA.id,
    );
  });

  it('external sources hash apart from recipes and from each other', () => {
    const one = parseSuite(withSource(external)).tasks[0].source;
    const other = parseSuite(
      withSource({ ...external, checkpoint: { ...external.checkpoint, sha256: 'a'.repeat(64) } }),
    ).tasks[0].source;
    expect(isExternalSource(one)).toBe(true);
    expect(sourceId(one)).not.toBe(sourceId(other));
    expect(sourceId(one)).not.toBe(sourceId(smoke.tasks[0].source));
    expect(expandSuite(parseSuite(withSource(external)))[0].id).not.toBe(expandSuite(smoke)[0].id);
  });

  it('names the bad field of each form', () => {
    expect(issues(withSource('no-such-model'))).toMatch(
      /tasks\.0\.source: unknown catalog source 'no-such-model' \(known: salman2020-resnet50-linf-eps4,/,
    );
    expect(
      issues(withSource({ ...external, checkpoint: { ...external.checkpoint, url: 'https://example.org/m.pt' } })),
    ).toMatch(/tasks\.0\.source\.checkpoint: give exactly one of url and path/);
    expect(issues(withSource({ ...external, checkpoint: { format: 'torch' } }))).toMatch(
      /tasks\.0\.source\.checkpoint: give exactly one of url and path/,
    );
    expect(issues(withSource({ ...external, mean: [0.5] }))).toMatch(/tasks\.0\.source\.mean: needs 3 values/);
    expect(
      issues(withSource({ ...external, checkpoint: { url: 'https://example.org/models/', format: 'torch' } })),
    ).toMatch(/tasks\.0\.source\.checkpoint\.fileName: .*give fileName/);
    expect(issues(withSource({ ...external, measure: 'cifar10' }))).toMatch(
      /tasks\.0\.source\.threat: measure needs the threat/,
    );
    expect(issues(withSource(external, { resize: 224 }))).toMatch(
      /tasks\.0\.resize: resize 224 does not give the source's input size 32x32/,
    );
    expect(issues(withSource(external, { channels: 'copy' }))).toMatch(/tasks\.0\.channels/);
    // A recipe typo is still reported against the recipe's own fields.
    expect(issues(withSource({ ...smoke.tasks[0].source, recipe: 'pgd' }))).toMatch(/tasks\.0\.source\.recipe/);
  });

  it('every catalog entry is a valid source for a zoo architecture, with a citation and a file name', () => {
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
    for (const entry of CATALOG) {
      const s = ExternalSourceSchema.parse(entry.source);
      expect(architectures.ids(), entry.id).toContain(s.arch);
      expect(s.checkpoint.url, entry.id).toMatch(/^https:\/\//);
      expect(checkpointFileName(s.checkpoint), entry.id).toMatch(/\.(ckpt|pt)$/);
      expect(s.citation.length, entry.id).toBeGreaterThan(40);
      expect(s.threat, entry.id).toBeDefined();
      expect(entry.reported?.clean, entry.id).toBeGreaterThan(0.4);
    }
  });
});
