import { LRUCache } from 'lru-cache';

/**
 * The seam for state: introspection results, verified-token cache entries, DPoP `jti` replay
 * markers. Values are JSON-serialisable so that a shared store (Redis) can hold them.
 *
 * Keys are always hashes or fixed prefixes chosen by the library: never a token. (The built-in
 * memory store alone, which never leaves the process, keys introspection answers by short tokens.)
 */
export interface Store {
  /** The value stored under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<unknown> | unknown;
  /** Stores `value` under `key` for `ttl` seconds (> 0), replacing any previous value. */
  set(key: string, value: unknown, ttl: number): Promise<void> | void;
  /**
   * Atomically stores `value` under `key` for `ttl` seconds **only if the key is absent**, and
   * says whether it did. Two concurrent calls with the same key must never both return `true`:
   * DPoP replay protection relies on it (RFC 9449 §11.1).
   */
  add(key: string, value: unknown, ttl: number): Promise<boolean> | boolean;
  /**
   * Atomically adds 1 to the counter under `key` and returns the new count. An absent (or expired)
   * counter starts at 0 and lives `ttl` seconds from this call; later increments do not extend it
   * (a fixed window). Optional: the per-key DPoP replay quota (`dpop.maxProofsPerKey`) needs it and
   * is not enforced with a store that lacks it. Like `add`, it must be atomic across every process
   * sharing the store.
   */
  increment?(key: string, ttl: number): Promise<number> | number;
  /** Removes `key`; optional. */
  delete?(key: string): Promise<void> | void;
  /**
   * Optional: `add` and `increment` as one atomic step, for a networked store to answer in one
   * round trip what the DPoP replay check asks per proof. Adds `value` under `key` exactly as
   * `add(key, value, ttl)` does; only when it was added, increments the counter under
   * `counterKey` exactly as `increment(counterKey, ttl)` does, and when the new count is past
   * `limit` removes `key` again. Returns whether `key` was added (and kept) and the count (the
   * current one, not incremented, when `key` was there already: a refused replay is not counted).
   * With `secondCounterKey` (the DPoP client's counter), that counter is counted the same way,
   * past `secondLimit` the key removed too, and its count returned as `clientCount`; a store that
   * ignores it has the guard count it with `increment`. Without `addCounted`, the guard calls
   * `add`, `increment` and `delete` in turn.
   */
  addCounted?(
    key: string, value: unknown, ttl: number, counterKey: string, limit: number, secondCounterKey?: string, secondLimit?: number,
  ): Promise<AddCountedResult> | AddCountedResult;
}

/** The answer of {@link Store.addCounted}. */
export interface AddCountedResult {
  /** Whether this call added the key (`false`: it was there already, or the count is past the limit). */
  added: boolean;
  /** The counter's value after this call's increment; unchanged (0 when absent) when the key was there already. */
  count: number;
  /** The second counter's value, the same way; `undefined` when the store does not keep one. */
  clientCount?: number;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Most cache entries (`set`) kept; the least recently used go first. Default 10,000. */
  max?: number;
  /**
   * Most live markers (`add`, e.g. DPoP `jti`s, and `increment` counters) kept, per partition:
   * DPoP replay markers and counters (keys starting `dpop:`) in one, every other marker (the
   * introspection single-flight leases, ...) in another, so a flood of proofs can never take the
   * room of the others. Markers are never evicted early — that would let a replay through — so
   * when a partition holds this many live ones, `add` and `increment` there throw (the guard
   * answers 503). Default 100,000 (ten times the default `dpop.maxProofsPerKey`).
   */
  maxMarkers?: number;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
}

// Stores made by createMemoryStore: they never leave this process, so they may hold what a shared one must not.
const inProcessStores = new WeakSet<Store>();

