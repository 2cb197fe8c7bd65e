import {
  InvalidTokenError, UpstreamUnavailableError, createMemoryStore, type Guard, type GuardOptions, type Logger, type Store,
} from '@resource-guard/core';
import type { IntrospectionOptions } from '@resource-guard/core';
import { createIntrospectionClient, type IntrospectionClient, type UpstreamResponse } from '@resource-guard/core/adapter';
import { challenge, readBearerToken, type CredentialExchange } from './forward.js';
import { bearerRequest, readFunction, readGuard, readNumber, readOptions, readStore, readString } from './options.js';

/** `Accept` of the introspection request: what the authorization server is asked to answer with. */
export type PhantomTokenAccept = 'application/jwt' | 'application/token-introspection+jwt';

/** Options of {@link createPhantomToken}. */
export interface PhantomTokenOptions {
  /**
   * The introspection endpoint (RFC 7662) and this gateway's client authentication, as the guard's
   * `introspection` option takes them: `clientSecret` (default `client_secret_basic`), or
   * `clientAuth` with `privateKeyJwt` or `bearerToken`.
   */
  introspection: Pick<IntrospectionOptions, 'endpoint' | 'clientId' | 'clientSecret' | 'clientAuth' | 'bearerToken' | 'privateKeyJwt'> & { endpoint: string; clientId: string };
  /**
   * What to ask for. `'application/jwt'` (default; the form Curity's gateways use): the answer is
   * the access token itself as a JWT, verified with `verify` and forwarded. `'application/token-
   * introspection+jwt'` (RFC 9701): the answer is the signed introspection response, forwarded
   * as it is; the APIs behind must then accept that JWT type (its `aud` is this gateway's client id).
   */
  accept?: PhantomTokenAccept;
  /**
   * How the answer JWT is verified before it is cached and forwarded. `'application/jwt'`: a
   * `Guard`, or guard options (`issuer`, `audience`, ...), and every check of the guard applies.
   * RFC 9701: `{ issuer, jwksUri }`; the answer's signature, `iss`, `aud` (our client id), `typ`
   * and a fresh `iat` are checked, then `token_introspection.active`.
   */
  verify: Guard | GuardOptions | { issuer: string; jwksUri: string };
  /**
   * Longest time, in seconds, an exchange is cached; never past `exp` nor the answer's
   * `Cache-Control: max-age`, and not at all with `no-store`. Default 60.
   */
  cacheTtl?: number;
  /** Seconds an inactive answer is cached. Default 5 (or `cacheTtl`, when smaller). */
  inactiveCacheTtl?: number;
  /** Where exchanges are cached (`phantom-token:` keys: a SHA-256 hash of the opaque token in a shared store). Default: a memory store (10 000 entries). */
  store?: Store;
  /** Introspection request timeout, milliseconds. Default 5000. */
  timeout?: number;
  /** `realm` of the challenges. Default `gateway`. */
  realm?: string;
  /** Longest accepted opaque token, characters. Default 4096. */
  maxTokenLength?: number;
  /** Allow an `http:` introspection endpoint (loopback development only). Default false. */
  allowInsecureRequests?: boolean;
  /** `fetch` for the introspection call. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
  /**
   * Where the introspection cache reports a failing store (`warn`). Default `console`. A rejection
   * (our client authentication refused included) is not logged here: the middleware's `errors`
   * logger prints it once, with its detail.
   */
  logger?: Logger;
}

const KNOWN = [
  'introspection', 'accept', 'verify', 'cacheTtl', 'inactiveCacheTtl', 'store', 'timeout', 'realm', 'maxTokenLength',
  'allowInsecureRequests', 'fetch', 'clock', 'logger',
] as const;
const ACCEPTS: readonly PhantomTokenAccept[] = ['application/jwt', 'application/token-introspection+jwt'];
const INTROSPECTION_KEYS = ['endpoint', 'clientId', 'clientSecret', 'clientAuth', 'bearerToken', 'privateKeyJwt'] as const;

