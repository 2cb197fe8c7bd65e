import { verifiesSynchronously } from '#crypto-backend';
import type { BackendKey } from '../crypto/backend.js';
import type { OffloadSignatures } from '../jws/jws.js';
import {
  DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS, readAlgorithms, readSecret,
} from './algorithms.js';
import { resolveDpopOptions, type DpopOptions, type DpopSettings } from '../dpop/options.js';
import { resolveIntrospectionOptions, type IntrospectionOptions, type ResolvedIntrospection } from '../introspection/options.js';
import { resolveMtlsOptions, type MtlsOptions, type MtlsSettings } from '../mtls/options.js';
// `ClaimValidator` of pipeline/validators.ts is this type; imported from its leaf, so that the options do not import the pipeline (no import loop).
import type { ClaimCondition as ClaimValidator } from '../requirements/requirements.js';
import { readVerifiedTokenCacheOption } from '../pipeline/verified-cache.js';
import { createMemoryStore, isStore, type Store } from '../store/memory-store.js';
import { resolveEncryptedTokens, type EncryptedTokenOptions, type ResolvedEncryptedTokens } from '../jwe/jwe-format.js';
import { resolveScopeHierarchy, type ScopeHierarchy, type ScopeHierarchyOption } from '../requirements/scope-hierarchy.js';
import { resolveResourceMetadata, type ResolvedResourceMetadata, type ResourceMetadataOptions } from '../metadata/options.js';
import {
  assertKnownKeys, assertObject, knownKeys, readBoolean, readNumber, toStringList,
} from './validate.js';
import { PROVIDER_PROFILES, type ProfileName, type ProviderProfile } from '../profiles/profiles.js';
import { resolveProfile } from '../profiles/resolve-profile.js';
import type { IssuerTemplate, TenantFilter, TenantTest } from '../issuer/tenant-issuers.js';
import { resolveIssuerOptions } from '../issuer/issuer-options.js';
import { describeOpenIssuers, readPrincipals, type PrincipalFilter, type PrincipalTest } from '../issuer/principals.js';
import { resolveTelemetryOptions, type TelemetryOptions } from '../telemetry/options.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { resolveFapiOption, type FapiOptions, type FapiSettings, type FapiVersion } from '../fapi/options.js';
import { FAPI2_ALGORITHMS, assertFapi2Options } from '../fapi/fapi-2.js';

export type { DpopOptions, IntrospectionOptions, MtlsOptions, PrincipalFilter, ProfileName, TelemetryOptions, TenantFilter };
export { DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS };

/** Where the guard looks for the access token (RFC 6750 §2). */
export type TokenLocation = 'header' | 'body' | 'query';

/** Minimal logger for misconfiguration reports; never receives tokens or claims. */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
  /** One line per rejection with its `detail`, only when `logRejections` is on. */
  debug?(message: string): void;
}

/** RFC 9068 §2.2 claims required by default, on top of `iss`, `aud` and `exp`, which are always required. */
export const DEFAULT_REQUIRED_CLAIMS: readonly string[] = PROVIDER_PROFILES.rfc9068.requiredClaims;

/**
 * Options of {@link createGuard}. Durations: seconds for token times and cache TTLs,
 * milliseconds for network timeouts.
 */
