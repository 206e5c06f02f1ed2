/**
 * The seed papers' data against this harness: every method, dataset, metric and catalog id it names exists
 * here (checked on the real registries), the consistency check catches each kind of mismatch, the schemas
 * reject malformed rows, and AutoLoRa's Table 2 holds the numbers issue 14 quotes.
 */
import { describe, expect, it } from 'vitest';
import { datasetIds } from '../../../datasets/registry.ts';
import { CATALOG } from '../../../harness/protocol/catalog.ts';
import {
  checkConsistency,
  CLAIMS,
  formatCitation,
  MISSING_TABLES,
  PAPER_METRICS,
  PROTOCOL_SETTINGS,
  PUBLISHED_RESULTS,
  PublishedResultSchema,
  REPOS,
  type KnownIds,
  type PublishedResult,
} from '../../../harness/protocol/papers/index.ts';
import { SUMMARY_METRICS } from '../../../leaderboard/schemas.ts';
import { methods } from '../../../methods/registry.ts';

// The metric names the store holds per cell and the site summarises (harness/orchestration/evaluate writes them).
const known: KnownIds = {
  methodIds: methods.ids(),
  datasetIds: datasetIds(),
  metricNames: SUMMARY_METRICS,
  catalogIds: CATALOG.map((c) => c.id),
};

const find = (table: string, target: string, method: string, metric: string) =>
  PUBLISHED_RESULTS.filter(
    (r) => r.table.startsWith(table) && r.target === target && r.method === method && r.metric === metric,
  ).map((r) => r.value);

