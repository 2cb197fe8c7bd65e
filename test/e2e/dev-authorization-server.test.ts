/**
 * The dev authorization server, driven by the real client library (oauth4webapi): JWT and
 * opaque tokens per resource indicator, introspection (JSON and RFC 9701 JWT), revocation,
 * DPoP- and certificate-bound tokens, expiry, and the client/scope/resource policies.
 */
import { createHash, type webcrypto } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import test from 'ava';
import * as oauth from 'oauth4webapi';
import {
  loadDevClientCertificate,
  startAuthorizationServer,
  CLIENT_CERT_HEADER,
  CLIENTS,
  RESOURCES,
  SHORT_LIVED_TTL,
} from '@resource-guard-tools/dev-authorization-server';

import {
  decodeJwt,
  getToken,
  insecure,
  introspect,
  introspectJwt,
  revoke,
  startDevAs,
  type DevAs,
} from '../helpers/dev-as.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

/** RFC 7638 thumbprint of a public EC key, as DPoP's `cnf.jkt`. */
async function jkt(key: webcrypto.CryptoKey): Promise<string> {
  const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', key);
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

/** The request a resource server would receive for `token` (DPoP proof included when given). */
async function resourceRequest(token: string, DPoP?: oauth.DPoPHandle): Promise<Request> {
  let captured: Request | undefined;
  const url = new URL('http://127.0.0.1/orders');
  await oauth.protectedResourceRequest(token, 'GET', url, new Headers(), null, {
    DPoP,
    ...insecure,
    [oauth.customFetch]: async (input, init) => {
      captured = new Request(input, init as RequestInit);
      return new Response(null, { status: 204 });
    },
  });
  if (!captured) throw new Error('no request captured');
  return captured;
}

/** oauth4webapi's RFC 9068 resource-server check of a JWT access token. */
function validateJwt(request: Request, options: oauth.ValidateJWTAccessTokenOptions = {}) {
  return oauth.validateJwtAccessToken(dev.as, request, RESOURCES.jwt, { ...insecure, ...options });
}

test('discovery advertises what the resource guard needs', (t) => {
  t.is(dev.as.issuer, dev.server.issuer);
  t.regex(dev.server.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.truthy(dev.as.jwks_uri);
  t.truthy(dev.as.introspection_endpoint);
  t.truthy(dev.as.revocation_endpoint);
  t.true(dev.as.grant_types_supported?.includes('client_credentials'));
  t.true(dev.as.dpop_signing_alg_values_supported?.includes('ES256'));
  t.true(dev.as.introspection_signing_alg_values_supported?.includes('ES256'));
  t.is(dev.as.tls_client_certificate_bound_access_tokens, true);
  for (const scope of ['orders:read', 'orders:write', 'profile:read', 'admin']) {
    t.true(dev.as.scopes_supported?.includes(scope), scope);
  }
});

test('JWT access token for the jwt resource: at+jwt, ES256, kid in the JWKS, RFC 9068 claims', async (t) => {
  const tokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:read admin', resource: RESOURCES.jwt });
  t.is(tokens.token_type, 'bearer');
  t.is(tokens.scope, 'orders:read admin');

  const { header, payload } = decodeJwt(tokens.access_token);
  t.is(header['typ'], 'at+jwt');
  t.is(header['alg'], 'ES256');
  const jwks = (await (await fetch(dev.as.jwks_uri!)).json()) as { keys: { kid: string; alg: string }[] };
  t.is(jwks.keys.find((k) => k.kid === header['kid'])?.alg, 'ES256');
  t.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);

  t.is(payload['iss'], dev.server.issuer);
  t.is(payload['aud'], RESOURCES.jwt);
  t.is(payload['client_id'], CLIENTS.demo.clientId);
  t.is(payload['sub'], CLIENTS.demo.clientId);
  t.is(payload['scope'], 'orders:read admin');
  t.is(typeof payload['jti'], 'string');
  t.is((payload['exp'] as number) - (payload['iat'] as number), 600);

  // The real client library, acting as a resource server, accepts it (signature, typ, iss, aud, exp).
  const claims = await validateJwt(await resourceRequest(tokens.access_token));
  t.is(claims.client_id, CLIENTS.demo.clientId);
});

test('no resource parameter defaults to the jwt resource; unknown scopes are dropped', async (t) => {
  const tokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:read no-such-scope' });
  const { payload } = decodeJwt(tokens.access_token);
  t.is(payload['aud'], RESOURCES.jwt);
  t.is(payload['scope'], 'orders:read');
});

test('opaque token: introspect (active), revoke, introspect again (inactive)', async (t) => {
  const tokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:write', resource: RESOURCES.opaque });
  t.is(tokens.access_token.split('.').length, 1, 'not a JWT');

  const active = await introspect(dev, tokens.access_token);
  t.like(active, {
    active: true,
    aud: RESOURCES.opaque,
    scope: 'orders:write',
    client_id: CLIENTS.demo.clientId,
    iss: dev.server.issuer,
    token_type: 'Bearer',
  });
  t.true((active.exp ?? 0) > Date.now() / 1000);

  await revoke(dev, CLIENTS.demo, tokens.access_token);
  t.deepEqual(await introspect(dev, tokens.access_token), { active: false });
});

test('RFC 9701 JWT introspection response for the resource-server client', async (t) => {
  const tokens = await getToken(dev, CLIENTS.demo, { scope: 'profile:read', resource: RESOURCES.opaque });
  const { introspection, jwt, contentType } = await introspectJwt(dev, tokens.access_token);
  t.regex(contentType ?? '', /^application\/token-introspection\+jwt/);
  const { header, payload } = decodeJwt(jwt);
  t.is(header['typ'], 'token-introspection+jwt');
  t.is(header['alg'], 'ES256');
  t.is(payload['iss'], dev.server.issuer);
  t.is(payload['aud'], CLIENTS.resourceServer.clientId);
  t.like(introspection, { active: true, aud: RESOURCES.opaque, scope: 'profile:read', client_id: 'demo-client' });
});

test('DPoP-bound tokens: cnf.jkt in the JWT and in the introspection response', async (t) => {
  const keyPair = await oauth.generateKeyPair('ES256');
  const thumbprint = await jkt(keyPair.publicKey);
  const DPoP = oauth.DPoP({}, keyPair);

  const jwtTokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt, DPoP });
  t.is(jwtTokens.token_type, 'dpop');
  t.deepEqual(decodeJwt(jwtTokens.access_token).payload['cnf'], { jkt: thumbprint });
  // A resource request with a fresh proof from the same key passes oauth4webapi's RS checks.
  const claims = await validateJwt(await resourceRequest(jwtTokens.access_token, DPoP), { requireDPoP: true });
  t.deepEqual(claims['cnf'], { jkt: thumbprint });

  const opaqueTokens = await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.opaque, DPoP });
  t.is(opaqueTokens.token_type, 'dpop');
  t.like(await introspect(dev, opaqueTokens.access_token), { active: true, token_type: 'DPoP', cnf: { jkt: thumbprint } });
});

