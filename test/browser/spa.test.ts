/**
 * The token handler, whole, in a real browser (Debian's chromium, playwright-core): the SPA
 * example logs in through the dev AS's sign-in page, calls the sample API through the proxy,
 * refreshes silently after the access token expired, is refused from a cross-origin page, and
 * logs out. No token is ever visible to page JavaScript. Screenshots: test-output/spa-browser/.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { compactDecrypt } from 'jose';
import type { Cookie, Page } from 'playwright-core';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { startSpaGateway, type RunningSpaGateway } from '@resource-guard-examples/gateway/spa';
import type { TokenCookieKey } from '@resource-guard/gateway';
import { browserMissing, launchBrowser, outputFolder } from '../helpers/browser.js';
import { startDevAs, type DevAs } from '../helpers/dev-as.js';
import { startCapturingApi, type CapturingApi } from '../helpers/gateway.js';

// What the functions run in the page use of the DOM (this program is typed for Node, not the DOM).
declare const document: { getElementById(id: string): { textContent: string | null } | null; cookie: string };
declare const localStorage: Record<string, string>;
declare const sessionStorage: Record<string, string>;

const missing = browserMissing();
const key: TokenCookieKey = { kid: 'spa', key: randomBytes(32) };
const PREFIX = '__Host-rg-';

/** The plaintext of a token-handler cookie, opened with the test's key. */
async function open(cookie: Cookie | undefined): Promise<string> {
  const { plaintext } = await compactDecrypt(cookie!.value, key.key as Uint8Array);
  return new TextDecoder().decode(plaintext);
}

/** A page that serves nothing but itself, on a different origin of the same site (localhost:<other port>). */
async function startForeignSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** What page JavaScript can see of storage and cookies. */
const visibleStorage = (page: Page) => page.evaluate(() => ({
  local: JSON.stringify({ ...localStorage }),
  session: JSON.stringify({ ...sessionStorage }),
  cookie: document.cookie,
}));

let dev: DevAs;
let api: CapturingApi;
let spa: RunningSpaGateway;
test.before(async () => {
  if (missing !== undefined) return;
  dev = await startDevAs();
  api = await startCapturingApi('express', dev.server.issuer);
  spa = await startSpaGateway({
    framework: 'express',
    issuer: dev.server.issuer,
    clientId: CLIENTS.web.clientId,
    clientSecret: CLIENTS.web.clientSecret,
    scope: 'openid orders:read orders:write',
    resource: RESOURCES.jwt,
    upstream: api.url,
    keys: [key],
  });
});
test.after.always(async () => {
  await spa?.close();
  await api?.close();
  await dev?.close();
});

const browserTest = missing === undefined ? test : test.skip;
if (missing !== undefined) console.log(`skipping the browser test: ${missing}`);

