import { timingSafeEqual } from 'node:crypto';
import { openDirectJwe, sealDirectJwe } from '@resource-guard/core/adapter';

/**
 * The token handler's cookies, one place for the agent that issues them and the proxy that reads
 * them: a compact JWE (`alg: dir`, `enc: A256GCM`, RFC 7516) whose authenticated protected header
 * names the key (`kid`), the cookie's purpose (`rgp`, so that one cookie's value is refused in
 * another's place) and, where the value expires, `exp` (seconds since the epoch).
 */

/** One cookie-encryption key: 32 bytes (A256GCM, `dir`), as bytes or base64url. */
export interface TokenCookieKey {
  /** Key id, written into the JWE header; selects the key when decrypting. */
  kid: string;
  /** 32 random bytes, or their base64url form. */
  key: Uint8Array | string;
}

/** A validated key set: the first key encrypts, any decrypts (chosen by `kid`). */
export interface CookieKeySet {
  readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly encryptWith: { readonly kid: string; readonly key: Uint8Array };
}

/** What a cookie holds: `at` access token, `rt` refresh token, `id` ID token, `csrf` CSRF token, `login` a login in progress. */
export type CookiePurpose = 'at' | 'rt' | 'id' | 'csrf' | 'login';

const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Validates `value` as a non-empty list of unique `{ kid, key }` (32 bytes); `name` prefixes the messages. */
export function readCookieKeys(value: unknown, name: string): CookieKeySet {
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

/** Encrypts `plaintext` for a cookie of `purpose`, valid until `expiresAt` (seconds) when given. */
export function sealCookie(plaintext: string, purpose: CookiePurpose, keySet: CookieKeySet, expiresAt?: number): Promise<string> {
  const header: Record<string, unknown> = { kid: keySet.encryptWith.kid, rgp: purpose };
  if (expiresAt !== undefined) header.exp = Math.floor(expiresAt);
  return sealDirectJwe(plaintext, header, keySet.encryptWith.key);
}

/**
 * The plaintext of a cookie sealed by {@link sealCookie} for `purpose`, or `undefined` when it does
 * not decrypt with a configured key, was sealed for another purpose, or expired before `now`
 * (seconds). Never throws: every failure is the same "no valid cookie" to the caller.
 */
export async function openCookie(value: string, purpose: CookiePurpose, keySet: CookieKeySet, now: number): Promise<string | undefined> {
  const opened = await openDirectJwe(value, ({ kid }) => (typeof kid === 'string' ? keySet.keys.get(kid) : undefined));
  if (opened?.header.rgp !== purpose) return undefined;
  const { exp } = opened.header;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now)) return undefined;
  return opened.plaintext;
}

/** The values of cookie `name` in a `Cookie` header (RFC 6265 §5.4 `name=value; name=value`). */
export function readCookieValues(header: string | string[] | undefined, name: string): string[] {
  const pairs = (Array.isArray(header) ? header.join('; ') : header ?? '').split(';');
  return pairs.map((pair) => pair.trim()).filter((pair) => pair.startsWith(`${name}=`)).map((pair) => pair.slice(name.length + 1));
}

/** The `Set-Cookie` value: `HttpOnly; Secure; SameSite=Strict; Path=/`, `Max-Age` in seconds (0 deletes it). */
export function serializeCookie(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Max-Age=${Math.max(0, Math.floor(maxAge))}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

/** Checks that `name` is an HTTP token (a cookie or header name); throws a `TypeError` naming `option` otherwise. */
export function assertHttpToken(name: string, option: string): void {
  if (!HTTP_TOKEN.test(name)) throw new TypeError(`resource-guard: "${option}" must be an HTTP token`);
}

/** Constant-time comparison of two strings (a CSRF token against its cookie). */
export function equalSecrets(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
