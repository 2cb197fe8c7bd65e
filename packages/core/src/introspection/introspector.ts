import { freezeClaims, type Claims } from '../claims/claims.js';
import { MisconfigurationError } from '../errors/errors.js';
import { IntrospectionCache } from './cache.js';
import { isPromiseLike, type MaybePromise } from '../lib/maybe-promise.js';
import { requestIntrospection } from './request.js';
import { evaluateResponse } from './response.js';
import type { TrustedIssuer } from '../issuer/trusted-issuer.js';
import type { ResolvedOptions } from '../options/guard-options.js';

/** RFC 7662 client used by the pipeline for opaque tokens. */
export interface Introspector {
  /** Also send JWT-shaped tokens to introspection (`introspection.introspectJwts`). */
  readonly introspectsJwts: boolean;
  /**
   * Introspects `token` (cached, coalesced) and returns the validated response members as claims.
   * Throws 401 `invalid_token` for inactive or locally rejected tokens, 503 when the authorization
   * server cannot give a usable answer, 500 when it rejects our client credentials. Synchronous
   * (the claims, or a thrown error) for a hit in a store that answers synchronously.
   */
  introspect(token: string): MaybePromise<Claims>;
}

/** The guard settings the introspection client uses. */
export type IntrospectorOptions = Pick<
  ResolvedOptions, 'introspection' | 'issuers' | 'store' | 'clock' | 'logger' | 'fetch' | 'algorithms' | 'clockTolerance' | 'telemetry' | 'offloadSignatures' | 'fapi'
>;

/**
 * Creates the RFC 7662 introspection client, or `undefined` when `introspection` is not configured
 * (its options were validated by `resolveOptions`, at start-up). The endpoint, when not
 * configured, is read from the first issuer's metadata on first use (RFC 8414 §2).
 *
 * Per token: cache / in-flight lookup (see {@link IntrospectionCache}) → on a miss, one `POST` to
 * the endpoint (see `requestIntrospection`; RFC 9701 JWT responses verified when asked for) →
 * `active === true`, also when it came from the cache; the members are then judged by the
 * pipeline's claim rules. What it deliberately does not check: scopes (per route), sender binding
 * (`cnf`, `token_type`: the pipeline's next step), and `sub`/`client_id`/`jti` presence (RFC 7662
 * makes them optional).
 */
export function createIntrospector(options: IntrospectorOptions, issuers: ReadonlyMap<string, TrustedIssuer>): Introspector | undefined {
  const settings = options.introspection;
  if (settings === undefined) return undefined;
  const firstIssuer = issuers.get(options.issuers[0]!);
  const endpoint = async (): Promise<URL> => {
    if (settings.endpoint !== undefined) return settings.endpoint;
    // An issuer without the endpoint will not grow one by retrying: a misconfiguration, not a 503.
    // The detail is the hint: the rejection line prints it (one line per rejection).
    if ((await firstIssuer!.metadata()).introspection_endpoint === undefined) {
      throw new MisconfigurationError('The issuer has no introspection endpoint', 'ERR_INTROSPECTION_ENDPOINT_UNKNOWN', {
        detail: 'the issuer metadata has no introspection_endpoint; set "introspection.endpoint"',
      });
    }
    return firstIssuer!.endpoint('introspection_endpoint');
  };

  const cache = new IntrospectionCache({
    settings,
    // Frozen before it is cached: the memory store then holds (and every hit shares) one frozen
    // copy instead of a structured clone per request.
    load: async (token) => freezeClaims(await requestIntrospection(token, await endpoint(), settings, issuers, options)),
    store: options.store,
    clock: options.clock,
    logger: options.logger,
    telemetry: options.telemetry,
  });

  return {
    introspectsJwts: settings.introspectJwts,
    introspect(token) {
      const response = cache.lookup(token);
      return isPromiseLike(response) ? response.then(evaluateResponse) : evaluateResponse(response);
    },
  };
}
