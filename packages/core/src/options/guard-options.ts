import { createSecretKey, type KeyObject } from 'node:crypto';
import type { GuardRequest } from '../http/request.js';
import type { ClaimValidator } from '../pipeline/validators.js';
import { createMemoryStore, type Store } from '../store/memory-store.js';
import { resolveEncryptedTokens, type EncryptedTokenOptions, type ResolvedEncryptedTokens } from '../jwe/jwe-format.js';
import { resolveResourceMetadata, type ResolvedResourceMetadata, type ResourceMetadataOptions } from '../metadata/options.js';
import {
  assertKnownKeys, assertObject, parseServerUrl, readBoolean, readNumber, toStringList,
} from './validate.js';

/** Where the guard looks for the access token (RFC 6750 §2). */
export type TokenLocation = 'header' | 'body' | 'query';

/** Minimal logger for misconfiguration reports; never receives tokens or claims. */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

/** Asymmetric JWS algorithms accepted by default for access tokens (RFC 8725 §3.1). */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

/** Every JWS algorithm the guard can verify. `none` is not one of them, in any casing. */
export const SUPPORTED_ALGORITHMS: readonly string[] = Object.freeze([...DEFAULT_ALGORITHMS, 'HS256', 'HS384', 'HS512']);

/** RFC 9068 §2.2 claims required by default, on top of `iss`, `aud` and `exp`, which are always required. */
export const DEFAULT_REQUIRED_CLAIMS: readonly string[] = Object.freeze(['sub', 'client_id', 'iat', 'jti']);

/**
 * Opaque-token introspection (RFC 7662, RFC 9701). Enables tokens that are not JWTs: such a token
 * is sent to the authorization server's introspection endpoint and accepted only when it answers
 * `active: true` (a JSON boolean) and the response passes the local `exp`/`nbf`/`aud`/`iss` checks.
 *
 * Validated at start-up by `createGuard()` (a `TypeError` naming the option). Results are cached
 * in the guard's `store` under a SHA-256 hash of the token, never past the token's `exp`.
 * JWT-shaped tokens still go to local JWT validation unless {@link introspectJwts} is set.
 */
export interface IntrospectionOptions {
  /**
   * Introspection endpoint URL (https; plain http only on loopback or with `allowInsecureRequests`).
   * Default: the `introspection_endpoint` metadata (RFC 8414 §2) of the issuer, discovered on first
   * use. Required when several issuers are configured: the guard cannot guess whose endpoint it is.
   */
  endpoint?: string;
  /** This resource server's client id at the authorization server (RFC 7662 §2.1 client authentication). */
  clientId: string;
  /**
   * Client secret for `client_secret_basic` / `client_secret_post`. Required: RFC 7662 §2.1 demands
   * that the resource server authenticates, and both supported methods use a secret.
   */
  clientSecret?: string;
  /**
   * Client authentication method. Default `client_secret_basic`: HTTP Basic with the id and the
   * secret each `application/x-www-form-urlencoded` before base64 (RFC 6749 §2.3.1), so ids and
   * secrets with `:`, `%`, `+` or spaces work. `client_secret_post` sends them in the form body.
   */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /**
   * Longest time, in seconds, an `active: true` result is cached; never past the token's `exp`
   * (TTL = min(cacheTtl, exp − now)). Default 60. `0` disables caching *and* request coalescing:
   * every request introspects, so a revocation at the authorization server takes effect on the next
   * request. Otherwise a revocation is seen at most `cacheTtl` seconds late.
   */
  cacheTtl?: number;
  /**
   * Time, in seconds, an `active: false` result is cached, so a repeated bad token does not hit the
   * authorization server on every request. Default 5 (or `cacheTtl` when smaller); must not exceed
   * `cacheTtl`. `0` never caches inactive results.
   */
  inactiveCacheTtl?: number;
  /** Request timeout in milliseconds; past it the request gets a 503. Default: the guard's `httpTimeout` (5000). */
  timeout?: number;
  /**
   * Ask for RFC 9701 signed JWT responses (`Accept: application/token-introspection+jwt`) and accept
   * nothing else. The response is verified with the issuer's JWKS: `typ`, signature (asymmetric
   * algorithms from `algorithms` only), `iss`, `aud` = {@link clientId}, fresh `iat`; only its
   * `token_introspection` member is read. Default false. The client must be registered for it
   * (`introspection_signed_response_alg`); encrypted responses are not supported.
   */
  jwtResponse?: boolean;
  /** Longest accepted age, in seconds, of an RFC 9701 response's `iat` (plus `clockTolerance`). Default 60. */
  jwtResponseMaxAge?: number;
  /** `token_type_hint` sent with each request (RFC 7662 §2.1); `false` sends none. Default `access_token`. */
  tokenTypeHint?: string | false;
  /**
   * Send JWT-shaped tokens to introspection too, instead of validating them locally. Default false.
   * Use it when the authorization server must be asked about every token (e.g. to see revocations of
   * JWTs); the authorization server must then support introspecting its JWTs.
   */
  introspectJwts?: boolean;
}

