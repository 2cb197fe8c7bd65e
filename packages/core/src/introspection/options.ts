import { readBearerCredential } from './bearer-credential.js';
import {
  resolveClientAuth, type BearerTokenGrantOptions, type BearerTokenProvider, type ClientAuthMethod, type PrivateKeyJwtOptions, type ResolvedClientAuth,
} from './client-auth.js';
import {
  assertKnownKeys, assertNonEmptyString, assertObject, knownKeys, parseServerUrl, readBoolean, readNumber,
} from '../options/validate.js';

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
  /**
   * This resource server's client id at the authorization server (RFC 7662 §2.1 client
   * authentication). Required, except with `clientAuth` `none` or `bearer` (then sent only with
   * `none`, as `client_id`), and with `jwtResponse` always (the answer's `aud`).
   */
  clientId?: string;
  /** Client secret, for `client_secret_basic` / `client_secret_post` (and only those). */
  clientSecret?: string;
  /**
   * Client authentication method (RFC 7662 §2.1 requires the resource server to authenticate
   * somehow). Default `client_secret_basic`: HTTP Basic with the id and the secret each
   * `application/x-www-form-urlencoded` before base64 (RFC 6749 §2.3.1), so ids and secrets with
   * `:`, `%`, `+` or spaces work. `client_secret_post`: both in the form body. `private_key_jwt`
   * (RFC 7523 §2.2): a JWT signed with {@link privateKeyJwt}, fresh per call. `bearer`:
   * `Authorization: Bearer <bearerToken>` (an endpoint behind a gateway, an AS that protects
   * introspection with an access token). `none`: no credentials, `client_id` only when set (an
   * endpoint reachable only by the resource server, e.g. Ory Hydra's admin port).
   */
  clientAuth?: ClientAuthMethod;
  /**
   * With `clientAuth: 'bearer'` (and only then), what is sent as `Authorization: Bearer`: a fixed
   * token; a {@link BearerTokenProvider} function, called before each introspection call (with
   * `renew: true` after a 401, then the call is retried once); or a client-credentials grant
   * ({@link BearerTokenGrantOptions}: `tokenEndpoint`, `clientId`, `clientSecret`, `scope`) the guard
   * makes itself, keeping the token until shortly before `expires_in` runs out (a quarter of its
   * lifetime, at most 60 s, ahead; without `expires_in`, until refused), one request at a time,
   * renewed and retried once on a 401. Failing to get a token is a 503
   * `ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE`.
   */
  bearerToken?: string | BearerTokenProvider | BearerTokenGrantOptions;
  /** Key and claims of the client assertion with `clientAuth: 'private_key_jwt'` (and only then). */
  privateKeyJwt?: PrivateKeyJwtOptions;
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
  /**
   * Accept an active answer without `aud` (RFC 7662 §2.2 makes it optional; django-oauth-toolkit
   * never sends one). Default false: such an answer is refused (401 `invalid_token`,
   * `ERR_INTROSPECTION_AUDIENCE_MISSING`), because nothing then shows the token was issued for this
   * resource rather than for any other client of the authorization server. Turn it on only for an
   * authorization server that answers `active: true` solely about tokens meant for the client
   * that asks. RFC 9701 answers alike (the response JWT's own `aud` names the caller, not the token's
   * audience). An `aud` that is present is always checked.
   */
  allowMissingAudience?: boolean;
  /**
   * What a cache lookup does when the `store` fails (throws, rejects, times out — a shared Redis
   * that is down). `'fall-through'` (default): introspect as on a miss, so a store outage costs
   * introspection calls, not availability. `'fail-closed'`: answer 503
   * (`ERR_INTROSPECTION_STORE_UNAVAILABLE`, `Retry-After`) without calling the authorization
   * server, for one that cannot take every instance's traffic uncached. A failed write never fails
   * the request: the answer is already there.
   */
  storeFailure?: 'fall-through' | 'fail-closed';
}

