/**
 * Browser clients on BOTH adapters with the real CORS packages in front (`cors` on Express,
 * `@koa/cors` on Koa) configured with `exposedAuthHeaders()`: every answer — rejections
 * included — lets the calling origin read `WWW-Authenticate`, `DPoP-Nonce` and `Retry-After`, and a
 * preflight never needs a token.
 */
import test, { type ExecutionContext } from 'ava';
import { AUTH_RESPONSE_HEADERS, exposedAuthHeaders } from '@resource-guard/core';
import { BROWSER_ORIGIN } from '../helpers/apps.js';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import type { RawResponse } from '../helpers/http.js';

const app = { corsOrigin: BROWSER_ORIGIN } as const;
const fromBrowser = { origin: BROWSER_ORIGIN };

/** The calling origin may read the response and the guard's headers on it. */
function assertReadable(t: ExecutionContext, response: RawResponse): void {
  t.is(response.headers['access-control-allow-origin'], BROWSER_ORIGIN);
  const exposed = String(response.headers['access-control-expose-headers'] ?? '').split(',').map((name) => name.trim().toLowerCase());
  for (const name of AUTH_RESPONSE_HEADERS) t.true(exposed.includes(name.toLowerCase()), `${name} exposed`);
}

const table: HttpCase[] = [
  {
    title: 'no credentials → 401 the browser can read: origin allowed, WWW-Authenticate exposed',
    app,
    run: async (context) => ({ response: await context.send('/protected', { headers: fromBrowser }) }),
    expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' },
    check: (t, _context, response) => assertReadable(t, response),
  },
  {
    title: 'a missing scope → 403 the browser can read',
    app,
    async run(context: CaseContext) {
      const token = await context.issuer.sign({ scope: 'orders:read' });
      return { response: await context.send('/scopes/all', { headers: { ...fromBrowser, authorization: `Bearer ${token}` } }), secrets: [token] };
    },
    expect: { status: 403, error: 'insufficient_scope', code: 'ERR_SCOPE_INSUFFICIENT' },
    check: (t, _context, response) => assertReadable(t, response),
  },
  {
    title: 'a bad DPoP proof (nonces on) → 401 the browser can read',
    app,
    options: () => ({ dpop: { nonce: true } }),
    run: async (context) => ({ response: await context.send('/protected', { headers: { ...fromBrowser, authorization: 'DPoP abc', dpop: 'x.y.z' } }) }),
    expect: { status: 401 },
    check(t, _context, response) {
      assertReadable(t, response);
    },
  },
  {
    title: 'authorization server down → 503 with a Retry-After the browser can read',
    app,
    async run(context: CaseContext) {
      const token = await context.issuer.sign();
      context.issuer.mode = 'error500';
      return { response: await context.send('/protected', { headers: { ...fromBrowser, authorization: `Bearer ${token}` } }), secrets: [token] };
    },
    expect: { status: 503, code: 'ERR_DISCOVERY_UNAVAILABLE' },
    check: (t, _context, response) => assertReadable(t, response),
  },
  {
    title: 'a valid token → 200 with the headers exposed',
    app,
    async run(context: CaseContext) {
      const token = await context.issuer.sign();
      return { response: await context.send('/protected', { headers: { ...fromBrowser, authorization: `Bearer ${token}` } }), secrets: [token] };
    },
    expect: { status: 200 },
    check: (t, _context, response) => assertReadable(t, response),
  },
  {
    title: 'preflight (OPTIONS) for an Authorization + DPoP request → 204 without any token; the handler never runs',
    app,
    run: async (context) => ({
      response: await context.send('/protected', {
        method: 'OPTIONS',
        headers: { ...fromBrowser, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, dpop' },
      }),
    }),
    expect: { status: 204 },
    check(t, context, response) {
      t.is(response.headers['access-control-allow-origin'], BROWSER_ORIGIN);
      t.regex(String(response.headers['access-control-allow-headers']), /authorization/i);
      t.is(response.headers['www-authenticate'], undefined);
      t.is(context.app.handlerCalls, 0);
      t.deepEqual(context.app.errors, []);
    },
  },
];

runCaseTable(test, table);

test('exposedAuthHeaders(): the application\'s own headers first, then the guard\'s, no duplicates', (t) => {
  t.deepEqual(exposedAuthHeaders(), ['WWW-Authenticate', 'DPoP-Nonce', 'Retry-After']);
  t.deepEqual(exposedAuthHeaders(['X-Request-Id', 'www-authenticate']), ['X-Request-Id', 'www-authenticate', 'DPoP-Nonce', 'Retry-After']);
  t.deepEqual(exposedAuthHeaders('X-Request-Id, Retry-After'), ['X-Request-Id', 'Retry-After', 'WWW-Authenticate', 'DPoP-Nonce']);
  t.throws(() => exposedAuthHeaders([7] as unknown as string[]), { instanceOf: TypeError });
});