test('certificate-bound tokens (RFC 8705) for mtls-client, certificate via the dev header', async (t) => {
  const cert = loadDevClientCertificate();
  const headers = { [CLIENT_CERT_HEADER]: cert.header };
  const jwtTokens = await getToken(dev, CLIENTS.mtls, { scope: 'orders:read', resource: RESOURCES.jwt, headers });
  t.deepEqual(decodeJwt(jwtTokens.access_token).payload['cnf'], { 'x5t#S256': cert.thumbprint });

  const opaque = await getToken(dev, CLIENTS.mtls, { scope: 'orders:read', resource: RESOURCES.opaque, headers });
  t.like(await introspect(dev, opaque.access_token), { active: true, cnf: { 'x5t#S256': cert.thumbprint } });

  const err = await t.throwsAsync(getToken(dev, CLIENTS.mtls, { scope: 'orders:read' }), {
    instanceOf: oauth.ResponseBodyError,
  });
  t.is(err?.error, 'invalid_grant', 'no certificate, no token');
});

test('short-lived-client tokens expire after 2 seconds', async (t) => {
  const jwtTokens = await getToken(dev, CLIENTS.shortLived, { scope: 'orders:read', resource: RESOURCES.jwt });
  const opaque = await getToken(dev, CLIENTS.shortLived, { scope: 'orders:read', resource: RESOURCES.opaque });
  t.is(jwtTokens.expires_in, SHORT_LIVED_TTL);
  const { payload } = decodeJwt(jwtTokens.access_token);
  t.is((payload['exp'] as number) - (payload['iat'] as number), SHORT_LIVED_TTL);
  t.like(await introspect(dev, opaque.access_token), { active: true });

  await sleep(SHORT_LIVED_TTL * 1000 + 500);

  const expired = validateJwt(await resourceRequest(jwtTokens.access_token), { [oauth.clockTolerance]: 0 });
  const err = await t.throwsAsync(expired, {
    instanceOf: oauth.OperationProcessingError,
  });
  t.is(err?.code, oauth.JWT_TIMESTAMP_CHECK);
  t.deepEqual(await introspect(dev, opaque.access_token), { active: false });
});

