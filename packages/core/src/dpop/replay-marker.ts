import { UpstreamUnavailableError } from '../errors/errors.js';
import type { Store } from '../store/memory-store.js';
import type { StoreOperation } from '../telemetry/names.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * The stateful half of the DPoP replay check (RFC 9449 §11.1): one proof's `jti` marker and its
 * key's proof count, asked of the store in as few round trips as the store allows.
 */

/** What {@link recordProof} found. */
export type ProofRecord = 'fresh' | 'replayed' | 'over-quota';

/** Where and for how long a proof is recorded. */
export interface ProofRecordKeys {
  /** The `jti` marker's key. */
  marker: string;
  /** The key's proof counter (`dpop.maxProofsPerKey`). */
  counter: string;
  /** Seconds both live. */
  ttl: number;
  /** Most proofs per key and window. */
  limit: number;
}

/**
 * Records a proof: counts it for its key, and adds its `jti` marker unless the count is past the
 * limit (a key over its quota keeps nothing more in the store). In one store call when the store
 * has `addCounted` (the Redis store: one script, one round trip); otherwise with `increment` and
 * `add` sent together and, with `delete`, a marker over the quota taken back; without `delete`,
 * counted first and marked only within the quota; without `increment`, only marked (no quota).
 * A store that throws or rejects is a 503 (fail closed).
 */
export async function recordProof(store: Store, keys: ProofRecordKeys, telemetry?: Telemetry): Promise<ProofRecord> {
  const { marker, counter, ttl, limit } = keys;
  const callStore = <T>(operation: StoreOperation, call: () => T | PromiseLike<T>) => callReplayStore(operation, call, telemetry);
  const mark = () => callStore('add', () => store.add(marker, 1, ttl));
  // A count that is not a number within the limit is over it: that key alone waits out its window.
  const within = (count: unknown) => typeof count === 'number' && count <= limit;
  if (store.addCounted !== undefined) {
    const result = await callStore('add_counted', () => store.addCounted!(marker, 1, ttl, counter, limit));
    if (!within(result?.count)) return 'over-quota';
    return result.added === true ? 'fresh' : 'replayed';
  }
  if (store.increment === undefined) return await mark() === true ? 'fresh' : 'replayed';
  const count = () => callStore('increment', () => store.increment!(counter, ttl));
  if (store.delete === undefined) {
    if (!within(await count())) return 'over-quota';
    return await mark() === true ? 'fresh' : 'replayed';
  }
  // Count and marker asked for together: one round trip to a networked store instead of two.
  const [counted, added] = await Promise.all([count(), mark()]);
  if (!within(counted)) {
    if (added === true) await callStore('delete', () => store.delete!(marker)).catch(() => undefined);
    return 'over-quota';
  }
  return added === true ? 'fresh' : 'replayed';
}

/**
 * The store's answer: `await` adopts a promise, any other thenable and a plain value alike. A
 * store that throws or rejects is a 503 (fail closed).
 */
async function callReplayStore<T>(operation: StoreOperation, call: () => T | PromiseLike<T>, telemetry: Telemetry | undefined): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    telemetry?.countStoreError('dpop_replay', operation);
    throw new UpstreamUnavailableError('DPoP replay store is unavailable', 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE', { cause });
  }
}
