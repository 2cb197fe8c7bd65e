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
  /** The client's proof counter (`dpop.maxProofsPerClient`), counted like the key's. */
  clientCounter: string;
  /** Most proofs per client and window. */
  clientLimit: number;
}

/**
 * Records a proof: adds its `jti` marker and, only when the marker is new, counts the proof for
 * its key and for its client (`maxProofsPerKey`, `maxProofsPerClient`). A refused replay is never counted: a captured proof sent again and again must not use
 * up the quota of the key it belongs to. A fresh proof past the limit has its marker taken back
 * (a key over its quota keeps nothing more in the store).
 *
 * In one store call when the store has `addCounted` (the Redis store: one script, one round
 * trip). Otherwise, with `increment` and `delete`: the marker, then the count, then the marker
 * taken back past the limit; with `increment` alone: a look for the marker, the count, then the
 * marker within the limit (a replay racing its original may be counted); without `increment`,
 * only marked (no quota). A store that throws or rejects is a 503 (fail closed).
 */
export async function recordProof(store: Store, keys: ProofRecordKeys, telemetry?: Telemetry): Promise<ProofRecord> {
  const { marker, counter, ttl, limit, clientCounter, clientLimit } = keys;
  const callStore: ReplayStoreCall = (operation, call) => callReplayStore(operation, call, telemetry);
  const mark = async () => await callStore('add', () => store.add(marker, 1, ttl)) === true;
  // A count that is not a number within the limit is over it: that key alone waits out its window.
  const within = (count: unknown, max: number) => typeof count === 'number' && count <= max;
  if (store.addCounted !== undefined) {
    const result = await callStore('add_counted', () => store.addCounted!(marker, 1, ttl, counter, limit, clientCounter, clientLimit));
    // An answer without a numeric count is a store fault: over the quota, never a pass.
    if (!within(result?.count, limit)) return 'over-quota';
    if (result.clientCount !== undefined && !within(result.clientCount, clientLimit)) return 'over-quota';
    if (result.added !== true) return 'replayed';
    if (result.clientCount !== undefined) return 'fresh';
    // A store whose addCounted predates the client counter: that count is asked apart.
    return checkClientCount(store, keys, callStore);
  }
  if (store.increment === undefined) return await mark() ? 'fresh' : 'replayed';
  const count = (key: string) => callStore('increment', () => store.increment!(key, ttl));
  if (store.delete === undefined) {
    if (await callStore('get', () => store.get(marker)) !== undefined) return 'replayed';
    const [perKey, perClient] = await Promise.all([count(counter), count(clientCounter)]);
    if (!within(perKey, limit) || !within(perClient, clientLimit)) return 'over-quota';
    return await mark() ? 'fresh' : 'replayed';
  }
  if (!await mark()) return 'replayed';
  const [perKey, perClient] = await Promise.all([count(counter), count(clientCounter)]);
  if (within(perKey, limit) && within(perClient, clientLimit)) return 'fresh';
  await callStore('delete', () => store.delete!(marker)).catch(() => undefined);
  return 'over-quota';
}

async function checkClientCount(store: Store, keys: ProofRecordKeys, callStore: ReplayStoreCall): Promise<ProofRecord> {
  if (store.increment === undefined) return 'fresh';
  const count = await callStore('increment', () => store.increment!(keys.clientCounter, keys.ttl));
  if (typeof count === 'number' && count <= keys.clientLimit) return 'fresh';
  if (store.delete !== undefined) await callStore('delete', () => store.delete!(keys.marker)).catch(() => undefined);
  return 'over-quota';
}

/**
 * The store's answer: `await` adopts a promise, any other thenable and a plain value alike. A
 * store that throws or rejects is a 503 (fail closed).
 */
type ReplayStoreCall = <T>(operation: StoreOperation, call: () => T | PromiseLike<T>) => Promise<T>;

async function callReplayStore<T>(operation: StoreOperation, call: () => T | PromiseLike<T>, telemetry: Telemetry | undefined): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    telemetry?.countStoreError('dpop_replay', operation);
    throw new UpstreamUnavailableError('DPoP replay store is unavailable', 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE', { cause });
  }
}
