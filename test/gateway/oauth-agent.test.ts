/**
 * The token handler's OAuth agent against the real dev AS (oidc-provider), framework-neutral
 * (`agent.handle()`): the login round trip, refresh with rotation, logout, and a refusal for each
 * endpoint (bad state, replayed code, missing or wrong PKCE verifier, expired or tampered login
 * cookie, refresh after logout, tampered cookies, a foreign Origin).
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import * as oauth from 'oauth4webapi';
import { CLIENTS, RESOURCES, WEB_ACCESS_TOKEN_TTL } from '@resource-guard-tools/dev-authorization-server';
import { createOAuthAgent, type AgentResponse, type TokenCookieKey, type TokenHandlerOptions } from '@resource-guard/gateway';
import { insecure, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { CookieJar, authorizeAtDevAs, callAgent, sealTestCookie } from '../helpers/token-handler.js';

const ORIGIN = 'http://localhost:5173';
const key: TokenCookieKey = { kid: 'k1', key: randomBytes(32) };
const code = (response: AgentResponse) => (response.error as { code?: string } | undefined)?.code;
const body = (response: AgentResponse) => response.body as Record<string, unknown>;

let dev: DevAs;
let now = Date.now();
let options: TokenHandlerOptions;
test.before(async () => {
  dev = await startDevAs();
  options = {
    keys: [key],
    allowedOrigins: [ORIGIN],
    clock: () => now,
    agent: {
      issuer: dev.server.issuer,
      clientId: CLIENTS.web.clientId,
      clientSecret: CLIENTS.web.clientSecret,
      redirectUri: `${ORIGIN}/`,
      postLogoutRedirectUri: `${ORIGIN}/`,
      scope: 'openid orders:read',
      resource: RESOURCES.jwt,
    },
  };
});
test.after.always(() => dev?.close());

/** Login start and the dev AS's sign-in; returns the callback URL and the jar with the login cookie. */
async function startLogin(agent = createOAuthAgent(options)) {
  const jar = new CookieJar();
  const started = await callAgent(agent, jar, '/login/start');
  const callback = await authorizeAtDevAs(body(started).authorizationRequestUrl as string);
  return { agent, jar, started, callback };
}

/** A whole login; returns the agent, the jar with the session cookies and the CSRF token. */
async function login() {
  const { agent, jar, callback } = await startLogin();
  const ended = await callAgent(agent, jar, '/login/end', { body: { pageUrl: callback } });
  return { agent, jar, ended, csrf: body(ended).csrf as string };
}