/** Seconds of a `Cache-Control` value's `max-age` (RFC 9111 §5.2.2.1); `Infinity` when absent. */
export function maxAgeOf(cacheControl: string): number {
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  return match === null ? Infinity : Number(match[1]);
}

/** Seconds the gateway may keep an answer by its `Cache-Control`: 0 with `no-store` (RFC 9111 §5.2.2.5), else {@link maxAgeOf}. */
function keepableFor(cacheControl: string): number {
  return /(?:^|,)\s*no-store\s*(?:,|$)/i.test(cacheControl) ? 0 : maxAgeOf(cacheControl);
}

/**
 * The phantom-token pattern, gateway half: the client holds an opaque token; the gateway
 * introspects it (RFC 7662) asking for a JWT, verifies that JWT, and forwards
 * `Authorization: Bearer <jwt>` to the APIs behind it, which never see the opaque token.
 *
 * - Introspection, client authentication, the RFC 9701 checks and the cache are the guard's own
 *   (`createIntrospectionClient` of `@resource-guard/core/adapter`), with the same error codes.
 * - Cache: `phantom-token:` + SHA-256 of the opaque token in a shared `store`; TTL = min(`cacheTtl`,
 *   `Cache-Control: max-age` of the answer, `exp` − now), nothing with `no-store`; single flight
 *   (one introspection call for concurrent requests with one token, also across processes on a
 *   shared store). Failures are never cached.
 * - Inactive (`204`, or `{"active": false}`) → 401 `invalid_token` (`ERR_INTROSPECTION_INACTIVE`).
 * - The authorization server down, slow, 5xx or answering something else → 503 with
 *   `Retry-After`, never 401. It rejecting our client credentials → 500, logged.
 * Options are validated here (a `TypeError` naming the option). Not checked here: scopes (the
 * APIs' routes do that) and DPoP proofs (forwarded untouched; see the README).
 */
export function createPhantomToken(options: PhantomTokenOptions): CredentialExchange {
  const raw = readOptions(options, KNOWN, 'phantomToken');
  const insecure = raw.allowInsecureRequests === true;
  const introspection = readOptions(raw.introspection, INTROSPECTION_KEYS, 'phantomToken.introspection');
  const accept = (raw.accept ?? 'application/jwt') as PhantomTokenAccept;
  if (!ACCEPTS.includes(accept)) throw new TypeError(`resource-guard: "phantomToken.accept" must be one of ${ACCEPTS.join(', ')}`);
  const cacheTtl = readNumber(raw.cacheTtl, 'phantomToken.cacheTtl', 60);
  const inactiveCacheTtl = readNumber(raw.inactiveCacheTtl, 'phantomToken.inactiveCacheTtl', Math.min(5, cacheTtl));
  const clock = readFunction<() => number>(raw.clock, 'phantomToken.clock', Date.now);
  const store = readStore(raw.store, 'phantomToken.store') ?? createMemoryStore({ max: 10_000, clock });
  const timeout = readNumber(raw.timeout, 'phantomToken.timeout', 5000, 1);
  const realm = readString(raw.realm, 'phantomToken.realm', 'gateway');
  const rfc9701 = accept === 'application/token-introspection+jwt';
  const guard = rfc9701 ? undefined : readGuard(raw.verify, 'phantomToken.verify', realm);
  const maxTokenLength = readNumber(raw.maxTokenLength, 'phantomToken.maxTokenLength', 4096, 1);
  const fetchImpl = readFunction<typeof fetch>(raw.fetch, 'phantomToken.fetch', (input, init) => globalThis.fetch(input, init));
  const logger = (raw.logger ?? console) as Logger;
  const client = renamingTypeErrors(() => createIntrospectionClient({
    introspection: {
      ...introspection, timeout, cacheTtl, inactiveCacheTtl: Math.min(inactiveCacheTtl, cacheTtl), tokenTypeHint: 'access_token', jwtResponse: rfc9701,
    },
    jwtResponseIssuer: rfc9701 ? readIssuer(raw.verify) : undefined,
    allowInsecureRequests: insecure,
    fetch: fetchImpl,
    clock,
    logger,
    store,
    keyPrefix: 'phantom-token:',
    operation: 'phantom_token',
  }));

  // The record the cache keeps: RFC 7662's `active` and `exp`, the JWT to forward besides. `exp`
  // is brought forward to what the answer's Cache-Control allows; without `active` (an inactive
  // answer marked `no-store`) nothing is kept.
  async function introspect(token: string): Promise<Record<string, unknown>> {
    const response = await client.request(token, accept, true);
    const now = clock() / 1000;
    const keepable = keepableFor(response.cacheControl ?? '');
    if (isInactive(response)) return keepable === 0 ? { inactive: true } : { active: false };
    const jwt = answerJwt(response, accept);
    let exp: number | undefined;
    if (rfc9701) {
      const answer = await client.verifyJwtResponse(response);
      if (answer.active !== true) return keepable === 0 ? { inactive: true } : { active: false };
      exp = typeof answer.exp === 'number' ? answer.exp : undefined;
    } else {
      exp = (await guard!.verify(bearerRequest(jwt))).expiresAt;
    }
    return { active: true, jwt, exp: Math.min(exp ?? Math.floor(now) + cacheTtl, now + keepable) };
  }
  const lookup = client.cached(introspect);

  return {
    async exchange(request) {
      const token = readBearerToken(request, realm, maxTokenLength);
      const entry = await lookup(token);
      if (entry.active !== true) throw challenge(new InvalidTokenError('Token is not active', 'ERR_INTROSPECTION_INACTIVE'), realm);
      return entry.jwt as string;
    },
    strip() {
      // The opaque token travels in Authorization only, which forwardRequest() always removes.
    },
  };
}

