/**
 * @module The seed papers' headline claims as testable data, and `judgeClaim`, which weighs our per-seed paired
 * differences against each claim: mean difference with a 95% t interval over seeds per comparison, then
 * supported / contradicted / inconclusive. Differences are in percentage points (better minus than), the unit
 * the papers print and the margins use.
 */
import { z } from 'zod';
import { tTwoSidedQuantile } from '../../foundation/util/student-t.ts';
import { CitationSchema, inPaper, PAPER_IDS } from './citation.ts';
import { PAPER_METRICS, PROTOCOLS } from './published.ts';

export const ComparisonSchema = z
  .strictObject({
    better: z.string().min(1),
    than: z.string().min(1),
    metric: z.enum(PAPER_METRICS),
    /**
     * `greater`: the mean difference exceeds `margin` (default 0). `within`: the two are equal up to `margin`
     * points either way (required), i.e. the difference's interval lies inside [-margin, margin].
     */
    direction: z.enum(['greater', 'within']),
    margin: z.number().min(0).optional(),
  })
  .refine((c) => c.direction !== 'within' || c.margin !== undefined, {
    message: "direction 'within' needs a margin",
    path: ['margin'],
  })
  .refine((c) => c.better !== c.than, { message: 'better and than must be different methods', path: ['than'] });
export type Comparison = z.infer<typeof ComparisonSchema>;

export const ClaimSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  protocol: z.enum(PROTOCOLS),
  paper: z.enum(PAPER_IDS),
  /** The claim in the paper's words (quoted) and, where needed, how we read it. */
  statement: z.string().min(1),
  citation: CitationSchema,
  comparisons: z.array(ComparisonSchema).min(1),
});
export type Claim = z.infer<typeof ClaimSchema>;

export const CLAIMS: readonly Claim[] = [
  {
    id: 'twins-beats-at-and-trades',
    protocol: 'twins',
    paper: 'twins',
    statement:
      '"TWINS is shown to be effective on a wide range of image classification datasets in terms of both ' +
      'generalization and robustness": TWINS-AT has higher clean and AutoAttack accuracy than AT fine-tuning, ' +
      'and TWINS-TRADES than TRADES fine-tuning.',
    citation: inPaper('twins', 'abstract'),
    comparisons: [
      { better: 'twins-at', than: 'at', metric: 'clean', direction: 'greater' },
      { better: 'twins-at', than: 'at', metric: 'autoattack', direction: 'greater' },
      { better: 'twins-trades', than: 'trades', metric: 'clean', direction: 'greater' },
      { better: 'twins-trades', than: 'trades', metric: 'autoattack', direction: 'greater' },
    ],
  },
  {
    id: 'rift-generalizes-at-same-robustness',
    protocol: 'rift',
    paper: 'rift',
    statement:
      '"RiFT can significantly improve both generalization and out-of-distribution robustness by around 1.5% ' +
      'while maintaining or even slightly enhancing adversarial robustness": higher clean and -C mean accuracy ' +
      'than its own AT model, and AutoAttack accuracy within 1 point of it (we read "maintaining" as at most 1 ' +
      'point either way; the paper measures robustness with PGD-10, the worst of three runs).',
    citation: inPaper('rift', 'abstract'),
    comparisons: [
      { better: 'rift', than: 'at', metric: 'clean', direction: 'greater' },
      { better: 'rift', than: 'at', metric: 'corruption', direction: 'greater' },
      { better: 'rift', than: 'at', metric: 'autoattack', direction: 'within', margin: 1 },
    ],
  },
  {
    id: 'cartl-keeps-more-robustness',
    protocol: 'cartl',
    paper: 'cartl',
    statement:
      '"Target models fine-tuned with CARTL inherit superior robustness from the source model in all cases": ' +
      'higher robust accuracy than Vanilla (fine-tuning the last k blocks, our `partial`) and LwF on the same source.',
    citation: inPaper('cartl', 'slides, "Evaluations": LwF / Vanilla / CARTL table'),
    comparisons: [
      { better: 'cartl', than: 'partial', metric: 'pgd', direction: 'greater' },
      { better: 'cartl', than: 'lwf', metric: 'pgd', direction: 'greater' },
    ],
  },
].map((c) => ClaimSchema.parse(c));

export type Verdict = 'supported' | 'contradicted' | 'inconclusive';