export interface GuardOptions {
  /**
   * Trusted issuer(s), matched exactly against `iss`. Endpoints are discovered unless given. Or
   * issuer templates with `{tenantid}` as a whole path segment (Entra multi-tenant, e.g.
   * `https://login.microsoftonline.com/{tenantid}/v2.0`): then `tenants` and `jwksUri` are required,
   * plain issuers cannot be mixed in, and a token's `tid` must equal the tenant in its `iss`.
   */
  issuer: string | string[];
  /**
   * With issuer templates: the accepted tenants, a list of tenant ids (matched exactly) or a
   * predicate called with a tenant id that is a lower-case GUID. Default none. With a list, the
   * RFC 9728 metadata names every listed tenant's issuer in `authorization_servers`; with a
   * predicate it names none (its tenants cannot be listed).
   */
  tenants?: TenantFilter;
  /**
   * A provider's documented defaults (docs/providers.md): `typ` handling, required claims, where
   * the client id and the scopes are, how the audience is matched, and the checks that keep the
   * provider's ID tokens out. Each default is overridden by its own option. Default `rfc9068`
   * (RFC 9068 access tokens only).
   */
  profile?: ProfileName;
  /** This resource's identifier(s); a token's `aud` must contain one of them. Required. */
  audience: string | string[];
  /** JWKS URL; skips discovery. Only with a single issuer, or with issuer templates (one key set for every tenant). */
  jwksUri?: string;
  /** JWS allow-list for access tokens. Default {@link DEFAULT_ALGORITHMS}; HS* only with `secret`. */
  algorithms?: string[];
  /**
   * Shared secret (≥ 32 bytes) for HS256/384/512 tokens. Never used for asymmetric algorithms, and
   * only for the tokens of the issuer(s) it belongs to: the sole `issuer`, or those named by
   * {@link secretIssuer} (required with several issuers).
   */
  secret?: string | Uint8Array;
  /**
   * The issuer(s) whose HS* tokens `secret` verifies, each one of `issuer`. Required with a
   * `secret` and several issuers (a `TypeError` otherwise): an HS* token claiming another trusted
   * issuer's `iss` is then refused (`ERR_JWT_ALG_NOT_ALLOWED`), never checked with the secret.
   * Default: the sole issuer.
   */
  secretIssuer?: string | string[];
  /**
   * The callers accepted, for issuers anyone can obtain a token from for any audience (Google ID
   * tokens, GitHub Actions and GitLab.com CI job tokens): `azp`, `email` (with
   * `email_verified: true`) or `sub` values, or a predicate over the verified claims. Required under
   * `profile: 'google'` and with such an issuer (a `TypeError` at start-up otherwise); allowed with
   * any issuer. A token of another caller is refused with `ERR_TOKEN_PRINCIPAL_UNTRUSTED`.
   * Default none.
   */
  principals?: PrincipalFilter;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockTolerance?: number;
  /** Claims that must be present in every token. Default `sub`, `client_id`, `iat`, `jti` (RFC 9068 §2.2), or the profile's. */
  requiredClaims?: string[];
  /**
   * Claim(s) naming the client when `client_id` is absent, read in order into `auth.clientId`
   * (e.g. `azp`). Default the profile's (`rfc9068`: none).
   */
  clientIdClaim?: string | string[];
  /**
   * Claims holding the scopes the *client* was granted, in order: the first one the token carries
   * (space-separated string or array of strings) becomes `auth.scopes`; the others are not read, so
   * `['scp', 'roles']` reads `roles` only in tokens without `scp`. Never merged: a user's
   * entitlements (roles, permissions, groups) must not widen what the client may do; check them
   * with `requireClaims()`. Default the profile's (`rfc9068`: `['scope', 'scp']`).
   */
  scopeClaims?: string[];
  /**
   * Also accept `typ: JWT` or no `typ` (authorization servers predating RFC 9068). Default false:
   * only `at+jwt` / `application/at+jwt`, or the profile's. Other explicit types (`dpop+jwt`, ...) stay rejected.
   */
  allowGenericJwtTyp?: boolean;
  /** Where tokens may come from. Default `['header']`. */
  tokenLocations?: TokenLocation[];
  /** `realm` of the challenges. Default: the first audience. */
  realm?: string;
  /**
   * Scopes named in `scope` of the 401 challenges (no credentials, `invalid_token`): what a client
   * needs to use this resource at all (RFC 6750 §3; the MCP authorization spec asks for it). Default
   * none (the challenges carry no `scope`). 403 challenges always name what the route needs instead.
   */
  challengeScope?: string[];
  /**
   * Broader scopes that imply narrower ones, honoured by `requireScopes()`, `requireAnyScope()`
   * and their challenges (which then name the narrowest sufficient scopes): scope → implied
   * scope(s), or `'*'` for every scope, e.g. `{ 'orders:write': ['orders:read'], admin: '*' }`.
   * Transitive. `auth.scopes` stays what the token carries. Default none: scopes match exactly.
   */
  scopeHierarchy?: ScopeHierarchyOption;
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
  /** Opt-in cache of verified JWTs (bounded, keyed by the whole token string, in-process only, never past `exp`). Default off. */
  verifiedTokenCache?: boolean | { max?: number };
  /**
   * Where the signatures of access tokens, DPoP proofs and RFC 9701 introspection responses are
   * verified on Node: `false` on the event loop, `true` on libuv's thread pool (`node:crypto`'s
   * callback form), `'auto'` (the default) on the event loop while verifications come one at a
   * time and on the pool once they overlap (another request's verification in the same event-loop
   * iteration, or verifications still waiting on the pool). The pool lets the event loop keep
   * serving while signatures are checked, which pays when requests queue and cores are idle; it
   * costs a thread hop per signature (latency when the loop is idle anyway) and a share of the
   * pool that `fs`, `dns` and `zlib` also use (`UV_THREADPOOL_SIZE`, default 4). HMAC tokens are
   * always verified in place; JWE decryption always runs on the pool (WebCrypto); with the
   * WebCrypto backend every signature does (`crypto.subtle`), whatever this says. The order and
   * number of the checks do not change: a DPoP proof is still judged before the token, one
   * signature per token. See docs/options.md.
   */
  offloadSignatures?: boolean | 'auto';
  /** Cache and replay store. Default a bounded in-memory store ({@link createMemoryStore}). */
  store?: Store;
  /** Where misconfigurations are reported. Default `console`. */
  logger?: Logger;
  /**
   * Log every rejection at `logger.debug` (which the logger must then have): status, code,
   * message and the error's `detail` (which check, which claim, the configured value), e.g.
   * `resource-guard: rejected 401 ERR_TOKEN_CLAIM_MISSING: Token lacks a required claim
   * (required claim "client_id" is absent; requiredClaims: [...])`. Never the token; never sent to
   * the client. Default: on when `NODE_ENV` is not `production` (and the logger has `debug`),
   * off in production, where a flood of bad tokens must not be a flood of log lines. An adapter's
   * `errorHandler({ logger })` does not log a rejection this already logged.
   */
  logRejections?: boolean;
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
  /**
   * OpenTelemetry metrics and spans (docs/observability.md): `{ meterProvider, tracerProvider }`
   * of `@opentelemetry/api` 1.x, each defaulting to the globally registered one; `false` for none.
   * Default `true` (the global providers; with none registered, a property read per request).
   * Attributes never carry a token, a claim value or a secret, and only take configured values.
   */
  telemetry?: boolean | TelemetryOptions;
  /**
   * The FAPI 2.0 Security Profile preset (docs/fapi.md): `'2.0'` (or `{ version: '2.0' }`).
   * Access tokens only in the `Authorization` header; only sender-constrained tokens (DPoP or
   * mTLS), an unbound token is refused with `ERR_FAPI_SENDER_CONSTRAINT_REQUIRED`; JWS algorithms
   * PS256, ES256 and EdDSA (Ed25519 keys only) for tokens and DPoP proofs (the defaults of
   * `algorithms` and `dpop.algorithms` become these); DPoP proofs within the FAPI clock window.
   * Any option contradicting it (`tokenLocations` beyond the header, `secret`, another algorithm,
   * `dpop: false` with `mtls: false`, an explicit `dpop.required: false` or `mtls.required: false`,
   * `clockTolerance` over 60 s, `dpop.clockTolerance` outside 10-60 s, `dpop.proofMaxAge` over
   * 300 s, `allowInsecureRequests`) is a `TypeError` at start-up naming the clause; rejections'
   * `detail` names the clause they enforce. Not checked: the authorization server's side of the
   * profile, TLS settings, message signing. Default off.
   */
  fapi?: FapiVersion | FapiOptions;
}