browserTest('the SPA logs in, calls the API, refreshes silently, is refused cross-origin and logs out; page JavaScript sees no token', async (t) => {
  t.timeout(120_000);
  const output = outputFolder('spa-browser');
  const { context, close } = await launchBrowser();
  const foreign = await startForeignSite();
  try {
    // Everything the pages could read: response bodies of documents, scripts and fetches.
    const bodies: string[] = [];
    const statuses: Array<{ url: string; status: number; origin: string | undefined }> = [];
    context.on('response', (response) => {
      statuses.push({ url: response.url(), status: response.status(), origin: response.request().headers().origin });
      if (['document', 'script', 'fetch', 'xhr'].includes(response.request().resourceType()) && response.status() < 300) {
        bodies.push('');
        const index = bodies.length - 1;
        response.text().then((text) => (bodies[index] = text), () => undefined);
      }
    });
    // Nothing leaves the machine (the dev AS's page asks for no external resource, but be sure).
    await context.route(/^https?:\/\/(?!localhost|127\.0\.0\.1)/, (route) => route.abort());

    const page = await context.newPage();
    await page.goto(spa.url);
    await page.waitForSelector('#status[data-ready]');
    t.is(await page.textContent('#status'), 'signed out');

    // Login round trip: the agent's login start, the AS's sign-in page, back to the SPA.
    await page.click('#login');
    await page.waitForURL((url) => url.href.startsWith(dev.server.issuer));
    await page.fill('input[name=login]', 'alice');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(spa.url)), page.click('button[type=submit]')]);
    await page.waitForSelector('#status[data-ready]');
    t.is(await page.textContent('#status'), 'signed in');
    t.is(await page.textContent('#user'), 'as Alice');
    t.is(new URL(page.url()).search, '', 'the code and state left the address bar');
    await page.screenshot({ path: join(output, 'after-login.png') });

    // Every token the session ever held (opened from its cookies with the test's key).
    const tokens = new Set<string>();
    const byName = (cookies: Cookie[], name: string) => cookies.find((cookie) => cookie.name === `${PREFIX}${name}`);
    async function snapshot() {
      const cookies = await context.cookies(spa.url);
      const [at, rt, id] = await Promise.all(['at', 'rt', 'id'].map((name) => open(byName(cookies, name))));
      for (const token of [at!, rt!, id!]) tokens.add(token);
      return { cookies, at: at!, rt: rt!, atExpires: byName(cookies, 'at')!.expires };
    }
    /** Until the access-token cookie of `state` has expired (the browser drops it then). */
    const untilExpired = (state: { atExpires: number }) => sleep(Math.max(0, state.atExpires * 1000 - Date.now()) + 1000);

    const afterLogin = await snapshot();
    t.deepEqual(afterLogin.cookies.map((cookie) => cookie.name).sort(), ['at', 'csrf', 'id', 'rt'].map((name) => `${PREFIX}${name}`));
    for (const cookie of afterLogin.cookies) {
      t.true(cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict' && cookie.path === '/', cookie.name);
    }
    const { exp } = JSON.parse(Buffer.from(afterLogin.at.split('.')[1]!, 'base64url').toString()) as { exp: number };
    t.true(afterLogin.atExpires <= exp, 'the access-token cookie outlives not the token');

    // The API call through the proxy: the API sees the bearer token, never a cookie of ours.
    await page.click('#orders');
    await page.waitForFunction(() => document.getElementById('result')!.textContent!.startsWith('200'));
    const forwarded = api.requests.at(-1)!;
    t.is(forwarded.headers.authorization, `Bearer ${(await snapshot()).at}`);
    t.false(String(forwarded.headers.cookie ?? '').includes(PREFIX));

    // CSRF, same origin: a state-changing call without the session's CSRF token, or with another one.
    const seen = api.requests.length;
    const csrfRefusals = await page.evaluate(async () => Promise.all([
      fetch('/api/orders', { method: 'POST' }).then((r) => r.status),
      fetch('/api/orders', { method: 'POST', headers: { 'x-rg-csrf': 'guessed' } }).then((r) => r.status),
    ]));
    t.deepEqual(csrfRefusals, [403, 403]);
    await page.click('#create');
    await page.waitForFunction(() => document.getElementById('result')!.textContent!.startsWith('201'));
    t.is(api.requests.length, seen + 1, 'only the call with the CSRF token reached the API');

    // A cross-origin page (same site: its requests would carry the SameSite=Strict cookies).
    const other = await context.newPage();
    await other.goto(foreign.url);
    // A string, not a function: tsx's helper names would not exist in the page.
    const crossOrigin = await other.evaluate(`(async () => {
      const target = ${JSON.stringify(`${spa.url}/`)};
      const outcome = (promise) => promise.then((r) => 'status ' + r.type, () => 'blocked');
      return Promise.all([
        outcome(fetch(target + 'api/orders', { method: 'POST', credentials: 'include', headers: { 'x-rg-csrf': 'guessed' } })),
        outcome(fetch(target + 'api/orders', { method: 'POST', credentials: 'include', mode: 'no-cors' })),
        outcome(fetch(target + 'api/orders', { credentials: 'include' })),
        outcome(fetch(target + 'oauth-agent/refresh', { method: 'POST', credentials: 'include', mode: 'no-cors' })),
      ]);
    })()`);
    t.deepEqual(crossOrigin, ['blocked', 'status opaque', 'blocked', 'status opaque']);
    const fromForeign = statuses.filter((entry) => entry.origin === foreign.url.slice(0, -1));
    // The two no-cors requests reached the gateway and were refused there (the page sees an opaque
    // answer); the other two never got past the browser: a refused preflight, a CORS failure.
    t.is(fromForeign.length, 2);
    t.true(fromForeign.every((entry) => entry.status === 403), JSON.stringify(fromForeign));
    t.is(api.requests.length, seen + 1, 'nothing from the other origin reached the API');
    await other.close();

    // Silent refresh: once the access token has expired (its cookie with it), the next call refreshes.
    const beforeExpiry = await snapshot();
    const refreshesBefore = Number(await page.textContent('#refreshes'));
    await untilExpired(beforeExpiry);
    await page.click('#orders');
    await page.waitForFunction((count) => Number(document.getElementById('refreshes')!.textContent) > count, refreshesBefore);
    await page.waitForFunction(() => document.getElementById('result')!.textContent!.startsWith('200'));
    const afterRefresh = await snapshot();
    t.not(afterRefresh.rt, beforeExpiry.rt, 'the refresh token was rotated');
    t.not(afterRefresh.at, beforeExpiry.at);
    t.is(api.requests.at(-1)!.headers.authorization, `Bearer ${afterRefresh.at}`);

    // No token is visible to page JavaScript: storage, document.cookie, any body it could read.
    const storage = await visibleStorage(page);
    t.deepEqual(storage, { local: '{}', session: '{}', cookie: '' });
    await sleep(100);
    t.true(bodies.length > 5);
    t.true(tokens.size >= 5);
    for (const token of tokens) t.false(bodies.some((body) => body.includes(token)), 'a token in a readable body');

    // Logout: every cookie cleared, the refresh token revoked at the AS.
    const csrf = await open(byName(afterRefresh.cookies, 'csrf'));
    const oldCookies = afterRefresh.cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
    await page.click('#logout');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'signed out');
    t.deepEqual(await context.cookies(spa.url), []);
    t.deepEqual(await visibleStorage(page), { local: '{}', session: '{}', cookie: '' });
    t.true((await page.getAttribute('#end-session-link', 'href'))!.startsWith(dev.server.issuer));
    await page.screenshot({ path: join(output, 'after-logout.png') });

    // The old cookies no longer work, replayed from outside the browser with the right Origin and CSRF token.
    const replay = (path: string, method = 'GET') => fetch(`${spa.url}${path}`, {
      method, headers: { cookie: oldCookies, origin: spa.url, 'x-rg-csrf': csrf },
    });
    const refreshed = await replay('/oauth-agent/refresh', 'POST');
    t.is(refreshed.status, 401);
    t.is((await refreshed.json() as { error: string }).error, 'invalid_token');
    await untilExpired(afterRefresh);
    const before = api.requests.length;
    t.is((await replay('/api/orders')).status, 401);
    t.is((await replay('/oauth-agent/userinfo')).status, 401);
    t.is(api.requests.length, before);
  } finally {
    await close();
    await foreign.close();
  }
});