describe('seed papers data', () => {
  it('names only methods, datasets, metrics and sources this harness has', () => {
    expect(checkConsistency(known)).toEqual([]);
    for (const m of PAPER_METRICS) expect(SUMMARY_METRICS).toContain(m);
  });

  it('catches each kind of mismatch, naming the row and field', () => {
    const row = PUBLISHED_RESULTS[0];
    const bad: PublishedResult[] = [
      { ...row, methodId: 'twins-lora', method: 'first' },
      { ...row, datasetId: 'imagenet', method: 'other' },
      { ...row, sourceCatalogId: 'nowhere', method: 'third' },
      { ...row, value: 140, method: 'fourth' },
      { ...row, metric: 'accuracy' as PublishedResult['metric'], method: 'fifth' },
      row,
      row,
    ];
    const settings = [
      {
        ...PROTOCOL_SETTINGS[0],
        methodIds: ['at', 'twinz'],
        targets: { ...PROTOCOL_SETTINGS[0].targets, value: ['cifar10', 'cifar-11', 'CUB-200'] },
      },
    ];
    const claims = [
      {
        ...CLAIMS[0],
        comparisons: [{ better: 'twins-at', than: 'adv', metric: 'pgd' as const, direction: 'greater' as const }],
      },
    ];
    const problems = checkConsistency(known, { published: bad, settings, claims });
    const expected = [
      /published\[0\].*methodId 'twins-lora' is not in methods\/registry\.ts/,
      /published\[1\].*datasetId 'imagenet' is not in datasets\/registry\.ts/,
      /published\[2\].*sourceCatalogId 'nowhere' is not in harness\/protocol\/catalog\.ts/,
      /published\[3\].*value 140 is not a percentage/,
      /published\[4\].*metric 'accuracy' is not a metric the harness stores/,
      /published\[6\].*duplicates published\[5\]/,
      /settings 'twins': methodIds 'twinz'/,
      /settings 'twins': target 'cifar-11'/,
      /claim 'twins-beats-at-and-trades' comparisons\[0\]: method 'adv'/,
    ];
    for (const re of expected)
      expect(
        problems.some((p) => re.test(p)),
        `${re} in\n${problems.join('\n')}`,
      ).toBe(true);
    // Printed names that are not ids (CUB-200) are labels, not errors.
    expect(problems.some((p) => p.includes('CUB-200'))).toBe(false);
    expect(problems).toHaveLength(expected.length);
  });

  it("holds AutoLoRa's Table 2 as issue 14 quotes it (clean / AA)", () => {
    const t2 = 'AutoLoRa (Xu et al., 2024) Table 2';
    const quoted: [string, number[], number[]][] = [
      ['CIFAR-10', [86.33, 86.5, 86.93], [51.67, 51.73, 52.0]],
      ['CIFAR-100', [63.25, 65.52, 66.2], [28.26, 28.37, 29.5]],
      ['Caltech-256', [66.78, 69.41, 69.85], [42.17, 42.27, 42.63]],
    ];
    for (const [target, clean, aa] of quoted) {
      ['Vanilla RFT', 'TWINS', 'AutoLoRa'].forEach((method, i) => {
        expect(find(t2, target, method, 'clean')).toEqual([clean[i]]);
        expect(find(t2, target, method, 'autoattack')).toEqual([aa[i]]);
      });
    }
    const vanilla = PUBLISHED_RESULTS.filter((r) => r.table === t2 && r.method === 'Vanilla RFT');
    expect(new Set(vanilla.map((r) => r.methodId))).toEqual(new Set(['trades']));
    expect(
      PUBLISHED_RESULTS.filter((r) => r.table === t2 && r.method === 'AutoLoRa').every((r) => r.methodId === null),
    ).toBe(true);
  });

  it("holds CARTL's main table with our baselines' ids", () => {
    const main = 'CARTL (Chen et al., 2021) slides, main table';
    expect(find(main, 'GTSRB', 'CARTL', 'pgd')).toEqual([47.34]);
    expect(find(main, 'GTSRB', 'Vanilla', 'clean')).toEqual([80.4]);
    const ids = new Set(PUBLISHED_RESULTS.filter((r) => r.table === main).map((r) => r.methodId));
    expect(ids).toEqual(new Set(['lwf', 'partial', 'cartl']));
  });

  it('cites every number, setting and claim in a pinned repository or a paper place', () => {
    const repos = new Set<string>(Object.values(REPOS).map((r) => r.repo));
    const citations = [
      ...PUBLISHED_RESULTS.map((r) => r.citation),
      ...CLAIMS.map((c) => c.citation),
      ...PROTOCOL_SETTINGS.flatMap((p) =>
        [
          p.source,
          p.targets,
          p.lr,
          p.epochs,
          p.trainAttack,
          ...Object.values(p.evaluation),
          ...Object.values(p.method),
        ].map((s) => s.citation),
      ),
    ];
    for (const c of citations) {
      if ('repo' in c) expect(repos.has(c.repo)).toBe(true);
      expect(formatCitation(c).length).toBeGreaterThan(10);
    }
    expect(formatCitation({ repo: 'NISP-official/CARTL', path: 'src/config.py', lines: '34' })).toBe(
      'NISP-official/CARTL@8fba278 src/config.py:34',
    );
    expect(PROTOCOL_SETTINGS.map((p) => p.protocol)).toEqual(['twins', 'rift', 'cartl']);
    // Protocols with no number read say so instead of guessing.
    expect(MISSING_TABLES.map((m) => m.protocol).sort()).toEqual(['rift', 'twins']);
  });

  it('rejects malformed rows with the field named', () => {
    const row = PUBLISHED_RESULTS.find((r) => r.metric === 'pgd') as PublishedResult;
    const noAttack = PublishedResultSchema.safeParse({ ...row, attack: undefined });
    expect(noAttack.success).toBe(false);
    expect(noAttack.error?.issues[0].path).toEqual(['attack']);
    expect(PublishedResultSchema.safeParse({ ...row, value: 101 }).success).toBe(false);
    expect(
      PublishedResultSchema.safeParse({ ...row, citation: { repo: 'someone/else', path: 'a.py', lines: '1' } }).success,
    ).toBe(false);
    expect(
      PublishedResultSchema.safeParse({ ...row, citation: { repo: REPOS.cartl.repo, path: 'a.py', lines: 'ten' } })
        .success,
    ).toBe(false);
  });
});
