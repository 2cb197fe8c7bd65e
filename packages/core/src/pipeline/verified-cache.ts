import { sha256Binary } from '../lib/digest.js';
import { LRUCache } from 'lru-cache';
import { checkTimeClaims, type Claims } from '../claims/claims.js';

/**
 * Opt-in cache of verified JWT access tokens (`verifiedTokenCache`), for APIs whose clients send
 * the same token many times: a hit skips parsing, key lookup and the signature check.
 *
 * - Keyed by SHA-256 of the token, so the cache never holds a token and one token's entry can
 *   never answer for another (not even a prefix or suffix of it).
 * - Bounded by `max` entries (LRU); an entry never outlives the token's `exp`.
 * - `exp`, `nbf` and `iat` are re-checked on every hit, with the same tolerance as a full check.
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

  /** The cache key of a token: its SHA-256 as a 32-character binary string (no encoding pass). */
  static keyOf(token: string): string {
    return sha256Binary(token);
  }

  /** The claims of an earlier verification, re-checked for time; `undefined` on a miss. */
  get(key: string): Claims | undefined {
    const claims = this.#entries.get(key);
    if (claims === undefined) return undefined;
    const now = this.#clock() / 1000;
    if ((claims.exp as number) <= now - this.#tolerance) {
      this.#entries.delete(key);
      return undefined;
    }
    checkTimeClaims(claims, now, this.#tolerance, true);
    return claims;
  }

  /** Remembers verified `claims` until their `exp` (plus tolerance). */
  set(key: string, claims: Claims): void {
    const ttl = ((claims.exp as number) + this.#tolerance) * 1000 - this.#clock();
    if (ttl > 0) this.#entries.set(key, claims, { ttl: Math.ceil(ttl) });
  }

  /** Entries held now (for tests and benchmarks). */
  get size(): number {
    return this.#entries.size;
  }
}
