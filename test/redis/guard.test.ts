/**
 * Guards on the Redis store, in-process, each with its own client to one real redis-server (as two
 * API processes would be): the per-key DPoP proof quota and the replay refusal hold across them,
 * and a store that cannot answer is a 503 with the documented code.
 */
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { createGuard, type GuardError, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { createRedisStore, type RedisStore } from '@resource-guard/redis';
import { clientKey, signProof } from '../helpers/dpop.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import { activeBody, optionsFor, requestWith, startEndpoint } from '../helpers/introspection.js';

const URL_ = 'https://api.example.test/orders';
const silent = { warn() {}, error() {} };
let issuer: MockIssuer;
let redis: TestRedisServer;
const stores: RedisStore[] = [];

test.before(async () => {
  issuer = await startMockIssuer('ES256');
  redis = await startRedisServer();
});
test.after.always(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await issuer?.close();
  await redis?.stop();
});

async function guardOnRedis(url: string, dpop: GuardOptions['dpop'] = {}) {
  // Well above the 500 ms default: a loaded test machine can exceed it, and these calls must succeed.
  const store = createRedisStore({ url }, { logger: silent, timeout: 5_000 });
  stores.push(store);
  if (!await store.ready(15_000)) throw new Error('the test redis-server did not accept a connection');
  return createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, store, dpop, logger: silent });
}

async function bound() {
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  return { token, request: async (): Promise<GuardRequest> => ({
    method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop: await signProof(key, token, URL_) },
  }) };
}

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: GuardError) => error.code);

test('the per-key proof quota is counted across guards sharing the Redis', async (t) => {
  const guards = [await guardOnRedis(redis.url, { maxProofsPerKey: 4 }), await guardOnRedis(redis.url, { maxProofsPerKey: 4 })];
  const flooder = await bound();
  const codes: string[] = [];
  for (let i = 0; i < 8; i += 1) codes.push(await codeOf(guards[i % 2]!.verify(await flooder.request())));
  t.deepEqual(codes, ['ok', 'ok', 'ok', 'ok', ...Array(4).fill('ERR_DPOP_REPLAY_QUOTA_EXCEEDED')]);
  const other = await bound();
  t.is(await codeOf(guards[1]!.verify(await other.request())), 'ok', 'another key is unaffected');
});

test('a proof used through one guard is a replay on the other', async (t) => {
  const [a, b] = [await guardOnRedis(redis.url), await guardOnRedis(redis.url)];
  const client = await bound();
  const request = await client.request();
  t.is(await codeOf(a.verify(request)), 'ok');
  t.is(await codeOf(b.verify(request)), 'ERR_DPOP_JTI_REPLAYED');
});

test('no Redis to answer: the DPoP request is a 503 ERR_DPOP_REPLAY_STORE_UNAVAILABLE with Retry-After', async (t) => {
  const guard = await (async () => {
    const own = await startRedisServer();
    const made = await guardOnRedis(own.url);
    await own.stop();
    return made;
  })();
  const client = await bound();
  const error = await t.throwsAsync(guard.verify(await client.request())) as unknown as GuardError;
  t.is(error.status, 503);
  t.is(error.code, 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE');
  t.truthy(error.headers['Retry-After']);
});

test('introspection: guards on their own Redis clients make one upstream call per cold token between them', async (t) => {
  const endpoint = await startEndpoint(() => ({ body: activeBody(), delay: 200 }));
  t.teardown(() => endpoint.close());
  const guards = await Promise.all([0, 1, 2].map(async () => {
    const store = createRedisStore({ url: redis.url }, { logger: silent, timeout: 2000 });
    stores.push(store);
    if (!await store.ready(15_000)) throw new Error('the test redis-server did not accept a connection');
    return createGuard(optionsFor(endpoint.url, {}, { store }));
  }));
  const tokens = ['cold-1', 'cold-2', 'cold-3', 'cold-4', 'cold-5'];
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => guards[i % 3]!.verify(requestWith(tokens[i % tokens.length]!))));
  t.true(results.every((auth) => auth.subject === 'user-123'));
  t.is(endpoint.calls.length, tokens.length, 'one call per token for all three');
});

test('one command to Redis per request: an EVALSHA for a DPoP proof, a GET for an introspection hit', async (t) => {
  const store = createRedisStore({ url: redis.url }, { logger: silent, timeout: 1000 });
  stores.push(store);
  t.true(await store.ready(15_000));
  const sent: string[] = [];
  const client = store.client as unknown as { sendCommand(command: { name: string }): unknown };
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command) => {
    sent.push(command.name);
    return send(command);
  };
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, store, logger: silent });
  const holder = await bound();
  t.is(await codeOf(guard.verify(await holder.request())), 'ok');
  sent.length = 0;
  t.is(await codeOf(guard.verify(await holder.request())), 'ok');
  t.deepEqual(sent, ['evalsha'], 'the quota count and the jti marker in one script');

  const endpoint = await startEndpoint(() => ({ body: activeBody() }));
  t.teardown(() => endpoint.close());
  const opaque = createGuard(optionsFor(endpoint.url, {}, { store, logger: silent }));
  t.is((await opaque.verify(requestWith('one-get'))).subject, 'user-123');
  sent.length = 0;
  t.is((await opaque.verify(requestWith('one-get'))).subject, 'user-123');
  t.deepEqual(sent, ['get']);
  t.is(endpoint.calls.length, 1);
});
