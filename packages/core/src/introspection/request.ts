import { quoteValue } from '../errors/detail.js';
import { InvalidTokenError, MisconfigurationError, UpstreamUnavailableError } from '../errors/errors.js';
import { describeRedirect, fetchUpstream, oauthError, parseJsonObject, type UpstreamResponse } from '../http/upstream.js';
import { addClientAuth, describeAssertionAudience, type BearerCredentialContext } from './client-auth.js';
import type { ResolvedIntrospection } from './options.js';
import { INTROSPECTION_JWT_MEDIA_TYPE, verifyIntrospectionJwt } from './jwt-response.js';
import type { TrustedIssuer } from '../issuer/trusted-issuer.js';
import type { ResolvedOptions } from '../options/guard-options.js';
import type { UpstreamOperation } from '../telemetry/names.js';

/** Error code of every transport-level failure (down, refused, timeout, 5xx, HTML, redirect). */
export const UNAVAILABLE = { code: 'ERR_INTROSPECTION_UNAVAILABLE', what: 'Introspection' } as const;

/**
 * Builds the RFC 7662 §2.1 request: always `POST` with a form body, so the token never appears in
 * a URL (logs, proxies). Only `token`, `token_type_hint` and the client authentication (see
 * `client-auth.ts`) are sent: nothing of the caller's request (no `DPoP` header) is forwarded.
 */
export async function buildRequest(
  token: string, settings: ResolvedIntrospection, endpoint: URL, now: number, accept?: string,
  bearer?: { context: BearerCredentialContext; rejected?: string | undefined },
): Promise<{ headers: Record<string, string>; body: string }> {
  const params = new URLSearchParams();
  params.set('token', token);
  if (settings.tokenTypeHint !== undefined) params.set('token_type_hint', settings.tokenTypeHint);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: accept ?? (settings.jwtResponse ? INTROSPECTION_JWT_MEDIA_TYPE : 'application/json'),
  };
  await addClientAuth(settings, endpoint, now, headers, params, bearer);
  return { headers, body: params.toString() };
}

/**
 * Maps a non-200 answer. 401/403 (or a 400 `invalid_client`) means the authorization server
 * rejected *our* credentials: a misconfiguration (500, logged), not the caller's fault. A 400
 * `unsupported_token_type` is about the token (e.g. a JWT sent with `introspectJwts` to a server
 * that does not introspect JWTs): 401. Everything else: the server is unusable right now, 503.
 */
function rejectStatus(response: UpstreamResponse, endpoint: URL, settings: ResolvedIntrospection): never {
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const error = response.status === 400 || response.status === 401 ? oauthError(response) : undefined;
  if (response.status === 401 || response.status === 403 || error === 'invalid_client' || error === 'unauthorized_client') {
    // The detail names the options to check (the rejection line prints it: one line per
    // rejection); never the token or the response body.
    const audience = describeAssertionAudience(settings, endpoint, 'introspection');
    throw new MisconfigurationError('The introspection endpoint rejected the client credentials', 'ERR_INTROSPECTION_CLIENT_REJECTED', {
      detail: `POST ${where} answered HTTP ${response.status}${error === undefined ? '' : ` ${quoteValue(error, 32)}`}; `
        + `check "introspection.clientId", "introspection.clientAuth" (${settings.clientAuth}) and its credential${audience}`,
    });
  }
  if (error === 'unsupported_token_type') {
    throw new InvalidTokenError('The authorization server does not introspect this kind of token', 'ERR_INTROSPECTION_TOKEN_UNSUPPORTED', {
      detail: `POST ${where} answered unsupported_token_type (a JWT with "introspection.introspectJwts", or another "introspection.tokenTypeHint"?)`,
    });
  }
  const redirect = describeRedirect(response, `POST ${where}`, 'set "introspection.endpoint" to the URL the server answers at');
  throw new UpstreamUnavailableError(`Introspection answered HTTP ${response.status}`, UNAVAILABLE.code, { detail: redirect ?? `POST ${where}` });
}

/**
 * One RFC 7662 §2.1 call with the configured client authentication, asking for `accept` (default:
 * JSON, or the RFC 9701 JWT with `jwtResponse`). With a `bearer` credential that can be renewed,
 * a 401 is retried once with a fresh token. Returns a `200` answer, and a `204` when
 * `allowNoContent` (the "inactive" answer of some phantom-token servers); every other status is
 * mapped as {@link rejectStatus} says: our credentials rejected → 500 (its detail names the
 * options to check), the server unusable → 503. `operation` names the call in metrics and spans.
 */
export async function sendIntrospection(
  token: string,
  endpoint: URL,
  settings: ResolvedIntrospection,
  options: Pick<ResolvedOptions, 'fetch' | 'clock'> & Partial<Pick<ResolvedOptions, 'telemetry'>>,
  accept?: string,
  allowNoContent = false,
  operation: UpstreamOperation = 'introspection',
): Promise<UpstreamResponse> {
  const context = { fetch: options.fetch, clock: options.clock, timeout: settings.timeout, telemetry: options.telemetry };
  const send = async (rejected?: string) => {
    const { headers, body } = await buildRequest(token, settings, endpoint, options.clock(), accept, { context, rejected });
    const sent = await fetchUpstream(options.fetch, endpoint, {
      ...UNAVAILABLE, method: 'POST', headers, body, timeout: settings.timeout, operation, telemetry: options.telemetry,
    });
    return { sent, credential: headers.authorization?.slice('Bearer '.length) };
  };
  let { sent: response, credential } = await send();
  // A bearer credential that expires (a function's, a grant's): once more with a fresh one.
  if (response.status === 401 && settings.bearer?.renewable === true) ({ sent: response, credential } = await send(credential));
  if (response.status !== 200 && !(allowNoContent && response.status === 204)) rejectStatus(response, endpoint, settings);
  return response;
}

/**
 * Performs one introspection call and returns the raw response members: the JSON object, or the
 * verified `token_introspection` member of an RFC 9701 JWT. Judging `active` and the claims is
 * left to the caller, which does it per request (also for cached answers).
 *
 * Errors: network failure, timeout, redirect, non-200 other than the cases above, or a body that
 * is not a JSON object → 503 `ERR_INTROSPECTION_UNAVAILABLE`; RFC 9701 verification failures →
 * 503 `ERR_INTROSPECTION_JWT_*`; rejected client credentials → 500.
 */
export async function requestIntrospection(
  token: string,
  endpoint: URL,
  settings: ResolvedIntrospection,
  issuers: ReadonlyMap<string, TrustedIssuer>,
  options: Pick<ResolvedOptions, 'fetch' | 'algorithms' | 'clock' | 'clockTolerance' | 'telemetry' | 'offloadSignatures' | 'fapi'>,
): Promise<Record<string, unknown>> {
  const response = await sendIntrospection(token, endpoint, settings, options);
  if (settings.jwtResponse) {
    return verifyIntrospectionJwt(response, issuers, { clientId: settings.clientId, maxAge: settings.jwtResponseMaxAge }, options);
  }
  return parseJsonObject(response, UNAVAILABLE);
}