/**
 * DPoP (RFC 9449): sender-constrained tokens. A token with `cnf.jkt` (or an introspection response
 * with `token_type: DPoP`) is accepted only as `Authorization: DPoP <token>` with exactly one
 * `DPoP` proof header that passes every RFC 9449 §4.3 check, covers this token (`ath`), was signed
 * by the key the token is bound to, and was not seen before (`jti`, via the guard's `store`).
 *
 * Validated at start-up (`TypeError` naming `dpop.<option>`; unknown options rejected).
 * Deliberately not done: refresh-token binding and token-endpoint proofs (authorization-server
 * concerns), and trusting a proof's `kid`/`x5c`/`jku` — the key is always the embedded `jwk`.
 */
export interface DpopOptions {
  /**
   * Reject every token that is not DPoP-bound, and advertise only the `DPoP` scheme in challenges.
   * Default false: bearer tokens still work, DPoP-bound tokens need a proof.
   */
  required?: boolean;
  /**
   * Proof JWS algorithms accepted (RFC 9449 §4.3 check 5), advertised in `DPoP algs="…"`. Asymmetric
   * only: `none` and `HS*` are refused at start-up. Default ES256, ES384, ES512, PS256, PS384,
   * PS512, RS256, RS384, RS512, EdDSA, Ed25519.
   */
  algorithms?: string[];
  /**
   * Longest accepted proof age in seconds, measured from its `iat` (plus `dpop.clockTolerance`).
   * It also sets the replay window: a proof's `jti` is remembered for `proofMaxAge` + 2 ×
   * `dpop.clockTolerance` seconds (with `nonce` on, at most two nonce lifetimes). Default 300.
   */
  proofMaxAge?: number;
  /**
   * Leeway for a proof's `iat`, in seconds, in both directions: clients' clocks drift, and proofs
   * dated up to this far in the future (or past `proofMaxAge`) are accepted. Separate from the
   * guard's `clockTolerance`, which applies to access tokens. Default 10 (the OpenID FAPI 2.0
   * conformance suite checks ±10 s).
   */
  clockTolerance?: number;
  /**
   * Most proofs one DPoP key may present per replay window (counted with the store's atomic
   * `increment`, across every process sharing the store). Past it, requests with that key get a
   * 503 with `Retry-After` until the window ends, while every other key keeps working: one client
   * cannot fill the replay store for all (each accepted proof leaves a marker for the whole
   * window). Default 10,000 — about 32 requests per second per key at the default window; raise
   * it for busy machine clients, or shrink the window with `proofMaxAge` or `nonce`. Not enforced
   * with a custom store that has no `increment`.
   */
  maxProofsPerKey?: number;
  /**
   * Server nonces (RFC 9449 §9). Default off. When on, a proof without a current nonce gets
   * 401 `DPoP error="use_dpop_nonce"` with a fresh `DPoP-Nonce` header, and a successful response
   * carries the next nonce (`DPoP-Nonce`, with `Cache-Control: no-store`) once the nonce has rotated.
   * Nonces are stateless (HMAC-SHA256 of a time step): `true` uses a random per-process secret;
   * `{ secret }` (≥ 32 bytes) lets every process that shares it accept the others' nonces.
   * `lifetime` is the time step in seconds (default 300): a nonce stays valid in its step and the
   * next, i.e. for `lifetime` to 2 × `lifetime` seconds.
   *
   * Browser clients across origins can read the headers only if CORS exposes them:
   * `Access-Control-Expose-Headers: DPoP-Nonce, WWW-Authenticate`.
   */
  nonce?: boolean | { secret: string | Uint8Array; lifetime?: number };
  /**
   * Public base URL (e.g. `https://api.example.com`, optionally with a path prefix that a proxy
   * strips) used for the proof's `htu` instead of the request's own scheme and host; the request
   * path is appended. Default: the request URL as the adapter built it. The request's `Host` is
   * client-controlled: the adapters build the origin from the framework's trust-proxy settings
   * (Express `trust proxy`, Koa `app.proxy`), so set this whenever those are not configured
   * exactly for your proxies.
   */
  baseUrl?: string;
}

