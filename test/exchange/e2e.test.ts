/**
 * Token exchange end to end (RFC 8693) against the real dev authorization server: the orders API
 * verifies its caller's token, exchanges it for an inventory token and calls the inventory API,
 * which verifies its own audience. A recording inventory asserts that the caller's own token never
 * reaches it, whatever the test. On both backends; DPoP-bound exchanges (a private signing key,
 * node backend only) are in e2e.node.test.ts.
 */
import test from 'ava';
import {
  CLIENTS, EXCHANGE_SCOPES, RESOURCES, startAuthorizationServer,
} from '@resource-guard-tools/dev-authorization-server';
import { createGuard, isGuardError, TokenExchangeRefusedError } from '@resource-guard/core';
import { getToken } from '../helpers/dev-as.js';
import { carriesToken, startRecordingDownstream, verifyCaller } from '../helpers/exchange.js';
import { useExchangeE2e } from '../helpers/exchange-e2e.js';

const e2e = useExchangeE2e(test);
const { inbound, clock, ordersGuard, exchangeOf, callerToken, ordersCaller } = e2e;

test.serial('exchange: an inventory token for the caller, accepted by the inventory API; the caller\'s own token is refused there', async (t) => {
  const { exchange, token, auth } = await ordersCaller();
  const before = e2e.dev.server.tokensExchanged;
  const issued = await exchange.exchangeToken(auth, { audience: RESOURCES.inventory, scope: 'inventory:read' });
  t.is(e2e.dev.server.tokensExchanged - before, 1);
  t.is(issued.tokenType, 'Bearer');
  t.is(issued.issuedTokenType, 'urn:ietf:params:oauth:token-type:access_token');
  t.is(issued.scope, 'inventory:read');
  t.true(issued.expiresAt! > Date.now() / 1000);
  t.not(issued.accessToken, token);
  t.false(JSON.stringify(issued).includes(issued.accessToken), 'the issued token is not enumerable');

  const downstream = await e2e.inventory.guard.verify({ method: 'GET', url: 'https://inventory.test/', headers: { authorization: `Bearer ${issued.accessToken}` } });
  t.is(downstream.subject, auth.subject);
  t.deepEqual(downstream.audience, [RESOURCES.inventory]);

  const response = await exchange.downstreamFetch(auth, `${e2e.inventory.url}/stock`, undefined, { audience: RESOURCES.inventory, scope: 'inventory:read' });
  t.is(response.status, 200);
  t.deepEqual(await response.json(), { sub: auth.subject, scope: ['inventory:read'] });
  t.is(e2e.dev.server.tokensExchanged - before, 1, 'downstreamFetch reused the exchanged token');

  const direct = await fetch(`${e2e.inventory.url}/stock`, { headers: { authorization: `Bearer ${token}` } });
  t.is(direct.status, 401, 'the inbound token sent directly is refused by its audience');
  e2e.inventory.requests.pop(); // that request carried the inbound token on purpose: it is not ours to check
});

test.serial('an opaque caller token (introspected) is exchanged the same way', async (t) => {
  const guard = ordersGuard();
  const exchange = exchangeOf(guard);
  const auth = await verifyCaller(guard, await callerToken(RESOURCES.opaque));
  t.is(auth.format, 'opaque');
  const response = await exchange.downstreamFetch(auth, `${e2e.inventory.url}/stock`, { method: 'POST', body: 'x=1' }, { resource: RESOURCES.inventory });
  t.is(response.status, 200);
  // A client-credentials token's subject is its client (the dev AS's rule for opaque tokens, which introspect without `sub`).
  t.deepEqual(await response.json(), { sub: CLIENTS.demo.clientId, scope: [...EXCHANGE_SCOPES] });
});

test.serial('reuse from the cache: once per subject token and target; another scope, user or target is another exchange', async (t) => {
  const guard = ordersGuard();
  const exchange = exchangeOf(guard);
  const alice = await verifyCaller(guard, await callerToken());
  const bob = await verifyCaller(guard, await callerToken(RESOURCES.jwt, CLIENTS.shortLived));
  const before = e2e.dev.server.tokenExchangeRequests;
  const first = await exchange.exchangeToken(alice, { audience: RESOURCES.inventory, scope: 'inventory:read' });
  const again = await exchange.exchangeToken(await verifyCaller(guard, alice.token), { audience: [RESOURCES.inventory], scope: ['inventory:read'] });
  t.is(again.accessToken, first.accessToken);
  t.is(e2e.dev.server.tokenExchangeRequests - before, 1);
  const wider = await exchange.exchangeToken(alice, { audience: RESOURCES.inventory, scope: 'inventory:write inventory:read' });
  t.not(wider.accessToken, first.accessToken);
  t.is((await exchange.exchangeToken(alice, { audience: RESOURCES.inventory, scope: 'inventory:read inventory:write' })).accessToken, wider.accessToken, 'scope order does not matter');
  await exchange.exchangeToken(bob, { audience: RESOURCES.inventory, scope: 'inventory:read' });
  t.is(e2e.dev.server.tokenExchangeRequests - before, 3);
});

