/**
 * `@resource-guard/fetch/hono`: the Hono middleware with the other adapters' names. `protect()`
 * sets `c.var.auth`, requirements are middleware judged by the guard that ran, `getAuth(c)` is
 * typed as present, rejections carry the one JSON body, the TLS client certificate comes from
 * `@hono/node-server`'s socket by default, and `optional` follows the one rule.
 */
import test from 'ava';
import { Hono } from 'hono';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { getAuth, protect, requireScopes, type AuthEnv } from '@resource-guard/fetch/hono';
import { makeCertificate } from '../helpers/certificates.js';
import { findChallenge } from '../helpers/challenge.js';
import { AUDIENCE, flipSignature, useMockIssuer } from '../helpers/issuer.js';

const issuer = useMockIssuer(test);
const options = (extra: Partial<GuardOptions> = {}): GuardOptions => ({ issuer: issuer.issuer, audience: AUDIENCE, logger: { warn() {}, error() {} }, ...extra });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

function app(guardOptions: GuardOptions = options()) {
  const hono = new Hono<AuthEnv>();
  const guard = createGuard(guardOptions);
  hono.get('/me', protect(guard), (c) => c.json({ subject: getAuth(c).subject }));
  hono.get('/orders', protect(guard), requireScopes('orders:read'), (c) => c.json({ orders: [] }));
  hono.get('/greeting', protect(guard, { optional: true }), (c) => c.json({ anonymous: c.var.auth === undefined }));
  hono.get('/misordered', requireScopes('orders:read'), (c) => c.json({ reached: true }));
  hono.get('/unverified', (c) => c.json({ subject: getAuth(c).subject }));
  return hono;
}

test('protect() sets c.var.auth; getAuth(c) reads it; a requirement passes with the scope', async (t) => {
  const token = await issuer.sign({ scope: 'orders:read' });
  const me = await app().request('/me', bearer(token));
  t.is(me.status, 200);
  t.deepEqual(await me.json(), { subject: issuer.claims().sub });
  t.is((await app().request('/orders', bearer(token))).status, 200);
});

test('rejections: status, challenge and the one JSON body; the handler never runs', async (t) => {
  const none = await app().request('/me');
  t.is(none.status, 401);
  t.is(findChallenge(none.headers.get('www-authenticate')!, 'Bearer')?.params.error, undefined);
  t.deepEqual(Object.keys(await none.json() as object), ['error_description'], 'no error member: the challenge has none');
  const forged = await app().request('/me', bearer(flipSignature(await issuer.sign())));
  t.is(forged.status, 401);
  t.like(await forged.json(), { error: 'invalid_token' });
  const unscoped = await app().request('/orders', bearer(await issuer.sign({ scope: 'profile' })));
  t.is(unscoped.status, 403);
  t.is(findChallenge(unscoped.headers.get('www-authenticate')!, 'Bearer')?.params.scope, 'orders:read');
  t.deepEqual(Object.keys(await unscoped.json() as object).sort(), ['error', 'error_description']);
});

test('misuse: a requirement without protect(), getAuth() without a context, are 500s naming nothing to the client', async (t) => {
  const misordered = await app().request('/misordered', bearer(await issuer.sign()));
  t.is(misordered.status, 500);
  t.deepEqual(Object.keys(await misordered.json() as object), ['error_description']);
  // getAuth() throws the 500 GuardError in the handler: Hono's own error handling answers it.
  t.is((await app().request('/unverified')).status, 500);
});

test('optional: without credentials c.var.auth is undefined; with bad ones a 401; given twice differently a TypeError', async (t) => {
  const anonymous = await app().request('/greeting');
  t.is(anonymous.status, 200);
  t.deepEqual(await anonymous.json(), { anonymous: true });
  t.is((await app().request('/greeting', bearer('not-a-jwt'))).status, 401);
  const fromOptions = new Hono<AuthEnv>().get('/', protect({ ...options(), optional: true }), (c) => c.json({ anonymous: c.var.auth === undefined }));
  t.deepEqual(await (await fromOptions.request('/')).json(), { anonymous: true });
  t.throws(() => protect({ ...options(), optional: true }, { optional: false }), { instanceOf: TypeError, message: /given twice/ });
});

test('mTLS: the certificate is read from @hono/node-server\'s socket by default, or from clientCertificate(c)', async (t) => {
  const certificate = makeCertificate('hono-client');
  const other = makeCertificate('someone-else');
  const token = await issuer.sign({ cnf: { 'x5t#S256': certificate.thumbprint } });
  const env = (der: Uint8Array) => ({ incoming: { socket: { getPeerCertificate: () => ({ raw: der }) } } });
  t.is((await app().request('/me', bearer(token), env(certificate.der))).status, 200);
  t.is((await app().request('/me', bearer(token), env(other.der))).status, 401);
  t.is((await app().request('/me', bearer(token))).status, 401, 'no certificate at all');
  const explicit = new Hono<AuthEnv>().get('/', protect(createGuard(options()), { clientCertificate: () => certificate.der }), (c) => c.json({ ok: true }));
  t.is((await explicit.request('/', bearer(token))).status, 200);
});

test('success headers (DPoP-Nonce, Cache-Control for query tokens) are added to the handler\'s response', async (t) => {
  const hono = new Hono<AuthEnv>().get('/', protect(createGuard(options({ tokenLocations: ['header', 'query'] }))), (c) => c.json({ ok: true }));
  const response = await hono.request(`/?access_token=${await issuer.sign()}`);
  t.is(response.status, 200);
  t.regex(response.headers.get('cache-control') ?? '', /private/);
  // An immutable response (a proxied fetch) is copied, not thrown at.
  const proxied = new Hono<AuthEnv>().get('/', protect(createGuard(options({ tokenLocations: ['header', 'query'] }))), () => Response.redirect('https://elsewhere.example/', 302));
  const redirected = await proxied.request(`/?access_token=${await issuer.sign()}`);
  t.is(redirected.status, 302);
  t.regex(redirected.headers.get('cache-control') ?? '', /private/);
});

test('the handler\'s response passes through as it is, not copied: with no success headers, and with headers it can take', async (t) => {
  const handed: Response[] = [];
  const hono = new Hono<AuthEnv>().get('/', protect(createGuard(options({ tokenLocations: ['header', 'query'] }))), () => {
    const response = new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } });
    handed.push(response);
    return response;
  });
  const plain = await hono.request('/', bearer(await issuer.sign()));
  t.is(plain, handed[0]!, 'no success headers: the same Response object');
  const query = await hono.request(`/?access_token=${await issuer.sign()}`);
  t.is(query, handed[1]!, 'headers added in place: the same Response object');
  t.regex(query.headers.get('cache-control') ?? '', /private/);
});
