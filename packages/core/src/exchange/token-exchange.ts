import { MisconfigurationError } from '../errors/errors.js';
import type { Guard } from '../guard.js';
import { isPromiseLike } from '../lib/maybe-promise.js';
import { findIssuingGuard, type AuthContext } from '../pipeline/context.js';
import { readGuardInternals, type GuardInternals } from '../pipeline/guard-internals.js';
import { ExchangedTokenCache, exchangeCacheKey, type CachedExchange, type LoadedExchange } from './cache.js';
import { createDpopProver, type DpopProofInput, type DpopProver } from './dpop-proof.js';
import { resolveTokenExchangeOptions, type ResolvedTokenExchange, type TokenExchangeOptions } from './options.js';
import { requestTokenExchange, type ExchangeParameters } from './request.js';
import { sendDownstream } from './downstream-fetch.js';

/** What to exchange the caller's token for (RFC 8693 §2.1). At least one `audience` or `resource`. */
export interface ExchangeTokenOptions {
  /** Logical name(s) of the target service (`audience`); what the downstream API verifies as `aud`. */
  audience?: string | readonly string[];
  /** Absolute URI(s) of the target resource (`resource`, RFC 8707), without a fragment. */
  resource?: string | readonly string[];
  /** Scopes wanted for the downstream call (space-separated or a list); default: what the AS decides. */
  scope?: string | readonly string[];
  /** `requested_token_type`, e.g. `urn:ietf:params:oauth:token-type:access_token`; default: the AS decides. */
  requestedTokenType?: string;
  /** An actor token (delegation, RFC 8693 §1.1): who acts for the subject. Part of the cache key. */
  actorToken?: string;
  /** Its type; default `urn:ietf:params:oauth:token-type:access_token`. */
  actorTokenType?: string;
}

/** The token the authorization server issued for the downstream call (RFC 8693 §2.2.1). */
export interface ExchangeTokenResult {
  /** The issued token. Non-enumerable: logging or serializing the result does not copy it. */
  readonly accessToken: string;
  /** `Bearer`, `DPoP` (send it with a proof: `downstreamFetch()` does) or the AS's `token_type` as sent (e.g. `N_A`). */
  readonly tokenType: string;
  /** `issued_token_type`, e.g. `urn:ietf:params:oauth:token-type:access_token`. */
  readonly issuedTokenType: string;
  /** Expiry, seconds since the epoch; `undefined` when the AS sent no `expires_in`. */
  readonly expiresAt: number | undefined;
  /** The granted scopes when the AS named them. */
  readonly scope: string | undefined;
}

/** A token exchanger bound to one guard and one client registration. */
export interface TokenExchange {
  /**
   * Exchanges the verified caller's access token (`auth.token`, as `subject_token` of type
   * `access_token`) for a token meant for another API, or reuses a cached one. Rejects with
   * `TokenExchangeRefusedError` (403 `ERR_EXCHANGE_REFUSED`, 502 `ERR_EXCHANGE_CLIENT_REJECTED`),
   * a 503 `UpstreamUnavailableError` with `Retry-After` (`ERR_EXCHANGE_UNAVAILABLE`,
   * `ERR_EXCHANGE_RESPONSE_INVALID`, `ERR_DISCOVERY_*`) or a 500 `MisconfigurationError`
   * (`ERR_EXCHANGE_CONTEXT_INVALID`: `auth` is not a context this guard verified;
   * `ERR_EXCHANGE_ENDPOINT_UNKNOWN`); bad arguments are a `TypeError`. Nothing is cached on failure.
   */
  exchangeToken(auth: AuthContext, options: ExchangeTokenOptions): Promise<ExchangeTokenResult>;
  /**
   * `fetch(input, init)` to a downstream API for the caller, with an exchanged token (see
   * {@link TokenExchange.exchangeToken}) in `Authorization` (and a fresh `DPoP` proof for a
   * DPoP-bound one). Never the caller's own token: `init` setting `Authorization` or `DPoP`, or a
   * URL, header or string body containing the caller's token, is a `TypeError`. Redirects are not
   * followed unless `init.redirect` says so. A 401 answer drops the cached token (the next call
   * exchanges again); a DPoP `use_dpop_nonce` 401 is retried once with the nonce when the body can
   * be sent again. The downstream response is returned as it is.
   */
  downstreamFetch(auth: AuthContext, input: string | URL, init: RequestInit | undefined, options: ExchangeTokenOptions): Promise<Response>;
  /** A DPoP proof by the configured `dpop` key (RFC 9449 §4.2), for calls made without `downstreamFetch()`; a `TypeError` without `dpop`. */
  createDpopProof(input: DpopProofInput): Promise<string>;
}