export interface ComparisonJudgement {
  readonly comparison: Comparison;
  /** Seeds (paired differences). */
  readonly n: number;
  readonly mean: number | null;
  /** Sample standard deviation (n - 1). */
  readonly sd: number | null;
  readonly df: number | null;
  readonly tCritical: number | null;
  readonly ciLow: number | null;
  readonly ciHigh: number | null;
  readonly verdict: Verdict;
  readonly reason: string;
}

export interface ClaimJudgement {
  readonly claimId: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly comparisons: readonly ComparisonJudgement[];
}

const LEVEL = 0.95;
const label = (c: Comparison) => `${c.better} vs ${c.than} on ${c.metric}`;
const fmt = (x: number) => (Math.abs(x) < 0.005 ? '0.00' : x.toFixed(2));

/** One comparison: mean paired difference (points) and its 95% t interval, against the claimed direction. */
export function judgeComparison(comparison: Comparison, diffs: readonly number[]): ComparisonJudgement {
  const bad = diffs.findIndex((d) => !Number.isFinite(d));
  if (bad >= 0)
    throw new Error(`judgeClaim: ${label(comparison)}: seed ${bad} difference is ${diffs[bad]}, not a finite number`);
  const n = diffs.length;
  const none = {
    comparison,
    n,
    sd: null,
    df: null,
    tCritical: null,
    ciLow: null,
    ciHigh: null,
    verdict: 'inconclusive' as const,
  };
  if (n === 0) return { ...none, mean: null, reason: `${label(comparison)}: no seeds` };
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { ...none, mean, reason: `${label(comparison)}: 1 seed; a confidence interval needs at least 2` };
  const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1));
  const df = n - 1;
  const tCritical = tTwoSidedQuantile(LEVEL, df);
  const half = (tCritical * sd) / Math.sqrt(n);
  const [ciLow, ciHigh] = [mean - half, mean + half];
  const ci = `mean ${fmt(mean)} points, 95% CI [${fmt(ciLow)}, ${fmt(ciHigh)}] over ${n} seeds`;
  let verdict: Verdict;
  let why: string;
  if (comparison.direction === 'greater') {
    const m = comparison.margin ?? 0;
    verdict = ciLow > m ? 'supported' : ciHigh < m ? 'contradicted' : 'inconclusive';
    why =
      verdict === 'supported'
        ? `CI above ${fmt(m)}`
        : verdict === 'contradicted'
          ? `CI below ${fmt(m)}`
          : `CI contains ${fmt(m)}`;
  } else {
    const m = comparison.margin as number;
    const inside = ciLow >= -m && ciHigh <= m;
    const outside = ciLow > m || ciHigh < -m;
    verdict = inside ? 'supported' : outside ? 'contradicted' : 'inconclusive';
    const band = `[-${fmt(m)}, ${fmt(m)}]`;
    why = inside ? `CI inside ${band}` : outside ? `CI entirely outside ${band}` : `CI crosses +-${fmt(m)}`;
  }
  return {
    comparison,
    n,
    mean,
    sd,
    df,
    tCritical,
    ciLow,
    ciHigh,
    verdict,
    reason: `${label(comparison)}: ${ci}; ${why}`,
  };
}

/**
 * Judges a claim from per-seed paired differences, `pairedDiffs[i]` for `claim.comparisons[i]` (better minus
 * than, in points, one per seed). Supported when every comparison is, contradicted when any is, else
 * inconclusive (one seed is always inconclusive: there is no interval).
 */
export function judgeClaim(claim: Claim, pairedDiffs: readonly (readonly number[])[]): ClaimJudgement {
  if (pairedDiffs.length !== claim.comparisons.length) {
    const given = `${pairedDiffs.length} lists of differences were given`;
    throw new Error(`judgeClaim: claim '${claim.id}' has ${claim.comparisons.length} comparisons but ${given}`);
  }
  const comparisons = claim.comparisons.map((c, i) => judgeComparison(c, pairedDiffs[i]));
  const contradicted = comparisons.filter((c) => c.verdict === 'contradicted');
  const open = comparisons.filter((c) => c.verdict === 'inconclusive');
  const verdict: Verdict = contradicted.length ? 'contradicted' : open.length ? 'inconclusive' : 'supported';
  const reason =
    verdict === 'supported'
      ? `all ${comparisons.length} comparisons supported`
      : (verdict === 'contradicted' ? contradicted : open).map((c) => c.reason).join('; ');
  return { claimId: claim.id, verdict, reason, comparisons };
}
