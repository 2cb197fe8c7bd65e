/**
 * Response headers a browser client needs to read to follow the guard's answers: the challenge
 * (`WWW-Authenticate`, RFC 6750 §3 / RFC 9728 §5.1), the DPoP nonce (`DPoP-Nonce`, RFC 9449 §8)
 * and the wait after a 503 (`Retry-After`). Cross-origin scripts see none of them unless the
 * response lists them in `Access-Control-Expose-Headers` (Fetch standard, CORS-safelisted
 * response headers); pass {@link exposedAuthHeaders} to your CORS middleware.
 */
export const AUTH_RESPONSE_HEADERS: readonly string[] = Object.freeze(['WWW-Authenticate', 'DPoP-Nonce', 'Retry-After']);

/**
 * The list for `Access-Control-Expose-Headers`: your own exposed headers (a list, or a
 * comma-separated string as the `cors` and `@koa/cors` packages accept) plus
 * {@link AUTH_RESPONSE_HEADERS}, without duplicates (compared case-insensitively). Use it as
 * `cors({ exposedHeaders: exposedAuthHeaders() })` (Express, `cors`) or
 * `cors({ exposeHeaders: exposedAuthHeaders() })` (Koa, `@koa/cors`). It does not set
 * `Access-Control-Allow-Origin` or answer preflights: that stays the CORS middleware's job, and
 * a preflight (`OPTIONS`) it answers never reaches `protect()`, so it needs no token.
 */
export function exposedAuthHeaders(headers: string | readonly string[] = []): string[] {
  if (typeof headers !== 'string' && !(Array.isArray(headers) && headers.every((name) => typeof name === 'string'))) {
    throw new TypeError('resource-guard: exposedAuthHeaders() takes a header name list or a comma-separated string');
  }
  const names = (typeof headers === 'string' ? headers.split(',') : headers).map((name) => name.trim()).filter((name) => name !== '');
  const seen = new Set(names.map((name) => name.toLowerCase()));
  return [...names, ...AUTH_RESPONSE_HEADERS.filter((name) => !seen.has(name.toLowerCase()))];
}
