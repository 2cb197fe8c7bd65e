/**
 * `introspection.clientAuth: 'bearer'` with a credential that expires: a function, or a
 * client-credentials grant the guard makes itself (renewed before `expires_in` runs out, one grant
 * for any number of waiting requests, renewed and retried once on a 401). Against a loopback
 * stand-in for Glewlwyd: a token endpoint issuing tokens that expire, and an introspection
 * endpoint that accepts only a live one. On both backends; the grant authenticated by
 * private_key_jwt (a private key, node backend only) is in client-auth.node.test.ts.
 */
import test from 'ava';
import { createGuard, type BearerTokenGrantOptions, type GuardOptions } from '@resource-guard/core';
import {
  AUDIENCE, ISSUER, activeBody, recordingLogger, rejection, requestWith, startEndpoint, type Answer, type Endpoint,
} from '../helpers/introspection.js';

const SECRET = 'grant-secret-7c1d';

/** The stand-in: `/token` grants `at-<n>` for `expiresIn` s; `/introspect` accepts a live granted token only. */
async function startServer(expiresIn: number | null = 3600) {
  let now = Date.now();
  let issued = 0;
  const live = new Map<string, number>(); // token → expiry (ms, on the test's clock)
  const server: Endpoint & { grants: number; introspections: number; tokenAnswer?: Answer | undefined } = Object.assign(
    await startEndpoint(() => ({ status: 404 })), { grants: 0, introspections: 0, tokenAnswer: undefined as Answer | undefined },
  );
  server.respond = (request) => {
    if (request.url === '/token') {
      server.grants += 1;
      if (server.tokenAnswer !== undefined) return server.tokenAnswer;
      const basic = Buffer.from(`grant-client:${SECRET}`).toString('base64');
      if (request.headers.authorization !== `Basic ${basic}` || request.form.get('grant_type') !== 'client_credentials') {
        return { status: 401, body: { error: 'invalid_client' } };
      }
      issued += 1;
      const token = `at-${issued}`;
      live.set(token, expiresIn === null ? Number.POSITIVE_INFINITY : now + expiresIn * 1000);
      return { body: { access_token: token, token_type: 'bearer', scope: request.form.get('scope'), ...(expiresIn === null ? {} : { expires_in: expiresIn }) } };
    }
    server.introspections += 1;
    const sent = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const expiry = sent === undefined ? undefined : live.get(sent);
    if (expiry === undefined || expiry <= now) return { status: 401, body: { error: 'invalid_token' } };
    return { body: activeBody({ client_id: sent, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 300 }) };
  };
  const origin = new URL(server.url).origin;
  return {
    server,
    origin,
    clock: () => now,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
    revoke: (token: string) => live.delete(token),
  };
}

type Stand = Awaited<ReturnType<typeof startServer>>;

const grantOf = (stand: Stand, extra: Partial<BearerTokenGrantOptions> = {}): BearerTokenGrantOptions => ({
  tokenEndpoint: `${stand.origin}/token`, clientId: 'grant-client', clientSecret: SECRET, scope: 'introspect', ...extra,
});

const guardOf = (stand: Stand, bearerToken: unknown, overrides: Partial<GuardOptions> = {}) => createGuard({
  issuer: ISSUER,
  audience: AUDIENCE,
  clock: stand.clock,
  logger: { warn() {}, error() {} },
  ...overrides,
  introspection: { endpoint: `${stand.origin}/introspect`, clientAuth: 'bearer', bearerToken, cacheTtl: 0 } as GuardOptions['introspection'],
});

let tokens = 0;
const nextToken = () => `opaque-${++tokens}`;

