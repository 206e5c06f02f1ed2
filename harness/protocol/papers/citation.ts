/**
 * @module Where a number or a setting of a seed paper was read: a place in a paper (table, section, slide,
 * abstract) or a file and lines of an official repository at a pinned commit. Every entry of `published.ts`,
 * `settings.ts` and `claims.ts` carries one, so a reader can check it.
 */
import { z } from 'zod';
import type { PaperRef } from '../../../methods/define.ts';
import { TWINS_PAPER } from '../../../methods/twins/paper.ts';

export const PAPER_IDS = ['twins', 'rift', 'cartl', 'autolora'] as const;
export type PaperId = (typeof PAPER_IDS)[number];

/** The seed papers and AutoLoRa (whose Table 2 puts TWINS beside vanilla RFT on the same protocol). */
export const PAPERS: Record<PaperId, PaperRef & { readonly authors: string }> = {
  twins: { ...TWINS_PAPER, authors: 'Ziquan Liu, Yi Xu, Xiangyang Ji, Antoni B. Chan' },
  rift: {
    title: 'Improving Generalization of Adversarial Training via Robust Critical Fine-Tuning',
    url: 'https://arxiv.org/abs/2308.02533',
    venue: 'ICCV 2023',
    authors: 'Kaijie Zhu, Jindong Wang, Xixu Hu, Xing Xie, Ge Yang',
  },
  cartl: {
    title: 'CARTL: Cooperative Adversarially-Robust Transfer Learning',
    url: 'https://arxiv.org/abs/2106.06667',
    venue: 'ICML 2021',
    authors: 'Dian Chen, Hongxin Hu, Qian Wang, Yinli Li, Cong Wang, Chao Shen, Qi Li',
  },
  autolora: {
    title: 'AutoLoRa: A Parameter-Free Automated Robust Fine-Tuning Framework',
    url: 'https://arxiv.org/abs/2310.01818',
    venue: 'ICLR 2024',
    authors: 'Xilie Xu, Jingfeng Zhang, Mohan Kankanhalli',
  },
};

/** The official repositories, at the commit whose files the repository citations name. */
export const REPOS = {
  twins: { repo: 'ziquanliu/CVPR2023-TWINS', commit: 'dda01946a84a6d4284a87ccbf7070f04ef1da16a' },
  rift: { repo: 'microsoft/robustlearn', commit: '31580cd195724d7e05f4fed4fdc4416f07dc02ff' },
  cartl: { repo: 'NISP-official/CARTL', commit: '8fba278783c9088b876f09eb0e659a9f9356f129' },
  autolora: { repo: 'GodXuxilie/RobustSSL_Benchmark', commit: '19dc714f1d78034d36c6f7b0f2a9b17c76ebaf3a' },
} as const satisfies Record<PaperId, { repo: string; commit: string }>;

const PaperCitationSchema = z.strictObject({
  paper: z.enum(PAPER_IDS),
  /** Table, section, slide or abstract, as the paper names it. */
  where: z.string().min(1),
});

const RepoCitationSchema = z.strictObject({
  repo: z.enum(Object.values(REPOS).map((r) => r.repo) as [string, ...string[]]),
  path: z.string().min(1),
  /** `12` or `12-30`. */
  lines: z.string().regex(/^\d+(-\d+)?$/, 'lines must look like 12 or 12-30'),
});

export const CitationSchema = z.union([PaperCitationSchema, RepoCitationSchema]);
export type Citation = z.infer<typeof CitationSchema>;

/** A paper citation. */
export const inPaper = (paper: PaperId, where: string): Citation => ({ paper, where });

/** A citation of the official repository of `paper` (its commit is in REPOS). */
export const inRepo = (paper: PaperId, path: string, lines: string): Citation => ({
  repo: REPOS[paper].repo,
  path,
  lines,
});

/** One line of text for a citation (reports, the site). */
export function formatCitation(c: Citation): string {
  if ('paper' in c) return `${PAPERS[c.paper].title} (${PAPERS[c.paper].venue}), ${c.where}`;
  const commit = Object.values(REPOS)
    .find((r) => r.repo === c.repo)
    ?.commit.slice(0, 7);
  return `${c.repo}@${commit} ${c.path}:${c.lines}`;
}
