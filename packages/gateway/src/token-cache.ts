import { createHash } from 'node:crypto';
import type { Store } from '@resource-guard/core';

/** A cached exchange: the JWT to forward (valid until `exp`, seconds), or "inactive". */
export type CachedExchange = { jwt: string; exp: number } | { inactive: true };

/** What a load returns: the entry and how many seconds it may be kept (0: not at all). */
export interface LoadedExchange {
  entry: CachedExchange;
  ttl: number;
}

/** base64url(SHA-256(value)): store keys never hold a credential. */
export function hashKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Exchanges cached in a {@link Store} under `prefix` + SHA-256 of the client's credential, with
 * single flight: concurrent lookups of one uncached credential share one `load` (the map holds one
 * promise per credential being loaded right now, so it is bounded by concurrency, not traffic).
 * Failures are never cached; an entry past its `exp` is ignored even if the store still has it.
 * A failing store is treated as a miss (the exchange still works, uncached).
 */
export class ExchangeCache {
  readonly #inFlight = new Map<string, Promise<CachedExchange>>();

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly clock: () => number,
  ) {}

  /** The cached, joined or freshly loaded exchange of `credential`. */
  async lookup(credential: string, load: () => Promise<LoadedExchange>): Promise<CachedExchange> {
    const key = this.prefix + hashKey(credential);
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const loading = this.#read(key).then(async (cached) => cached ?? this.#load(key, load));
    this.#inFlight.set(key, loading);
    try {
      return await loading;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #read(key: string): Promise<CachedExchange | undefined> {
    let value: unknown;
    try {
      value = await this.store.get(key);
    } catch {
      return undefined;
    }
    if (typeof value !== 'object' || value === null) return undefined;
    const entry = value as Partial<{ jwt: unknown; exp: unknown; inactive: unknown }>;
    if (entry.inactive === true) return { inactive: true };
    if (typeof entry.jwt !== 'string' || typeof entry.exp !== 'number') return undefined;
    return entry.exp * 1000 > this.clock() ? { jwt: entry.jwt, exp: entry.exp } : undefined;
  }

  async #load(key: string, load: () => Promise<LoadedExchange>): Promise<CachedExchange> {
    const { entry, ttl } = await load();
    if (ttl > 0) {
      try {
        await this.store.set(key, entry, ttl);
      } catch {
        // A store that cannot save costs a later exchange, not this request.
      }
    }
    return entry;
  }
}