/** {@link IntrospectionOptions} after start-up validation and defaults; internal. */
export interface ResolvedIntrospection extends ResolvedClientAuth {
  /** The configured endpoint; `undefined` → the first issuer's `introspection_endpoint` metadata. */
  endpoint: URL | undefined;
  /** Seconds; 0 disables caching and request coalescing. */
  cacheTtl: number;
  /** Seconds; ≤ cacheTtl. */
  inactiveCacheTtl: number;
  /** Milliseconds. */
  timeout: number;
  jwtResponse: boolean;
  /** Seconds. */
  jwtResponseMaxAge: number;
  tokenTypeHint: string | undefined;
  introspectJwts: boolean;
  allowMissingAudience: boolean;
  /** `storeFailure: 'fail-closed'`: a failed cache read is a 503, not an introspection call. */
  failClosedOnStore: boolean;
}

/** What the introspection defaults depend on among the guard's own options. */
export interface IntrospectionDefaults {
  /** Without `introspection.endpoint`, exactly one issuer must be trusted (its metadata names the endpoint). */
  issuerCount: number;
  allowInsecureRequests: boolean;
  /** Milliseconds; the default `introspection.timeout`. */
  httpTimeout: number;
}

const KNOWN_KEYS = knownKeys<IntrospectionOptions>()([
  'endpoint', 'clientId', 'clientSecret', 'clientAuth', 'bearerToken', 'privateKeyJwt', 'cacheTtl', 'inactiveCacheTtl', 'timeout',
  'jwtResponse', 'jwtResponseMaxAge', 'tokenTypeHint', 'introspectJwts', 'storeFailure', 'allowMissingAudience',
]);
const STORE_FAILURE_MODES = ['fall-through', 'fail-closed'] as const;

/**
 * Validates `options.introspection` once, at start-up. Every bad value throws a `TypeError` that
 * names the option, e.g. `resource-guard: "introspection.clientId" must be ...`; unknown keys are
 * rejected so that a typo cannot silently turn a check or the cache off.
 */
export function resolveIntrospectionOptions(raw: IntrospectionOptions | undefined, guard: IntrospectionDefaults): ResolvedIntrospection | undefined {
  if (raw === undefined) return undefined;
  assertObject(raw, 'introspection');
  assertKnownKeys(raw, KNOWN_KEYS, 'introspection');

  let endpoint: URL | undefined;
  if (raw.endpoint !== undefined) {
    endpoint = parseServerUrl(raw.endpoint, 'introspection.endpoint', guard.allowInsecureRequests);
  } else if (guard.issuerCount !== 1) {
    throw new TypeError('resource-guard: "introspection.endpoint" is required when several issuers are configured');
  }

  const clientAuth = resolveClientAuth(raw, 'introspection', undefined, (value, name) => readBearerCredential(value, name, guard.allowInsecureRequests));

  const cacheTtl = readNumber(raw.cacheTtl, 'introspection.cacheTtl', 60);
  const inactiveCacheTtl = readNumber(raw.inactiveCacheTtl, 'introspection.inactiveCacheTtl', Math.min(5, cacheTtl));
  if (inactiveCacheTtl > cacheTtl) {
    throw new TypeError('resource-guard: "introspection.inactiveCacheTtl" must not exceed "introspection.cacheTtl"');
  }

  let tokenTypeHint: string | undefined = 'access_token';
  if (raw.tokenTypeHint === false) tokenTypeHint = undefined;
  else if (raw.tokenTypeHint !== undefined) {
    assertNonEmptyString(raw.tokenTypeHint, 'introspection.tokenTypeHint');
    tokenTypeHint = raw.tokenTypeHint;
  }

  const storeFailure = raw.storeFailure ?? 'fall-through';
  if (!STORE_FAILURE_MODES.includes(storeFailure)) {
    throw new TypeError(`resource-guard: "introspection.storeFailure" must be one of ${STORE_FAILURE_MODES.join(', ')}`);
  }

  return {
    endpoint,
    ...clientAuth,
    cacheTtl,
    inactiveCacheTtl,
    timeout: readNumber(raw.timeout, 'introspection.timeout', guard.httpTimeout, 1),
    jwtResponse: readBoolean(raw.jwtResponse, 'introspection.jwtResponse', false),
    jwtResponseMaxAge: readNumber(raw.jwtResponseMaxAge, 'introspection.jwtResponseMaxAge', 60, 1),
    tokenTypeHint,
    introspectJwts: readBoolean(raw.introspectJwts, 'introspection.introspectJwts', false),
    allowMissingAudience: readBoolean(raw.allowMissingAudience, 'introspection.allowMissingAudience', false),
    failClosedOnStore: storeFailure === 'fail-closed',
  };
}
