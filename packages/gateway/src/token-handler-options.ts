import { toStringList } from '@resource-guard/core/adapter';
import { assertHttpToken, readCookieKeys, type CookieKeySet, type CookiePurpose, type TokenCookieKey } from './cookie-crypto.js';
import type { OAuthAgentOptions } from './agent/options.js';
import { readFunction, readNumber, readOptions, readString } from './options.js';

/**
 * The one configuration object of the token handler: the OAuth agent ({@link createOAuthAgent})
 * and the proxy ({@link createTokenHandler}) are built from the same object, so they share the
 * key set, the cookie names, the trusted origins and the CSRF header.
 */
export interface TokenHandlerOptions {
  /**
   * Cookie-encryption keys. The first encrypts; any of them decrypts, chosen by the cookie's
   * `kid`: add the new key first, keep the old one until the cookies it encrypted have expired
   * (the session lifetime), then remove it.
   */
  keys: TokenCookieKey[];
  /**
   * The trusted web origins (`https://app.example`): a request whose `Origin` is another one is
   * refused (403), on every method; the CORS answers allow exactly these.
   */
  allowedOrigins: string[];
  /**
   * Prefix of the cookie names. Default `__Host-rg-` (the `__Host-` prefix: `Secure`, `Path=/`,
   * no `Domain`, RFC 6265bis §4.1.3.2), giving `__Host-rg-at`, `-rt`, `-id`, `-csrf`, `-login`.
   */
  cookiePrefix?: string;
  /** Request header that carries the CSRF token on state-changing requests. Default `x-rg-csrf`. */
  csrfHeader?: string;
  /** `realm` of the challenges. Default `gateway`. */
  realm?: string;
  /** Longest accepted cookie value, characters. Default 8192. */
  maxCookieLength?: number;
  /**
   * Proxy only: let a request that carries `Authorization: Bearer` and no access-token cookie
   * pass with that token (mobile and service clients on the same API); the API behind verifies
   * it. Default false: such a request is treated as having no cookie (401).
   */
  allowBearer?: boolean;
  /** Agent only: the OAuth client that logs the user in (required by `createOAuthAgent()`, ignored by the proxy). */
  agent?: OAuthAgentOptions;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
}

/** The validated common part of {@link TokenHandlerOptions}. */
export interface TokenHandlerSettings {
  keySet: CookieKeySet;
  allowedOrigins: ReadonlySet<string>;
  cookieNames: Readonly<Record<CookiePurpose, string>>;
  csrfHeader: string;
  realm: string;
  maxCookieLength: number;
  allowBearer: boolean;
  clock: () => number;
  agent: unknown;
}

const KNOWN = ['keys', 'allowedOrigins', 'cookiePrefix', 'csrfHeader', 'realm', 'maxCookieLength', 'allowBearer', 'agent', 'clock'] as const;

/** Validates the options both halves share; bad values throw a `TypeError` naming the option. */
export function readTokenHandlerSettings(options: unknown): TokenHandlerSettings {
  const raw = readOptions(options, KNOWN, 'tokenHandler');
  const keySet = readCookieKeys(raw.keys, 'tokenHandler.keys');
  const allowedOrigins = new Set(toStringList(raw.allowedOrigins, 'tokenHandler.allowedOrigins'));
  for (const origin of allowedOrigins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new TypeError('resource-guard: "tokenHandler.allowedOrigins" must be origins such as https://app.example (no path, no trailing slash)');
    }
  }
  const prefix = readString(raw.cookiePrefix, 'tokenHandler.cookiePrefix', '__Host-rg-');
  assertHttpToken(prefix, 'tokenHandler.cookiePrefix');
  const csrfHeader = readString(raw.csrfHeader, 'tokenHandler.csrfHeader', 'x-rg-csrf').toLowerCase();
  assertHttpToken(csrfHeader, 'tokenHandler.csrfHeader');
  if (raw.allowBearer !== undefined && typeof raw.allowBearer !== 'boolean') throw new TypeError('resource-guard: "tokenHandler.allowBearer" must be a boolean');
  return {
    keySet,
    allowedOrigins,
    cookieNames: { at: `${prefix}at`, rt: `${prefix}rt`, id: `${prefix}id`, csrf: `${prefix}csrf`, login: `${prefix}login` },
    csrfHeader,
    realm: readString(raw.realm, 'tokenHandler.realm', 'gateway'),
    maxCookieLength: readNumber(raw.maxCookieLength, 'tokenHandler.maxCookieLength', 8192, 1),
    allowBearer: raw.allowBearer === true,
    clock: readFunction(raw.clock, 'tokenHandler.clock', Date.now),
    agent: raw.agent,
  };
}
