/**
 * Split token end to end: the real dev AS hands the client only the signature of a JWT for the
 * split resource and stores header and payload; the example gateway reassembles and fully
 * verifies the JWT before forwarding it to the sample API (Express, Koa).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createMemoryStore, type Store } from '@resource-guard/core';
import { createSplitToken, splitTokenKey, storeSplitToken } from '@resource-guard/gateway';
import { parseChallenges } from '../helpers/challenge.js';
import { decodeJwt, getToken, revoke } from '../helpers/dev-as.js';
import { FRAMEWORKS, splitTokenRoute, useGatewaySuite } from '../helpers/gateway.js';

const suite = useGatewaySuite((as) => ({ '/split': splitTokenRoute(as) }));

const splitToken = async (client = suite.dev.server.clients.demo): Promise<string> =>
  (await getToken(suite.dev, client, { scope: 'orders:read', resource: RESOURCES.split })).access_token;

const verify = () => ({ issuer: suite.dev.server.issuer, audience: RESOURCES.split });

/** Flips one character in the middle of `value` (base64url stays base64url). */
const alter = (value: string): string => {
  const i = Math.floor(value.length / 2);
  return value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
};

test('the dev AS gives the client the signature only and stores header.payload under SHA-256(signature), until exp', async (t) => {
  const signature = await splitToken();
  t.notRegex(signature, /\./);
  const stored = await suite.dev.server.splitTokenStore.get(splitTokenKey(signature));
  t.is(typeof stored, 'string');
  const { header, payload } = decodeJwt(`${String(stored)}.${signature}`);
  t.is(header.typ, 'at+jwt');
  t.is(payload.aud, RESOURCES.split);
});

for (const framework of FRAMEWORKS) {
  const fetchSplit = (token: string) => fetch(`${suite.setup(framework).gateway.url}/split/orders`, { headers: { authorization: `Bearer ${token}` } });

  test.serial(`${framework}: the signature reaches the API as the whole, verified JWT`, async (t) => {
    const signature = await splitToken();
    const response = await fetchSplit(signature);
    t.is(response.status, 200);
    const forwarded = String(suite.setup(framework).api.requests.at(-1)!.headers.authorization);
    t.regex(forwarded, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    t.true(forwarded.endsWith(`.${signature}`));
  });

  test.serial(`${framework}: an altered signature, a revoked one, a whole JWT are 401 invalid_token and never reach the API`, async (t) => {
    const signature = await splitToken();
    const seen = suite.setup(framework).api.requests.length;
    const altered = await fetchSplit(alter(signature));
    t.is(altered.status, 401);
    t.is(parseChallenges(altered.headers.get('www-authenticate') ?? undefined)[0]?.params.error, 'invalid_token');
    const stored = String(await suite.dev.server.splitTokenStore.get(splitTokenKey(signature)));
    t.is((await fetchSplit(`${stored}.${signature}`)).status, 401);
    await revoke(suite.dev, suite.dev.server.clients.demo, signature);
    t.is(await suite.dev.server.splitTokenStore.get(splitTokenKey(signature)), undefined);
    t.is((await fetchSplit(signature)).status, 401);
    t.is(suite.setup(framework).api.requests.length, seen);
  });

  test.serial(`${framework}: another client cannot revoke the token (RFC 7009), it still works`, async (t) => {
    const signature = await splitToken();
    await revoke(suite.dev, suite.dev.server.clients.limited, signature);
    t.is((await fetchSplit(signature)).status, 200);
  });

  test.serial(`${framework}: an expired split token is 401`, async (t) => {
    const signature = await splitToken(suite.dev.server.clients.shortLived);
    t.is((await fetchSplit(signature)).status, 200);
    await sleep(3100);
    t.is((await fetchSplit(signature)).status, 401);
  });
}

test('the store is never trusted alone: a payload edited in the store fails the signature check', async (t) => {
  const store = createMemoryStore();
  const signature = await splitToken();
  const stored = String(await suite.dev.server.splitTokenStore.get(splitTokenKey(signature)));
  const [header, payload] = stored.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims.scope = 'orders:read admin';
  await store.set(splitTokenKey(signature), `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`, 60);
  const exchange = createSplitToken({ store, verify: verify() });
  const error = await t.throwsAsync(exchange.exchange({ method: 'GET', headers: { authorization: `Bearer ${signature}` } }));
  t.is((error as { code?: string }).code, 'ERR_JWS_SIGNATURE_INVALID');
  t.is((error as { status?: number }).status, 401);
});

test('a failing store is 503, never 401', async (t) => {
  const failing: Store = { get: () => Promise.reject(new Error('down')), set: () => undefined, add: () => true };
  const exchange = createSplitToken({ store: failing, verify: verify() });
  const error = await t.throwsAsync(exchange.exchange({ method: 'GET', headers: { authorization: 'Bearer abc' } }));
  t.is((error as { code?: string }).code, 'ERR_GATEWAY_STORE_UNAVAILABLE');
  t.is((error as { status?: number }).status, 503);
});

test('storeSplitToken() refuses what it cannot store safely; revoking needs a store with delete()', async (t) => {
  const store = createMemoryStore();
  await t.throwsAsync(storeSplitToken(store, 'not-a-jwt'), { instanceOf: TypeError });
  const noExp = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;
  await t.throwsAsync(storeSplitToken(store, noExp), { instanceOf: TypeError });
  const jwtWith = (exp: number) => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.c2ln`;
  const now = 1_700_000_000_500;
  await t.throwsAsync(storeSplitToken(store, jwtWith(1_700_000_000), { clock: () => now }), { instanceOf: TypeError }, 'exp already past');
  // `1e999` is valid JSON and parses to Infinity: an entry that would never expire.
  const forever = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"exp":1e999}').toString('base64url')}.c2ln`;
  await t.throwsAsync(storeSplitToken(store, forever, { clock: () => now }), { instanceOf: TypeError }, 'exp never reached');
  // Issued late in its iat second with a short lifetime: less than a whole second left, still stored, until exp.
  t.is(await storeSplitToken(store, jwtWith(1_700_000_001), { clock: () => now }), 'c2ln');
  const { revokeSplitToken } = await import('@resource-guard/gateway');
  await t.throwsAsync(revokeSplitToken({ get: () => undefined, set: () => undefined, add: () => true }, 'sig'), { instanceOf: TypeError });
});

test('createSplitToken() validates its options', (t) => {
  t.throws(() => createSplitToken(undefined as never), { instanceOf: TypeError, message: /splitToken/ });
  t.throws(() => createSplitToken({ verify: verify() } as never), { instanceOf: TypeError, message: /splitToken\.store/ });
  t.throws(() => createSplitToken({ store: {} as never, verify: verify() }), { instanceOf: TypeError, message: /splitToken\.store/ });
  t.throws(() => createSplitToken({ store: createMemoryStore(), verify: 'x' as never }), { instanceOf: TypeError, message: /splitToken\.verify/ });
  t.throws(() => createSplitToken({ store: createMemoryStore(), verify: verify(), prefix: '' }), { instanceOf: TypeError, message: /splitToken\.prefix/ });
  t.throws(() => createSplitToken({ store: createMemoryStore(), verify: verify(), maxTokenLength: 0 }), { instanceOf: TypeError, message: /splitToken\.maxTokenLength/ });
  t.throws(() => createSplitToken({ store: createMemoryStore(), verify: verify(), typo: 1 } as never), { instanceOf: TypeError, message: /splitToken\.typo/ });
});
