/**
 * @module `rftbench pretrain --recipe R [--k K --lambda L | --beta B] [--steps N]`: the suite's source
 * recipes with another pre-training recipe swapped in, validated by the same schema (so the cache key
 * holds the recipe and its parameters).
 */
import { SourceRecipeSchema, type SourceRecipe } from '../../protocol/schema.ts';

export interface RecipeOverride {
  recipe: SourceRecipe['recipe'];
  k?: number;
  lambda?: number;
  beta?: number;
  steps?: number;
}

/** Which command-line flag sets a recipe field, for error messages. */
const FLAG_OF: Record<string, string> = {
  'fdm.k': '--k',
  'fdm.lambda': '--lambda',
  beta: '--beta',
  steps: '--steps',
  recipe: '--recipe',
};

export function overrideRecipe(base: SourceRecipe, o: RecipeOverride): SourceRecipe {
  if ((o.k !== undefined || o.lambda !== undefined) && o.recipe !== 'at-fdm')
    throw new Error(`--k and --lambda belong to --recipe at-fdm (got --recipe ${o.recipe})`);
  if (o.beta !== undefined && o.recipe !== 'trades')
    throw new Error(`--beta belongs to --recipe trades (got --recipe ${o.recipe})`);
  if (o.recipe === 'at-fdm' && o.k === undefined)
    throw new Error('--recipe at-fdm needs --k (the number of blocks the target fine-tunes)');
  const { beta: _beta, fdm: _fdm, ...rest } = base;
  const input: Record<string, unknown> = { ...rest, recipe: o.recipe };
  if (o.steps !== undefined) input.steps = o.steps;
  if (o.recipe === 'trades' && o.beta !== undefined) input.beta = o.beta;
  if (o.recipe === 'at-fdm') input.fdm = { k: o.k, ...(o.lambda !== undefined ? { lambda: o.lambda } : {}) };
  const r = SourceRecipeSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.join('.');
    return `  ${FLAG_OF[path] ?? path}: ${i.message}`;
  });
  throw new Error(`invalid recipe override\n${lines.join('\n')}`);
}
