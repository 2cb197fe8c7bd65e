import { decodeBase64 } from '#crypto-backend';
import { resolveClientAuth, type ClientAuthMethod, type PrivateKeyJwtOptions, type ResolvedClientAuth } from '../introspection/client-auth.js';
import { readSigningKey, type PrivateKeyInput, type SigningKey } from '../jws/signing-key.js';
import { isInProcessStore, isStore, type Store } from '../store/memory-store.js';
import { assertKnownKeys, assertObject, knownKeys, parseServerUrl, readNumber } from '../options/validate.js';

/**
 * Options of `createTokenExchange()`: how this API calls the authorization server's token
 * endpoint as an OAuth client to exchange a caller's access token for one meant for another API
 * (RFC 8693). Validated once, at creation (a `TypeError` naming the option).
 */
export interface TokenExchangeOptions {
  /** This API's client id at the authorization server. Required. */
  clientId: string;
  /** Client secret, for `client_secret_basic` / `client_secret_post` (and only those). */
  clientSecret?: string;
  /**
   * Client authentication at the token endpoint, by the same code as introspection's: default
   * `client_secret_basic` (id and secret form-encoded before base64, RFC 6749 §2.3.1),
   * `client_secret_post`, or `private_key_jwt` (RFC 7523 §2.2, an assertion signed per call
   * whose `aud` defaults to the token endpoint URL).
   */
  clientAuth?: Extract<ClientAuthMethod, 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'>;
  /** Key and claims of the client assertion with `clientAuth: 'private_key_jwt'` (and only then). */
  privateKeyJwt?: PrivateKeyJwtOptions;
  /**
   * Token endpoint URL (https; plain http only on loopback or with the guard's
   * `allowInsecureRequests`). Default: the `token_endpoint` of the subject token's issuer's
   * metadata (RFC 8414 §2), discovered by the guard's own discovery.
   */
  tokenEndpoint?: string;
  /**
   * Where exchanged tokens are cached. Default: the guard's `store`. A store made by
   * `createMemoryStore()` holds them as they are (it never leaves the process); any other store
   * (Redis) gets them sealed with AES-256-GCM under {@link encryptionKey}, which is then required.
   */
  store?: Store;
  /**
   * 32-byte AES-256-GCM key (bytes, or base64/base64url text) sealing exchanged tokens in a shared
   * store, each bound to its cache key (the ciphertext of one entry cannot be moved to another).
   * Required with a store other than the memory store; every instance sharing the store needs the same key.
   */
  encryptionKey?: Uint8Array | string;
  /**
   * Seconds before the exchanged token's expiry (or the subject token's, when earlier) at which a
   * cached one is no longer reused. Default 60 (as Spring Security's token-exchange client). A
   * token that would be cached for no time at all is used once and exchanged again next time.
   */
  expirySkew?: number;
  /** Milliseconds before an exchange call is abandoned (503). Default: the guard's `httpTimeout`. */
  timeout?: number;
  /**
   * Ask for DPoP-bound exchanged tokens (RFC 9449 §5): the exchange request carries a proof by this
   * key, and `downstreamFetch()` a fresh proof (with `ath`) on each downstream call. `alg` is
   * checked against the key at creation. Needs the `node:crypto` backend.
   */
  dpop?: { key: PrivateKeyInput; alg: string };
  /** `fetch` for downstream calls. Default: the guard's `fetch` (which also makes the token-endpoint calls, whatever this says). */
  fetch?: typeof fetch;
}

/** {@link TokenExchangeOptions} after validation; internal. */
export interface ResolvedTokenExchange extends ResolvedClientAuth {
  tokenEndpoint: URL | undefined;
  store: Store;
  /** `undefined` with an in-process store: entries are kept as they are. */
  encryptionKey: Uint8Array | undefined;
  /** Seconds. */
  expirySkew: number;
  /** Milliseconds. */
  timeout: number;
  dpop: SigningKey | undefined;
  /** For downstream calls. */
  fetch: typeof fetch;
  /** For the token endpoint: the guard's own `fetch`, as for discovery and introspection. */
  upstreamFetch: typeof fetch;
}

/** The guard settings the defaults come from. */
export interface TokenExchangeDefaults {
  store: Store;
  fetch: typeof fetch;
  /** Milliseconds. */
  httpTimeout: number;
  allowInsecureRequests: boolean;
}

const KNOWN_KEYS = knownKeys<TokenExchangeOptions>()([
  'clientId', 'clientSecret', 'clientAuth', 'privateKeyJwt', 'tokenEndpoint', 'store', 'encryptionKey', 'expirySkew', 'timeout', 'dpop', 'fetch',
]);
const KNOWN_DPOP_KEYS = knownKeys<NonNullable<TokenExchangeOptions['dpop']>>()(['key', 'alg']);
const METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** Validates {@link TokenExchangeOptions}; every bad value is a `TypeError` naming the option. */
export function resolveTokenExchangeOptions(raw: TokenExchangeOptions, guard: TokenExchangeDefaults): ResolvedTokenExchange {
  if (raw === undefined || raw === null) throw new TypeError('resource-guard: createTokenExchange() needs options ({ clientId, ... })');
  assertObject(raw, 'tokenExchange');
  assertKnownKeys(raw, KNOWN_KEYS, 'tokenExchange');
  const clientAuth = resolveClientAuth(raw, 'tokenExchange', METHODS);
  const store = raw.store ?? guard.store;
  if (!isStore(store)) throw new TypeError('resource-guard: "tokenExchange.store" must be a Store (get, set, add)');
  const shared = !isInProcessStore(store);
  const encryptionKey = raw.encryptionKey === undefined ? undefined : readEncryptionKey(raw.encryptionKey);
  if (shared && encryptionKey === undefined) {
    throw new TypeError('resource-guard: "tokenExchange.encryptionKey" (32 bytes) is required with a store other than the memory store: exchanged tokens are bearer credentials');
  }
  if (raw.fetch !== undefined && typeof raw.fetch !== 'function') throw new TypeError('resource-guard: "tokenExchange.fetch" must be a function');
  return {
    ...clientAuth,
    tokenEndpoint: raw.tokenEndpoint === undefined ? undefined : parseServerUrl(raw.tokenEndpoint, 'tokenExchange.tokenEndpoint', guard.allowInsecureRequests),
    store,
    encryptionKey: shared ? encryptionKey : undefined,
    expirySkew: readNumber(raw.expirySkew, 'tokenExchange.expirySkew', 60),
    timeout: readNumber(raw.timeout, 'tokenExchange.timeout', guard.httpTimeout, 1),
    dpop: raw.dpop === undefined ? undefined : readDpopKey(raw.dpop),
    fetch: raw.fetch ?? guard.fetch,
    upstreamFetch: guard.fetch,
  };
}

function readEncryptionKey(value: unknown): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string' && /^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) bytes = decodeBase64(value);
  if (bytes?.length !== 32) throw new TypeError('resource-guard: "tokenExchange.encryptionKey" must be 32 bytes (a Uint8Array, or base64/base64url text)');
  return Uint8Array.from(bytes);
}

function readDpopKey(value: unknown): SigningKey {
  assertObject(value, 'tokenExchange.dpop');
  assertKnownKeys(value as object, KNOWN_DPOP_KEYS, 'tokenExchange.dpop');
  const { key, alg } = value as { key?: unknown; alg?: unknown };
  return readSigningKey(key, alg, undefined, 'tokenExchange.dpop');
}
