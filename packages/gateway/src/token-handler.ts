import { CompactEncrypt, compactDecrypt, type CompactJWEHeaderParameters } from 'jose';
import { GuardError, InvalidTokenError, MissingCredentialsError } from '@resource-guard/core';
import { toStringList } from '@resource-guard/core/adapter';
import { challenge, registerCredentialCookie, stripCookies, type CredentialExchange, type GatewayHeaders } from './forward.js';
import { readNumber, readOptions, readString } from './options.js';

/** One cookie-encryption key: 32 bytes (A256GCM, `dir`), as bytes or base64url. */
export interface TokenCookieKey {
  /** Key id, written into the JWE header; selects the key when decrypting. */
  kid: string;
  /** 32 random bytes, or their base64url form. */
  key: Uint8Array | string;
}

/** Options of {@link createTokenHandler}. */
export interface TokenHandlerOptions {
  /**
   * Cookie-encryption keys. The first encrypts ({@link encryptTokenCookie}); any of them
   * decrypts, chosen by the cookie's `kid`: add the new key first, keep the old one until the
   * cookies it encrypted have expired, then remove it.
   */
  keys: TokenCookieKey[];
  /** Origins (`https://app.example`) allowed to send state-changing requests (not GET, HEAD, OPTIONS). */
  allowedOrigins: string[];
  /** Cookie name. Default `__Host-rg-at` (the `__Host-` prefix: `Secure`, `Path=/`, no `Domain`, RFC 6265bis §4.1.3.2). */
  cookieName?: string;
  /** Request header a state-changing request must carry (any non-empty value). Default `x-rg-csrf`. */
  csrfHeader?: string;
  /** `realm` of the challenges. Default `gateway`. */
  realm?: string;
  /** Longest accepted cookie value, characters. Default 8192. */
  maxCookieLength?: number;
}

/** What the pattern uses of its options, validated. */
interface TokenCookieSettings {
  keys: Map<string, Uint8Array>;
  encryptWith: { kid: string; key: Uint8Array };
}

const KNOWN = ['keys', 'allowedOrigins', 'cookieName', 'csrfHeader', 'realm', 'maxCookieLength'] as const;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DECRYPT_OPTIONS = { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] };

function readKeys(value: unknown, name: string): TokenCookieSettings {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError(`resource-guard: "${name}" must be a non-empty array of { kid, key }`);
  const keys = new Map<string, Uint8Array>();
  for (const entry of value as Array<Partial<TokenCookieKey>>) {
    const key = typeof entry?.key === 'string' ? Buffer.from(entry.key, 'base64url') : entry?.key;
    if (typeof entry?.kid !== 'string' || entry.kid === '' || keys.has(entry.kid)) throw new TypeError(`resource-guard: "${name}[].kid" must be a unique non-empty string`);
    if (!(key instanceof Uint8Array) || key.byteLength !== 32) throw new TypeError(`resource-guard: "${name}[].key" must be 32 bytes (or their base64url)`);
    keys.set(entry.kid, new Uint8Array(key));
  }
  const [kid, key] = [...keys][0]!;
  return { keys, encryptWith: { kid, key } };
}

/**
 * Encrypts `accessToken` for the token-handler cookie: a compact JWE, `alg: dir`, `enc: A256GCM`,
 * with the first key of `keys` and its `kid`. For the login side (out of this package's scope)
 * and tests; the value is opaque to the browser and cannot be altered without detection.
 */
export async function encryptTokenCookie(accessToken: string, keys: TokenCookieKey[]): Promise<string> {
  const { encryptWith } = readKeys(keys, 'keys');
  return new CompactEncrypt(new TextEncoder().encode(accessToken))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: encryptWith.kid })
    .encrypt(encryptWith.key);
}