test('client, scope and resource policies', async (t) => {
  const limited = await getToken(dev, CLIENTS.limited, { scope: 'profile:read' });
  t.is(limited.scope, 'profile:read');

  const errorOf = async (promise: Promise<unknown>) =>
    (await t.throwsAsync(promise, { instanceOf: oauth.ResponseBodyError }))?.error;
  t.is(await errorOf(getToken(dev, CLIENTS.limited, { scope: 'orders:read' })), 'invalid_scope');
  t.is(await errorOf(getToken(dev, CLIENTS.demo, { resource: 'urn:no-such-api' })), 'invalid_target');
  t.truthy(await errorOf(getToken(dev, CLIENTS.resourceServer, { scope: 'admin' })), 'resource-server has no grants');
  const badSecret = await t.throwsAsync(getToken(dev, { ...CLIENTS.demo, clientSecret: 'wrong' }), {
    instanceOf: oauth.WWWAuthenticateChallengeError,
  });
  t.is(badSecret?.status, 401);
  t.is(badSecret?.cause[0]?.parameters.error, 'invalid_client');
});

test('introspection and revocation policies', async (t) => {
  const { access_token: token } = await getToken(dev, CLIENTS.demo, { scope: 'admin', resource: RESOURCES.opaque });
  // Its own client may introspect it; an unrelated client gets active:false.
  t.like(await introspect(dev, token, CLIENTS.demo), { active: true });
  t.deepEqual(await introspect(dev, token, CLIENTS.limited), { active: false });
  // An unrelated client's revocation is a silent no-op.
  await revoke(dev, CLIENTS.limited, token);
  t.like(await introspect(dev, token), { active: true });

  // oidc-provider refuses to introspect (or revoke) JWT access tokens: they are self-contained.
  const jwt = await getToken(dev, CLIENTS.demo, { scope: 'admin', resource: RESOURCES.jwt });
  const err = await t.throwsAsync(introspect(dev, jwt.access_token), { instanceOf: oauth.ResponseBodyError });
  t.is(err?.error, 'unsupported_token_type');
});

test('startAuthorizationServer: random port, fresh keys, close() stops it', async (t) => {
  const other = await startAuthorizationServer();
  t.not(other.issuer, dev.server.issuer);
  t.deepEqual(other.resources, RESOURCES);
  t.is(other.clients.demo.clientSecret, 'demo-client-secret');
  const keys = async (issuer: string) =>
    ((await (await fetch(`${issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  t.notDeepEqual(await keys(other.issuer), await keys(dev.server.issuer));
  await other.close();
  await t.throwsAsync(fetch(`${other.issuer}/jwks`));
});