test('a grant: one token request for 20 concurrent calls; renewed before expires_in runs out; the scope is asked for', async (t) => {
  const stand = await startServer(3600);
  t.teardown(() => stand.server.close());
  const guard = guardOf(stand, grantOf(stand));
  const first = await Promise.all(Array.from({ length: 20 }, () => guard.verify(requestWith(nextToken()))));
  t.is(stand.server.grants, 1);
  t.true(first.every((auth) => auth.clientId === 'at-1'), 'every call sent the granted token');
  t.is(stand.server.calls.find((call) => call.url === '/token')!.form.get('scope'), 'introspect');

  stand.advance(3600 - 61);
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-1', 'kept while more than 60 s are left');
  t.is(stand.server.grants, 1);
  stand.advance(2);
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-2', 'renewed before it expires');
  t.is(stand.server.grants, 2);
  t.is(stand.server.introspections, 22, 'no call was refused on the way');
});

test('a short-lived grant is renewed a quarter of its lifetime ahead', async (t) => {
  const stand = await startServer(40);
  t.teardown(() => stand.server.close());
  const guard = guardOf(stand, grantOf(stand));
  await guard.verify(requestWith(nextToken()));
  stand.advance(29);
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-1');
  stand.advance(1);
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-2');
});

test('a token the endpoint refuses (revoked, or no expires_in) is renewed and the call retried once; concurrent refusals share one grant', async (t) => {
  const stand = await startServer(null);
  t.teardown(() => stand.server.close());
  const guard = guardOf(stand, grantOf(stand));
  await guard.verify(requestWith(nextToken()));
  stand.advance(86_400);
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-1', 'without expires_in: kept until refused');
  stand.revoke('at-1');
  const after = await Promise.all(Array.from({ length: 10 }, () => guard.verify(requestWith(nextToken()))));
  t.true(after.every((auth) => auth.clientId === 'at-2'));
  t.is(stand.server.grants, 2, 'one grant for ten refused calls');
  t.is(stand.server.introspections, 2 + 10 + 10);
});

test('refused again with a fresh token: 500 ERR_INTROSPECTION_CLIENT_REJECTED after one retry, not a loop', async (t) => {
  const stand = await startServer();
  t.teardown(() => stand.server.close());
  const guard = guardOf(stand, grantOf(stand));
  stand.server.respond = ((original) => (request) => (request.url === '/introspect' ? { status: 401 } : original(request)))(stand.server.respond);
  const error = await rejection(t, guard.verify(requestWith(nextToken())));
  t.is(error.code, 'ERR_INTROSPECTION_CLIENT_REJECTED');
  t.is(stand.server.calls.filter((call) => call.url === '/introspect').length, 2);
  t.is(stand.server.grants, 2);
});

test('a fixed token is not retried: one call, 500 as before', async (t) => {
  const stand = await startServer();
  t.teardown(() => stand.server.close());
  const guard = guardOf(stand, 'fixed-token');
  const error = await rejection(t, guard.verify(requestWith(nextToken())));
  t.is(error.code, 'ERR_INTROSPECTION_CLIENT_REJECTED');
  t.is(stand.server.introspections, 1);
});

