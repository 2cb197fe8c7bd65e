import { openAesGcm, sealAesGcm } from '#crypto-backend';
import { sha256Base64Url } from '../lib/digest.js';
import { isPromiseLike, type MaybePromise } from '../lib/maybe-promise.js';
import type { Logger } from '../options/guard-options.js';
import { SingleFlight, loadUnderLease, type Outcome } from '../store/single-flight.js';
import type { Store } from '../store/memory-store.js';

/** Prefix of exchanged tokens in the store. */
export const EXCHANGE_KEY_PREFIX = 'exchange:';
/** Prefix of the lease one process takes while it exchanges a subject token for all. */
export const EXCHANGE_LEASE_PREFIX = 'exchange-lease:';

/** An exchanged token as cached: what `exchangeToken()` returns, and until when it may be reused. */
export interface CachedExchange {
  accessToken: string;
  tokenType: string;
  issuedTokenType: string;
  /** Seconds since the epoch; `undefined` when the AS sent no `expires_in`. */
  expiresAt: number | undefined;
  scope: string | undefined;
  /** Epoch milliseconds after which the entry is not reused, whatever the store still holds. */
  reuseUntil: number;
}

/** What a load gives the cache: the token, and how many seconds it may be kept (≤ 0: not at all). */
export interface LoadedExchange {
  exchange: CachedExchange;
  ttl: number;
}

/**
 * The cache key of one exchange: `exchange:` + base64url SHA-256 over every input that changes the
 * answer (the client, the subject token, audiences, resources, scope, requested type, the actor
 * token, the DPoP key), as one JSON array so that no two inputs can run into each other. A shared
 * store never holds a token in a key.
 */
export function exchangeCacheKey(parts: readonly unknown[]): string {
  return EXCHANGE_KEY_PREFIX + sha256Base64Url(JSON.stringify(parts));
}

/** Dependencies of {@link ExchangedTokenCache}. */
export interface ExchangedTokenCacheSettings {
  store: Store;
  /** Seals entries at rest (shared stores); `undefined`: kept as they are (the memory store). */
  encryptionKey: Uint8Array | undefined;
  /** Milliseconds: the exchange call's timeout, the lease's life. */
  timeout: number;
  clock: () => number;
  logger: Logger;
}

/**
 * Exchanged tokens through a {@link Store}, with single flight in this process and across processes
 * sharing the store (`store/single-flight.ts`, the same lease as introspection's).
 *
 * - An entry is reused until its `reuseUntil` (min(exchanged expiry, subject expiry) − skew, set by
 *   the caller), checked on every read: a store that keeps entries longer than asked serves nothing stale.
 * - Shared stores get `{ sealed }`: AES-256-GCM of the entry with the cache key as associated
 *   data, so whoever reads the store gets no token, and an entry copied under another key does not open.
 *   An entry that does not open (another key, tampering) is a miss.
 * - Failures are never stored; a failing store is a miss (logged once per outage), a failed
 *   write only logged: the exchange still works, uncached.
 * - A hit in a store that answers synchronously (the memory store) is returned synchronously.
 */
export class ExchangedTokenCache {
  readonly #settings: ExchangedTokenCacheSettings;
  readonly #inFlight = new SingleFlight<CachedExchange>();
  #storeFailing = false;

  constructor(settings: ExchangedTokenCacheSettings) {
    this.#settings = settings;
  }

  /** The cached exchange under `key`, or the one in flight, or a fresh one from `load` (then stored). */
  lookup(key: string, load: () => Promise<LoadedExchange>): MaybePromise<CachedExchange> {
    const pending = this.#inFlight.joinPending(key);
    if (pending !== undefined) return pending;
    const cached = this.#read(key);
    if (!isPromiseLike(cached)) return cached ?? this.#start(key, load);
    return cached.then((hit) => hit ?? this.#start(key, load));
  }

  /** Forgets `key` (a downstream API refused the token: the next call exchanges again). */
  async forget(key: string): Promise<void> {
    try {
      await this.#settings.store.delete?.(key);
    } catch {
      this.#reportStoreFailure('resource-guard: the store failed to delete an exchanged token');
    }
  }

  #start(key: string, load: () => Promise<LoadedExchange>): Promise<CachedExchange> {
    return this.#inFlight.run(key, () => loadUnderLease({
      store: this.#settings.store,
      leaseKey: EXCHANGE_LEASE_PREFIX + key.slice(EXCHANGE_KEY_PREFIX.length),
      timeout: this.#settings.timeout,
      readStored: async () => {
        try {
          return await this.#read(key);
        } catch {
          return undefined;
        }
      },
      load: () => this.#load(key, load),
    }));
  }

  async #load(key: string, load: () => Promise<LoadedExchange>): Promise<Outcome<CachedExchange>> {
    let loaded: LoadedExchange;
    try {
      loaded = await load();
    } catch (error) {
      return { error };
    }
    if (loaded.ttl > 0) {
      try {
        const { encryptionKey } = this.#settings;
        const entry = encryptionKey === undefined
          ? Object.freeze({ ...loaded.exchange })
          : { sealed: await sealAesGcm(encryptionKey, JSON.stringify(loaded.exchange), key) };
        await this.#settings.store.set(key, entry, loaded.ttl);
        this.#storeFailing = false;
      } catch {
        this.#reportStoreFailure('resource-guard: the store failed to save an exchanged token; continuing without caching it');
      }
    }
    return { value: loaded.exchange };
  }

  #read(key: string): MaybePromise<CachedExchange | undefined> {
    let value: unknown;
    try {
      value = this.#settings.store.get(key);
    } catch {
      return this.#readFailed();
    }
    if (!isPromiseLike(value)) return this.#accept(value, key);
    return Promise.resolve(value).then((stored) => this.#accept(stored, key), () => this.#readFailed());
  }

  #accept(value: unknown, key: string): MaybePromise<CachedExchange | undefined> {
    this.#storeFailing = false;
    if (typeof value !== 'object' || value === null) return undefined;
    const { encryptionKey } = this.#settings;
    if (encryptionKey === undefined) return this.#usable(value);
    const sealed = (value as { sealed?: unknown }).sealed;
    if (typeof sealed !== 'string') return undefined;
    return openAesGcm(encryptionKey, sealed, key).then((plain) => {
      if (plain === undefined) return undefined;
      try {
        return this.#usable(JSON.parse(plain));
      } catch {
        return undefined;
      }
    });
  }

  /** `value` when it is a whole entry still to be reused. */
  #usable(value: unknown): CachedExchange | undefined {
    const entry = value as Partial<CachedExchange> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.accessToken !== 'string' || typeof entry.tokenType !== 'string'
      || typeof entry.issuedTokenType !== 'string' || typeof entry.reuseUntil !== 'number') return undefined;
    return entry.reuseUntil > this.#settings.clock() ? entry as CachedExchange : undefined;
  }

  #readFailed(): undefined {
    this.#reportStoreFailure('resource-guard: the store failed to read an exchanged token; exchanging instead');
    return undefined;
  }

  // A shared store that is down fails every call: one line per outage, not one per request.
  #reportStoreFailure(message: string): void {
    if (this.#storeFailing) return;
    this.#storeFailing = true;
    this.#settings.logger.warn(message);
  }
}