/**
 * Mutual-TLS certificate-bound access tokens (RFC 8705 §3). A token with `cnf["x5t#S256"]` is
 * accepted only when this request's client certificate has that SHA-256 thumbprint. Validated at
 * start-up (`TypeError` naming `mtls.<option>`; unknown options rejected).
 *
 * The certificate comes from the TLS connection (the adapters read the socket's peer certificate,
 * so the server must ask for one: `https.createServer({ requestCert: true, ... })`), or — only when
 * configured — from `trustedProxyHeader` or `certificate`. Chain validation is deliberately **not**
 * done here (RFC 8705 §6.2 / §3): the token is bound to the exact certificate, which the TLS layer
 * already made the client prove possession of; which issuers are acceptable is the TLS server's
 * (`rejectUnauthorized`, `ca`) and the authorization server's business. Self-signed certificates
 * (RFC 8705 §2.2) therefore work with `rejectUnauthorized: false`.
 */
export interface MtlsOptions {
  /** Reject every token that is not certificate-bound. Default false. */
  required?: boolean;
  /**
   * Name of a header in which a TLS-terminating proxy forwards the client certificate: URL-encoded
   * PEM (nginx `$ssl_client_escaped_cert`, AWS ALB), PEM, or base64 DER. Read **only** when set, and
   * then instead of the socket. Only set it when every request reaches this server through that
   * proxy and the proxy overwrites (never appends to) the header: otherwise any client can claim
   * any certificate. Two such header fields are rejected. Default: unset.
   */
  trustedProxyHeader?: string;
  /**
   * Custom source of the client certificate (DER bytes, or PEM / base64 DER text), e.g. for proxy
   * formats such as Envoy's `x-forwarded-client-cert`. Replaces both the socket and
   * `trustedProxyHeader` (which cannot be set together with it). Default: unset.
   */
  certificate?: (request: GuardRequest) =>
    Uint8Array | string | undefined | Promise<Uint8Array | string | undefined>;
}

/**
 * Options of {@link createGuard}. Durations: seconds for token times and cache TTLs,
 * milliseconds for network timeouts.
 */
