import { InvalidTokenError, MissingCredentialsError } from '@resource-guard/core';
import { challenge, readBearerToken, registerCredentialCookie, stripCookies, type CredentialExchange, type GatewayHeaders, type GatewayRequest } from './forward.js';
import { answerCors, checkCsrf, checkOrigin, readSessionCookie, type CorsAnswer } from './browser-defence.js';
import { readCookieKeys, readCookieValues, sealCookie, serializeCookie, type TokenCookieKey } from './cookie-crypto.js';
import { readTokenHandlerSettings, type TokenHandlerOptions } from './token-handler-options.js';

export type { TokenCookieKey } from './cookie-crypto.js';
export type { TokenHandlerOptions } from './token-handler-options.js';

/** The token handler's proxy: a {@link CredentialExchange} that also answers CORS for the trusted origins. */
export interface TokenHandlerProxy extends CredentialExchange {
  /** The CORS answer for `request` (see `answerCors`); throws 403 for a preflight from an untrusted origin. */
  cors(request: GatewayRequest): CorsAnswer;
}

/**
 * Encrypts `accessToken` for the access-token cookie: a compact JWE, `alg: dir`, `enc: A256GCM`,
 * with the first key of `keys` and its `kid`, marked as an access-token cookie, valid until
 * `expiresAt` (seconds since the epoch) when given. The OAuth agent issues it itself; this is for
 * a login side of your own and for tests.
 */
export async function encryptTokenCookie(accessToken: string, keys: TokenCookieKey[], expiresAt?: number): Promise<string> {
  return sealCookie(accessToken, 'at', readCookieKeys(keys, 'keys'), expiresAt);
}

/** The `Set-Cookie` value for the cookie: `HttpOnly; Secure; SameSite=Strict; Path=/`, `Max-Age` in seconds. */
export function serializeTokenCookie(value: string, maxAge: number, cookieName = '__Host-rg-at'): string {
  return serializeCookie(cookieName, value, maxAge);
}

/**
 * The token handler's proxy (API side): the browser holds only encrypted cookies. On every
 * request the `Origin` must be a trusted one (see `checkOrigin`); a state-changing request must
 * carry the CSRF token of its session in `csrfHeader` (equal to the value sealed in the CSRF
 * cookie, which a cross-site page can neither read nor set); then the access-token cookie is
 * decrypted and forwarded as `Authorization: Bearer`, and every token-handler cookie is removed
 * from the forwarded `Cookie` header. No cookie → 401 without `error`; a cookie that does not
 * decrypt, has another purpose, has expired, or two of them → 401 `ERR_GATEWAY_COOKIE_INVALID`;
 * origin and CSRF → 403. With `allowBearer`, a request with `Authorization: Bearer` and no cookie
 * passes with its token (no origin or CSRF check: a browser never attaches that header by
 * itself). The token is verified by the API behind (or by `protect()` after this middleware).
 */
export function createTokenHandler(options: TokenHandlerOptions): TokenHandlerProxy {
  const settings = readTokenHandlerSettings(options);
  const { realm, cookieNames } = settings;
  const ownCookies: ReadonlySet<string> = new Set(Object.values(cookieNames));
  // Every gateway route of this process strips these cookies, not only this handler's route.
  for (const name of ownCookies) registerCredentialCookie(name);
  const invalid = () => challenge(new InvalidTokenError('Invalid session cookie', 'ERR_GATEWAY_COOKIE_INVALID'), realm);

  return {
    async exchange(request) {
      const values = readCookieValues(request.headers.cookie, cookieNames.at);
      if (values.length === 0 && settings.allowBearer && request.headers.authorization !== undefined) {
        return readBearerToken(request, realm, settings.maxCookieLength);
      }
      checkOrigin(request, settings);
      await checkCsrf(request, settings);
      if (values.length === 0) throw challenge(new MissingCredentialsError(), realm);
      const token = await readSessionCookie(request, 'at', settings);
      if (token === undefined || !/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw invalid();
      return token;
    },
    strip(headers: GatewayHeaders) {
      stripCookies(headers, ownCookies);
    },
    cors: (request) => answerCors(request, settings),
  };
}
