/** @module One in-flight or finished load per key; a failed load is forgotten so it can be retried. */

export function memoize<K, V>(fn: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const cache = new Map<K, Promise<V>>();
  return (key) => {
    let p = cache.get(key);
    if (!p) {
      p = fn(key);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
}
