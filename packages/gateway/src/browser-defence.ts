import { GuardError, exposedAuthHeaders } from '@resource-guard/core';
import type { GatewayRequest } from './forward.js';
import { equalSecrets, openCookie, readCookieValues } from './cookie-crypto.js';
import type { TokenHandlerSettings } from './token-handler-options.js';

/**
 * The browser-facing defences the OAuth agent and the proxy share: the trusted-origin check, the
 * session-bound CSRF token, and the CORS answers for the trusted origins.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `GET`, `HEAD`, `OPTIONS`: the methods a cross-site form or link can send without CORS. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/** What the CORS answer to one request is: headers to add and, for a preflight, the end of it. */
export interface CorsAnswer {
  /** Headers for the response (`Access-Control-Allow-Origin`, ...); empty for a request without `Origin`. */
  headers: Record<string, string>;
  /** A preflight from a trusted origin: answer `204` with `headers` and go no further. */
  preflight: boolean;
}

const originNotAllowed = () => new GuardError('Origin not allowed', 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED', 403, undefined);

/**
 * The trusted-origin check, on every request: an `Origin` header must be one of
 * `allowedOrigins`; without one (a same-origin `GET` in most browsers) a state-changing method is
 * refused, and a safe one passes only when `Sec-Fetch-Site` is absent, `same-origin` or `none`.
 * Throws 403 `ERR_GATEWAY_ORIGIN_NOT_ALLOWED`. Does not check `Referer` (often stripped).
 */
export function checkOrigin(request: GatewayRequest, settings: Pick<TokenHandlerSettings, 'allowedOrigins'>): void {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (typeof origin !== 'string' || !settings.allowedOrigins.has(origin)) throw originNotAllowed();
    return;
  }
  const site = request.headers['sec-fetch-site'];
  if (!isSafeMethod(request.method) || (site !== undefined && site !== 'same-origin' && site !== 'none')) throw originNotAllowed();
}

/**
 * The CSRF check of a state-changing request (safe methods pass): the `csrfHeader` must equal,
 * in constant time, the value sealed in the session's CSRF cookie. Missing header → 403
 * `ERR_GATEWAY_CSRF_HEADER_MISSING`; no valid cookie, two cookies, a different value → 403
 * `ERR_GATEWAY_CSRF_TOKEN_INVALID`. A cross-site page can neither read the cookie nor the token.
 */
export async function checkCsrf(request: GatewayRequest, settings: TokenHandlerSettings): Promise<void> {
  if (isSafeMethod(request.method)) return;
  const header = request.headers[settings.csrfHeader];
  if (typeof header !== 'string' || header.trim() === '') {
    throw new GuardError('CSRF header missing', 'ERR_GATEWAY_CSRF_HEADER_MISSING', 403, undefined);
  }
  const expected = await readSessionCookie(request, 'csrf', settings);
  if (expected === undefined || !equalSecrets(header, expected)) {
    throw new GuardError('CSRF token invalid', 'ERR_GATEWAY_CSRF_TOKEN_INVALID', 403, undefined);
  }
}

/**
 * The plaintext of the one cookie of `purpose` in `request`: `undefined` when there is none, two,
 * one longer than `maxCookieLength`, or one that does not open (tampered, foreign key, retired
 * key, another purpose, expired).
 */
export async function readSessionCookie(
  request: GatewayRequest,
  purpose: 'at' | 'rt' | 'id' | 'csrf' | 'login',
  settings: Pick<TokenHandlerSettings, 'cookieNames' | 'keySet' | 'maxCookieLength' | 'clock'>,
): Promise<string | undefined> {
  const values = readCookieValues(request.headers.cookie, settings.cookieNames[purpose]);
  if (values.length !== 1 || values[0]!.length > settings.maxCookieLength) return undefined;
  return openCookie(values[0]!, purpose, settings.keySet, Math.floor(settings.clock() / 1000));
}

/**
 * The CORS answer for the trusted origins (Fetch standard): credentials allowed, the challenge
 * headers exposed, `Vary: Origin`; a preflight is answered here with the methods and the
 * request headers the token handler accepts. A preflight from another origin throws 403
 * `ERR_GATEWAY_ORIGIN_NOT_ALLOWED` (no CORS headers: the browser blocks the request).
 */
export function answerCors(request: GatewayRequest, settings: Pick<TokenHandlerSettings, 'allowedOrigins' | 'csrfHeader' | 'allowBearer'>): CorsAnswer {
  const origin = request.headers.origin;
  const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
  if (typeof origin !== 'string' || !settings.allowedOrigins.has(origin)) {
    if (preflight) throw originNotAllowed();
    return { headers: {}, preflight: false };
  }
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
  if (!preflight) return { headers: { ...headers, 'access-control-expose-headers': exposedAuthHeaders().join(', ') }, preflight };
  const allowed = ['content-type', settings.csrfHeader, ...(settings.allowBearer ? ['authorization'] : [])];
  return {
    headers: {
      ...headers,
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': allowed.join(', '),
      'access-control-max-age': '600',
    },
    preflight,
  };
}
