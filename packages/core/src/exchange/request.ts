import { quoteValue } from '../errors/detail.js';
import { TokenExchangeRefusedError, UpstreamUnavailableError } from '../errors/errors.js';
import { describeRedirect, fetchUpstream, parseJsonObject, type UpstreamResponse } from '../http/upstream.js';
import { addClientAuth, describeAssertionAudience } from '../introspection/client-auth.js';
import type { Logger } from '../options/guard-options.js';
import type { DpopProver } from './dpop-proof.js';
import type { ResolvedTokenExchange } from './options.js';

/** RFC 8693 §2.1 grant type. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: the type of an OAuth 2.0 access token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Error code of every transport-level failure (down, refused, timeout, 5xx, HTML, redirect). */
const UNAVAILABLE = { code: 'ERR_EXCHANGE_UNAVAILABLE', what: 'Token exchange' } as const;

/** One exchange's parameters after validation (see `token-exchange.ts`). */
export interface ExchangeParameters {
  subjectToken: string;
  audience: readonly string[];
  resource: readonly string[];
  scope: string | undefined;
  requestedTokenType: string | undefined;
  actorToken: string | undefined;
  actorTokenType: string | undefined;
}

/** What the token endpoint issued (RFC 8693 §2.2.1), validated. */
export interface IssuedToken {
  accessToken: string;
  tokenType: string;
  issuedTokenType: string;
  /** Seconds; `undefined` when the AS sent no `expires_in`. */
  expiresIn: number | undefined;
  scope: string | undefined;
}

/** RFC 6749 §5.2: the characters of an `error` value. */
const ERROR_VALUE = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
/** RFC 6750 §2.1 b64token: what an `Authorization` header can carry, so nothing else is sent on. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Errors about this API as a client rather than about the subject or the target. */
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_request']);
/** Errors that say "not now" (a nonce asked for again after one retry included): 503, tried again later. */
const UNAVAILABLE_ERRORS = new Set(['use_dpop_nonce', 'temporarily_unavailable', 'server_error']);

/**
 * Performs one RFC 8693 token-exchange request: `POST` with a form body (the subject token never
 * in a URL), the client authentication of `client-auth.ts`, and a DPoP proof for the token
 * endpoint when DPoP-bound tokens are configured (with the server's last `DPoP-Nonce`; a
 * `use_dpop_nonce` answer is retried once with the nonce it carries). Errors: see {@link rejectStatus} and
 * {@link readIssuedToken}; a failure of the call itself is a 503 `ERR_EXCHANGE_UNAVAILABLE`.
 */
export async function requestTokenExchange(
  parameters: ExchangeParameters,
  endpoint: URL,
  settings: ResolvedTokenExchange,
  prover: DpopProver | undefined,
  options: { clock: () => number; logger: Logger },
): Promise<IssuedToken> {
  const send = async (nonce: string | undefined): Promise<UpstreamResponse> => {
    const params = exchangeParams(parameters);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    // Per call: a private_key_jwt assertion and a DPoP proof are never sent twice.
    await addClientAuth(settings, endpoint, options.clock(), headers, params);
    if (prover !== undefined) headers.dpop = await prover.createProof({ method: 'POST', url: endpoint, nonce });
    return fetchUpstream(settings.upstreamFetch, endpoint, {
      ...UNAVAILABLE, method: 'POST', headers, body: params.toString(), timeout: settings.timeout,
    });
  };
  let response = await send(prover?.nonceFor(endpoint.origin));
  if (prover !== undefined && response.dpopNonce !== undefined) {
    prover.rememberNonce(endpoint.origin, response.dpopNonce);
    // RFC 9449 §8: the server wants a (fresh) nonce in the proof; once, with the one it sent.
    if (response.status === 400 && oauthError(response) === 'use_dpop_nonce') response = await send(response.dpopNonce);
    if (response.dpopNonce !== undefined) prover.rememberNonce(endpoint.origin, response.dpopNonce);
  }
  if (response.status !== 200) rejectStatus(response, endpoint, settings, options.logger);
  return readIssuedToken(parseJsonObject(response, UNAVAILABLE), endpoint, prover !== undefined);
}

/** The RFC 8693 §2.1 request parameters (client authentication is added per call). */
function exchangeParams(parameters: ExchangeParameters): URLSearchParams {
  const params = new URLSearchParams();
  params.set('grant_type', TOKEN_EXCHANGE_GRANT);
  params.set('subject_token', parameters.subjectToken);
  params.set('subject_token_type', ACCESS_TOKEN_TYPE);
  for (const audience of parameters.audience) params.append('audience', audience);
  for (const resource of parameters.resource) params.append('resource', resource);
  if (parameters.scope !== undefined) params.set('scope', parameters.scope);
  if (parameters.requestedTokenType !== undefined) params.set('requested_token_type', parameters.requestedTokenType);
  if (parameters.actorToken !== undefined) {
    params.set('actor_token', parameters.actorToken);
    params.set('actor_token_type', parameters.actorTokenType ?? ACCESS_TOKEN_TYPE);
  }
  return params;
}