test.serial('expiry: reused until min(expires_in, subject exp) − skew, then exchanged again', async (t) => {
  const guard = ordersGuard();
  const exchange = exchangeOf(guard, { expirySkew: 60 });
  const auth = await verifyCaller(guard, await callerToken());
  const target = { audience: RESOURCES.inventory };
  const before = e2e.dev.server.tokenExchangeRequests;
  const first = await exchange.exchangeToken(auth, target);
  const reuseUntil = (first.expiresAt! - 60) * 1000;
  try {
    e2e.offset = reuseUntil - 2000 - Date.now();
    t.is((await exchange.exchangeToken(auth, target)).accessToken, first.accessToken, 'still reused just before');
    t.is(e2e.dev.server.tokenExchangeRequests - before, 1);
    e2e.offset = reuseUntil + 1000 - Date.now();
    await exchange.exchangeToken(auth, target);
    t.is(e2e.dev.server.tokenExchangeRequests - before, 2, 'exchanged again once past expiry − skew');
  } finally {
    e2e.offset = 0;
  }
});

test.serial('refusals: invalid_target, invalid_scope, a subject token not meant for this API → 403 ERR_EXCHANGE_REFUSED, nothing cached', async (t) => {
  const guard = ordersGuard();
  const exchange = exchangeOf(guard);
  const auth = await verifyCaller(guard, await callerToken());
  const cases = [
    [{ audience: RESOURCES.opaque }, 'invalid_target'],
    [{ audience: RESOURCES.inventory, scope: 'admin' }, 'invalid_scope'],
  ] as const;
  for (const [target, oauthError] of cases) {
    const before = e2e.dev.server.tokenExchangeRequests;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await t.throwsAsync(exchange.exchangeToken(auth, target), { instanceOf: TokenExchangeRefusedError });
      t.is(error.code, 'ERR_EXCHANGE_REFUSED');
      t.is(error.status, 403);
      t.is(error.oauthError, oauthError);
      t.deepEqual(error.headers, {}, 'no challenge: the caller\'s token is fine');
    }
    t.is(e2e.dev.server.tokenExchangeRequests - before, 2, 'a refusal is not cached');
  }
  // A token for another API (a loopback resource) is valid for a guard of that API, but was not sent to the orders API.
  const elsewhere = 'http://127.0.0.1:9/elsewhere';
  const wide = createGuard({ issuer: e2e.dev.server.issuer, audience: elsewhere, clock });
  const foreign = await verifyCaller(wide, await callerToken(elsewhere));
  const error = await t.throwsAsync(exchangeOf(wide).exchangeToken(foreign, { audience: RESOURCES.inventory }), { instanceOf: TokenExchangeRefusedError });
  t.is(error.oauthError, 'invalid_grant');
  t.is(error.status, 403);
});

test.serial('refusals of this API as a client (wrong secret, a client without the grant) → 502 ERR_EXCHANGE_CLIENT_REJECTED, logged', async (t) => {
  const logged: string[] = [];
  const logger = { warn: (line: string) => logged.push(line), error: (line: string) => logged.push(line) };
  const guard = createGuard({ issuer: e2e.dev.server.issuer, audience: RESOURCES.jwt, clock, logger });
  const auth = await verifyCaller(guard, await callerToken());
  for (const [options, oauthError] of [
    [{ clientSecret: 'wrong' }, 'invalid_client'],
    [{ clientId: CLIENTS.demo.clientId, clientSecret: CLIENTS.demo.clientSecret }, 'invalid_request'],
    [{ clientAuth: 'client_secret_post' as const }, undefined],
  ] as const) {
    const exchange = exchangeOf(guard, options);
    if (oauthError === undefined) {
      t.is((await exchange.exchangeToken(auth, { audience: RESOURCES.inventory })).tokenType, 'Bearer', 'client_secret_post works too');
      continue;
    }
    const error = await t.throwsAsync(exchange.exchangeToken(auth, { audience: RESOURCES.inventory }), { instanceOf: TokenExchangeRefusedError });
    t.is(error.code, 'ERR_EXCHANGE_CLIENT_REJECTED');
    t.is(error.status, 502);
    t.is(error.oauthError, oauthError);
  }
  t.is(logged.length, 2);
  for (const line of logged) for (const token of inbound) t.false(line.includes(token));
});

