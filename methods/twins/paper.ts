/** @module The TWINS paper reference both entries cite. */
import type { PaperRef } from '../define.ts';

export const TWINS_PAPER: PaperRef = {
  title: 'TWINS: A Fine-Tuning Framework for Improved Transferability of Adversarial Robustness and Generalization',
  url: 'https://arxiv.org/abs/2303.11135',
  venue: 'CVPR 2023',
};
