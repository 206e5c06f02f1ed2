/** @module `rftbench export`: every cell of a results store with its metrics, as CSV or JSON (results/export.ts). */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { writeFileAtomic } from '../../../foundation/util/atomic-write.ts';
import { EXPORT_FORMATS, exportCells, formatExport, type ExportFormat } from '../../../../results/export.ts';
import { DEFAULT_DB_PATH } from '../../../../results/store.ts';

const command: Command = {
  name: 'export',
  summary: 'write every cell of a results store with its metrics as CSV or JSON',
  usage: `Usage: rftbench export [--db PATH] [--format csv|json] [--out FILE]

  --db PATH        results store to read (default: ${DEFAULT_DB_PATH}); opened read-only, never created
  --format F       csv: one row per cell and metric, with a header (a failed cell: one row, metric empty);
                   json: an array of cells, each with its metrics (and their details), provenance, spec and
                   kept model (default: csv)
  --out FILE       write to FILE atomically (a temporary file renamed into place); default: stdout

Example: rftbench export --db results/rftbench.db --format csv --out results.csv`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      db: { type: 'string', default: DEFAULT_DB_PATH },
      format: { type: 'string', default: 'csv' },
      out: { type: 'string' },
    });
    if (!(EXPORT_FORMATS as readonly string[]).includes(values.format)) {
      throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')}, got '${values.format}'`);
    }
    const cells = exportCells(values.db);
    const text = formatExport(cells, values.format as ExportFormat);
    if (values.out) {
      writeFileAtomic(values.out, text);
      console.error(`exported ${cells.length} cells from ${values.db} to ${values.out} (${values.format})`);
    } else {
      // Wait for the write: the CLI exits right after, and a pipe may not have taken it all yet.
      await new Promise<void>((resolve, reject) =>
        process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
      );
    }
    return 0;
  },
};

export default command;
