/**
 * Introspection end to end against the real dev authorization server (oidc-provider), tokens
 * from the real client library (oauth4webapi): opaque client-credentials tokens accepted, scopes
 * enforced, revocation seen once the cache TTL has passed, RFC 9701 JWT responses verified.
 */
import test from 'ava';
import { createGuard, requireScopes, type GuardError, type GuardOptions } from '@resource-guard/core';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { findChallenge } from '../helpers/challenge.js';
import { getToken, revoke, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { assertRejected, recordingLogger, requestWith } from '../helpers/introspection.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

/** A frozen, settable clock: cache expiry without sleeping (the AS keeps its own real clock). */
function manualClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

/** Guard for the opaque API; the introspection endpoint comes from the AS metadata. */
function guardFor(introspection: Partial<NonNullable<GuardOptions['introspection']>> = {}, overrides: Partial<GuardOptions> = {}) {
  return createGuard({
    issuer: dev.server.issuer,
    audience: RESOURCES.opaque,
    logger: { warn() {}, error() {} },
    ...overrides,
    introspection: {
      clientId: CLIENTS.resourceServer.clientId,
      clientSecret: CLIENTS.resourceServer.clientSecret,
      ...introspection,
    },
  });
}

const opaqueToken = async (scope: string) =>
  (await getToken(dev, CLIENTS.demo, { scope, resource: RESOURCES.opaque })).access_token;

test('a client-credentials opaque token is accepted and its scope enforced', async (t) => {
  const token = await opaqueToken('orders:read');
  t.is(token.split('.').length, 1, 'opaque');
  const guard = guardFor();
  const auth = await guard.verify(requestWith(token));
  t.is(auth.format, 'opaque');
  t.is(auth.issuer, dev.server.issuer);
  t.is(auth.clientId, CLIENTS.demo.clientId);
  t.deepEqual(auth.audience, [RESOURCES.opaque]);
  t.deepEqual(auth.scopes, ['orders:read']);
  t.true((auth.expiresAt ?? 0) > Date.now() / 1000);

  t.notThrows(() => guard.authorize(auth, requireScopes('orders:read')));
  const error = t.throws(() => guard.authorize(auth, requireScopes('orders:write'))) as unknown as GuardError;
  t.is(error.status, 403);
  t.is(findChallenge(error.headers['WWW-Authenticate'], 'Bearer')?.params.error, 'insufficient_scope');
});

test('after revocation at the AS the token is rejected once the cache TTL has passed', async (t) => {
  const clock = manualClock();
  const token = await opaqueToken('orders:read');
  const guard = guardFor({ cacheTtl: 1 }, { clock: clock.now });
  await guard.verify(requestWith(token));
  await revoke(dev, CLIENTS.demo, token);
  t.is((await guard.verify(requestWith(token))).format, 'opaque', 'still cached within the TTL');
  clock.advance(1001);
  await assertRejected(t, guard.verify(requestWith(token)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' }, token);
});

test('cacheTtl 0: revocation is seen on the very next request', async (t) => {
  const token = await opaqueToken('orders:read');
  const guard = guardFor({ cacheTtl: 0 });
  await guard.verify(requestWith(token));
  await revoke(dev, CLIENTS.demo, token);
  await assertRejected(t, guard.verify(requestWith(token)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' }, token);
});

test('client_secret_post is accepted by the AS too', async (t) => {
  const token = await opaqueToken('orders:read');
  const auth = await guardFor({ clientAuth: 'client_secret_post' }).verify(requestWith(token));
  t.deepEqual(auth.scopes, ['orders:read']);
});

test('a wrong client secret → 500 misconfiguration, logged without the token', async (t) => {
  const token = await opaqueToken('orders:read');
  const logger = recordingLogger({ debug: true });
  const guard = guardFor({ clientSecret: 'wrong-secret' }, { logger, logRejections: true });
  await assertRejected(t, guard.verify(requestWith(token)), { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' }, token);
  t.is(logger.lines.length, 1, 'one rejection, one line');
  t.false(logger.lines[0]!.includes(token));
});

test('a token for another resource (the JWT API) is not accepted by the opaque API', async (t) => {
  const jwt = (await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt })).access_token;
  await assertRejected(t, guardFor().verify(requestWith(jwt)), { status: 401, code: 'ERR_TOKEN_AUDIENCE_INVALID' }, jwt);
  // Sent to introspection instead, oidc-provider refuses to introspect its own JWTs.
  await assertRejected(t, guardFor({ introspectJwts: true }).verify(requestWith(jwt)), {
    status: 401, code: 'ERR_INTROSPECTION_TOKEN_UNSUPPORTED',
  }, jwt);
});

test('RFC 9701: the AS signs the response (ES256) and the guard verifies it', async (t) => {
  const token = await opaqueToken('profile:read');
  const guard = guardFor({ jwtResponse: true });
  const auth = await guard.verify(requestWith(token));
  t.is(auth.format, 'opaque');
  t.deepEqual(auth.scopes, ['profile:read']);
  t.is(auth.clientId, CLIENTS.demo.clientId);

  await revoke(dev, CLIENTS.demo, token);
  await assertRejected(t, guardFor({ jwtResponse: true }).verify(requestWith(token)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
});