/** Options after validation and defaults; internal. */
export interface ResolvedOptions {
  issuers: string[];
  /** Issuer templates (`{tenantid}`) and the tenant test; empty / undefined without templates. */
  issuerTemplates: readonly IssuerTemplate[];
  acceptsTenant: TenantTest | undefined;
  /** Templates filled with each listed tenant (RFC 9728 `authorization_servers`); empty otherwise. */
  tenantIssuers: readonly string[];
  /** The issuers `secret` belongs to (`secretIssuer`, or the sole issuer); empty without a secret. */
  secretIssuers: ReadonlySet<string>;
  /** The `principals` test; `undefined`: every caller the other checks accept. */
  principals: PrincipalTest | undefined;
  profile: ProviderProfile;
  clientIdClaims: readonly string[];
  scopeClaims: readonly string[];
  audiences: ReadonlySet<string>;
  jwksUri: URL | undefined;
  algorithms: ReadonlySet<string>;
  secret: BackendKey | undefined;
  clockTolerance: number;
  requiredClaims: readonly string[];
  allowGenericJwtTyp: boolean;
  tokenLocations: ReadonlySet<TokenLocation>;
  realm: string;
  challengeScope: string | undefined;
  scopeHierarchy: ScopeHierarchy | undefined;
  httpTimeout: number;
  jwksCooldown: number;
  jwksCacheMaxAge: number;
  allowInsecureRequests: boolean;
  maxTokenLength: number;
  fetch: typeof fetch;
  clock: () => number;
  introspection: ResolvedIntrospection | undefined;
  /** `undefined`: DPoP off (`dpop: false`). */
  dpop: DpopSettings | undefined;
  /** `undefined`: certificate binding off (`mtls: false`). */
  mtls: MtlsSettings | undefined;
  verifiedTokenCache: { max: number } | undefined;
  /** Always `true` with a backend that verifies asynchronously only (WebCrypto). */
  offloadSignatures: OffloadSignatures;
  store: Store;
  logger: Logger;
  logRejections: boolean;
  validators: Readonly<Record<string, ClaimValidator>>;
  resourceMetadata: ResolvedResourceMetadata | undefined;
  encryptedTokens: ResolvedEncryptedTokens | undefined;
  telemetry: Telemetry;
  /** `undefined`: the FAPI preset is off. */
  fapi: FapiSettings | undefined;
}