test.serial('login round trip: PKCE S256 and state at the AS, the session in four encrypted cookies, the claims, no token in any body', async (t) => {
  const { started, callback, jar, agent } = await startLogin();
  const url = new URL(body(started).authorizationRequestUrl as string);
  t.is(url.searchParams.get('code_challenge_method'), 'S256');
  t.truthy(url.searchParams.get('state'));
  t.truthy(url.searchParams.get('nonce'));
  t.regex(started.cookies[0]!, /^__Host-rg-login=[^;]+; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
  t.true(new URL(callback).searchParams.has('code'));

  const ended = await callAgent(agent, jar, '/login/end', { body: { pageUrl: callback } });
  t.is(ended.status, 200);
  t.like(body(ended), { handled: true, isLoggedIn: true });
  t.deepEqual([...jar.values.keys()].sort(), ['__Host-rg-at', '__Host-rg-csrf', '__Host-rg-id', '__Host-rg-rt']);
  const at = ended.cookies.find((cookie) => cookie.startsWith('__Host-rg-at='))!;
  const maxAge = Number(/Max-Age=(\d+)/.exec(at)![1]);
  t.true(maxAge >= 1 && maxAge <= WEB_ACCESS_TOKEN_TTL, 'no longer than the token');
  for (const cookie of ended.cookies.filter((value) => !value.includes('Max-Age=0'))) t.regex(cookie, /; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
  t.false(JSON.stringify(ended.body).includes('eyJ'), 'no JWT in the body');

  const userinfo = await callAgent(agent, jar, '/userinfo', { method: 'GET', origin: null, headers: { 'sec-fetch-site': 'same-origin' } });
  t.deepEqual(userinfo.body, { sub: 'alice', name: 'Alice' });
  const claims = body(await callAgent(agent, jar, '/claims', { method: 'GET' }));
  t.is(claims.iss, dev.server.issuer);
  t.is(claims.aud, CLIENTS.web.clientId);

  // A later page load learns the session and its CSRF token; without cookies, that there is none.
  const reload = await callAgent(agent, jar, '/login/end', { body: { pageUrl: `${ORIGIN}/orders` } });
  t.deepEqual(reload.body, { handled: false, isLoggedIn: true, csrf: body(ended).csrf });
  t.deepEqual((await callAgent(agent, new CookieJar(), '/login/end', { body: { pageUrl: `${ORIGIN}/` } })).body, { handled: false, isLoggedIn: false });
});

test.serial('login end: a state other than the login cookie\'s is refused before the code is used', async (t) => {
  const { agent, jar, callback } = await startLogin();
  const forged = new URL(callback);
  forged.searchParams.set('state', 'attacker-state');
  const refused = await callAgent(agent, jar.clone(), '/login/end', { body: { pageUrl: forged.href } });
  t.is(code(refused), 'ERR_AGENT_STATE_MISMATCH');
  t.true(refused.cookies.some((cookie) => cookie.startsWith('__Host-rg-login=; Max-Age=0')));
  // The code was not spent: the genuine callback still logs in.
  t.is((await callAgent(agent, jar, '/login/end', { body: { pageUrl: callback } })).status, 200);
});

test.serial('login end: a replayed code is refused by the AS (ERR_AGENT_CODE_REJECTED)', async (t) => {
  const { agent, jar, callback } = await startLogin();
  const replay = jar.clone();
  t.is((await callAgent(agent, jar, '/login/end', { body: { pageUrl: callback } })).status, 200);
  const refused = await callAgent(agent, replay, '/login/end', { body: { pageUrl: callback } });
  t.is(code(refused), 'ERR_AGENT_CODE_REJECTED');
  t.is((refused.error as { status: number }).status, 400);
  t.false(replay.values.has('__Host-rg-at'));
});

test.serial('login end: no login cookie (so no PKCE verifier), one without a verifier, or with another login\'s verifier is refused', async (t) => {
  const { agent, callback } = await startLogin();
  t.is(code(await callAgent(agent, new CookieJar(), '/login/end', { body: { pageUrl: callback } })), 'ERR_AGENT_LOGIN_COOKIE_INVALID');
  const state = new URL(callback).searchParams.get('state')!;
  const noVerifier = new CookieJar();
  noVerifier.values.set('__Host-rg-login', await sealTestCookie(JSON.stringify({ state, nonce: 'n' }), 'login', key, Math.floor(now / 1000) + 60));
  t.is(code(await callAgent(agent, noVerifier, '/login/end', { body: { pageUrl: callback } })), 'ERR_AGENT_LOGIN_COOKIE_INVALID');
  // The right state with a verifier that does not match the challenge: the AS refuses (RFC 7636 §4.6).
  const wrongVerifier = new CookieJar();
  const login = { state, nonce: 'n', verifier: oauth.generateRandomCodeVerifier() };
  wrongVerifier.values.set('__Host-rg-login', await sealTestCookie(JSON.stringify(login), 'login', key, Math.floor(now / 1000) + 60));
  t.is(code(await callAgent(agent, wrongVerifier, '/login/end', { body: { pageUrl: callback } })), 'ERR_AGENT_CODE_REJECTED');
});

test.serial('the dev AS itself refuses a code exchange without a PKCE verifier', async (t) => {
  const { callback } = await startLogin();
  const client = { client_id: CLIENTS.web.clientId };
  const params = oauth.validateAuthResponse(dev.as, client, new URL(callback), oauth.skipStateCheck);
  const response = await oauth.authorizationCodeGrantRequest(dev.as, client, oauth.ClientSecretBasic(CLIENTS.web.clientSecret), params, `${ORIGIN}/`, oauth.nopkce, insecure);
  const error = await t.throwsAsync(oauth.processAuthorizationCodeResponse(dev.as, client, response));
  t.is((error as oauth.ResponseBodyError).error, 'invalid_grant');
});

test.serial('login end: an expired login cookie is refused (loginLifetime), a tampered one too', async (t) => {
  const { agent, jar, callback } = await startLogin();
  const tampered = jar.clone();
  const value = tampered.values.get('__Host-rg-login')!;
  tampered.values.set('__Host-rg-login', value.slice(0, -3) + (value.endsWith('AAA') ? 'BBB' : 'AAA'));
  t.is(code(await callAgent(agent, tampered, '/login/end', { body: { pageUrl: callback } })), 'ERR_AGENT_LOGIN_COOKIE_INVALID');
  const start = now;
  now += 301_000;
  try {
    t.is(code(await callAgent(agent, jar, '/login/end', { body: { pageUrl: callback } })), 'ERR_AGENT_LOGIN_COOKIE_INVALID');
  } finally {
    now = start;
  }
});

test.serial('login end: the AS\'s error answer, a callback on another URL, a bad body are refused', async (t) => {
  const { agent, jar, started } = await startLogin();
  const state = new URL(body(started).authorizationRequestUrl as string).searchParams.get('state')!;
  const denied = `${ORIGIN}/?error=access_denied&state=${state}&iss=${encodeURIComponent(dev.server.issuer)}`;
  t.is(code(await callAgent(agent, jar.clone(), '/login/end', { body: { pageUrl: denied } })), 'ERR_AGENT_AUTHORIZATION_FAILED');
  t.is(code(await callAgent(agent, jar.clone(), '/login/end', { body: { pageUrl: `https://elsewhere.example/?code=x&state=${state}` } })), 'ERR_AGENT_REQUEST_INVALID');
  for (const bad of [undefined, {}, { pageUrl: 42 }, { pageUrl: 'not a url' }]) {
    t.is(code(await callAgent(agent, jar.clone(), '/login/end', { body: bad })), 'ERR_AGENT_REQUEST_INVALID');
  }
});

test.serial('refresh: the refresh token rotates and a new access-token cookie is issued; the CSRF token is required', async (t) => {
  const { agent, jar, csrf } = await login();
  const before = { at: jar.values.get('__Host-rg-at'), rt: jar.values.get('__Host-rg-rt') };
  t.is(code(await callAgent(agent, jar, '/refresh')), 'ERR_GATEWAY_CSRF_HEADER_MISSING');
  t.is(code(await callAgent(agent, jar, '/refresh', { csrf: 'guessed' })), 'ERR_GATEWAY_CSRF_TOKEN_INVALID');
  const refreshed = await callAgent(agent, jar, '/refresh', { csrf });
  t.is(refreshed.status, 204);
  t.is(refreshed.error, undefined);
  t.not(jar.values.get('__Host-rg-at'), before.at);
  t.not(jar.values.get('__Host-rg-rt'), before.rt);
});

test.serial('refresh after logout fails, clears the session and says so; logout revoked the refresh token and returns the end-session URL', async (t) => {
  const { agent, jar, csrf } = await login();
  const old = jar.clone();
  const loggedOut = await callAgent(agent, jar, '/logout', { csrf });
  t.is(loggedOut.status, 200);
  const endSession = new URL(body(loggedOut).endSessionUrl as string);
  t.is(endSession.origin, dev.server.issuer);
  t.is(endSession.searchParams.get('post_logout_redirect_uri'), `${ORIGIN}/`);
  t.false(endSession.searchParams.has('id_token_hint'));
  t.is(jar.values.size, 0);

  const refused = await callAgent(agent, old, '/refresh', { csrf });
  t.is(code(refused), 'ERR_AGENT_SESSION_EXPIRED');
  t.is((refused.error as { status: number }).status, 401);
  t.is(refused.cookies.filter((cookie) => cookie.includes('Max-Age=0')).length, 5);
  // Without cookies, logout is a CSRF refusal, refresh a missing session.
  t.is(code(await callAgent(agent, new CookieJar(), '/logout', { csrf })), 'ERR_GATEWAY_CSRF_TOKEN_INVALID');
});

test.serial('tampered cookies: refresh token, ID token, a cookie in another\'s place, a foreign key', async (t) => {
  const { agent, jar, csrf } = await login();
  const flip = (value: string) => `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
  const noRefresh = jar.clone();
  noRefresh.values.set('__Host-rg-rt', flip(jar.values.get('__Host-rg-rt')!));
  t.is(code(await callAgent(agent, noRefresh, '/refresh', { csrf })), 'ERR_AGENT_SESSION_MISSING');
  t.is(noRefresh.values.size, 0, 'the session is cleared');

  const swapped = jar.clone();
  swapped.values.set('__Host-rg-at', jar.values.get('__Host-rg-id')!);
  t.is(code(await callAgent(agent, swapped, '/userinfo', { method: 'GET' })), 'ERR_AGENT_SESSION_MISSING');
  const tamperedId = jar.clone();
  tamperedId.values.set('__Host-rg-id', flip(jar.values.get('__Host-rg-id')!));
  t.is(code(await callAgent(agent, tamperedId, '/claims', { method: 'GET' })), 'ERR_AGENT_SESSION_MISSING');

  const otherKeys = createOAuthAgent({ ...options, keys: [{ kid: 'k1', key: randomBytes(32) }] });
  t.is(code(await callAgent(otherKeys, jar.clone(), '/userinfo', { method: 'GET' })), 'ERR_AGENT_SESSION_MISSING');
  t.is(code(await callAgent(otherKeys, jar.clone(), '/refresh', { csrf })), 'ERR_GATEWAY_CSRF_TOKEN_INVALID');
});

test.serial('a foreign Origin is refused on every route; preflights: 204 for the trusted origin, 403 for another', async (t) => {
  const { agent, jar, csrf } = await login();
  for (const [path, method] of [['/login/start', 'POST'], ['/login/end', 'POST'], ['/userinfo', 'GET'], ['/claims', 'GET'], ['/refresh', 'POST'], ['/logout', 'POST']] as const) {
    const refused = await callAgent(agent, jar.clone(), path, { method, origin: 'http://localhost:6666', csrf, body: { pageUrl: `${ORIGIN}/` } });
    t.is(code(refused), 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED', path);
  }
  t.is(code(await callAgent(agent, jar.clone(), '/logout', { origin: null, csrf })), 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED', 'a POST without Origin');
  t.is(code(await callAgent(agent, jar.clone(), '/userinfo', { method: 'GET', origin: null, headers: { 'sec-fetch-site': 'same-site' } })), 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED');

  const preflight = { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST' } };
  const allowed = await callAgent(agent, new CookieJar(), '/refresh', preflight);
  t.is(allowed.status, 204);
  t.like(allowed.headers, { 'access-control-allow-origin': ORIGIN, 'access-control-allow-credentials': 'true' });
  t.regex(allowed.headers['access-control-allow-headers']!, /x-rg-csrf/);
  t.is(code(await callAgent(agent, new CookieJar(), '/refresh', { ...preflight, origin: 'https://evil.example' })), 'ERR_GATEWAY_ORIGIN_NOT_ALLOWED');
});

test.serial('wrong method: 405 with Allow; other paths are not the agent\'s', async (t) => {
  const agent = createOAuthAgent(options);
  const refused = await callAgent(agent, new CookieJar(), '/login/start', { method: 'GET' });
  t.is(code(refused), 'ERR_AGENT_METHOD_NOT_ALLOWED');
  t.is((refused.error as { headers: Record<string, string> }).headers.Allow, 'POST');
  t.is(await agent.handle({ method: 'GET', path: '/elsewhere', headers: {}, readBody: () => Promise.resolve(undefined) }), undefined);
  t.is(code(await callAgent(agent, new CookieJar(), '/userinfo', { method: 'GET' })), 'ERR_AGENT_SESSION_MISSING');
  t.is(code(await callAgent(agent, new CookieJar(), '/refresh', { csrf: 'x' })), 'ERR_GATEWAY_CSRF_TOKEN_INVALID');
});

test.serial('the authorization server down: 503 with Retry-After, never a session', async (t) => {
  const agent = createOAuthAgent({ ...options, agent: { ...options.agent!, issuer: 'http://127.0.0.1:9', timeout: 2000 } });
  const refused = await callAgent(agent, new CookieJar(), '/login/start');
  t.is(code(refused), 'ERR_UPSTREAM_UNAVAILABLE');
  t.is((refused.error as { headers: Record<string, string> }).headers['Retry-After'], '5');
  t.deepEqual(refused.cookies, []);
});

test('createOAuthAgent() validates its options', (t) => {
  const base = { keys: [key], allowedOrigins: [ORIGIN] };
  const agent = { issuer: 'https://as.example', clientId: 'c', clientSecret: 's', redirectUri: `${ORIGIN}/` };
  t.throws(() => createOAuthAgent(base), { instanceOf: TypeError, message: /tokenHandler\.agent/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, issuer: 'http://as.example' } }), { instanceOf: TypeError, message: /agent\.issuer/ });
  t.notThrows(() => createOAuthAgent({ ...base, agent: { ...agent, issuer: 'http://as.example', allowInsecureRequests: true } }));
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, allowInsecureRequests: 'yes' as never } }), { message: /allowInsecureRequests/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, clientId: '' } }), { message: /agent\.clientId/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, clientSecret: undefined as never } }), { message: /agent\.clientSecret/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, redirectUri: 'relative' } }), { message: /agent\.redirectUri/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, postLogoutRedirectUri: '/' } }), { message: /agent\.postLogoutRedirectUri/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, scope: 'orders:read' } }), { message: /agent\.scope/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, resource: '' } }), { message: /agent\.resource/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, loginLifetime: 0 } }), { message: /agent\.loginLifetime/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, fetch: 'x' as never } }), { message: /agent\.fetch/ });
  t.throws(() => createOAuthAgent({ ...base, agent: { ...agent, typo: 1 } as never }), { message: /agent\.typo/ });
  t.throws(() => createOAuthAgent({ ...base, agent, cookiePrefix: 'a b' }), { message: /tokenHandler\.cookiePrefix/ });
  t.throws(() => createOAuthAgent({ ...base, agent, allowBearer: 1 as never }), { message: /tokenHandler\.allowBearer/ });
});

/** The agent's `fetch`, rewriting what the dev AS answers at `path` (the AS itself stays real). */
function answering(path: string, rewrite: (response: Response) => Promise<Response>): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    return new URL(input instanceof Request ? input.url : String(input)).pathname === path ? rewrite(response) : response;
  };
}

test.serial('login end: an ID token that fails validation is refused; a token endpoint answering garbage is 503', async (t) => {
  const forged = createOAuthAgent({ ...options, agent: { ...options.agent!, fetch: answering('/token', async (response) => {
    const tokens = await response.json() as { id_token: string };
    const [header, payload, signature] = tokens.id_token.split('.');
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'mallory' })).toString('base64url');
    return Response.json({ ...tokens, id_token: [header, altered, signature].join('.') });
  }) } });
  const first = await startLogin(forged);
  t.is(code(await callAgent(forged, first.jar, '/login/end', { body: { pageUrl: first.callback } })), 'ERR_AGENT_TOKEN_RESPONSE_INVALID');
  t.false(first.jar.values.has('__Host-rg-at'));

  const garbage = createOAuthAgent({ ...options, agent: { ...options.agent!, fetch: answering('/token', () => Promise.resolve(new Response('<html>', { status: 502 }))) } });
  const second = await startLogin(garbage);
  t.is(code(await callAgent(garbage, second.jar, '/login/end', { body: { pageUrl: second.callback } })), 'ERR_UPSTREAM_UNAVAILABLE');
});

test.serial('the AS failing during refresh is 503 and the session is kept; during logout the cookies are still cleared', async (t) => {
  const { jar, csrf } = await login();
  const down = createOAuthAgent({ ...options, agent: { ...options.agent!, fetch: answering('/token', () => Promise.reject(new TypeError('fetch failed'))) } });
  const refused = await callAgent(down, jar, '/refresh', { csrf });
  t.is(code(refused), 'ERR_UPSTREAM_UNAVAILABLE');
  t.deepEqual(refused.cookies, []);
  t.true(jar.values.has('__Host-rg-rt'));
  const noRevocation = createOAuthAgent({ ...options, agent: { ...options.agent!, fetch: answering('/token/revocation', () => Promise.resolve(new Response('', { status: 503 }))) } });
  const loggedOut = await callAgent(noRevocation, jar, '/logout', { csrf });
  t.is(code(loggedOut), 'ERR_UPSTREAM_UNAVAILABLE');
  t.is(jar.values.size, 0, 'the browser session ends even so');
});

test.serial('an AS without an end-session endpoint: logout answers endSessionUrl null; a session with only its access token is still one', async (t) => {
  const { jar, csrf } = await login();
  const plain = createOAuthAgent({ ...options, agent: { ...options.agent!, fetch: answering('/.well-known/openid-configuration', async (response) => {
    const { end_session_endpoint: _ignored, ...metadata } = await response.json() as Record<string, unknown>;
    return Response.json(metadata);
  }) } });
  const withoutRefresh = jar.clone();
  withoutRefresh.values.delete('__Host-rg-rt');
  t.like(body(await callAgent(plain, withoutRefresh, '/login/end', { body: { pageUrl: `${ORIGIN}/` } })), { isLoggedIn: true });
  const loggedOut = await callAgent(plain, withoutRefresh, '/logout', { csrf });
  t.deepEqual(loggedOut.body, { endSessionUrl: null });
});

test('cookies: an `exp` that is not a number is refused; a Cookie header given as a list is read', async (t) => {
  const agent = createOAuthAgent(options);
  const jar = new CookieJar();
  jar.values.set('__Host-rg-login', await sealTestCookie(JSON.stringify({ state: 's', nonce: 'n', verifier: 'v' }), 'login', key, 'soon' as never));
  t.is(code(await callAgent(agent, jar, '/login/end', { body: { pageUrl: `${ORIGIN}/?code=c&state=s` } })), 'ERR_AGENT_LOGIN_COOKIE_INVALID');
  const listed = await agent.handle({
    method: 'POST', path: '/login/end', headers: { origin: ORIGIN, cookie: ['a=1', 'b=2'] as never }, readBody: () => Promise.resolve({ pageUrl: `${ORIGIN}/` }),
  });
  t.deepEqual(listed?.body, { handled: false, isLoggedIn: false });
});

test.serial('refresh without rotation or a new ID token: the session keeps them and slides (every cookie issued again, the CSRF token unchanged)', async (t) => {
  const { jar, csrf } = await login();
  const before = { rt: jar.values.get('__Host-rg-rt'), id: jar.values.get('__Host-rg-id') };
  const noRotation = createOAuthAgent({ ...options, agent: { ...options.agent!, fetch: answering('/token', async (response) => {
    const { refresh_token: _rt, id_token: _id, ...tokens } = await response.json() as Record<string, unknown>;
    return Response.json(tokens);
  }) } });
  const refreshed = await callAgent(noRotation, jar, '/refresh', { csrf });
  t.is(refreshed.status, 204);
  t.deepEqual(refreshed.cookies.map((cookie) => cookie.split('=')[0]).sort(), ['__Host-rg-at', '__Host-rg-csrf', '__Host-rg-id', '__Host-rg-rt']);
  t.is(body(await callAgent(noRotation, jar, '/claims', { method: 'GET' })).sub, 'alice');
  t.not(jar.values.get('__Host-rg-rt'), before.rt, 'sealed again (a fresh IV)');
  t.is(body(await callAgent(noRotation, jar, '/login/end', { body: { pageUrl: `${ORIGIN}/` } })).csrf, csrf);
});
