import { quoteValue } from '../errors/detail.js';
import { InvalidTokenError, MisconfigurationError, UpstreamUnavailableError } from '../errors/errors.js';
import { fetchUpstream, parseJsonObject, type UpstreamResponse } from '../http/upstream.js';
import { addClientAuth } from './client-auth.js';
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
): Promise<{ headers: Record<string, string>; body: string }> {
  const params = new URLSearchParams();
  params.set('token', token);
  if (settings.tokenTypeHint !== undefined) params.set('token_type_hint', settings.tokenTypeHint);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: accept ?? (settings.jwtResponse ? INTROSPECTION_JWT_MEDIA_TYPE : 'application/json'),
  };
  await addClientAuth(settings, endpoint, now, headers, params);
  return { headers, body: params.toString() };
}

/** Reads the `error` member of an OAuth error response (RFC 6749 §5.2), if it has one. */
function oauthError(response: UpstreamResponse): string | undefined {
  try {
    const value: unknown = JSON.parse(response.body);
    const error = typeof value === 'object' && value !== null ? (value as { error?: unknown }).error : undefined;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps a non-200 answer. 401/403 (or a 400 `invalid_client`) means the authorization server
 * rejected *our* credentials: a misconfiguration (500, logged), not the caller's fault. A 400
 * `unsupported_token_type` is about the token (e.g. a JWT sent with `introspectJwts` to a server
 * that does not introspect JWTs): 401. Everything else: the server is unusable right now, 503.
 */
function rejectStatus(response: UpstreamResponse, endpoint: URL, settings: ResolvedIntrospection, options: Pick<ResolvedOptions, 'logger'>): never {
  const where = `${endpoint.origin}${endpoint.pathname}`;
  const error = response.status === 400 || response.status === 401 ? oauthError(response) : undefined;
  if (response.status === 401 || response.status === 403 || error === 'invalid_client' || error === 'unauthorized_client') {
    // The log line names the options to check; it never carries the token or the response body.
    options.logger.error(
      `resource-guard: the introspection endpoint rejected our client authentication (HTTP ${response.status}); `
      + `check "introspection.clientId", "introspection.clientAuth" (${settings.clientAuth}) and its credential`,
    );
    throw new MisconfigurationError('The introspection endpoint rejected the client credentials', 'ERR_INTROSPECTION_CLIENT_REJECTED', {
      detail: `POST ${where} answered HTTP ${response.status}${error === undefined ? '' : ` ${quoteValue(error, 32)}`}; check "introspection.clientId" and the credential of clientAuth ${settings.clientAuth}`,
    });
  }
  if (error === 'unsupported_token_type') {
    throw new InvalidTokenError('The authorization server does not introspect this kind of token', 'ERR_INTROSPECTION_TOKEN_UNSUPPORTED', {
      detail: `POST ${where} answered unsupported_token_type (a JWT with "introspection.introspectJwts", or another "introspection.tokenTypeHint"?)`,
    });
  }
  throw new UpstreamUnavailableError(`Introspection answered HTTP ${response.status}`, UNAVAILABLE.code, { detail: `POST ${where}` });
}

/**
 * One RFC 7662 §2.1 call with the configured client authentication, asking for `accept` (default:
 * JSON, or the RFC 9701 JWT with `jwtResponse`). Returns a `200` answer, and a `204` when
 * `allowNoContent` (the "inactive" answer of some phantom-token servers); every other status is
 * mapped as {@link rejectStatus} says: our credentials rejected → 500 (logged), the server
 * unusable → 503. `operation` names the call in metrics and spans.
 */
export async function sendIntrospection(
  token: string,
  endpoint: URL,
  settings: ResolvedIntrospection,
  options: Pick<ResolvedOptions, 'fetch' | 'logger' | 'clock'> & Partial<Pick<ResolvedOptions, 'telemetry'>>,
  accept?: string,
  allowNoContent = false,
  operation: UpstreamOperation = 'introspection',
): Promise<UpstreamResponse> {
  const { headers, body } = await buildRequest(token, settings, endpoint, options.clock(), accept);
  const response = await fetchUpstream(options.fetch, endpoint, {
    ...UNAVAILABLE, method: 'POST', headers, body, timeout: settings.timeout, operation, telemetry: options.telemetry,
  });
  if (response.status !== 200 && !(allowNoContent && response.status === 204)) rejectStatus(response, endpoint, settings, options);
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
  options: Pick<ResolvedOptions, 'fetch' | 'logger' | 'algorithms' | 'clock' | 'clockTolerance' | 'telemetry' | 'offloadSignatures'>,
): Promise<Record<string, unknown>> {
  const response = await sendIntrospection(token, endpoint, settings, options);
  if (settings.jwtResponse) {
    return verifyIntrospectionJwt(response, issuers, { clientId: settings.clientId, maxAge: settings.jwtResponseMaxAge }, options);
  }
  return parseJsonObject(response, UNAVAILABLE);
}
