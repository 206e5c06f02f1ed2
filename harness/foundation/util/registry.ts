/**
 * @module The one registry shape (methods, datasets, attacks, architectures, commands): `get(id)`, `ids()`,
 * `has(id)`; duplicates throw, unknown ids get "did you mean". `Registry<T>` holds lazy loaders (nothing is
 * imported until used, so a command loads only what it needs); `EagerRegistry<T>` holds values for callers
 * that must stay synchronous (`createAttack`, `buildModel`, `getDataset`).
 *
 * @example
 * const methods = new Registry<MethodEntry>('method').register('at', async () => (await import('./at.ts')).default);
 * const archs = new EagerRegistry<ModelBuilder>('architecture', { resnet18 }).freeze();
 */

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

export function didYouMean(id: string, known: readonly string[]): string[] {
  return known
    .map((k) => ({ k, d: distance(id.toLowerCase(), k.toLowerCase()) }))
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 3)) || k.startsWith(id) || id.startsWith(k))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ k }) => k);
}

export class UnknownIdError extends Error {
  constructor(kind: string, id: string, known: readonly string[]) {
    const near = didYouMean(id, known);
    super(
      `Unknown ${kind} '${id}'.${near.length ? ` Did you mean: ${near.join(', ')}?` : ''}\nAvailable: ${known.join(', ')}`,
    );
    this.name = 'UnknownIdError';
  }
}

/** The part every registry shares: ids in registration order, duplicates and late additions refused. */
abstract class IdRegistry<V> {
  private readonly entries = new Map<string, V>();
  private frozen = false;

  constructor(
    readonly kind: string,
    initial: Readonly<Record<string, V>> = {},
  ) {
    for (const [id, value] of Object.entries(initial)) this.register(id, value);
  }

  register(id: string, value: V): this {
    if (this.frozen) throw new Error(`${this.kind} registry is frozen; cannot add '${id}'`);
    if (this.entries.has(id)) throw new Error(`${this.kind} '${id}' is already registered`);
    this.entries.set(id, value);
    return this;
  }

  /** No more ids: the set is fixed once the module that builds it has run. */
  freeze(): this {
    this.frozen = true;
    return this;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** The value registered as `id`; UnknownIdError with suggestions otherwise. */
  protected entry(id: string): V {
    const value = this.entries.get(id);
    if (value === undefined) throw new UnknownIdError(this.kind, id, this.ids());
    return value;
  }
}

/** id → lazy loader; `get` imports on first use (an unknown id rejects with UnknownIdError). */
export class Registry<T> extends IdRegistry<() => Promise<T>> {
  async get(id: string): Promise<T> {
    return this.entry(id)();
  }
}

/** id → value, for synchronous callers (an unknown id throws UnknownIdError). */
export class EagerRegistry<T> extends IdRegistry<T> {
  get(id: string): T {
    return this.entry(id);
  }
}