/** The `error` member of an OAuth error response (RFC 6749 §5.2), when it is a well-formed one. */
function oauthError(response: UpstreamResponse): string | undefined {
  try {
    const value: unknown = JSON.parse(response.body);
    const error = typeof value === 'object' && value !== null ? (value as { error?: unknown }).error : undefined;
    return typeof error === 'string' && ERROR_VALUE.test(error) ? error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps a non-200 answer (RFC 8693 §2.2.2, RFC 6749 §5.2). A 400 with an `error` about the subject
 * or the target (`invalid_target`, `invalid_scope`, `invalid_grant`, ...) → 403
 * `ERR_EXCHANGE_REFUSED`; HTTP 401/403 or an error about this API as a client → 502
 * `ERR_EXCHANGE_CLIENT_REJECTED`, logged (the options to check, never a token). Everything else
 * (5xx, a 400 without a readable `error` or with `use_dpop_nonce` after the retry,
 * `temporarily_unavailable`, `server_error`) → 503: the server is unusable right now.
 */
function rejectStatus(response: UpstreamResponse, endpoint: URL, settings: ResolvedTokenExchange, logger: Logger): never {
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const error = response.status === 400 || response.status === 401 || response.status === 403 ? oauthError(response) : undefined;
  const detail = `POST ${where} answered HTTP ${response.status}${error === undefined ? '' : ` ${quoteValue(error, 64)}`}`;
  if (response.status === 401 || response.status === 403 || (error !== undefined && CLIENT_ERRORS.has(error))) {
    const audience = describeAssertionAudience(settings, endpoint, 'tokenExchange');
    logger.error(
      `resource-guard: the token endpoint refused this API's token exchange as a client (HTTP ${response.status}${error === undefined ? '' : ` ${error}`}); `
      + `check "tokenExchange.clientId", "tokenExchange.clientAuth" (${settings.clientAuth}) and that the client may use the token-exchange grant${audience}`,
    );
    throw new TokenExchangeRefusedError('The authorization server refused this API as a token-exchange client', 'ERR_EXCHANGE_CLIENT_REJECTED', error, { detail: `${detail}${audience}` });
  }
  if (response.status === 400 && error !== undefined && !UNAVAILABLE_ERRORS.has(error)) {
    throw new TokenExchangeRefusedError('The authorization server refused the token exchange', 'ERR_EXCHANGE_REFUSED', error, { detail });
  }
  const redirect = describeRedirect(response, `POST ${where}`, 'set "tokenExchange.tokenEndpoint" to the URL the server answers at');
  throw new UpstreamUnavailableError(`Token exchange answered HTTP ${response.status}`, UNAVAILABLE.code, { detail: redirect ?? detail });
}

/**
 * Validates a successful response (RFC 8693 §2.2.1): `access_token` a b64token (it goes into an
 * `Authorization` header), `issued_token_type` and `token_type` strings, `expires_in` a positive
 * number when present, `scope` a string when present. A DPoP token without a configured DPoP key
 * cannot be used: refused like any other unusable answer (503 `ERR_EXCHANGE_RESPONSE_INVALID`).
 */
function readIssuedToken(body: Record<string, unknown>, endpoint: URL, dpop: boolean): IssuedToken {
  const { access_token: accessToken, token_type: tokenType, issued_token_type: issuedTokenType, expires_in: expiresIn, scope } = body;
  const invalid = (what: string): never => {
    throw new UpstreamUnavailableError('Token exchange answered with an unusable token response', 'ERR_EXCHANGE_RESPONSE_INVALID', {
      detail: `POST ${endpoint.origin}${endpoint.pathname}: ${what}`,
    });
  };
  if (typeof accessToken !== 'string' || !B64TOKEN.test(accessToken)) invalid('"access_token" missing or not a b64token');
  if (typeof issuedTokenType !== 'string' || issuedTokenType.length === 0) invalid('"issued_token_type" missing (RFC 8693 §2.2.1)');
  if (typeof tokenType !== 'string' || tokenType.length === 0) invalid('"token_type" missing');
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !(expiresIn > 0))) invalid('"expires_in" is not a positive number');
  if (scope !== undefined && typeof scope !== 'string') invalid('"scope" is not a string');
  const type = (tokenType as string).toLowerCase() === 'dpop' ? 'DPoP' : (tokenType as string).toLowerCase() === 'bearer' ? 'Bearer' : tokenType as string;
  if (type === 'DPoP' && !dpop) invalid('a DPoP-bound token, but "tokenExchange.dpop" is not configured');
  return { accessToken: accessToken as string, tokenType: type, issuedTokenType: issuedTokenType as string, expiresIn: expiresIn as number | undefined, scope: scope as string | undefined };
}
