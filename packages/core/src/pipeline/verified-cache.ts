import { sha256Binary } from '../lib/digest.js';
import { LRUCache } from 'lru-cache';
import type { Claims } from '../claims/claims.js';

/**
 * Opt-in cache of verified JWT access tokens (`verifiedTokenCache`), for APIs whose clients send
 * the same token many times: a hit skips parsing, key lookup and the signature check.
 *
 * - Keyed by SHA-256 of the token, so the cache never holds a token and one token's entry can
 *   never answer for another (not even a prefix or suffix of it).
 * - Bounded by `max` entries (LRU); an entry never outlives the token's `exp`.
 * - The pipeline re-runs the clock-dependent claim rules (`exp`, `nbf`, `iat`) and the user's
 *   validators on every hit (`ClaimValidators.recheck`).
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

  /** The claims of an earlier verification; `undefined` on a miss or once past `exp` (plus tolerance). */
  get(key: string): Claims | undefined {
    const claims = this.#entries.get(key);
    if (claims === undefined) return undefined;
    if ((claims.exp as number) <= this.#clock() / 1000 - this.#tolerance) {
      this.#entries.delete(key);
      return undefined;
    }
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
