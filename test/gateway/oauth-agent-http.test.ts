/**
 * The OAuth agent's Express and Koa middleware over real HTTP (the SPA example's server): the
 * JSON body read from the stream or taken from a body parser, bad bodies refused, the JSON error
 * shape, `Set-Cookie` on answers and refusals, other paths left to the app, and the whole login →
 * API → refresh → logout sequence through the proxy on both frameworks.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import Koa from 'koa';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { startSpaGateway, type RunningSpaGateway } from '@resource-guard-examples/gateway/spa';
import { createOAuthAgent, type TokenCookieKey } from '@resource-guard/gateway';
import { oauthAgent as expressAgent } from '@resource-guard/gateway/express';
import { oauthAgent as koaAgent } from '@resource-guard/gateway/koa';
import { startDevAs, type DevAs } from '../helpers/dev-as.js';
import { FRAMEWORKS, startCapturingApi, type CapturingApi } from '../helpers/gateway.js';
import { CookieJar, authorizeAtDevAs } from '../helpers/token-handler.js';

const key: TokenCookieKey = { kid: 'k', key: randomBytes(32) };
let dev: DevAs;
let api: CapturingApi;
const spas = new Map<string, RunningSpaGateway>();
test.before(async () => {
  dev = await startDevAs();
  api = await startCapturingApi('express', dev.server.issuer);
  for (const framework of FRAMEWORKS) {
    spas.set(framework, await startSpaGateway({
      framework, issuer: dev.server.issuer, clientId: CLIENTS.web.clientId, clientSecret: CLIENTS.web.clientSecret,
      scope: 'openid orders:read', resource: RESOURCES.jwt, upstream: api.url, keys: [key],
    }));
  }
});
test.after.always(async () => {
  await Promise.all([...spas.values()].map((spa) => spa.close()));
  await api?.close();
  await dev?.close();
});

for (const framework of FRAMEWORKS) {
  const url = () => spas.get(framework)!.url;
  const send = (jar: CookieJar, path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${url()}${path}`, {
      method: init.method ?? 'POST',
      body: init.body,
      headers: { origin: url(), cookie: jar.header(), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    }).then((response) => {
      jar.store(response.headers.getSetCookie());
      return response;
    });

  test.serial(`${framework}: login, API call, refresh, logout over HTTP`, async (t) => {
    const jar = new CookieJar();
    const started = await send(jar, '/oauth-agent/login/start');
    t.is(started.status, 200);
    t.is(started.headers.get('cache-control'), 'no-store');
    const { authorizationRequestUrl } = await started.json() as { authorizationRequestUrl: string };
    const callback = await authorizeAtDevAs(authorizationRequestUrl);
    const ended = await send(jar, '/oauth-agent/login/end', { body: JSON.stringify({ pageUrl: callback }) });
    t.is(ended.status, 200);
    const { csrf } = await ended.json() as { csrf: string };
    t.is((await send(jar, '/api/orders', { method: 'GET' })).status, 200);
    const refreshed = await send(jar, '/oauth-agent/refresh', { headers: { 'x-rg-csrf': csrf } });
    t.is(refreshed.status, 204);
    t.is(await refreshed.text(), '');
    const loggedOut = await send(jar, '/oauth-agent/logout', { headers: { 'x-rg-csrf': csrf } });
    t.is(loggedOut.status, 200);
    t.is(jar.values.size, 0);
    t.is((await send(jar, '/api/orders', { method: 'GET' })).status, 401);
  });

  test.serial(`${framework}: bad bodies are 400 in the JSON error shape; refusals carry their Set-Cookie`, async (t) => {
    const jar = new CookieJar();
    const notJson = await send(jar, '/oauth-agent/login/end', { body: '{', headers: {} });
    t.is(notJson.status, 400);
    t.is((await notJson.json() as { error: string }).error, 'invalid_request');
    t.is((await send(jar, '/oauth-agent/login/end', { body: 'pageUrl=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 400);
    t.is((await send(jar, '/oauth-agent/login/end', { body: JSON.stringify({ pageUrl: 'x'.repeat(20_000) }) })).status, 400);
    const noLogin = await fetch(`${url()}/oauth-agent/login/end`, {
      method: 'POST', headers: { origin: url(), 'content-type': 'application/json' }, body: JSON.stringify({ pageUrl: `${url()}/?code=c&state=s` }),
    });
    t.is(noLogin.status, 400);
    t.true(noLogin.headers.getSetCookie().some((cookie) => cookie.startsWith('__Host-rg-login=; Max-Age=0')));
    const noSession = await send(jar, '/oauth-agent/refresh', { headers: { 'x-rg-csrf': 'x' } });
    t.is(noSession.status, 403);
    const foreign = await send(jar, '/oauth-agent/login/start', { headers: { origin: 'https://evil.example' } });
    t.is(foreign.status, 403);
    t.is(foreign.headers.get('access-control-allow-origin'), null);
    t.is((await send(jar, '/oauth-agent/login/start', { method: 'GET' })).headers.get('allow'), 'POST');
  });

  test.serial(`${framework}: a refresh without the CSRF token is refused before anything, nothing cleared`, async (t) => {
    const jar = new CookieJar();
    jar.values.set('__Host-rg-rt', 'garbage');
    jar.values.set('__Host-rg-at', 'garbage');
    const response = await fetch(`${url()}/oauth-agent/refresh`, { method: 'POST', headers: { origin: url(), cookie: jar.header() } });
    t.is(response.status, 403, 'no CSRF token: refused before anything else');
    t.is(response.headers.getSetCookie().length, 0);
  });
}

test('Express: a body already parsed by express.json() is used; other paths reach the app', async (t) => {
  const agent = createOAuthAgent({
    keys: [key], allowedOrigins: ['http://localhost:1'],
    agent: { issuer: dev.server.issuer, clientId: CLIENTS.web.clientId, clientSecret: CLIENTS.web.clientSecret, redirectUri: 'http://localhost:1/' },
  });
  const app = express();
  app.use(express.json());
  app.use('/agent', expressAgent(agent));
  app.use((_req, res) => res.status(404).json({ app: true }));
  const koa = new Koa();
  koa.use(async (ctx, next) => {
    (ctx.request as { body?: unknown }).body = { pageUrl: 'http://localhost:1/' };
    await next();
  });
  koa.use(koaAgent(agent, { prefix: '/agent' }));
  koa.use((ctx) => {
    ctx.status = 404;
    ctx.body = { app: true };
  });
  for (const listener of [app, koa.callback()]) {
    const server = http.createServer(listener as http.RequestListener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ended = await fetch(`${base}/agent/login/end`, {
      method: 'POST', headers: { origin: 'http://localhost:1', 'content-type': 'application/json' }, body: JSON.stringify({ pageUrl: 'http://localhost:1/' }),
    });
    t.deepEqual(await ended.json(), { handled: false, isLoggedIn: false });
    t.deepEqual(await (await fetch(`${base}/agent/elsewhere`)).json(), { app: true });
    t.deepEqual(await (await fetch(`${base}/other`)).json(), { app: true });
  }
});

test('oauthAgent() refuses what is not an agent, and a bad prefix', (t) => {
  t.throws(() => expressAgent({} as never), { instanceOf: TypeError });
  t.throws(() => koaAgent({} as never), { instanceOf: TypeError });
  t.throws(() => koaAgent({ handle: () => Promise.resolve(undefined) }, { prefix: 'agent/' }), { instanceOf: TypeError, message: /prefix/ });
});

test('an empty body, or one a body parser consumed as {}, is no body: /login/end refuses it', async (t) => {
  const agent = createOAuthAgent({
    keys: [key], allowedOrigins: ['http://localhost:1'],
    agent: { issuer: dev.server.issuer, clientId: CLIENTS.web.clientId, clientSecret: CLIENTS.web.clientSecret, redirectUri: 'http://localhost:1/' },
  });
  const app = express();
  app.use('/parsed', express.json(), expressAgent(agent));
  app.use('/raw', expressAgent(agent));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (path: string, body?: string) => fetch(`${base}${path}/login/end`, {
    method: 'POST', headers: { origin: 'http://localhost:1', 'content-type': 'application/json' }, body,
  });
  t.is((await post('/parsed', '{}')).status, 400);
  t.is((await post('/raw')).status, 400);
  t.is((await post('/raw', '[]')).status, 400);
});
