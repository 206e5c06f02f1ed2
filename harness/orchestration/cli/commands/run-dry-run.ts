/**
 * @module What `rftbench run --dry-run` prints beyond the suite JSON: for a protocol suite, each setting with
 * the paper's value and citation; with `--estimate`, the passes and hours of every cell and the total.
 */
import { UsageError } from '../command.ts';
import { savedReferenceThroughput } from '../../bench/saved-throughput.ts';
import type { Cell } from '../../../protocol/cells.ts';
import { describeProtocolSettings, protocolOfSuite } from '../../../protocol/paper-suites.ts';
import type { Suite } from '../../../protocol/schema.ts';
import { estimateSuite, formatEstimate } from '../../run/estimate-suite.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';

export const ESTIMATE_USAGE = `--estimate       with --dry-run: per cell and in total, the forward/backward image passes and the hours
                   they take here (from the throughput 'rftbench bench' saved on this machine, or --throughput)
  --throughput N   training images/s of ResNet-18 at 32x32 on the target machine (overrides the saved figure)`;

export const estimateOptions = {
  estimate: { type: 'boolean', default: false },
  throughput: { type: 'string' },
} as const;

function parseThroughput(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0)
    throw new UsageError(`--throughput: '${raw}' is not a positive number of images per second`);
  return v;
}

/** Lines for stderr after the cell list: cited settings of a protocol suite (none for other suites). */
export function protocolSettingsLines(suite: Suite): string[] {
  const protocol = protocolOfSuite(suite.id);
  if (!protocol) return [];
  return [
    `cited settings of the ${protocol} protocol (harness/protocol/papers/settings.ts):`,
    ...describeProtocolSettings(protocol),
  ];
}

/** The estimate's lines, or [] without --estimate. Throws a usage error for --estimate without --dry-run. */
export async function estimateLines(
  suite: Suite,
  cells: readonly Cell[],
  flags: { estimate: boolean; throughput?: string; dryRun: boolean; dataDir?: string },
): Promise<string[]> {
  const given = parseThroughput(flags.throughput);
  if (!flags.estimate) {
    if (given !== undefined) throw new UsageError('--throughput is used with --dry-run --estimate');
    return [];
  }
  if (!flags.dryRun) throw new UsageError('--estimate is used with --dry-run');
  const info = await initBackend();
  let throughput: { imagesPerSecond: number; basis: string } | null = null;
  if (given !== undefined) throughput = { imagesPerSecond: given, basis: '--throughput' };
  else {
    const saved = savedReferenceThroughput(info.name, flags.dataDir);
    if (saved)
      throughput = {
        imagesPerSecond: saved.imagesPerSecond,
        basis: `rftbench bench on ${info.name}, ${saved.threads} threads, ${saved.savedAt}, ${saved.path}`,
      };
  }
  return formatEstimate(estimateSuite(suite, cells, throughput));
}
