/**
 * Phantom token end to end: a client with an opaque token of the real dev AS → the example gateway
 * (Express, Koa; http-proxy-middleware) → introspection with `Accept: application/jwt` → the sample
 * API, which accepts JWTs only (protect(), no introspection) and never sees the opaque token.
 */
import test from 'ava';
import { RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createPhantomToken, type PhantomTokenOptions } from '@resource-guard/gateway';
import { parseChallenges } from '../helpers/challenge.js';
import { clientHandle, clientProof } from '../helpers/dpop.js';
import { decodeJwt, getToken, revoke, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { FRAMEWORKS, carries, opaqueToken, phantomOptions, startGatewaySetup, type GatewaySetup } from '../helpers/gateway.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

for (const framework of FRAMEWORKS) {
  const setups: GatewaySetup[] = [];
  const start = async (options: Partial<PhantomTokenOptions> = {}) => {
    const setup = await startGatewaySetup(framework, (as) => ({ '/phantom': createPhantomToken(phantomOptions(as, options)) }), dev);
    setups.push(setup);
    return setup;
  };
  test.after.always(async () => {
    await Promise.all(setups.map((setup) => setup.close()));
  });

  test.serial(`${framework}: an opaque token reaches the API as the access-token JWT; the opaque token never does`, async (t) => {
    const { gateway, api } = await start();
    const token = await opaqueToken(dev);
    const response = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: `Bearer ${token}` } });
    t.is(response.status, 200);
    const body = await response.json() as { orders: Array<{ owner: string }> };
    t.is(body.orders[0]?.owner, 'demo-client');
    const forwarded = api.requests.at(-1)!;
    t.is(forwarded.url, '/orders');
    const jwt = /^Bearer (\S+)$/.exec(String(forwarded.headers.authorization))?.[1] ?? '';
    const { header, payload } = decodeJwt(jwt);
    t.is(header.typ, 'at+jwt');
    t.is(payload.aud, RESOURCES.opaque);
    t.is(payload.client_id, 'demo-client');
    t.false(carries(api.requests, token));
  });

  test.serial(`${framework}: concurrent requests with one token cost one introspection call; later ones hit the cache`, async (t) => {
    const { gateway } = await start();
    const token = await opaqueToken(dev);
    const before = dev.server.introspectionRequests;
    const statuses = await Promise.all(Array.from({ length: 8 }, async () =>
      (await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: `Bearer ${token}` } })).status));
    t.deepEqual(statuses, Array(8).fill(200));
    t.is((await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    t.is(dev.server.introspectionRequests - before, 1);
  });

  test.serial(`${framework}: a revoked token is 401 invalid_token at the gateway and never reaches the API`, async (t) => {
    const { gateway, api } = await start();
    const token = await opaqueToken(dev);
    await revoke(dev, dev.server.clients.demo, token);
    const seen = api.requests.length;
    const response = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: `Bearer ${token}` } });
    t.is(response.status, 401);
    const [challenge] = parseChallenges(response.headers.get('www-authenticate') ?? undefined);
    t.is(challenge?.scheme, 'Bearer');
    t.is(challenge?.params.error, 'invalid_token');
    t.is((await response.json() as { error: string }).error, 'invalid_token');
    t.is(api.requests.length, seen);
  });

  test.serial(`${framework}: the authorization server down is 503 with Retry-After, never 401`, async (t) => {
    const { gateway, api, logged } = await start({ introspection: { ...phantomOptions(dev).introspection, endpoint: 'http://127.0.0.1:9/introspect' } });
    const seen = api.requests.length;
    const response = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: 'Bearer some-opaque-token' } });
    t.is(response.status, 503);
    t.truthy(response.headers.get('retry-after'));
    t.is(api.requests.length, seen);
    t.true(logged.some((line) => line.includes('ERR_INTROSPECTION_UNAVAILABLE')));
  });

  test.serial(`${framework}: no token is 401 without error; two Authorization headers are 400; neither reaches the API`, async (t) => {
    const { gateway, api } = await start();
    const seen = api.requests.length;
    const none = await fetch(`${gateway.url}/phantom/orders`);
    t.is(none.status, 401);
    const [challenge] = parseChallenges(none.headers.get('www-authenticate') ?? undefined);
    t.is(challenge?.params.error, undefined);
    t.is(challenge?.params.realm, 'gateway');
    const basic = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: 'Basic YTpi' } });
    t.is(basic.status, 401);
    const malformed = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: 'Bearer a,b' } });
    t.is(malformed.status, 400);
    t.is(api.requests.length, seen);
  });

  test.serial(`${framework}: DPoP fails closed: a bound token is refused at the gateway, as Bearer (downgrade) and with the DPoP scheme`, async (t) => {
    const { gateway, api } = await start();
    const seen = api.requests.length;
    const { handle } = await clientHandle();
    const token = (await getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource: RESOURCES.opaque, DPoP: handle })).access_token;
    const asBearer = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: `Bearer ${token}` } });
    t.is(asBearer.status, 401);
    t.is(parseChallenges(asBearer.headers.get('www-authenticate') ?? undefined).find((c) => c.scheme === 'Bearer')?.params.error, 'invalid_token');
    const proof = await clientProof(handle, token, `${gateway.url}/phantom/orders`);
    const asDpop = await fetch(`${gateway.url}/phantom/orders`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    t.is(asDpop.status, 401);
    t.is(api.requests.length, seen);
  });

  test.serial(`${framework}: a CORS preflight passes without a token, stripped of any credential`, async (t) => {
    const { gateway, api } = await start();
    const response = await fetch(`${gateway.url}/phantom/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example', 'access-control-request-method': 'GET', authorization: 'Bearer not-forwarded' },
    });
    t.not(response.status, 401);
    const forwarded = api.requests.at(-1)!;
    t.is(forwarded.method, 'OPTIONS');
    t.is(forwarded.headers.authorization, undefined);
  });
}

test('the opaque token sent straight to the API is refused: it accepts JWTs only', async (t) => {
  const setup = await startGatewaySetup('express', (as) => ({ '/phantom': createPhantomToken(phantomOptions(as)) }), dev);
  t.teardown(() => setup.close());
  const response = await fetch(`${setup.api.url}/orders`, { headers: { authorization: `Bearer ${await opaqueToken(dev)}` } });
  t.is(response.status, 401);
});