/** The names {@link GuardOptions} has: what `createGuard()` accepts (`protect()` adds `optional`). */
export const GUARD_OPTION_KEYS: readonly string[] = knownKeys<GuardOptions>()([
  'issuer', 'audience', 'jwksUri', 'algorithms', 'secret', 'clockTolerance', 'requiredClaims', 'allowGenericJwtTyp',
  'tokenLocations', 'realm', 'httpTimeout', 'jwksCooldown', 'jwksCacheMaxAge', 'allowInsecureRequests', 'maxTokenLength',
  'fetch', 'clock', 'introspection', 'dpop', 'mtls', 'verifiedTokenCache', 'offloadSignatures', 'store', 'logger', 'validators',
  'resourceMetadata', 'encryptedTokens', 'logRejections', 'profile', 'tenants', 'clientIdClaim', 'scopeClaims',
  'secretIssuer', 'principals', 'challengeScope', 'scopeHierarchy', 'telemetry',
  'fapi',
]);

function readChallengeScope(option: unknown): string | undefined {
  if (option === undefined) return undefined;
  const list = Array.isArray(option) ? option : [];
  if (list.length === 0 || !list.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) {
    throw new TypeError('resource-guard: "challengeScope" must be a non-empty array of scope strings (RFC 6749 §3.3)');
  }
  return [...new Set(list as string[])].join(' ');
}

const TOKEN_LOCATIONS: readonly TokenLocation[] = ['header', 'body', 'query'];