/** `verify` of the RFC 9701 form: the issuer that signs the answers and its key set. */
function readIssuer(value: unknown): { issuer: string; jwksUri: string } {
  const settings = readOptions(value, ['issuer', 'jwksUri'], 'phantomToken.verify');
  return {
    issuer: readString(settings.issuer, 'phantomToken.verify.issuer', ''),
    jwksUri: readString(settings.jwksUri, 'phantomToken.verify.jwksUri', ''),
  };
}

/** The core's option checks name `introspection.*`; here they are `phantomToken.introspection.*`. */
function renamingTypeErrors(create: () => IntrospectionClient): IntrospectionClient {
  try {
    return create();
  } catch (error) {
    // Only option checks throw here, each a TypeError.
    throw new TypeError((error as Error).message.replace(/"(introspection|jwksUri)\b/g, (_, name: string) => (
      name === 'jwksUri' ? '"phantomToken.verify.jwksUri' : '"phantomToken.introspection'
    )), { cause: error });
  }
}

/** `204 No Content` (Curity) or a JSON `{"active": false}` (RFC 7662 §2.2): not active. */
function isInactive(response: UpstreamResponse): boolean {
  if (response.status === 204) return true;
  if (response.status !== 200 || !/^application\/json\b/i.test(response.contentType)) return false;
  try {
    return (JSON.parse(response.body) as { active?: unknown }).active === false;
  } catch {
    return false;
  }
}

/**
 * The JWT of a 200 answer of the asked-for media type; anything else is the AS failing (503). An
 * RFC 9701 answer is checked further by the core (`ERR_INTROSPECTION_JWT_*`).
 */
function answerJwt(response: UpstreamResponse, accept: PhantomTokenAccept): string {
  const type = response.contentType.split(';')[0]!.trim().toLowerCase();
  const jwt = response.body.trim();
  if (type !== accept || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) {
    throw new UpstreamUnavailableError('Introspection did not answer with a JWT', 'ERR_GATEWAY_PHANTOM_RESPONSE_INVALID');
  }
  return jwt;
}
