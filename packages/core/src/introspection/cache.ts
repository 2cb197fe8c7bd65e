import { sha256Base64Url } from '../lib/digest.js';
import { UpstreamUnavailableError } from '../errors/errors.js';
import type { ResolvedIntrospection } from './options.js';
import { cacheTtlFor, isPastExpiry } from './response.js';
import type { Logger } from '../options/guard-options.js';
import { isInProcessStore, type Store } from '../store/memory-store.js';
import { isPromiseLike, type MaybePromise } from '../lib/maybe-promise.js';
import { SingleFlight, loadUnderLease, type Outcome } from '../store/single-flight.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** Prefix of introspection entries in the shared {@link Store}. */
export const CACHE_KEY_PREFIX = 'introspection:';

/** Prefix of the lease one process takes in the store while it introspects a token for all. */
export const LEASE_KEY_PREFIX = 'introspection-lease:';

/**
 * The key of `token` in a store the application supplies (Redis, its own): a SHA-256 hash, so the
 * store, shared and perhaps persisted, never holds a token.
 */
export function cacheKey(token: string): string {
  return CACHE_KEY_PREFIX + sha256Base64Url(token);
}

/** Longest token the built-in memory store is keyed by as it is, in characters; longer ones are hashed. */
const MAX_PLAIN_KEY_LENGTH = 128;

/**
 * The key of `token` in the built-in memory store: the token itself. That store lives in this
 * process, which holds every token it is sent anyway, and a hit is an exact match of the whole
 * token; hashing it cost more than the rest of a hit under load (`bench/HISTORY.md`). Only up to
 * {@link MAX_PLAIN_KEY_LENGTH} characters (opaque tokens are far shorter): a flood of distinct
 * long tokens must not make each of the store's entries as long as `maxTokenLength`. Longer ones
 * are hashed under `#`, which no token has, so a short token can never name a long one's entry.
 */
function inProcessKey(token: string, prefix = CACHE_KEY_PREFIX): string {
  return token.length <= MAX_PLAIN_KEY_LENGTH ? prefix + token : `${prefix}#${sha256Base64Url(token)}`;
}

/** What is stored: the raw response and the client that asked (answers are per client, RFC 7662 §2.2). */
interface Entry {
  client: string;
  response: Record<string, unknown>;
}

/** Dependencies of {@link IntrospectionCache}. */
export interface IntrospectionCacheSettings {
  settings: ResolvedIntrospection;
  /** Asks the authorization server about `token` (on a miss); what it resolves to is stored. */
  load: (token: string) => Promise<Record<string, unknown>>;
  store: Store;
  clock: () => number;
  logger: Logger;
  /**
   * Prefix of the entries (and, after `-lease:`, of the leases) in the store. Default
   * `introspection:`; another prefix keeps entries of another shape (the gateway's) apart from the
   * guard's in a store both share.
   */
  keyPrefix?: string;
  /** Where hits, misses, joins and store failures are counted. */
  telemetry: Telemetry;
}

/**
 * Introspection results through the guard's {@link Store}, with request coalescing.
 *
 * - Key: `introspection:` + base64url SHA-256 of the token, so a shared store never holds a
 *   token; in the built-in memory store (this process's own) `introspection:` + the token, when
 *   it has at most 128 characters. Either way an entry can only serve the exact token (no prefix
 *   or suffix variant).
 * - TTL: min(`cacheTtl`, `exp` − now) for active answers, `inactiveCacheTtl` for `active: false`;
 *   a hit past the token's `exp` is ignored, so a cached grant is never served past `exp` even by a
 *   store that keeps entries longer than asked. Failures are never stored.
 * - Entries record the client id that asked: the authorization server may answer differently per
 *   client, so a store shared with another service's guard never serves that service's answers.
 * - Single flight: concurrent lookups of the same uncached token share one upstream call (a map of
 *   promises keyed by the hash, removed when the call settles, so it holds at most one entry per
 *   token being introspected right now, i.e. it is bounded by concurrency, not by traffic).
 * - Across processes sharing a store that can `delete`: the process that wins an atomic `add` of a lease
 *   (`introspection-lease:` + hash, TTL = the request timeout + 1 s) calls upstream; the others
 *   look at the store (every 10 ms at first, at most every 100 ms) until the answer is there, the
 *   lease is gone with no answer stored (the call failed, or its answer is not cacheable) or the
 *   request timeout has passed, and only then call upstream themselves. One call per token per TTL for N processes;
 *   a lease holder that dies costs the others at most one timeout.
 * - Memory is bounded by the store (the default one evicts least-recently-used entries).
 * - `cacheTtl: 0`: no store access and no coalescing; every lookup calls upstream.
 * - A hit on a store that answers synchronously (the memory store) is returned synchronously:
 *   the pipeline then settles no promise for it.
 * - A failing store is treated as a miss: the cache must not take authentication down. Logged
 *   once per outage (again after the store has answered), not once per request. With
 *   `storeFailure: 'fail-closed'` a failed read is a 503 instead (the authorization server is
 *   spared); a failed write is only logged either way.
 */
export class IntrospectionCache {
  readonly #settings: ResolvedIntrospection;
  readonly #store: Store;
  readonly #clock: () => number;
  readonly #logger: Logger;
  readonly #telemetry: Telemetry;
  readonly #inFlight = new SingleFlight<Record<string, unknown>>();
  readonly #keyOf: (token: string) => string;
  readonly #loadAnswer: (token: string) => Promise<Record<string, unknown>>;
  #storeFailing = false;

