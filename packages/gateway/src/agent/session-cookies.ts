import { sealCookie, serializeCookie, type CookiePurpose } from '../cookie-crypto.js';
import type { TokenHandlerSettings } from '../token-handler-options.js';
import type { SessionTokens } from './oauth-client.js';
import type { OAuthAgentSettings } from './options.js';

/**
 * The `Set-Cookie` values of a session. Lifetimes: the access-token cookie lives no longer than the
 * access token (`expires_in`, sealed with that `exp` too); the refresh-token, ID-token and CSRF
 * cookies live `sessionLifetime` seconds from the last login or refresh; the login cookie `loginLifetime`.
 */
export interface SessionCookies {
  seal(purpose: CookiePurpose, plaintext: string, expiresAt: number, maxAge: number): Promise<string>;
  /** The cookies of a session (login end, and each refresh: the session slides). */
  issue(tokens: SessionTokens, csrf: string): Promise<string[]>;
  clear(purpose: CookiePurpose): string;
  /** Every cookie of the session and of a login in progress, deleted. */
  clearAll(): string[];
}

/** An access token without `expires_in` is kept this long, seconds (an AS should always send it). */
const DEFAULT_ACCESS_TOKEN_LIFETIME = 300;

export function createSessionCookies(settings: TokenHandlerSettings, agent: Pick<OAuthAgentSettings, 'sessionLifetime'>): SessionCookies {
  const now = () => Math.floor(settings.clock() / 1000);
  const seal = async (purpose: CookiePurpose, plaintext: string, expiresAt: number, maxAge: number) =>
    serializeCookie(settings.cookieNames[purpose], await sealCookie(plaintext, purpose, settings.keySet, expiresAt), maxAge);
  const forSession = (purpose: CookiePurpose, plaintext: string) => seal(purpose, plaintext, now() + agent.sessionLifetime, agent.sessionLifetime);

  async function tokenCookies(tokens: SessionTokens): Promise<string[]> {
    // Max-Age counts from the browser's receipt: from the next whole second here, so the cookie ends no later than the token.
    const expiresAt = Math.min(tokens.expiresAt ?? now() + DEFAULT_ACCESS_TOKEN_LIFETIME, now() + agent.sessionLifetime);
    const values = [await seal('at', tokens.accessToken, expiresAt, expiresAt - Math.ceil(settings.clock() / 1000))];
    if (tokens.refreshToken !== undefined) values.push(await forSession('rt', tokens.refreshToken));
    if (tokens.idToken !== undefined) values.push(await forSession('id', tokens.idToken));
    return values;
  }
  const clear = (purpose: CookiePurpose) => serializeCookie(settings.cookieNames[purpose], '', 0);

  return {
    seal,
    issue: async (tokens, csrf) => [...await tokenCookies(tokens), await forSession('csrf', csrf)],
    clear,
    clearAll: () => (['at', 'rt', 'id', 'csrf', 'login'] as const).map(clear),
  };
}