test.serial('AS down: 503 ERR_EXCHANGE_UNAVAILABLE with Retry-After on every call (a failure is never cached)', async (t) => {
  const server = await startAuthorizationServer();
  const guard = createGuard({ issuer: server.issuer, audience: RESOURCES.jwt, httpTimeout: 1000 });
  const exchange = exchangeOf(guard);
  const token = (await getToken({ ...e2e.dev, server, as: { ...e2e.dev.as, issuer: server.issuer, token_endpoint: `${server.issuer}/token` } }, CLIENTS.demo, { resource: RESOURCES.jwt })).access_token;
  inbound.push(token);
  const auth = await verifyCaller(guard, token);
  await server.close();
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const error = await t.throwsAsync(exchange.downstreamFetch(auth, `${e2e.inventory.url}/stock`, undefined, { audience: RESOURCES.inventory }));
    t.true(isGuardError(error));
    t.is((error as { code?: string }).code, 'ERR_EXCHANGE_UNAVAILABLE');
    t.is((error as { status?: number }).status, 503);
    t.is((error as { headers?: Record<string, string> }).headers?.['Retry-After'], '5');
  }
});

test.serial('50 concurrent downstream calls for one caller: one exchange', async (t) => {
  const guard = ordersGuard();
  const exchange = exchangeOf(guard);
  const auth = await verifyCaller(guard, await callerToken());
  const before = e2e.dev.server.tokenExchangeRequests;
  const seen = e2e.inventory.requests.length;
  const responses = await Promise.all(Array.from({ length: 50 }, () => exchange.downstreamFetch(auth, `${e2e.inventory.url}/stock`, undefined, { audience: RESOURCES.inventory })));
  t.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
  t.is(e2e.dev.server.tokenExchangeRequests - before, 1);
  t.is(e2e.inventory.requests.length - seen, 50);
  t.is(new Set(e2e.inventory.requests.slice(seen).map((request) => request.headers.authorization)).size, 1, 'all with the one exchanged token');
});

test.serial('downstreamFetch never sends the caller\'s token: Authorization/DPoP in init, or the token in the URL, a header or the body, is a TypeError and nothing is sent', async (t) => {
  const { exchange, token, auth } = await ordersCaller();
  const seen = e2e.inventory.requests.length;
  const target = { audience: RESOURCES.inventory };
  const attempts: Array<[string, RequestInit | undefined]> = [
    [`${e2e.inventory.url}/stock`, { headers: { authorization: `Bearer ${token}` } }],
    [`${e2e.inventory.url}/stock`, { headers: { dpop: 'x' } }],
    [`${e2e.inventory.url}/stock?access_token=${token}`, undefined],
    [`${e2e.inventory.url}/stock`, { headers: { 'x-forwarded-token': token } }],
    [`${e2e.inventory.url}/stock`, { method: 'POST', body: `token=${token}` }],
    [`${e2e.inventory.url}/stock`, { method: 'POST', body: new URLSearchParams({ token }) }],
  ];
  for (const [url, init] of attempts) await t.throwsAsync(exchange.downstreamFetch(auth, url, init, target), { instanceOf: TypeError });
  t.is(e2e.inventory.requests.length, seen, 'nothing was sent');
  for (const request of e2e.inventory.requests) for (const sent of inbound) t.false(carriesToken(request, sent));
});

test.serial('a downstream 401 drops the cached token: the next call exchanges again', async (t) => {
  const guard = ordersGuard();
  const exchange = exchangeOf(guard);
  const auth = await verifyCaller(guard, await callerToken());
  const before = e2e.dev.server.tokenExchangeRequests;
  // The opaque API's guard refuses inventory tokens (their audience is not its own): a 401.
  const refusing = await startRecordingDownstream({ issuer: e2e.dev.server.issuer, audience: RESOURCES.opaque });
  t.teardown(() => refusing.close());
  t.is((await exchange.downstreamFetch(auth, `${refusing.url}/x`, undefined, { audience: RESOURCES.inventory })).status, 401);
  t.is((await exchange.downstreamFetch(auth, `${e2e.inventory.url}/stock`, undefined, { audience: RESOURCES.inventory })).status, 200);
  t.is(e2e.dev.server.tokenExchangeRequests - before, 2);
});

test.serial('a context from another guard, or no target, is refused before any call', async (t) => {
  const guard = ordersGuard();
  const other = ordersGuard();
  const auth = await verifyCaller(other, await callerToken());
  const before = e2e.dev.server.tokenExchangeRequests;
  const error = await t.throwsAsync(exchangeOf(guard).exchangeToken(auth, { audience: RESOURCES.inventory }));
  t.is((error as { code?: string }).code, 'ERR_EXCHANGE_CONTEXT_INVALID');
  t.is((error as { status?: number }).status, 500);
  await t.throwsAsync(exchangeOf(other).exchangeToken(auth, {}), { instanceOf: TypeError });
  t.is(e2e.dev.server.tokenExchangeRequests, before);
});
