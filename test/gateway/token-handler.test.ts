/**
 * Token handler, API side, end to end: the browser's encrypted cookie → the example gateway
 * (Express, Koa) → CSRF defence, decryption → the sample API gets `Authorization: Bearer` with a
 * real dev-AS JWT and never the cookie.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createTokenHandler, encryptTokenCookie, serializeTokenCookie, type TokenCookieKey } from '@resource-guard/gateway';
import { parseChallenges } from '../helpers/challenge.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { FRAMEWORKS, carries, startGatewaySetup, type GatewaySetup } from '../helpers/gateway.js';
import { sealTestCookie } from '../helpers/token-handler.js';

const current: TokenCookieKey = { kid: 'k2', key: randomBytes(32) };
const previous: TokenCookieKey = { kid: 'k1', key: randomBytes(32).toString('base64url') };
const foreign: TokenCookieKey = { kid: 'k1', key: randomBytes(32) };
const ORIGIN = 'https://spa.example';
const COOKIE = '__Host-rg-at';
const CSRF = 'csrf-token-of-this-session';
let csrfCookie: string;

let dev: DevAs;
let accessToken: string;
const setups = new Map<string, GatewaySetup>();
test.before(async () => {
  dev = await startDevAs();
  accessToken = (await getToken(dev, dev.server.clients.demo, { scope: 'orders:read orders:write', resource: RESOURCES.jwt })).access_token;
  csrfCookie = `__Host-rg-csrf=${await sealTestCookie(CSRF, 'csrf', current)}`;
  for (const framework of FRAMEWORKS) {
    setups.set(framework, await startGatewaySetup(framework, () => ({
      '/bff': createTokenHandler({ keys: [current, previous], allowedOrigins: [ORIGIN] }),
    }), dev));
  }
});
test.after.always(async () => {
  await Promise.all([...setups.values()].map((setup) => setup.close()));
  await dev?.close();
});

for (const framework of FRAMEWORKS) {
  const call = (path: string, init: { method?: string; cookie?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${setups.get(framework)!.gateway.url}/bff${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.cookie === undefined ? {} : { cookie: init.cookie }), ...init.headers },
    });
  const requests = () => setups.get(framework)!.api.requests;

  test.serial(`${framework}: the cookie becomes Authorization: Bearer; the API never sees the cookie, other cookies pass`, async (t) => {
    const value = await encryptTokenCookie(accessToken, [current]);
    const response = await call('/orders', { cookie: `theme=dark; ${COOKIE}=${value}`, headers: { authorization: 'Bearer client-sent' } });
    t.is(response.status, 200);
    const forwarded = requests().at(-1)!;
    t.is(forwarded.headers.authorization, `Bearer ${accessToken}`);
    t.is(forwarded.headers.cookie, 'theme=dark');
    t.false(carries(requests(), value));
    t.false(carries(requests(), 'client-sent'));
  });

  test.serial(`${framework}: POST with the cookie, an allowed Origin and the session's CSRF token reaches the API; CORS headers for that origin`, async (t) => {
    const cookie = `${COOKIE}=${await encryptTokenCookie(accessToken, [current])}; ${csrfCookie}`;
    const response = await call('/orders', { method: 'POST', cookie, headers: { origin: ORIGIN, 'x-rg-csrf': CSRF } });
    t.is(response.status, 201);
    t.is(response.headers.get('access-control-allow-origin'), ORIGIN);
    t.is(response.headers.get('access-control-allow-credentials'), 'true');
    t.regex(response.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/);
    t.false(String(requests().at(-1)!.headers.cookie ?? '').includes('__Host-rg-'), 'no token-handler cookie forwarded');
  });

  test.serial(`${framework}: POST without the CSRF token, with another one, without its cookie, from another Origin or none is 403 and never reaches the API`, async (t) => {
    const cookie = `${COOKIE}=${await encryptTokenCookie(accessToken, [current])}; ${csrfCookie}`;
    const seen = requests().length;
    const missing = await call('/orders', { method: 'POST', cookie, headers: { origin: ORIGIN } });
    t.is(missing.status, 403);
    t.regex(missing.headers.get('content-type') ?? '', /^application\/json/);
    // The body every adapter sends: no OAuth error member, as the refusal carries no challenge error.
    t.deepEqual(Object.keys(await missing.json() as object), ['error_description']);
    t.is((await call('/orders', { method: 'POST', cookie, headers: { origin: ORIGIN, 'x-rg-csrf': ' ' } })).status, 403);
    t.is((await call('/orders', { method: 'POST', cookie, headers: { origin: ORIGIN, 'x-rg-csrf': '1' } })).status, 403);
    t.is((await call('/orders', { method: 'POST', cookie: cookie.split('; ')[0], headers: { origin: ORIGIN, 'x-rg-csrf': CSRF } })).status, 403);
    t.is((await call('/orders', { method: 'POST', cookie, headers: { origin: 'https://evil.example', 'x-rg-csrf': CSRF } })).status, 403);
    t.is((await call('/orders', { method: 'DELETE', cookie, headers: { 'x-rg-csrf': CSRF } })).status, 403);
    t.is(requests().length, seen);
  });

  test.serial(`${framework}: a GET from another Origin, or a cross-site one without Origin, is 403 too`, async (t) => {
    const cookie = `${COOKIE}=${await encryptTokenCookie(accessToken, [current])}`;
    const seen = requests().length;
    t.is((await call('/orders', { cookie, headers: { origin: 'https://evil.example' } })).status, 403);
    t.is((await call('/orders', { cookie, headers: { 'sec-fetch-site': 'cross-site' } })).status, 403);
    t.is((await call('/orders', { cookie, headers: { 'sec-fetch-site': 'same-origin' } })).status, 200);
    t.is(requests().length, seen + 1);
  });

  test.serial(`${framework}: preflights are answered at the gateway: 204 with CORS headers for a trusted origin, 403 for another`, async (t) => {
    const seen = requests().length;
    const preflight = (origin: string) => fetch(`${setups.get(framework)!.gateway.url}/bff/orders`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-rg-csrf' },
    });
    const allowed = await preflight(ORIGIN);
    t.is(allowed.status, 204);
    t.is(allowed.headers.get('access-control-allow-origin'), ORIGIN);
    t.regex(allowed.headers.get('access-control-allow-headers') ?? '', /x-rg-csrf/);
    t.is((await preflight('https://evil.example')).status, 403);
    t.is(requests().length, seen);
  });

  test.serial(`${framework}: an expired access-token cookie is 401 invalid_token, another cookie in its place too`, async (t) => {
    const expired = await encryptTokenCookie(accessToken, [current], Math.floor(Date.now() / 1000) - 1);
    t.is((await call('/orders', { cookie: `${COOKIE}=${expired}` })).status, 401);
    t.is((await call('/orders', { cookie: `${COOKIE}=${await sealTestCookie(accessToken, 'rt', current)}` })).status, 401);
  });

  test.serial(`${framework}: a tampered cookie, a foreign key, two cookies are 401 invalid_token; no cookie is 401 without error`, async (t) => {
    const value = await encryptTokenCookie(accessToken, [current]);
    const [h, k, iv, ciphertext, tag] = value.split('.');
    const flipped = (ciphertext![0] === 'A' ? 'B' : 'A') + ciphertext!.slice(1);
    const seen = requests().length;
    const tampered = await call('/orders', { cookie: `${COOKIE}=${[h, k, iv, flipped, tag].join('.')}` });
    t.is(tampered.status, 401);
    t.is(parseChallenges(tampered.headers.get('www-authenticate') ?? undefined)[0]?.params.error, 'invalid_token');
    t.is((await call('/orders', { cookie: `${COOKIE}=${await encryptTokenCookie(accessToken, [foreign])}` })).status, 401);
    t.is((await call('/orders', { cookie: `${COOKIE}=${value}; ${COOKIE}=${value}` })).status, 401);
    t.is((await call('/orders', { cookie: `${COOKIE}=not-a-jwe` })).status, 401);
    const none = await call('/orders', { cookie: 'theme=dark' });
    t.is(none.status, 401);
    t.is(parseChallenges(none.headers.get('www-authenticate') ?? undefined)[0]?.params.error, undefined);
    t.is(requests().length, seen);
  });

  test.serial(`${framework}: a cookie encrypted with the previous key still works (rotation)`, async (t) => {
    const response = await call('/orders', { cookie: `${COOKIE}=${await encryptTokenCookie(accessToken, [previous])}` });
    t.is(response.status, 200);
  });
}

test('serializeTokenCookie() writes the attributes the pattern relies on', (t) => {
  t.is(serializeTokenCookie('v', 60.7), '__Host-rg-at=v; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Strict');
});

test('createTokenHandler() validates its options', (t) => {
  const ok = { keys: [current], allowedOrigins: [ORIGIN] };
  t.throws(() => createTokenHandler(undefined as never), { instanceOf: TypeError, message: /tokenHandler/ });
  t.throws(() => createTokenHandler({ ...ok, keys: [] }), { instanceOf: TypeError, message: /tokenHandler\.keys/ });
  t.throws(() => createTokenHandler({ ...ok, keys: [{ kid: 'a', key: randomBytes(16) }] }), { instanceOf: TypeError, message: /tokenHandler\.keys/ });
  t.throws(() => createTokenHandler({ ...ok, keys: [current, current] }), { instanceOf: TypeError, message: /tokenHandler\.keys/ });
  t.throws(() => createTokenHandler({ ...ok, allowedOrigins: [] }), { instanceOf: TypeError, message: /tokenHandler\.allowedOrigins/ });
  t.throws(() => createTokenHandler({ ...ok, allowedOrigins: ['https://spa.example/'] }), { instanceOf: TypeError, message: /tokenHandler\.allowedOrigins/ });
  t.throws(() => createTokenHandler({ ...ok, cookiePrefix: 'a b' }), { instanceOf: TypeError, message: /tokenHandler\.cookiePrefix/ });
  t.throws(() => createTokenHandler({ ...ok, csrfHeader: '' }), { instanceOf: TypeError, message: /tokenHandler\.csrfHeader/ });
  t.throws(() => createTokenHandler({ ...ok, maxCookieLength: 0 }), { instanceOf: TypeError, message: /tokenHandler\.maxCookieLength/ });
  t.throws(() => createTokenHandler({ ...ok, typo: true } as never), { instanceOf: TypeError, message: /tokenHandler\.typo/ });
});

test('allowBearer: a request with a bearer token and no cookie passes with that token; without the option it is 401', async (t) => {
  const passing = createTokenHandler({ keys: [current], allowedOrigins: [ORIGIN], allowBearer: true });
  t.is(await passing.exchange({ method: 'POST', headers: { authorization: 'Bearer abc.def' } }), 'abc.def');
  const cookieWins = await passing.exchange({ method: 'GET', headers: { authorization: 'Bearer other', cookie: `${COOKIE}=${await encryptTokenCookie('from-cookie', [current])}` } });
  t.is(cookieWins, 'from-cookie');
  const error = await t.throwsAsync(createTokenHandler({ keys: [current], allowedOrigins: [ORIGIN] }).exchange({ method: 'GET', headers: { authorization: 'Bearer abc' } }));
  t.is((error as { code?: string }).code, 'ERR_CREDENTIALS_MISSING');
  t.is(passing.cors({ method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } }).headers['access-control-allow-headers'], 'content-type, x-rg-csrf, authorization');
});

test('the CSRF refusals carry their codes', async (t) => {
  const handler = createTokenHandler({ keys: [current], allowedOrigins: [ORIGIN] });
  const cookie = `${COOKIE}=${await encryptTokenCookie(accessToken, [current])}; ${csrfCookie}`;
  const codeOf = async (headers: Record<string, string>) => ((await t.throwsAsync(handler.exchange({ method: 'POST', headers: { cookie, origin: ORIGIN, ...headers } }))) as { code?: string }).code;
  t.is(await codeOf({}), 'ERR_GATEWAY_CSRF_HEADER_MISSING');
  t.is(await codeOf({ 'x-rg-csrf': 'other' }), 'ERR_GATEWAY_CSRF_TOKEN_INVALID');
  t.is(await codeOf({ 'x-rg-csrf': CSRF, origin: 'https://evil.example' }), 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED');
  t.is(await handler.exchange({ method: 'POST', headers: { cookie, origin: ORIGIN, 'x-rg-csrf': CSRF } }), accessToken);
});

test('a cookie longer than maxCookieLength is refused before decryption', async (t) => {
  const exchange = createTokenHandler({ keys: [current], allowedOrigins: [ORIGIN], maxCookieLength: 10 });
  const error = await t.throwsAsync(exchange.exchange({ method: 'GET', headers: { cookie: `${COOKIE}=${await encryptTokenCookie('abc', [current])}` } }));
  t.is((error as { code?: string }).code, 'ERR_GATEWAY_COOKIE_INVALID');
});

test('an API that is its own token handler: gateway() directly before protect(), Express and Koa', async (t) => {
  const { default: express } = await import('express');
  const { default: Koa } = await import('koa');
  const { protect } = await import('@resource-guard/express');
  const { protect: koaProtect } = await import('@resource-guard/koa');
  const { gateway: expressGateway } = await import('@resource-guard/gateway/express');
  const { gateway: koaGateway } = await import('@resource-guard/gateway/koa');
  const handler = createTokenHandler({ keys: [current], allowedOrigins: [ORIGIN] });
  const guard = { issuer: dev.server.issuer, audience: RESOURCES.jwt };
  const expressApp = express();
  expressApp.use(expressGateway(handler), protect(guard), (req, res) => {
    res.json({ subject: req.auth?.subject, raw: req.rawHeaders.filter((_, i) => i % 2 === 0) });
  });
  const koaApp = new Koa();
  koaApp.use(koaGateway(handler)).use(koaProtect(guard)).use((ctx) => {
    ctx.body = { subject: ctx.state.auth?.subject, raw: ctx.req.rawHeaders.filter((_, i) => i % 2 === 0) };
  });
  const cookie = `${COOKIE}=${await encryptTokenCookie(accessToken, [current])}`;
  for (const listener of [expressApp, koaApp.callback()]) {
    const server = http.createServer(listener as http.RequestListener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const response = await fetch(url, { headers: { cookie, authorization: 'Bearer client-sent' } });
    t.is(response.status, 200);
    const body = await response.json() as { subject: string; raw: string[] };
    t.is(body.subject, 'demo-client');
    t.false(body.raw.some((name) => name.toLowerCase() === 'cookie'));
    t.is(body.raw.filter((name) => name.toLowerCase() === 'authorization').length, 1);
  }
});