// Non-enumerable token behind a getter, like `AuthContext.token`.
class ExchangedToken implements ExchangeTokenResult {
  readonly #entry: CachedExchange;
  readonly tokenType: string;
  readonly issuedTokenType: string;
  readonly expiresAt: number | undefined;
  readonly scope: string | undefined;

  constructor(entry: CachedExchange) {
    this.#entry = entry;
    this.tokenType = entry.tokenType;
    this.issuedTokenType = entry.issuedTokenType;
    this.expiresAt = entry.expiresAt;
    this.scope = entry.scope;
  }

  get accessToken(): string {
    return this.#entry.accessToken;
  }
}

/**
 * Creates the RFC 8693 token-exchange client of `guard`: it exchanges what `guard` verified, at
 * the token endpoint of the token's issuer (the guard's discovery) or `tokenEndpoint`, through the
 * guard's store, `fetch`, clock and logger unless the options say otherwise. See
 * {@link TokenExchangeOptions} for the options and docs/token-exchange.md for the guide.
 *
 * Cache: key = SHA-256 of (client, issuer, subject token, audiences, resources, scopes, requested
 * type, actor token, DPoP or not); reused until min(exchanged `expires_in`, subject `exp`) −
 * `expirySkew`; one exchange per key at a time, also across processes on a shared store; sealed
 * with AES-256-GCM in any store but the memory store. What it does not check: the issued token's
 * contents (the downstream API verifies them), and whether `audience`/`resource` are APIs you
 * meant to call (the authorization server's policy decides).
 */
export function createTokenExchange(guard: Guard, options: TokenExchangeOptions): TokenExchange {
  const internals = readGuardInternals(guard);
  if (internals === undefined) throw new TypeError('resource-guard: createTokenExchange() needs a guard made by createGuard()');
  const { options: guardOptions } = internals;
  const settings = resolveTokenExchangeOptions(options, guardOptions);
  const prover = settings.dpop === undefined ? undefined : createDpopProver(settings.dpop, guardOptions.clock);
  const cache = new ExchangedTokenCache({
    store: settings.store,
    encryptionKey: settings.encryptionKey,
    timeout: settings.timeout,
    clock: guardOptions.clock,
    logger: guardOptions.logger,
  });

  const exchange = (auth: AuthContext, request: ExchangeTokenOptions): { key: string; result: Promise<CachedExchange> | CachedExchange } => {
    if (findIssuingGuard(auth) !== guard) {
      throw new MisconfigurationError('Token exchange needs a context verified by its own guard', 'ERR_EXCHANGE_CONTEXT_INVALID', {
        detail: 'pass the AuthContext that protect()/guard.verify() of the guard given to createTokenExchange() produced',
      });
    }
    const parameters = readExchangeOptions(auth.token, request);
    const key = exchangeCacheKey([
      settings.clientId, auth.issuer ?? null, parameters.subjectToken, parameters.audience, parameters.resource, parameters.scope ?? null,
      parameters.requestedTokenType ?? null, parameters.actorToken ?? null, parameters.actorTokenType ?? null, prover !== undefined,
    ]);
    const load = () => loadExchange(auth, parameters, settings, internals, prover);
    return { key, result: cache.lookup(key, load) };
  };

  return {
    async exchangeToken(auth, request) {
      const { result } = exchange(auth, request);
      return new ExchangedToken(isPromiseLike(result) ? await result : result);
    },
    async downstreamFetch(auth, input, init, request) {
      const { key, result } = exchange(auth, request);
      return sendDownstream(auth.token, input, init, isPromiseLike(result) ? await result : result, {
        fetch: settings.fetch,
        prover,
        forget: () => cache.forget(key),
      });
    },
    async createDpopProof(input) {
      if (prover === undefined) throw new TypeError('resource-guard: createDpopProof() needs the "tokenExchange.dpop" option');
      return prover.createProof(input);
    },
  };
}