export interface GuardOptions {
  /** Trusted issuer(s), matched exactly against `iss`. Endpoints are discovered unless given. */
  issuer: string | string[];
  /** This resource's identifier(s); a token's `aud` must contain one of them. Required. */
  audience: string | string[];
  /** JWKS URL; skips discovery. Only with a single issuer. */
  jwksUri?: string;
  /** JWS allow-list for access tokens. Default {@link DEFAULT_ALGORITHMS}; HS* only with `secret`. */
  algorithms?: string[];
  /** Shared secret (≥ 32 bytes) for HS256/384/512 tokens. Never used for asymmetric algorithms. */
  secret?: string | Uint8Array;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockTolerance?: number;
  /** Claims that must be present in every token. Default `sub`, `client_id`, `iat`, `jti` (RFC 9068 §2.2). */
  requiredClaims?: string[];
  /**
   * Also accept `typ: JWT` or no `typ` (authorization servers predating RFC 9068). Default false:
   * only `at+jwt` / `application/at+jwt`. Other explicit types (`dpop+jwt`, ...) stay rejected.
   */
  allowGenericJwtTyp?: boolean;
  /** Where tokens may come from. Default `['header']`. */
  tokenLocations?: TokenLocation[];
  /** `realm` of the challenges. Default: the first audience. */
  realm?: string;
  /** Timeout of discovery and JWKS requests, in milliseconds. Default 5000. */
  httpTimeout?: number;
  /** Least time between JWKS refetches caused by unknown `kid`s, in seconds. Default 30. */
  jwksCooldown?: number;
  /** Age after which a JWKS is refetched before use, in seconds. Default 600. */
  jwksCacheMaxAge?: number;
  /** Allow plain-http authorization-server URLs off loopback. Default false. */
  allowInsecureRequests?: boolean;
  /** Longest accepted token, in characters. Default 16384. */
  maxTokenLength?: number;
  /** `fetch` used for every outbound request (proxies, custom agents). Default global `fetch`. */
  fetch?: typeof fetch;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
  /** Opaque tokens through RFC 7662 introspection. Default off. */
  introspection?: IntrospectionOptions;
  /** DPoP (RFC 9449). Default on for DPoP-bound tokens with default settings. */
  dpop?: DpopOptions | boolean;
  /** Certificate-bound tokens (RFC 8705). Default on for bound tokens, certificate from the TLS socket. */
  mtls?: MtlsOptions | boolean;
  /** Opt-in cache of verified JWTs (bounded, keyed by SHA-256, never past `exp`). Default off. */
  verifiedTokenCache?: boolean | { max?: number };
  /**
   * Verify the signatures of access tokens and DPoP proofs on libuv's thread pool (`node:crypto`'s
   * callback form) instead of the event loop. Default false. Worth it when the process has idle cores: the event loop
   * keeps serving while signatures are checked (measured ~1.4× the throughput of the default on
   * 2 cores), at the price of a thread hop per token (more latency at low load) and a share of
   * the pool that `fs`, `dns` and `zlib` also use (`UV_THREADPOOL_SIZE`, default 4). HMAC
   * tokens and RFC 9701 introspection responses are always verified in place. The order of the
   * checks does not change: a DPoP proof is still judged before the token.
   */
  offloadSignatures?: boolean;
  /** Cache and replay store. Default a bounded in-memory store ({@link createMemoryStore}). */
  store?: Store;
  /** Where misconfigurations are reported. Default `console`. */
  logger?: Logger;
  /**
   * Extra claim checks run on every token, JWT or introspected, after the built-in ones (and again
   * on every verified-token cache hit): claim name → an exact value, a list of accepted values, or
   * a predicate `(value, claims) => boolean`. A token that fails one is rejected with 401
   * `invalid_token`, code `ERR_TOKEN_VALIDATOR_FAILED`. Validated at start-up. Default none.
   * Route-specific conditions belong in `requireClaims()` (403) instead.
   */
  validators?: Readonly<Record<string, ClaimValidator>>;
  /**
   * Publish OAuth 2.0 Protected Resource Metadata (RFC 9728) for this resource, and add
   * `resource_metadata="<metadata URL>"` to every challenge (§5.1). Serve the document with the
   * adapters' `protectedResourceMetadata()`. Default off.
   */
  resourceMetadata?: ResourceMetadataOptions;
  /**
   * Accept encrypted JWT access tokens (JWE, RFC 9068 §2.1), decrypted with these keys; with
   * `required`, accept nothing else. Default off (five-segment tokens are then not JWTs).
   */
  encryptedTokens?: EncryptedTokenOptions;
}

