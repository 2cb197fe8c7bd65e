import { IntrospectionCache } from '../introspection/cache.js';
import { verifyIntrospectionJwt } from '../introspection/jwt-response.js';
import type { IntrospectionOptions } from '../introspection/options.js';
import { sendIntrospection } from '../introspection/request.js';
import { TrustedIssuer } from '../issuer/trusted-issuer.js';
import type { MaybePromise } from '../lib/maybe-promise.js';
import type { UpstreamResponse } from '../http/upstream.js';
import type { UpstreamOperation } from '../telemetry/names.js';
import { resolveOptions, type Logger } from '../options/guard-options.js';
import type { Store } from '../store/memory-store.js';
import { assertNonEmptyString, parseServerUrl } from '../options/validate.js';

/** Options of {@link createIntrospectionClient}. */
export interface IntrospectionClientOptions {
  /**
   * The endpoint (required here), the client authentication (`clientId`, `clientSecret`,
   * `clientAuth`, ...), `timeout` (ms), `cacheTtl`/`inactiveCacheTtl` (s), `tokenTypeHint`,
   * `jwtResponse`/`jwtResponseMaxAge`: the guard's `introspection` option, checked by the same
   * parser (its `TypeError`s name `introspection.<key>`).
   */
  introspection: IntrospectionOptions;
  /**
   * With `introspection.jwtResponse` (RFC 9701): the issuer whose key set (`jwksUri`) signs the
   * answers. Its asymmetric algorithms only; `iss` must be this issuer, `aud` our client id.
   */
  jwtResponseIssuer?: { issuer: string; jwksUri: string };
  /** Allow `http:` URLs off loopback. Default false. */
  allowInsecureRequests?: boolean;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Epoch milliseconds. Default `Date.now`. */
  clock?: () => number;
  /** Where rejected client credentials are reported (once per call). Default `console`. */
  logger?: Logger;
  /** Where {@link IntrospectionClient.cached} keeps answers. Default a bounded memory store. */
  store?: Store;
  /** Prefix of the cache's store keys (see {@link IntrospectionClient.cached}). Default `introspection:`. */
  keyPrefix?: string;
  /** What the calls are for, in metrics and spans (`resource_guard.upstream.operation`). Default `introspection`. */
  operation?: UpstreamOperation;
}

/** RFC 7662 introspection with the guard's rules, for callers other than the guard (the gateway). */
export interface IntrospectionClient {
  /**
   * One call (RFC 7662 §2.1: `POST`, form body, client authentication) asking for `accept`
   * (default JSON, or the RFC 9701 JWT with `jwtResponse`). Resolves to a `200` answer, or a
   * `204` when `allowNoContent`; our credentials rejected → 500 `ERR_INTROSPECTION_CLIENT_REJECTED`
   * (logged), anything else → 503 `ERR_INTROSPECTION_UNAVAILABLE`.
   */
  request(token: string, accept?: string, allowNoContent?: boolean): Promise<UpstreamResponse>;
  /**
   * RFC 9701: verifies a JWT answer (media type, asymmetric `alg`, `typ`, no `crit`, `iss`, the
   * issuer's key, `aud`, a fresh `iat`) and returns its `token_introspection` member. Failures are
   * 503 `ERR_INTROSPECTION_JWT_*`, never 401. A `TypeError` without `jwtResponseIssuer`.
   */
  verifyJwtResponse(response: UpstreamResponse): Promise<Record<string, unknown>>;
  /**
   * `load` behind the guard's introspection cache: single flight (also across processes on a
   * shared store), TTL min(`cacheTtl`, `exp` − now) for `active: true` answers and
   * `inactiveCacheTtl` for `active: false`, nothing past `exp`, failures never stored, keys hashed
   * in a shared store. Answers are records with `active` and optional `exp`, as RFC 7662 §2.2's.
   */
  cached(load: (token: string) => Promise<Record<string, unknown>>): (token: string) => MaybePromise<Record<string, unknown>>;
}

/**
 * Creates an RFC 7662 client with the guard's own request, client authentication, status
 * mapping, RFC 9701 verification and cache, for the gateway and other callers that introspect
 * outside a guard. Options are checked now (a `TypeError` naming the option).
 */
export function createIntrospectionClient(options: IntrospectionClientOptions): IntrospectionClient {
  if (typeof options !== 'object' || options === null) throw new TypeError('resource-guard: createIntrospectionClient() needs an options object');
  const { introspection, jwtResponseIssuer, keyPrefix, operation = 'introspection' } = options;
  if (typeof introspection !== 'object' || introspection === null || introspection.endpoint === undefined) {
    throw new TypeError('resource-guard: "introspection.endpoint" is required');
  }
  const endpoint = parseServerUrl(introspection.endpoint, 'introspection.endpoint', options.allowInsecureRequests === true);
  if (jwtResponseIssuer !== undefined) assertNonEmptyString(jwtResponseIssuer.issuer, 'jwtResponseIssuer.issuer');
  const resolved = resolveOptions({
    // A guard needs an issuer URL; the one signing RFC 9701 answers is only compared with their `iss`.
    issuer: endpoint.origin,
    jwksUri: jwtResponseIssuer?.jwksUri,
    // Unused: a guard needs one; the answers' audience is checked where they are used.
    audience: endpoint.href,
    introspection,
    allowInsecureRequests: options.allowInsecureRequests,
    fetch: options.fetch,
    clock: options.clock,
    logger: options.logger,
    store: options.store,
  });
  const settings = resolved.introspection!;
  const issuers = jwtResponseIssuer === undefined
    ? undefined
    : new Map([[jwtResponseIssuer.issuer, new TrustedIssuer(jwtResponseIssuer.issuer, resolved)]]);
  return {
    request: (token, accept, allowNoContent = false) => sendIntrospection(token, endpoint, settings, resolved, accept, allowNoContent, operation),
    verifyJwtResponse(response) {
      if (issuers === undefined) return Promise.reject(new TypeError('resource-guard: RFC 9701 answers need "jwtResponseIssuer"'));
      return verifyIntrospectionJwt(response, issuers, { clientId: settings.clientId, maxAge: settings.jwtResponseMaxAge }, resolved);
    },
    cached(load) {
      const cache = new IntrospectionCache({
        settings, load, store: resolved.store, clock: resolved.clock, logger: resolved.logger, telemetry: resolved.telemetry, keyPrefix,
      });
      return (token) => cache.lookup(token);
    },
  };
}