/** Validates `options` once and applies defaults. Throws a `TypeError` naming the bad option. */
export function resolveOptions(options: GuardOptions): ResolvedOptions {
  assertObject(options, 'options');
  if (options === undefined) throw new TypeError('resource-guard: createGuard() needs an options object');
  assertKnownKeys(options, GUARD_OPTION_KEYS, '', {
    optional: 'it is a setting of protect(), withAuth() and the Fastify plugin, not of createGuard() (docs/options.md)',
  });
  const allowInsecureRequests = readBoolean(options.allowInsecureRequests, 'allowInsecureRequests', false);

  const secret = readSecret(options.secret);
  const {
    issuers, issuerTemplates, jwksUri, acceptsTenant, tenantIssuers, secretIssuers,
  } = resolveIssuerOptions(options, allowInsecureRequests, secret !== undefined);
  const audiences = new Set(toStringList(options.audience, 'audience'));
  const profile = resolveProfile(options);
  const principals = readPrincipals(options.principals, describeOpenIssuers(profile.profile.name, issuers));

  const fapi = resolveFapiOption(options.fapi);
  // The preset's defaults first, so that only what the user wrote can contradict it below.
  const algorithms = readAlgorithms(options.algorithms ?? (fapi === undefined ? undefined : [...FAPI2_ALGORITHMS]), secret !== undefined);

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
  assertObject(options.validators, 'validators');
  if (options.store !== undefined && !isStore(options.store)) {
    throw new TypeError('resource-guard: "store" must implement get(), set() and add(); increment(), delete() and addCounted() are optional functions');
  }
  if (options.logger !== undefined && (typeof options.logger?.warn !== 'function' || typeof options.logger?.error !== 'function')) {
    throw new TypeError('resource-guard: "logger" must have warn() and error() methods');
  }
  const httpTimeout = readNumber(options.httpTimeout, 'httpTimeout', 5000, 1);
  const introspection = resolveIntrospectionOptions(options.introspection, { issuerCount: issuers.length, allowInsecureRequests, httpTimeout });
  const hasDebug = typeof (options.logger ?? console).debug === 'function';
  // Outside production a silent 401 costs a developer an hour: say why, once per rejection.
  const logRejections = readBoolean(options.logRejections, 'logRejections', !isProduction() && hasDebug);
  if (logRejections && !hasDebug) {
    throw new TypeError('resource-guard: "logRejections" needs a "logger" with a debug() method');
  }

  const clockTolerance = readNumber(options.clockTolerance, 'clockTolerance', 5);
  const dpop = resolveDpopOptions(options.dpop, fapi === undefined ? undefined : FAPI2_ALGORITHMS);
  const mtls = resolveMtlsOptions(options.mtls);
  if (fapi !== undefined) {
    assertFapi2Options({ raw: options, algorithms, tokenLocations, clockTolerance, dpop, mtls });
  }

  return {
    issuers,
    issuerTemplates,
    acceptsTenant,
    tenantIssuers,
    secretIssuers,
    principals,
    profile: profile.profile,
    clientIdClaims: profile.clientIdClaims,
    scopeClaims: profile.scopeClaims,
    audiences,
    jwksUri,
    algorithms,
    secret,
    clockTolerance,
    requiredClaims: profile.requiredClaims,
    allowGenericJwtTyp: profile.allowGenericJwtTyp,
    tokenLocations,
    realm,
    challengeScope: readChallengeScope(options.challengeScope),
    scopeHierarchy: resolveScopeHierarchy(options.scopeHierarchy),
    httpTimeout,
    jwksCooldown: readNumber(options.jwksCooldown, 'jwksCooldown', 30),
    jwksCacheMaxAge: readNumber(options.jwksCacheMaxAge, 'jwksCacheMaxAge', 600, 1),
    allowInsecureRequests,
    maxTokenLength: readNumber(options.maxTokenLength, 'maxTokenLength', 16_384, 16),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: options.clock ?? Date.now,
    introspection,
    dpop,
    mtls,
    verifiedTokenCache: readVerifiedTokenCacheOption(options.verifiedTokenCache),
    offloadSignatures: readOffloadSignatures(options.offloadSignatures),
    store: options.store ?? createMemoryStore({ max: 10_000, clock: options.clock }),
    logger: options.logger ?? console,
    logRejections,
    validators: options.validators ?? {},
    resourceMetadata: resolveResourceMetadata(options.resourceMetadata, audiences, allowInsecureRequests),
    encryptedTokens: resolveEncryptedTokens(options.encryptedTokens),
    telemetry: resolveTelemetryOptions(options.telemetry),
    fapi,
  };
}

function readOffloadSignatures(option: unknown): OffloadSignatures {
  // Checked on every backend, so that a typo fails at start-up wherever the guard runs.
  if (option !== undefined && option !== 'auto' && typeof option !== 'boolean') {
    throw new TypeError('resource-guard: "offloadSignatures" must be true, false or "auto"');
  }
  // A backend that verifies only asynchronously (WebCrypto) always takes the asynchronous path.
  if (!verifiesSynchronously) return true;
  return option ?? 'auto';
}

// `NODE_ENV` as Node, Bun and bundlers (which inline it) set it; a runtime without `process`
// (Workers, Deno without the compatibility layer) counts as production: nothing is logged by default.
// So does one that refuses the read (Deno without `--allow-env=NODE_ENV` throws `NotCapable`): the
// guard must start without a permission it only needs for a logging default.
function isProduction(): boolean {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    return env === undefined || env.NODE_ENV === 'production';
  } catch {
    return true;
  }
}