test('grant failures: 503 ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE naming what to check, never the secret; not kept', async (t) => {
  const stand = await startServer();
  t.teardown(() => stand.server.close());
  const cases: Array<[Answer | undefined, Partial<BearerTokenGrantOptions>, RegExp]> = [
    [undefined, { clientSecret: 'wrong-secret' }, /answered HTTP 401 "invalid_client"; check "introspection\.bearerToken\.clientId", its credential \(client_secret_basic\)/],
    [{ status: 307, headers: { location: '/token/' } }, {}, /answered HTTP 307 to ".*\/token\/".*set "introspection\.bearerToken\.tokenEndpoint"/],
    [{ body: { token_type: 'Bearer' } }, {}, /"access_token" is undefined/],
    [{ body: { access_token: 'a b', token_type: 'Bearer' } }, {}, /"access_token" is not a token/],
    [{ body: { access_token: 'at-x', token_type: 'DPoP' } }, {}, /"token_type" is "DPoP", not Bearer/],
    [{ body: { access_token: 'at-x', token_type: 'Bearer', expires_in: '3600' } }, {}, /"expires_in" is "3600", not a positive number/],
    [{ body: 'not json' }, {}, /^$/],
  ];
  for (const [answer, extra, detail] of cases) {
    stand.server.tokenAnswer = answer;
    const grants = stand.server.grants;
    const guard = guardOf(stand, grantOf(stand, extra));
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await rejection(t, guard.verify(requestWith(nextToken())));
      t.is(error.code, 'ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE');
      t.is(error.status, 503);
      t.truthy(error.headers['Retry-After']);
      t.regex(error.detail ?? '', detail);
      t.false(`${error.message}${error.detail ?? ''}`.includes(SECRET));
      t.false(`${error.message}${error.detail ?? ''}`.includes('wrong-secret'));
    }
    t.is(stand.server.grants - grants, 2, 'a failure is not kept');
  }
  t.is(stand.server.introspections, 0, 'no introspection without a credential');
});

test('a function: called per introspection call, renew: true after a 401 (then retried once); failures are 503 naming the option', async (t) => {
  const stand = await startServer();
  t.teardown(() => stand.server.close());
  const seen: boolean[] = [];
  let current = 'at-none';
  const provider = async ({ renew }: { renew: boolean }) => {
    seen.push(renew);
    if (renew) {
      const response = await fetch(`${stand.origin}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`grant-client:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      current = ((await response.json()) as { access_token: string }).access_token;
    }
    return current;
  };
  const guard = guardOf(stand, provider);
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-1');
  t.is((await guard.verify(requestWith(nextToken()))).clientId, 'at-1');
  t.deepEqual(seen, [false, true, false]);

  const logger = recordingLogger();
  const failing: Array<[unknown, RegExp]> = [
    [() => { throw new RangeError('vault sealed'); }, /^the function of "introspection\.bearerToken" threw \(RangeError\)$/],
    [() => Promise.reject('no reason'), /^the function of "introspection\.bearerToken" threw$/],
    [() => 42, /returned a number$/],
    [() => 'has space', /returned a string that is not a token/],
  ];
  for (const [bearerToken, detail] of failing) {
    const error = await rejection(t, guardOf(stand, bearerToken, { logger }).verify(requestWith(nextToken())));
    t.is(error.code, 'ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE');
    t.regex(error.detail!, detail);
  }
  t.deepEqual(logger.lines, []);
});

test('options: the grant is checked at start-up, each mistake a TypeError naming the option', async (t) => {
  const stand = await startServer();
  t.teardown(() => stand.server.close());
  const cases: Array<[unknown, string]> = [
    [{ clientId: 'c', clientSecret: 's' }, 'introspection.bearerToken.tokenEndpoint'],
    [{ ...grantOf(stand), tokenEndpoint: 'http://as.example.test/token' }, 'introspection.bearerToken.tokenEndpoint'],
    [{ ...grantOf(stand), clientId: undefined }, 'introspection.bearerToken.clientId'],
    [{ ...grantOf(stand), clientSecret: undefined }, 'introspection.bearerToken.clientSecret'],
    [{ ...grantOf(stand), scope: 'a  b' }, 'introspection.bearerToken.scope'],
    [{ ...grantOf(stand), scope: 7 }, 'introspection.bearerToken.scope'],
    [{ ...grantOf(stand), audience: 'x' }, 'introspection.bearerToken'],
    [{ ...grantOf(stand), clientAuth: 'bearer' }, 'introspection.bearerToken.clientAuth'],
    [null, 'introspection.bearerToken'],
    [7, 'introspection.bearerToken'],
  ];
  for (const [bearerToken, name] of cases) {
    const error = t.throws(() => guardOf(stand, bearerToken), { instanceOf: TypeError });
    t.true(error.message.includes(`"${name}`), `${name}: ${error.message}`);
  }
});
