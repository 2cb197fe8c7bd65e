import { LRUCache } from 'lru-cache';
import { assertObject, readNumber } from '../options/validate.js';
import type { Claims } from '../claims/claims.js';

/**
 * Opt-in cache of verified JWT access tokens (`verifiedTokenCache`), for APIs whose clients send
 * the same token many times: a hit skips parsing, key lookup and the signature check.
 *
 * - Keyed by the token string itself: a hit is an exact match of the whole token, so one token's
 *   entry can never answer for another (not even a prefix or suffix of it). No hash: the process
 *   holds every token it is sent anyway, and under load a SHA-256 of the token cost 6-9 µs per
 *   request, more than the rest of a hit (`bench/HISTORY.md`). Memory per entry is therefore the
 *   token's length plus the claims (the bench reports bytes per entry). A shared store would keep
 *   hashed keys; this cache is never shared.
 * - Bounded by `max` entries (LRU); an entry never outlives the token's `exp`.
 * - A hit answers as a miss would at the same moment: the pipeline re-runs every rule whose
 *   input can change (`ClaimValidators.recheck`): the clock rules (`exp`, `nbf`, `iat`), the
 *   user's validators, the tenant lookup of issuer templates (a `tenants` predicate), and the
 *   sender binding. Rules on the claims and the configuration alone are not re-run.
 * - In-process on purpose: a network store would cost more than the signature check it saves.
 *
 * Trade-off (documented in the README): a key withdrawn from the JWKS keeps already-verified
 * tokens valid until they expire or are evicted.
 */
export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, Claims>;
  readonly #clock: () => number;
  readonly #tolerance: number;

  constructor(max: number, clock: () => number, tolerance: number) {
    this.#entries = new LRUCache({ max });
    this.#clock = clock;
    this.#tolerance = tolerance;
  }

  /** The claims of an earlier verification of `token`; `undefined` on a miss or once past `exp` (plus tolerance). */
  get(token: string): Claims | undefined {
    const claims = this.#entries.get(token);
    if (claims === undefined) return undefined;
    if ((claims.exp as number) <= this.#clock() / 1000 - this.#tolerance) {
      this.#entries.delete(token);
      return undefined;
    }
    return claims;
  }

  /** Remembers the verified `claims` of `token` until their `exp` (plus tolerance). */
  set(token: string, claims: Claims): void {
    const ttl = ((claims.exp as number) + this.#tolerance) * 1000 - this.#clock();
    if (ttl > 0) this.#entries.set(token, claims, { ttl: Math.ceil(ttl) });
  }

  /** Entries held now (for tests and benchmarks). */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Parses the `verifiedTokenCache` option: off by default; `true` is `{ max: 10_000 }` entries;
 * `{ max }` a positive integer (a `TypeError` naming `verifiedTokenCache.max` otherwise).
 */
export function readVerifiedTokenCacheOption(value: boolean | { max?: number } | undefined): { max: number } | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { max: 10_000 };
  assertObject(value, 'verifiedTokenCache');
  return { max: readNumber(value.max, 'verifiedTokenCache.max', 10_000, 1) };
}
