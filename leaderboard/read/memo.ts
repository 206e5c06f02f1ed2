/**
 * @module The read models' cache: a value derived from the store is kept until the store's data version changes
 * (the harness may write while the site reads: the next request sees the new rows). Bounded: cleared when full.
 */
import type { Store } from '../../results/store.ts';

export class StoreMemo {
  private version = '';
  private readonly entries = new Map<string, unknown>();

  constructor(
    private readonly store: Pick<Store, 'dataVersion'>,
    private readonly limit = 500,
  ) {}

  /** The value under `key`, computed once per data version; a computation that throws is not kept. */
  get<T>(key: string, compute: () => T): T {
    const version = this.store.dataVersion();
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = compute();
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}
