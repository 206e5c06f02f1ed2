/**
 * @module Registry<T>: id → lazy loader, as lm-evaluation-harness does it. Duplicates throw, unknown
 * ids get "did you mean", and nothing is imported until it is used.
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
    super(`Unknown ${kind} '${id}'.${near.length ? ` Did you mean: ${near.join(', ')}?` : ''}\nAvailable: ${known.join(', ')}`);
    this.name = 'UnknownIdError';
  }
}

export class Registry<T> {
  private readonly loaders = new Map<string, () => Promise<T>>();
  private frozen = false;

  constructor(readonly kind: string) {}

  register(id: string, load: () => Promise<T>): this {
    if (this.frozen) throw new Error(`${this.kind} registry is frozen; cannot add '${id}'`);
    if (this.loaders.has(id)) throw new Error(`${this.kind} '${id}' is already registered`);
    this.loaders.set(id, load);
    return this;
  }

  freeze(): this {
    this.frozen = true;
    return this;
  }

  has(id: string): boolean {
    return this.loaders.has(id);
  }

  ids(): string[] {
    return [...this.loaders.keys()];
  }

  async get(id: string): Promise<T> {
    const load = this.loaders.get(id);
    if (!load) throw new UnknownIdError(this.kind, id, this.ids());
    return load();
  }
}
