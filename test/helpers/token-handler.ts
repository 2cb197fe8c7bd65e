/**
 * Helpers for the token handler's tests: a browser-like cookie jar over `Set-Cookie` values, a
 * login at the dev AS without a browser (its sign-in page is a plain form), and cookies sealed
 * the way the agent seals them (for tampering and expiry cases).
 */
import { CompactEncrypt } from 'jose';
import type { AgentResponse, OAuthAgent, TokenCookieKey } from '@resource-guard/gateway';

/** The `Cookie` header a browser would send after these `Set-Cookie` values (Max-Age=0 deletes). */
export class CookieJar {
  readonly values = new Map<string, string>();
  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      if (attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) this.values.delete(name);
      else this.values.set(name, pair!.slice(index + 1).trim());
    }
  }
  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [name, value] of this.values) copy.values.set(name, value);
    return copy;
  }
  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** Seals `plaintext` as the agent does (`dir`, `A256GCM`, `rgp` purpose, optional `exp`). */
export async function sealTestCookie(plaintext: string, purpose: string, key: TokenCookieKey, exp?: number): Promise<string> {
  const header: Record<string, unknown> = { alg: 'dir', enc: 'A256GCM', kid: key.kid, rgp: purpose };
  if (exp !== undefined) header.exp = exp;
  const bytes = typeof key.key === 'string' ? Buffer.from(key.key, 'base64url') : key.key;
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader(header as never).encrypt(bytes);
}

/**
 * Walks the dev AS's authorization endpoint like a browser (following redirects, keeping its
 * cookies, posting its sign-in form as `user`) and returns the redirect back to the client.
 */
export async function authorizeAtDevAs(authorizationUrl: string, user = 'alice'): Promise<string> {
  const jar = new CookieJar();
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (location !== null) {
      const next = new URL(location, url).href;
      if (!next.startsWith(new URL(authorizationUrl).origin)) return next;
      url = next;
      init = {};
      continue;
    }
    if (response.status !== 200) throw new Error(`dev AS answered ${response.status}: ${await response.text()}`);
    await response.text();
    init = { method: 'POST', body: new URLSearchParams({ login: user }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many redirects at the dev AS');
}

/** Calls `agent.handle()` as the SPA at `origin` would, with `jar`'s cookies; stores the answer's cookies. */
export async function callAgent(
  agent: OAuthAgent,
  jar: CookieJar,
  path: string,
  options: { method?: string; origin?: string | null; csrf?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<AgentResponse> {
  const headers: Record<string, string> = { cookie: jar.header(), ...options.headers };
  if (options.origin !== null) headers.origin = options.origin ?? 'http://localhost:5173';
  if (options.csrf !== undefined) headers['x-rg-csrf'] = options.csrf;
  const response = await agent.handle({
    method: options.method ?? 'POST',
    path,
    headers,
    readBody: () => Promise.resolve(options.body),
  });
  if (response === undefined) throw new Error(`not an agent route: ${path}`);
  jar.store(response.cookies);
  return response;
}