/** Options after validation and defaults; internal. */
export interface ResolvedOptions {
  issuers: string[];
  audiences: ReadonlySet<string>;
  jwksUri: URL | undefined;
  algorithms: ReadonlySet<string>;
  secret: KeyObject | undefined;
  clockTolerance: number;
  requiredClaims: readonly string[];
  allowGenericJwtTyp: boolean;
  tokenLocations: ReadonlySet<TokenLocation>;
  realm: string;
  httpTimeout: number;
  jwksCooldown: number;
  jwksCacheMaxAge: number;
  allowInsecureRequests: boolean;
  maxTokenLength: number;
  fetch: typeof fetch;
  clock: () => number;
  introspection: IntrospectionOptions | undefined;
  dpop: DpopOptions | undefined;
  mtls: MtlsOptions | undefined;
  verifiedTokenCache: { max: number } | undefined;
  offloadSignatures: boolean;
  store: Store;
  logger: Logger;
  validators: Readonly<Record<string, ClaimValidator>>;
  resourceMetadata: ResolvedResourceMetadata | undefined;
  encryptedTokens: ResolvedEncryptedTokens | undefined;
}

const KNOWN_OPTIONS = [
  'issuer', 'audience', 'jwksUri', 'algorithms', 'secret', 'clockTolerance', 'requiredClaims', 'allowGenericJwtTyp',
  'tokenLocations', 'realm', 'httpTimeout', 'jwksCooldown', 'jwksCacheMaxAge', 'allowInsecureRequests', 'maxTokenLength',
  'fetch', 'clock', 'introspection', 'dpop', 'mtls', 'verifiedTokenCache', 'offloadSignatures', 'store', 'logger', 'validators',
  'resourceMetadata', 'encryptedTokens',
] as const;

const TOKEN_LOCATIONS: readonly TokenLocation[] = ['header', 'body', 'query'];

/** Validates `options` once and applies defaults. Throws a `TypeError` naming the bad option. */
export function resolveOptions(options: GuardOptions): ResolvedOptions {
  assertObject(options, 'options');
  if (options === undefined) throw new TypeError('resource-guard: createGuard() needs an options object');
  assertKnownKeys(options, KNOWN_OPTIONS, '');
  const allowInsecureRequests = readBoolean(options.allowInsecureRequests, 'allowInsecureRequests', false);

  const issuers = toStringList(options.issuer, 'issuer');
  for (const issuer of issuers) parseServerUrl(issuer, 'issuer', allowInsecureRequests);
  const audiences = new Set(toStringList(options.audience, 'audience'));

  let jwksUri: URL | undefined;
  if (options.jwksUri !== undefined) {
    if (issuers.length !== 1) throw new TypeError('resource-guard: "jwksUri" can only be used with a single issuer');
    jwksUri = parseServerUrl(options.jwksUri, 'jwksUri', allowInsecureRequests);
  }

  const secret = readSecret(options.secret);
  const algorithms = readAlgorithms(options.algorithms, secret !== undefined);

  const requiredClaims = options.requiredClaims === undefined
    ? DEFAULT_REQUIRED_CLAIMS
    : readClaimNames(options.requiredClaims);

  const tokenLocations = new Set<TokenLocation>(options.tokenLocations ?? ['header']);
  if (!Array.isArray(options.tokenLocations ?? []) || tokenLocations.size === 0
    || [...tokenLocations].some((location) => !TOKEN_LOCATIONS.includes(location))) {
    throw new TypeError('resource-guard: "tokenLocations" must be a non-empty array of "header", "body", "query"');
  }

  const realm = options.realm ?? [...audiences][0]!;
  if (typeof realm !== 'string' || !/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(realm)) {
    throw new TypeError('resource-guard: "realm" must be a non-empty string of printable ASCII without `"` or `\\`');
  }

  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('resource-guard: "fetch" must be a function');
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('resource-guard: "clock" must be a function');
  assertObject(options.introspection, 'introspection');
  if (typeof options.dpop !== 'boolean') assertObject(options.dpop, 'dpop');
  if (typeof options.mtls !== 'boolean') assertObject(options.mtls, 'mtls');
  assertObject(options.validators, 'validators');
  if (options.store !== undefined && !isStore(options.store)) {
    throw new TypeError('resource-guard: "store" must implement get(), set() and add()');
  }
  if (options.logger !== undefined && (typeof options.logger?.warn !== 'function' || typeof options.logger?.error !== 'function')) {
    throw new TypeError('resource-guard: "logger" must have warn() and error() methods');
  }

  return {
    issuers,
    audiences,
    jwksUri,
    algorithms,
    secret,
    clockTolerance: readNumber(options.clockTolerance, 'clockTolerance', 5),
    requiredClaims,
    allowGenericJwtTyp: readBoolean(options.allowGenericJwtTyp, 'allowGenericJwtTyp', false),
    tokenLocations,
    realm,
    httpTimeout: readNumber(options.httpTimeout, 'httpTimeout', 5000, 1),
    jwksCooldown: readNumber(options.jwksCooldown, 'jwksCooldown', 30),
    jwksCacheMaxAge: readNumber(options.jwksCacheMaxAge, 'jwksCacheMaxAge', 600, 1),
    allowInsecureRequests,
    maxTokenLength: readNumber(options.maxTokenLength, 'maxTokenLength', 16_384, 16),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: options.clock ?? Date.now,
    introspection: options.introspection,
    // `true` and absent both mean "on with defaults"; `false` turns the binding off.
    dpop: options.dpop === false ? undefined : (options.dpop === true ? {} : (options.dpop ?? {})),
    mtls: options.mtls === false ? undefined : (options.mtls === true ? {} : (options.mtls ?? {})),
    verifiedTokenCache: readVerifiedTokenCache(options.verifiedTokenCache),
    offloadSignatures: readBoolean(options.offloadSignatures, 'offloadSignatures', false),
    store: options.store ?? createMemoryStore({ max: 10_000, clock: options.clock }),
    logger: options.logger ?? console,
    validators: options.validators ?? {},
    resourceMetadata: resolveResourceMetadata(options.resourceMetadata, audiences, allowInsecureRequests),
    encryptedTokens: resolveEncryptedTokens(options.encryptedTokens),
  };
}