  readonly #prefix: string;
  readonly #leasePrefix: string;

  constructor({ settings, load, store, clock, logger, telemetry, keyPrefix = CACHE_KEY_PREFIX }: IntrospectionCacheSettings) {
    this.#telemetry = telemetry;
    this.#settings = settings;
    this.#loadAnswer = load;
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#prefix = keyPrefix;
    this.#leasePrefix = keyPrefix === CACHE_KEY_PREFIX ? LEASE_KEY_PREFIX : `${keyPrefix.replace(/:$/, '')}-lease:`;
    this.#keyOf = keyPrefix === CACHE_KEY_PREFIX
      ? (isInProcessStore(store) ? inProcessKey : cacheKey)
      : (isInProcessStore(store) ? (token) => inProcessKey(token, keyPrefix) : (token) => keyPrefix + sha256Base64Url(token));
  }

  /**
   * The response for `token`: cached, joined from an in-flight call, or loaded (then stored).
   * Synchronous on a hit in a store that answers synchronously.
   */
  lookup(token: string): MaybePromise<Record<string, unknown>> {
    if (this.#settings.cacheTtl === 0) return this.#loadAnswer(token);
    const key = this.#keyOf(token);
    const pending = this.#inFlight.joinPending(key);
    if (pending !== undefined) {
      this.#telemetry.countCacheLookup('introspection', 'join');
      return pending;
    }
    const cached = this.#read(key);
    if (!isPromiseLike(cached)) return cached === undefined ? this.#start(key, token) : this.#hit(cached);
    return cached.then((response) => (response === undefined ? this.#start(key, token) : this.#hit(response)));
  }

  #hit(response: Record<string, unknown>): Record<string, unknown> {
    this.#telemetry.countCacheLookup('introspection', 'hit');
    return response;
  }

  #start(key: string, token: string): Promise<Record<string, unknown>> {
    this.#telemetry.countCacheLookup('introspection', this.#inFlight.has(key) ? 'join' : 'miss');
    return this.#inFlight.run(key, () => this.#loadOnce(key, token));
  }

  async #load(key: string, token: string): Promise<Outcome<Record<string, unknown>>> {
    let response: Record<string, unknown>;
    try {
      response = await this.#loadAnswer(token);
    } catch (error) {
      return { error };
    }
    const ttl = cacheTtlFor(response, this.#settings, this.#clock());
    if (ttl > 0) {
      // Only the verdict of an inactive answer is kept: nothing else in it is used.
      const entry: Entry = { client: this.#settings.clientId, response: response.active === false ? { active: false } : response };
      try {
        await this.#store.set(key, entry, ttl);
        this.#storeFailing = false;
      } catch {
        this.#telemetry.countStoreError('introspection_cache', 'set');
        this.#reportStoreFailure('resource-guard: the store failed to save an introspection result; continuing without caching it');
      }
    }
    return { value: response };
  }

  /** {@link #load} under the store's lease when it is shared (see `store/single-flight.ts`). */
  #loadOnce(key: string, token: string): Promise<Outcome<Record<string, unknown>>> {
    return loadUnderLease({
      store: this.#store,
      leaseKey: this.#leasePrefix + key.slice(this.#prefix.length),
      timeout: this.#settings.timeout,
      readStored: () => this.#readQuietly(key),
      load: () => this.#load(key, token),
      onLeaseError: () => this.#telemetry.countStoreError('introspection_cache', 'add'),
    });
  }

  /**
   * The usable answer stored under `key`, `undefined` for none; synchronous when the store is. A
   * failing store is a miss, or with `storeFailure: 'fail-closed'` a 503 (thrown or rejected).
   */
  #read(key: string): MaybePromise<Record<string, unknown> | undefined> {
    let value: unknown;
    try {
      value = this.#store.get(key);
    } catch (cause) {
      return this.#readFailed(cause);
    }
    if (!isPromiseLike(value)) return this.#accept(value);
    return Promise.resolve(value).then((stored) => this.#accept(stored), (cause: unknown) => this.#readFailed(cause));
  }

  /** {@link #read} for the lease paths, where a failed look is only a miss. */
  async #readQuietly(key: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.#read(key);
    } catch {
      return undefined;
    }
  }

  #accept(value: unknown): Record<string, unknown> | undefined {
    this.#storeFailing = false;
    if (typeof value !== 'object' || value === null) return undefined;
    const { client, response } = value as Partial<Entry>;
    if (client !== this.#settings.clientId || typeof response !== 'object' || response === null) return undefined;
    return isPastExpiry(response, this.#clock()) ? undefined : response;
  }

  #readFailed(cause: unknown): undefined {
    this.#telemetry.countStoreError('introspection_cache', 'get');
    if (this.#settings.failClosedOnStore) {
      this.#reportStoreFailure('resource-guard: the store failed to read an introspection result; answering 503 (storeFailure: fail-closed)');
      throw new UpstreamUnavailableError('The introspection cache store is unavailable', 'ERR_INTROSPECTION_STORE_UNAVAILABLE', { cause });
    }
    this.#reportStoreFailure('resource-guard: the store failed to read an introspection result; introspecting instead');
    return undefined;
  }

  // A shared store that is down fails every call: one line per outage, not two per request.
  #reportStoreFailure(message: string): void {
    if (this.#storeFailing) return;
    this.#storeFailing = true;
    this.#logger.warn(message);
  }
}