/** One call to the token endpoint, and for how long its answer may be reused. */
async function loadExchange(
  auth: AuthContext, parameters: ExchangeParameters, settings: ResolvedTokenExchange, internals: GuardInternals, prover: DpopProver | undefined,
): Promise<LoadedExchange> {
  const { clock, logger } = internals.options;
  const endpoint = settings.tokenEndpoint ?? await discoverTokenEndpoint(auth, internals);
  const issued = await requestTokenExchange(parameters, endpoint, settings, prover, { clock, logger });
  const now = clock();
  const expiresAtMs = issued.expiresIn === undefined ? undefined : now + issued.expiresIn * 1000;
  // Without `expires_in` the token's life is unknown: used once, never reused.
  const limits = [expiresAtMs ?? now, auth.expiresAt === undefined ? Infinity : auth.expiresAt * 1000];
  const reuseUntil = Math.min(...limits) - settings.expirySkew * 1000;
  return {
    exchange: {
      accessToken: issued.accessToken,
      tokenType: issued.tokenType,
      issuedTokenType: issued.issuedTokenType,
      expiresAt: expiresAtMs === undefined ? undefined : Math.floor(expiresAtMs / 1000),
      scope: issued.scope,
      reuseUntil,
    },
    ttl: Math.floor((reuseUntil - now) / 1000),
  };
}

/** The token endpoint of the issuer that issued `auth`, from the guard's own discovery (RFC 8414 §2). */
async function discoverTokenEndpoint(auth: AuthContext, internals: GuardInternals): Promise<URL> {
  const issuer = internals.findIssuer(auth.issuer, auth.claims);
  if (issuer === undefined || (await issuer.metadata()).token_endpoint === undefined) {
    internals.options.logger.error('resource-guard: no token_endpoint in the issuer metadata for token exchange; set "tokenExchange.tokenEndpoint"');
    throw new MisconfigurationError('The issuer has no token endpoint', 'ERR_EXCHANGE_ENDPOINT_UNKNOWN', {
      detail: 'the issuer metadata has no token_endpoint (or the context names no trusted issuer); set "tokenExchange.tokenEndpoint"',
    });
  }
  return issuer.endpoint('token_endpoint');
}

/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Validates one call's options: a `TypeError` for a programming mistake, before any I/O. */
function readExchangeOptions(subjectToken: string, request: ExchangeTokenOptions): ExchangeParameters {
  if (typeof request !== 'object' || request === null) throw new TypeError('resource-guard: exchangeToken() needs options ({ audience } or { resource })');
  const audience = readList(request.audience, 'audience');
  const resource = readList(request.resource, 'resource');
  for (const uri of resource) {
    let url: URL | undefined;
    try {
      url = new URL(uri);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.hash !== '' || uri.includes('#')) throw new TypeError('resource-guard: "resource" must be absolute URIs without a fragment (RFC 8707 §2)');
  }
  if (audience.length === 0 && resource.length === 0) throw new TypeError('resource-guard: token exchange needs an "audience" or a "resource": the target of the token');
  let scope: string | undefined;
  if (request.scope !== undefined) {
    const scopes = readList(typeof request.scope === 'string' ? request.scope.split(' ').filter(Boolean) : request.scope, 'scope');
    if (scopes.length === 0 || !scopes.every((item) => SCOPE_TOKEN.test(item))) throw new TypeError('resource-guard: "scope" must be scope tokens (RFC 6749 §3.3)');
    scope = [...new Set(scopes)].sort().join(' ');
  }
  for (const name of ['requestedTokenType', 'actorToken', 'actorTokenType'] as const) {
    const value = request[name];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) throw new TypeError(`resource-guard: "${name}" must be a non-empty string`);
  }
  if (request.actorTokenType !== undefined && request.actorToken === undefined) throw new TypeError('resource-guard: "actorTokenType" without "actorToken"');
  return {
    subjectToken,
    audience,
    resource,
    scope,
    requestedTokenType: request.requestedTokenType,
    actorToken: request.actorToken,
    actorTokenType: request.actorTokenType,
  };
}

function readList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new TypeError(`resource-guard: "${name}" must be a non-empty string or an array of them`);
  }
  return [...new Set(list as string[])].sort();
}