/**
 * The default store: one process, bounded, each entry with its own TTL. Two partitions:
 *
 * - cache entries (`get`/`set`) in an LRU built on `lru-cache`: a flood of distinct keys costs at
 *   most `max` entries while hot keys stay;
 * - markers (`add`, `increment`) in their own bounded maps that cache writes can never evict: a
 *   flood of tokens must not push a DPoP `jti` out before its replay window ends. DPoP markers
 *   (`dpop:` keys) and the others (introspection leases) are bounded apart, so proofs cannot use up
 *   the room of leases. Markers expire by TTL; when `maxMarkers` are live in a partition, `add` and
 *   `increment` there fail closed (throw) instead of forgetting one.
 *
 * `add` and `increment` are atomic because the check and the write run in one synchronous step of
 * the event loop.
 *
 * Does not share state across processes: use a Redis-backed store for that.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const max = options.max ?? 10_000;
  if (!Number.isInteger(max) || max < 1) throw new TypeError('createMemoryStore(): "max" must be a positive integer');
  const maxMarkers = options.maxMarkers ?? 100_000;
  if (!Number.isInteger(maxMarkers) || maxMarkers < 1) throw new TypeError('createMemoryStore(): "maxMarkers" must be a positive integer');
  const clock = options.clock ?? Date.now;
  // Insertion order ≈ expiry order (one replay window for all markers of a partition), so sweeping
  // from the front is cheap. DPoP markers apart: proofs (any client can send many) never fill the rest.
  type Markers = Map<string, { value: unknown; expiresAt: number }>;
  const dpopMarkers: Markers = new Map();
  const otherMarkers: Markers = new Map();
  const partitionOf = (key: string): Markers => (key.startsWith('dpop:') ? dpopMarkers : otherMarkers);
  const sweepMarkers = (markers: Markers, now: number) => {
    for (const [key, { expiresAt }] of markers) {
      if (expiresAt > now) break;
      markers.delete(key);
    }
  };
  // lru-cache's own ttl timer uses performance.now(); we keep our own expiry so an injected clock works.
  const cache = new LRUCache<string, { value: unknown; expiresAt: number }>({ max });
  const read = (key: string) => {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= clock()) {
      cache.delete(key);
      return undefined;
    }
    return entry;
  };
  const write = (key: string, value: unknown, ttl: number) => {
    if (!(ttl > 0)) return;
    cache.set(key, { value, expiresAt: clock() + ttl * 1000 });
  };
  const liveMarker = (key: string): unknown => {
    const marker = partitionOf(key).get(key);
    return marker !== undefined && marker.expiresAt > clock() ? marker.value : undefined;
  };
  const insertMarker = (key: string, value: unknown, ttl: number, now: number) => {
    const markers = partitionOf(key);
    if (markers.size >= maxMarkers) sweepMarkers(markers, now);
    if (markers.size >= maxMarkers) throw new Error('memory store: too many live markers');
    markers.delete(key);
    markers.set(key, { value, expiresAt: now + ttl * 1000 });
  };
  const store: Store = {
    get: (key) => read(key)?.value ?? liveMarker(key),
    set: write,
    add(key, value, ttl) {
      const now = clock();
      if ((partitionOf(key).get(key)?.expiresAt ?? 0) > now || read(key) !== undefined) return false;
      insertMarker(key, value, ttl, now);
      return true;
    },
    increment(key, ttl) {
      const now = clock();
      const marker = partitionOf(key).get(key);
      if (marker !== undefined && marker.expiresAt > now && typeof marker.value === 'number') {
        marker.value += 1;
        return marker.value;
      }
      insertMarker(key, 1, ttl, now);
      return 1;
    },
    delete(key) {
      cache.delete(key);
      partitionOf(key).delete(key);
    },
  };
  inProcessStores.add(store);
  return store;
}

/** Whether `store` was made by {@link createMemoryStore} (in this process, never shared, never persisted). */
export function isInProcessStore(store: Store): boolean {
  return inProcessStores.has(store);
}

/** Whether `value` has the three methods every {@link Store} must have (`get`, `set`, `add`). */
export function isStore(value: unknown): value is Store {
  const store = value as Partial<Store> | null;
  return typeof store === 'object' && store !== null
    && typeof store.get === 'function' && typeof store.set === 'function' && typeof store.add === 'function'
    // The optional methods are absent or callable: one that is neither would fail every DPoP request.
    && ['increment', 'delete', 'addCounted'].every((name) => ['undefined', 'function'].includes(typeof store[name as keyof Store]));
}
