/**
 * The redirect policy of authorization-server calls (`http/upstream.ts`): discovery and JWKS (GETs
 * of public documents) follow a redirect to the same origin, at most twice, and the metadata must
 * still name the configured issuer; every other redirect (another origin, too many hops, any POST)
 * is refused with a detail naming its `Location` and the option to set. Against loopback servers
 * that answer as django-oauth-toolkit does (its metadata only under a trailing slash).
 */
import test from 'ava';
import { CompactSign } from 'jose';
import { createGuard } from '@resource-guard/core';
import { AUDIENCE, generateTestKeyPair } from '../helpers/issuer.js';
import { activeBody, rejection, requestWith, startEndpoint, type Answer, type Endpoint } from '../helpers/introspection.js';

const key = { ...generateTestKeyPair('ES256'), kid: 'k1' };

const originOf = (endpoint: Endpoint) => new URL(endpoint.url).origin;

/** A server that routes by path: `routes[path]` or 404. */
async function startRouted(routes: (origin: string) => Record<string, Answer>): Promise<Endpoint> {
  const server = await startEndpoint(() => ({ status: 404 }));
  const table = routes(originOf(server));
  server.respond = (request) => table[request.url] ?? { status: 404 };
  return server;
}

const sign = (claims: Record<string, unknown>) => new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
  .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
  .sign(key.privateKey);

const tokenFor = (iss: string) => {
  const now = Math.floor(Date.now() / 1000);
  return sign({ iss, aud: AUDIENCE, sub: 'user-1', client_id: 'c', iat: now, exp: now + 300, jti: 'j1' });
};

const moved = (location: string, status = 301): Answer => ({ status, headers: { location } });
const jwks = (): Answer => ({ body: { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'ES256', use: 'sig' }] } });

test('django-oauth-toolkit: the standard URL answers 301 to the trailing-slash one; followed, and the token verifies', async (t) => {
  const server = await startRouted((origin) => ({
    '/o/.well-known/openid-configuration': moved(`${origin}/o/.well-known/openid-configuration/`),
    '/o/.well-known/openid-configuration/': { body: { issuer: `${origin}/o`, jwks_uri: `${origin}/o/.well-known/jwks.json` } },
    '/o/.well-known/jwks.json': jwks(),
  }));
  t.teardown(() => server.close());
  const issuer = `${originOf(server)}/o`;
  const guard = createGuard({ issuer, audience: AUDIENCE });
  const auth = await guard.verify(requestWith(await tokenFor(issuer)));
  t.is(auth.issuer, issuer);
  t.deepEqual(server.calls.map((call) => call.url), [
    '/o/.well-known/openid-configuration', '/o/.well-known/openid-configuration/', '/o/.well-known/jwks.json',
  ]);
});

test('a relative Location and a JWKS behind a redirect are followed the same way', async (t) => {
  const server = await startRouted((origin) => ({
    '/.well-known/openid-configuration': moved('/meta', 302),
    '/meta': { body: { issuer: origin, jwks_uri: `${origin}/keys` } },
    '/keys': moved('/keys/v2', 308),
    '/keys/v2': jwks(),
  }));
  t.teardown(() => server.close());
  const issuer = originOf(server);
  const auth = await createGuard({ issuer, audience: AUDIENCE }).verify(requestWith(await tokenFor(issuer)));
  t.is(auth.subject, 'user-1');
  t.deepEqual(server.calls.map((call) => call.url), ['/.well-known/openid-configuration', '/meta', '/keys', '/keys/v2']);
});

test('behind a redirect the metadata must still name exactly the configured issuer (RFC 8414 §3.3)', async (t) => {
  const server = await startRouted((origin) => ({
    '/o/.well-known/openid-configuration': moved('/o/.well-known/openid-configuration/'),
    '/o/.well-known/openid-configuration/': { body: { issuer: `${origin}/other`, jwks_uri: `${origin}/o/jwks` } },
  }));
  t.teardown(() => server.close());
  const issuer = `${originOf(server)}/o`;
  const error = await rejection(t, createGuard({ issuer, audience: AUDIENCE }).verify(requestWith(await tokenFor(issuer))));
  t.is(error.code, 'ERR_DISCOVERY_UNAVAILABLE');
  t.true(error.detail!.includes(`named issuer "${originOf(server)}/other", expected "${issuer}"`));
});

