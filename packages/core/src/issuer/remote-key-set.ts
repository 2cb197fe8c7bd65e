import { UpstreamUnavailableError } from '../errors/errors.js';
import { describeRedirect, fetchUpstream, parseJsonObject } from '../http/upstream.js';
import { importPublicJwk, keyMatchesAlgorithm, type VerificationKey } from '../jws/jws.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** Settings of a {@link RemoteKeySet}. */
export interface RemoteKeySetOptions {
  fetch: typeof fetch;
  /** Milliseconds per request. */
  timeout: number;
  /** Seconds between refetches caused by unknown `kid`s. */
  cooldown: number;
  /** Seconds after which the set is refetched before use. */
  maxAge: number;
  clock: () => number;
  /** Where the fetches and the unknown-`kid` refetches are recorded. */
  telemetry: Telemetry;
}

const REQUEST = { code: 'ERR_JWKS_UNAVAILABLE', what: 'JWKS', operation: 'jwks' } as const;

/** Most keys a JWKS may hold; a larger set is refused (503) rather than imported. */
export const MAX_JWKS_KEYS = 100;

/**
 * One issuer's signing keys (RFC 7517 JWK Set), fetched lazily and shared by all requests.
 *
 * - Concurrent fetches collapse into one.
 * - An unknown `kid` triggers one refetch, then no other *kid-triggered* refetch for `cooldown`
 *   seconds, so a flood of random `kid`s costs at most one fetch per cooldown. A routine refresh
 *   (age past `maxAge`) does not start the cooldown: a key rotated right after it is still found.
 * - When a routine refresh fails, the previous keys keep serving (the keys did not become wrong
 *   because the AS is briefly down); with no keys at all the request gets a 503.
 */
export class RemoteKeySet {
  readonly #uri: () => Promise<URL>;
  readonly #options: RemoteKeySetOptions;
  #keys: VerificationKey[] | undefined;
  #fetchedAt = 0;
  #lastKidRefetch = Number.NEGATIVE_INFINITY;
  #pending: Promise<VerificationKey[]> | undefined;
  /** Matches per `kid`, then `alg`; valid until the next load; only non-empty lists are kept. */
  readonly #matches = new Map<string, Map<string, readonly VerificationKey[]>>();
  /** Matches per `alg` for tokens without a `kid` (kept apart: `kid: ""` is a different token). */
  readonly #matchesWithoutKid = new Map<string, readonly VerificationKey[]>();

  constructor(uri: () => Promise<URL>, options: RemoteKeySetOptions) {
    this.#uri = uri;
    this.#options = options;
  }

  /**
   * Keys that may verify a token with this `alg` and `kid` (every matching key when the token
   * names no `kid`). An empty list means no key matched even after a permitted refetch.
   */
  async select(alg: string, kid: string | undefined): Promise<VerificationKey[]> {
    const now = this.#options.clock();
    let keys = this.#keys;
    let fresh = false;
    if (keys === undefined) {
      keys = await this.#refresh();
      fresh = true;
    } else if (now - this.#fetchedAt >= this.#options.maxAge * 1000) {
      const previous = keys;
      keys = await this.#refresh().then((loaded) => {
        fresh = true;
        return loaded;
      }, () => previous);
    }
    let matches = match(keys, alg, kid);
    if (matches.length === 0 && !fresh) {
      if (this.#pending !== undefined) {
        this.#options.telemetry.countJwksRefetch('joined');
        // A refetch is under way (another token's unknown kid, e.g. the first one after a key
        // rotation): wait for it rather than answer "no such key" while the new set is arriving.
        matches = match(await this.#pending, alg, kid);
      } else if (now - this.#lastKidRefetch >= this.#options.cooldown * 1000) {
        this.#lastKidRefetch = now;
        this.#options.telemetry.countJwksRefetch('fetched');
        matches = match(await this.#refresh(), alg, kid);
      } else {
        this.#options.telemetry.countJwksRefetch('cooldown');
      }
    }
    return matches;
  }

  /**
   * The synchronous fast path of {@link select}: the matching keys when the set is loaded, fresh
   * and has a match; `undefined` when the caller must go through `select` (which may fetch).
   */
  cached(alg: string, kid: string | undefined): readonly VerificationKey[] | undefined {
    if (this.#keys === undefined || this.#options.clock() - this.#fetchedAt >= this.#options.maxAge * 1000) return undefined;
    let byAlg = kid === undefined ? this.#matchesWithoutKid : this.#matches.get(kid);
    let matches = byAlg?.get(alg);
    if (matches === undefined) {
      matches = match(this.#keys, alg, kid);
      if (matches.length === 0) return undefined;
      if (this.#matches.size >= 256) this.#matches.clear();
      if (byAlg === undefined) this.#matches.set(kid!, (byAlg = new Map()));
      byAlg.set(alg, matches);
    }
    return matches;
  }

  #refresh(): Promise<VerificationKey[]> {
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #load(): Promise<VerificationKey[]> {
    const url = await this.#uri();
    const response = await fetchUpstream(this.#options.fetch, url, {
      ...REQUEST, timeout: this.#options.timeout, telemetry: this.#options.telemetry, headers: { accept: 'application/jwk-set+json, application/json' },
      redirects: 'same-origin',
    });
    if (response.status !== 200) {
      const detail = describeRedirect(response, `GET ${url.href}`, 'set "jwksUri" to where the keys are') ?? `GET ${url.href}`;
      throw new UpstreamUnavailableError(`JWKS answered HTTP ${response.status}`, REQUEST.code, { detail });
    }
    const body = parseJsonObject(response, REQUEST);
    if (!Array.isArray(body.keys)) throw new UpstreamUnavailableError('JWKS has no "keys" array', REQUEST.code);
    // Importing a key costs real work, and an unknown `kid` (any client can send one) triggers a
    // load: bound it. Authorization servers publish a handful of keys.
    if (body.keys.length > MAX_JWKS_KEYS) {
      throw new UpstreamUnavailableError(`JWKS has more than ${MAX_JWKS_KEYS} keys`, REQUEST.code);
    }
    const keys = body.keys.map((jwk) => importPublicJwk(jwk)).filter((key): key is VerificationKey => key !== undefined);
    this.#keys = keys;
    this.#matches.clear();
    this.#matchesWithoutKid.clear();
    this.#fetchedAt = this.#options.clock();
    return keys;
  }
}

function match(keys: readonly VerificationKey[], alg: string, kid: string | undefined): VerificationKey[] {
  return keys.filter((key) => (kid === undefined || key.kid === kid) && keyMatchesAlgorithm(key, alg));
}