function readSecret(secret: GuardOptions['secret']): KeyObject | undefined {
  if (secret === undefined) return undefined;
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 32) {
    throw new TypeError('resource-guard: "secret" must be a string or Uint8Array of at least 32 bytes (RFC 7518 §3.2)');
  }
  return createSecretKey(Buffer.from(bytes));
}

function readAlgorithms(value: unknown, hasSecret: boolean): ReadonlySet<string> {
  if (value === undefined) {
    return new Set(hasSecret ? [...DEFAULT_ALGORITHMS, 'HS256', 'HS384', 'HS512'] : DEFAULT_ALGORITHMS);
  }
  const list = toStringList(value, 'algorithms');
  for (const alg of list) {
    if (!SUPPORTED_ALGORITHMS.includes(alg)) {
      throw new TypeError(`resource-guard: "algorithms" contains unsupported "${alg}" (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`);
    }
    if (alg.startsWith('HS') && !hasSecret) {
      throw new TypeError(`resource-guard: "algorithms" contains ${alg}, which needs "secret"`);
    }
  }
  return new Set(list);
}

function readClaimNames(value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string' && name.length > 0)) {
    throw new TypeError('resource-guard: "requiredClaims" must be an array of claim names');
  }
  return [...new Set(value as string[])];
}

function readVerifiedTokenCache(value: GuardOptions['verifiedTokenCache']): { max: number } | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { max: 10_000 };
  assertObject(value, 'verifiedTokenCache');
  return { max: readNumber(value.max, 'verifiedTokenCache.max', 10_000, 1) };
}

function isStore(value: unknown): value is Store {
  const store = value as Partial<Store> | null;
  return typeof store === 'object' && store !== null
    && typeof store.get === 'function' && typeof store.set === 'function' && typeof store.add === 'function';
}
