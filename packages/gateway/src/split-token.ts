import { createHash } from 'node:crypto';
import { InvalidTokenError, UpstreamUnavailableError, type Guard, type GuardOptions, type Store } from '@resource-guard/core';
import { challenge, readBearerToken, type CredentialExchange } from './forward.js';
import { bearerRequest, readGuard, readNumber, readOptions, readStore, readString } from './options.js';

/** Default prefix of split-token entries in the shared store. */
export const SPLIT_TOKEN_PREFIX = 'split-token:';

/** base64url(SHA-256(value)): store keys never hold a credential. */
function hashKey(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** The store key of a split token's `signature`: the prefix and base64url(SHA-256(signature)). */
export function splitTokenKey(signature: string, prefix = SPLIT_TOKEN_PREFIX): string {
  return prefix + hashKey(signature);
}

/** Options of {@link storeSplitToken} and {@link revokeSplitToken}. */
export interface SplitTokenStoreOptions {
  /** Key prefix. Default `split-token:`. */
  prefix?: string;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
}

/**
 * The authorization server's half of the split-token pattern: keeps `header.payload` of the
 * signed `jwt` in `store` under {@link splitTokenKey}(signature), for `exp` − now seconds, and
 * returns the signature: the only part the client receives. Throws a `TypeError` for a JWT that
 * is not three segments or has no future numeric `exp` (it would be stored forever, or not at all).
 */
export async function storeSplitToken(store: Store, jwt: string, options: SplitTokenStoreOptions = {}): Promise<string> {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((part) => part === '')) throw new TypeError('resource-guard: storeSplitToken() needs a signed JWT (JWS compact)');
  let exp: unknown;
  try {
    exp = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
  } catch {
    exp = undefined;
  }
  // Exactly until `exp`, fractions of a second included: a token issued late in its `iat` second
  // with a short lifetime has less than a whole second left, and is still a valid token.
  const ttl = typeof exp === 'number' ? exp - (options.clock ?? Date.now)() / 1000 : 0;
  if (!(ttl > 0 && Number.isFinite(ttl))) throw new TypeError('resource-guard: storeSplitToken() needs a JWT with a future "exp"');
  await store.set(splitTokenKey(parts[2]!, options.prefix), `${parts[0]}.${parts[1]}`, ttl);
  return parts[2]!;
}

/** Revocation (RFC 7009) of a split token: deletes its entry, so the gateway answers 401 from then on. */
export async function revokeSplitToken(store: Store, signature: string, options: Pick<SplitTokenStoreOptions, 'prefix'> = {}): Promise<void> {
  if (typeof store.delete !== 'function') throw new TypeError('resource-guard: revoking split tokens needs a store with delete()');
  await store.delete(splitTokenKey(signature, options.prefix));
}

/** Options of {@link createSplitToken}. */
export interface SplitTokenOptions {
  /** The store the authorization server writes to (a Redis store when there are several instances of either). */
  store: Store;
  /**
   * How the reassembled JWT is verified before it is forwarded: a `Guard`, or guard options
   * (`issuer`, `audience`, ...). Every check applies (signature by the issuer's keys, every
   * claim): the store is never trusted on its own.
   */
  verify: Guard | GuardOptions;
  /** Key prefix. Default `split-token:`. */
  prefix?: string;
  /** `realm` of the challenges. Default `gateway`. */
  realm?: string;
  /** Longest accepted signature, characters. Default 1024 (an RSA-8192 signature is 683). */
  maxTokenLength?: number;
}

const KNOWN = ['store', 'verify', 'prefix', 'realm', 'maxTokenLength'] as const;

/**
 * The split-token pattern, gateway half: the bearer token is a JWT's signature segment; its
 * header and payload are looked up in `store` (see {@link storeSplitToken}), the JWT reassembled
 * and fully verified with `verify`, and forwarded as `Authorization: Bearer <jwt>`.
 * Unknown, expired or revoked (no entry) → 401 `ERR_GATEWAY_SPLIT_TOKEN_UNKNOWN`; an altered
 * signature finds no entry or fails verification → 401; the store failing → 503. A bearer token
 * with a `.` is refused (a whole JWT is not what the client holds). Options are validated here.
 */
export function createSplitToken(options: SplitTokenOptions): CredentialExchange {
  const raw = readOptions(options, KNOWN, 'splitToken');
  const store = readStore(raw.store, 'splitToken.store');
  if (store === undefined) throw new TypeError('resource-guard: "splitToken.store" is required');
  const prefix = readString(raw.prefix, 'splitToken.prefix', SPLIT_TOKEN_PREFIX);
  const realm = readString(raw.realm, 'splitToken.realm', 'gateway');
  const guard = readGuard(raw.verify, 'splitToken.verify', realm);
  const maxTokenLength = readNumber(raw.maxTokenLength, 'splitToken.maxTokenLength', 1024, 1);
  const unknown = () => challenge(new InvalidTokenError('Unknown split token', 'ERR_GATEWAY_SPLIT_TOKEN_UNKNOWN'), realm);

  return {
    async exchange(request) {
      const signature = readBearerToken(request, realm, maxTokenLength);
      if (signature.includes('.')) throw unknown();
      let headerPayload: unknown;
      try {
        headerPayload = await store.get(splitTokenKey(signature, prefix));
      } catch (cause) {
        throw new UpstreamUnavailableError('The split-token store is unavailable', 'ERR_GATEWAY_STORE_UNAVAILABLE', { cause });
      }
      if (typeof headerPayload !== 'string' || !/^[\w-]+\.[\w-]+$/.test(headerPayload)) throw unknown();
      const jwt = `${headerPayload}.${signature}`;
      await guard.verify(bearerRequest(jwt));
      return jwt;
    },
    strip() {
      // The signature travels in Authorization only, which forwardRequest() always removes.
    },
  };
}