/** The `Set-Cookie` value for the cookie: `HttpOnly; Secure; SameSite=Strict; Path=/`, `Max-Age` in seconds. */
export function serializeTokenCookie(value: string, maxAge: number, cookieName = '__Host-rg-at'): string {
  return `${cookieName}=${value}; Max-Age=${Math.max(0, Math.floor(maxAge))}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/** The values of cookie `name` in a `Cookie` header (RFC 6265 §5.4 `name=value; name=value`). */
function cookieValues(header: string | string[] | undefined, name: string): string[] {
  const pairs = (Array.isArray(header) ? header.join('; ') : header ?? '').split(';');
  return pairs.map((pair) => pair.trim()).filter((pair) => pair.startsWith(`${name}=`)).map((pair) => pair.slice(name.length + 1));
}

/**
 * The token handler's API side: the browser holds only an encrypted cookie; the gateway checks
 * the CSRF defence on state-changing requests (an `Origin` from `allowedOrigins` and the custom
 * `csrfHeader`, which a cross-site form cannot send and a cross-site script cannot send without
 * a CORS preflight this gateway does not allow), decrypts the cookie, and forwards the access
 * token as `Authorization: Bearer`; the cookie is removed from the forwarded `Cookie` header.
 * No cookie → 401 without `error`; not decryptable, unknown `kid`, two cookies of that name →
 * 401 `ERR_GATEWAY_COOKIE_INVALID`; CSRF → 403. The token itself is verified by the API behind
 * (or by `protect()` after this middleware). Options are validated here.
 */
export function createTokenHandler(options: TokenHandlerOptions): CredentialExchange {
  const raw = readOptions(options, KNOWN, 'tokenHandler');
  const { keys } = readKeys(raw.keys, 'tokenHandler.keys');
  const allowedOrigins = new Set(toStringList(raw.allowedOrigins, 'tokenHandler.allowedOrigins'));
  for (const origin of allowedOrigins) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new TypeError('resource-guard: "tokenHandler.allowedOrigins" must be origins such as https://app.example (no path, no trailing slash)');
    }
  }
  const cookieName = readString(raw.cookieName, 'tokenHandler.cookieName', '__Host-rg-at');
  const csrfHeader = readString(raw.csrfHeader, 'tokenHandler.csrfHeader', 'x-rg-csrf').toLowerCase();
  if (!TOKEN_CHARS.test(cookieName) || !TOKEN_CHARS.test(csrfHeader)) {
    throw new TypeError('resource-guard: "tokenHandler.cookieName" and "tokenHandler.csrfHeader" must be HTTP tokens');
  }
  const realm = readString(raw.realm, 'tokenHandler.realm', 'gateway');
  const maxCookieLength = readNumber(raw.maxCookieLength, 'tokenHandler.maxCookieLength', 8192, 1);
  const invalid = () => challenge(new InvalidTokenError('Invalid session cookie', 'ERR_GATEWAY_COOKIE_INVALID'), realm);

  // Every gateway route of this process strips this cookie, not only this handler's route.
  registerCredentialCookie(cookieName);
  const ownCookie: ReadonlySet<string> = new Set([cookieName]);
  return {
    async exchange(request) {
      if (!SAFE_METHODS.has(request.method)) {
        const origin = request.headers.origin;
        if (typeof origin !== 'string' || !allowedOrigins.has(origin)) {
          throw new GuardError('Origin not allowed', 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED', 403, undefined);
        }
        const csrf = request.headers[csrfHeader];
        if (typeof csrf !== 'string' || csrf.trim() === '') {
          throw new GuardError('CSRF header missing', 'ERR_GATEWAY_CSRF_HEADER_MISSING', 403, undefined);
        }
      }
      const values = cookieValues(request.headers.cookie, cookieName);
      if (values.length === 0) throw challenge(new MissingCredentialsError(), realm);
      if (values.length > 1 || values[0]!.length > maxCookieLength) throw invalid();
      try {
        const { plaintext } = await compactDecrypt(values[0]!, (header: CompactJWEHeaderParameters) => {
          const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
          if (key === undefined) throw new Error('unknown kid');
          return key;
        }, DECRYPT_OPTIONS);
        const token = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
        if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new Error('not a token');
        return token;
      } catch {
        throw invalid();
      }
    },
    strip(headers: GatewayHeaders) {
      stripCookies(headers, ownCookie);
    },
  };
}
