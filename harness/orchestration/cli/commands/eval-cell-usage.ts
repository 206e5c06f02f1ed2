/** @module The usage of `rftbench eval --cell` (eval-cell.ts), shown in `rftbench eval --help`; no imports of the command. */
import { DEFAULT_DB_PATH } from '../../../../results/store.ts';

export const EVAL_CELL_USAGE = `       rftbench eval --cell ID [--db PATH] [--attack clean|NAME[:VERSION]] [--eps E] [--norm Linf|L2]
                     [--n N] [--batch-size B] [--seed S] [--data DIR] [--json]

  --cell ID        re-evaluate the kept model of this cell (rftbench run keeps them: --keep-models all);
                   its file's sha256 is checked against the store first. Defaults come from the cell: its
                   task's target test split and threat, its tier's n, batch size and attack settings, its
                   seed. Without --attack the cell's whole evaluation runs again; --attack clean scores
                   clean accuracy alone. The result is recorded in the store and shown on the cell page.
  --db PATH        the store holding the cell (default: ${DEFAULT_DB_PATH})`;
