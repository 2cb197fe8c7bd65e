/**
 * `node:diagnostics_channel` events under `resource-guard:*`: the same decisions as the metrics,
 * with the same attributes (plus `duration` in seconds where the metric is a duration), and no
 * OpenTelemetry needed. Nothing is built for a channel without subscribers. Node-only: the
 * WebCrypto build has no `node:diagnostics_channel` (packages/core/src/telemetry/diagnostics-channel-web.ts).
 */
import diagnostics from 'node:diagnostics_channel';
import test from 'ava';
import { TELEMETRY_CHANNELS as C, createGuard, requireAuthorizationDetails, requireScopes, type Guard } from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

test.serial('authenticate, upstream, authorize and cache events carry the documented attributes and no token', async (t) => {
  const issuer = await startMockIssuer();
  const events: Array<[string, Record<string, unknown>]> = [];
  const listeners = Object.values(C).map((name) => {
    const listener = (message: unknown) => events.push([name, message as Record<string, unknown>]);
    diagnostics.subscribe(name, listener);
    return [name, listener] as const;
  });
  try {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, verifiedTokenCache: true, telemetry: false });
    const token = await issuer.sign({ scope: 'orders:read' });
    const auth = await guard.verify(bearerRequest(token));
    await guard.verify(bearerRequest(token));
    const expired = await issuer.sign({ exp: 1 });
    await rejectionOf(guard.verify(bearerRequest(expired)));
    t.throws(() => guard.authorize(auth, requireScopes('orders:write')), { code: 'ERR_SCOPE_INSUFFICIENT' });

    const of = (name: string) => events.filter(([channel]) => channel === name).map(([, message]) => message);
    const [success, , failure] = of(C.authenticate);
    t.like(success, {
      'resource_guard.authentication.result': 'success', 'resource_guard.authentication.scheme': 'Bearer',
      'resource_guard.token.format': 'jwt', 'resource_guard.issuer': issuer.issuer,
    });
    t.true(typeof success?.duration === 'number' && success.duration >= 0, 'duration in seconds');
    t.like(failure, { 'resource_guard.authentication.result': 'failure', 'error.type': 'ERR_TOKEN_EXPIRED' });
    t.true(Object.isFrozen(success), 'subscribers share one frozen message');
    t.deepEqual(of(C.upstream).map((message) => message['resource_guard.upstream.operation']), ['discovery', 'jwks']);
    t.like(of(C.upstream)[1], { 'resource_guard.upstream.outcome': 'success', 'resource_guard.upstream.status_class': '2xx', 'server.address': '127.0.0.1' });
    t.deepEqual(of(C.cache), [
      { 'resource_guard.cache.name': 'verified_token', 'resource_guard.cache.result': 'miss' },
      { 'resource_guard.cache.name': 'verified_token', 'resource_guard.cache.result': 'hit' },
      { 'resource_guard.cache.name': 'verified_token', 'resource_guard.cache.result': 'miss' },
    ]);
    t.deepEqual(of(C.authorize), [{ 'resource_guard.authorization.result': 'failure', 'resource_guard.requirement.kind': 'scopes', 'error.type': 'ERR_SCOPE_INSUFFICIENT' }]);
    const everything = JSON.stringify(events);
    for (const secret of [token, expired, 'user-123', 'client-abc']) t.false(everything.includes(secret));
  } finally {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
    await issuer.close();
  }
});

/** The events on the authorize channel while `run` authorizes with a guard of a fresh mock issuer. */
async function authorizeEvents(run: (guard: Guard, issuer: MockIssuer) => Promise<void>): Promise<unknown[]> {
  const issuer = await startMockIssuer();
  const events: unknown[] = [];
  const listener = (message: unknown) => events.push(message);
  diagnostics.subscribe(C.authorize, listener);
  try {
    await run(createGuard({ issuer: issuer.issuer, audience: AUDIENCE }), issuer);
    return events;
  } finally {
    diagnostics.unsubscribe(C.authorize, listener);
    await issuer.close();
  }
}

test.serial('a requirement of your own counts as custom, whatever kind it claims', async (t) => {
  const events = await authorizeEvents(async (guard, issuer) => {
    const auth = await guard.verify(bearerRequest(await issuer.sign()));
    guard.authorize(auth, { check: () => undefined });
    guard.authorize(auth, { kind: 'attacker-chosen' as 'custom', check: () => undefined });
    t.throws(() => guard.authorize(undefined, requireScopes('a')), { code: 'ERR_CREDENTIALS_MISSING' });
  });
  t.deepEqual(events, [
    { 'resource_guard.authorization.result': 'success', 'resource_guard.requirement.kind': 'custom' },
    { 'resource_guard.authorization.result': 'success', 'resource_guard.requirement.kind': 'custom' },
    { 'resource_guard.authorization.result': 'failure', 'resource_guard.requirement.kind': 'scopes', 'error.type': 'ERR_CREDENTIALS_MISSING' },
  ]);
});

test.serial('requireAuthorizationDetails() counts as kind authorization_details (RFC 9396), passed or refused', async (t) => {
  const events = await authorizeEvents(async (guard, issuer) => {
    const details = [{ type: 'payment_initiation', actions: ['initiate'] }];
    const auth = await guard.verify(bearerRequest(await issuer.sign({ authorization_details: details })));
    const plain = await guard.verify(bearerRequest(await issuer.sign()));
    guard.authorize(auth, requireAuthorizationDetails({ type: 'payment_initiation' }));
    t.throws(() => guard.authorize(plain, requireAuthorizationDetails({ type: 'payment_initiation' })), { code: 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT' });
  });
  t.deepEqual(events.map((event) => (event as Record<string, unknown>)['resource_guard.requirement.kind']), ['authorization_details', 'authorization_details']);
});
