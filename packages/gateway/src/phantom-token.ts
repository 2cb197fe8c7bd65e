import {
  InvalidTokenError, MisconfigurationError, UpstreamUnavailableError, createMemoryStore, type Guard, type GuardOptions, type Logger, type Store,
} from '@resource-guard/core';
import { fetchUpstream, formEncode, parseServerUrl, type UpstreamResponse } from '@resource-guard/core/adapter';
import { challenge, readBearerToken, type CredentialExchange } from './forward.js';
import { bearerRequest, readFunction, readGuard, readNumber, readOptions, readStore, readString } from './options.js';
import { createRfc9701Verifier } from './rfc9701.js';
import { ExchangeCache, type LoadedExchange } from './token-cache.js';

/** `Accept` of the introspection request: what the authorization server is asked to answer with. */
export type PhantomTokenAccept = 'application/jwt' | 'application/token-introspection+jwt';

/** Options of {@link createPhantomToken}. */
export interface PhantomTokenOptions {
  /** The introspection endpoint (RFC 7662) and this gateway's client credentials (`client_secret_basic`). */
  introspection: { endpoint: string; clientId: string; clientSecret: string };
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
  /** Longest time, in seconds, an exchange is cached; never past `exp` nor `Cache-Control: max-age`. Default 60. */
  cacheTtl?: number;
  /** Seconds an inactive answer is cached. Default 5 (or `cacheTtl`, when smaller). */
  inactiveCacheTtl?: number;
  /** Where exchanges are cached, keyed by a SHA-256 hash of the opaque token. Default: a memory store (10 000 entries). */
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
  /** Where a rejected client authentication is reported. Default `console`. */
  logger?: Logger;
}

const KNOWN = [
  'introspection', 'accept', 'verify', 'cacheTtl', 'inactiveCacheTtl', 'store', 'timeout', 'realm', 'maxTokenLength',
  'allowInsecureRequests', 'fetch', 'clock', 'logger',
] as const;
const ACCEPTS: readonly PhantomTokenAccept[] = ['application/jwt', 'application/token-introspection+jwt'];
const UNAVAILABLE = { code: 'ERR_INTROSPECTION_UNAVAILABLE', what: 'Introspection' } as const;

/**
 * Seconds of the answer's `Cache-Control: max-age` (RFC 9111 §5.2.2.1); `Infinity` when absent.
 * Only `max-age` bounds the exchange cache: `no-store` on an introspection answer (which many
 * servers send on every response) is about HTTP caches, not about the gateway's own cache.
 */
export function maxAgeOf(cacheControl: string): number {
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  return match === null ? Infinity : Number(match[1]);
}

/**
 * The phantom-token pattern, gateway half: the client holds an opaque token; the gateway
 * introspects it (RFC 7662) asking for a JWT, verifies that JWT, and forwards
 * `Authorization: Bearer <jwt>` to the APIs behind it, which never see the opaque token.
 *
 * - Cache: `phantom-token:` + SHA-256 of the opaque token in `store`; TTL = min(`cacheTtl`,
 *   `Cache-Control: max-age` of the answer, `exp` − now); single flight (one introspection call
 *   for concurrent requests with one token). Failures are never cached.
 * - Inactive (`204`, or `{"active": false}`) → 401 `invalid_token` (`ERR_INTROSPECTION_INACTIVE`).
 * - The authorization server down, slow, 5xx or answering something else → 503 with
 *   `Retry-After`, never 401. It rejecting our client credentials → 500, logged.
 * Options are validated here (a `TypeError` naming the option). Not checked here: scopes (the
 * APIs' routes do that) and DPoP proofs (forwarded untouched; see the README).
 */
export function createPhantomToken(options: PhantomTokenOptions): CredentialExchange {
  const raw = readOptions(options, KNOWN, 'phantomToken');
  const insecure = raw.allowInsecureRequests === true;
  const introspection = readOptions(raw.introspection, ['endpoint', 'clientId', 'clientSecret'], 'phantomToken.introspection');
  const endpoint = parseServerUrl(introspection.endpoint, 'phantomToken.introspection.endpoint', insecure);
  const clientId = readString(introspection.clientId, 'phantomToken.introspection.clientId', '');
  const clientSecret = readString(introspection.clientSecret, 'phantomToken.introspection.clientSecret', '');
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
  const verify9701 = rfc9701 ? createRfc9701Verifier(raw.verify, clientId, insecure) : undefined;
  const maxTokenLength = readNumber(raw.maxTokenLength, 'phantomToken.maxTokenLength', 4096, 1);
  const fetchImpl = readFunction<typeof fetch>(raw.fetch, 'phantomToken.fetch', (input, init) => globalThis.fetch(input, init));
  const logger = (raw.logger ?? console) as Logger;
  const cache = new ExchangeCache(store, 'phantom-token:', clock);
  const authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;

  async function introspect(token: string): Promise<LoadedExchange> {
    const response = await fetchUpstream(fetchImpl, endpoint, {
      ...UNAVAILABLE, method: 'POST', timeout, operation: 'phantom_token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept, authorization },
      body: `token=${formEncode(token)}&token_type_hint=access_token`,
    });
    if (isInactive(response)) return { entry: { inactive: true }, ttl: inactiveCacheTtl };
    const jwt = answerJwt(response, accept, logger);
    const now = clock() / 1000;
    let exp: number | undefined;
    if (verify9701 !== undefined) {
      const verdict = await verify9701(jwt, now);
      if (!verdict.active) return { entry: { inactive: true }, ttl: inactiveCacheTtl };
      exp = verdict.exp;
    } else {
      exp = (await guard!.verify(bearerRequest(jwt))).expiresAt;
    }
    exp ??= Math.floor(now) + cacheTtl;
    const ttl = Math.min(cacheTtl, maxAgeOf(response.cacheControl ?? ''), exp - now);
    return { entry: { jwt, exp }, ttl: Math.max(0, Math.floor(ttl)) };
  }

  return {
    async exchange(request) {
      const token = readBearerToken(request, realm, maxTokenLength);
      const entry = await cache.lookup(token, () => introspect(token));
      if ('inactive' in entry) throw challenge(new InvalidTokenError('Token is not active', 'ERR_INTROSPECTION_INACTIVE'), realm);
      return entry.jwt;
    },
    strip() {
      // The opaque token travels in Authorization only, which forwardRequest() always removes.
    },
  };
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

/** The JWT of a 200 answer of the asked-for media type; every other answer is the AS failing. */
function answerJwt(response: UpstreamResponse, accept: PhantomTokenAccept, logger: Logger): string {
  if (response.status === 401 || response.status === 403) {
    logger.error('resource-guard: the introspection endpoint rejected the gateway\'s client authentication; check "phantomToken.introspection"');
    throw new MisconfigurationError('The introspection endpoint rejected the client credentials', 'ERR_INTROSPECTION_CLIENT_REJECTED');
  }
  if (response.status !== 200) throw new UpstreamUnavailableError(`Introspection answered HTTP ${response.status}`, UNAVAILABLE.code);
  const type = response.contentType.split(';')[0]!.trim().toLowerCase();
  const jwt = response.body.trim();
  if (type !== accept || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) {
    throw new UpstreamUnavailableError('Introspection did not answer with a JWT', 'ERR_GATEWAY_PHANTOM_RESPONSE_INVALID');
  }
  return jwt;
}