test('a redirect to another origin is not followed: 503 whose detail names the Location and the options to set', async (t) => {
  const elsewhere = await startRouted(() => ({}));
  t.teardown(() => elsewhere.close());
  const target = `${originOf(elsewhere)}/.well-known/openid-configuration`;
  const server = await startRouted(() => ({ '/.well-known/openid-configuration': moved(target) }));
  t.teardown(() => server.close());
  const issuer = originOf(server);
  const error = await rejection(t, createGuard({ issuer, audience: AUDIENCE }).verify(requestWith(await tokenFor(issuer))));
  t.is(error.code, 'ERR_DISCOVERY_UNAVAILABLE');
  t.is(error.status, 503);
  t.true(error.detail!.includes(`GET ${issuer}/.well-known/openid-configuration answered HTTP 301 to "${target}"`), error.detail);
  t.regex(error.detail!, /set "issuer" to the issuer the metadata names, or "jwksUri"/);
  t.is(elsewhere.calls.length, 0, 'the other origin was never asked');
});

test('more than two redirects are not followed; the detail names where the last one pointed', async (t) => {
  const server = await startRouted(() => ({
    '/.well-known/openid-configuration': moved('/a'),
    '/a': moved('/b'),
    '/b': moved('/c'),
    '/c': { body: {} },
  }));
  t.teardown(() => server.close());
  const issuer = originOf(server);
  const error = await rejection(t, createGuard({ issuer, audience: AUDIENCE }).verify(requestWith(await tokenFor(issuer))));
  t.is(error.code, 'ERR_DISCOVERY_UNAVAILABLE');
  t.true(error.detail!.includes(`answered HTTP 301 to "${issuer}/c"`), error.detail);
  t.deepEqual(server.calls.map((call) => call.url), ['/.well-known/openid-configuration', '/a', '/b']);
});

test('a JWKS redirected to another origin: 503 naming the Location and "jwksUri"', async (t) => {
  const server = await startRouted((origin) => ({
    '/.well-known/openid-configuration': { body: { issuer: origin, jwks_uri: `${origin}/keys` } },
    '/keys': moved('https://keys.example.test/jwks'),
  }));
  t.teardown(() => server.close());
  const issuer = originOf(server);
  const error = await rejection(t, createGuard({ issuer, audience: AUDIENCE }).verify(requestWith(await tokenFor(issuer))));
  t.is(error.code, 'ERR_JWKS_UNAVAILABLE');
  t.regex(error.detail!, /answered HTTP 301 to "https:\/\/keys\.example\.test\/jwks".*set "jwksUri"/);
});

test('introspection (a POST carrying the token) never follows a redirect, even to the same origin; the detail says what to set', async (t) => {
  const endpoint = await startEndpoint((request) => (request.url === '/introspect' ? moved('/introspect/', 307) : { body: activeBody() }));
  t.teardown(() => endpoint.close());
  const guard = createGuard({
    issuer: 'https://as.example.test', audience: AUDIENCE,
    introspection: { endpoint: endpoint.url, clientId: 'api', clientSecret: 'secret' },
  });
  const error = await rejection(t, guard.verify(requestWith('opaque-token-1')));
  t.is(error.code, 'ERR_INTROSPECTION_UNAVAILABLE');
  t.true(error.detail!.includes(`POST ${endpoint.url} answered HTTP 307 to "${endpoint.url}/"`), error.detail);
  t.regex(error.detail!, /set "introspection\.endpoint"/);
  t.is(endpoint.calls.length, 1, 'the redirect target was never sent the token');
});

test('a Location that is no URL is reported as the plain status', async (t) => {
  const server = await startRouted(() => ({ '/.well-known/openid-configuration': moved('http://[::1') }));
  t.teardown(() => server.close());
  const issuer = originOf(server);
  const error = await rejection(t, createGuard({ issuer, audience: AUDIENCE }).verify(requestWith(await tokenFor(issuer))));
  t.is(error.code, 'ERR_DISCOVERY_UNAVAILABLE');
  t.is(error.detail, `GET ${issuer}/.well-known/openid-configuration`);
});
