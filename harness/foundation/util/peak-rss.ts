/**
 * @module The process's peak resident set size (process.resourceUsage().maxRSS, a high-water mark since the
 * process started: it never goes down, so a value read after a step bounds that step and everything before).
 */

/** Peak RSS so far, in bytes (Node reports kilobytes). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export const mib = (bytes: number): number => bytes / (1 << 20);

/** Peak RSS after each named section of a run, in order; `line` formats the latest for a log. */
export class PeakRssLog {
  readonly sections: { section: string; peakRssMiB: number }[] = [];

  mark(section: string): string {
    const peak = Math.round(mib(peakRssBytes()));
    this.sections.push({ section, peakRssMiB: peak });
    return `peak RSS after ${section}: ${peak} MiB`;
  }
}
