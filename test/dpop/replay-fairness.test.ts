/**
 * One client's traffic must not deny another's. Replays of ONE captured DPoP proof, each refused
 * as a replay, do not count against the key's `maxProofsPerKey` (memory store, and a real
 * redis-server through the store's script); and DPoP markers live in a partition of the memory
 * store of their own, so proofs filling it leave room for the introspection single-flight leases.
 */
import test from 'ava';
import { createGuard, createMemoryStore, type GuardError, type GuardRequest, type Store } from '@resource-guard/core';
import { createRedisStore, type RedisStore } from '@resource-guard/redis';
import { clientKey, signProof } from '../helpers/dpop.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import { redisServerInstalled, redisTest, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

const URL_ = 'https://api.example.test/orders';
const silent = { warn() {}, error() {} };
let issuer: MockIssuer;
let redis: TestRedisServer;
const closing: RedisStore[] = [];

test.before(async () => {
  issuer = await startMockIssuer('ES256');
  // Without redis-server its rows are reported as skipped, with the install command (redisTest).
  if (redisServerInstalled) redis = await startRedisServer();
});
test.after.always(async () => {
  await Promise.all(closing.map((store) => store.close()));
  await issuer?.close();
  await redis?.stop();
});

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: GuardError) => error.code);

async function redisStore(): Promise<Store> {
  const store = createRedisStore({ url: redis.url }, { logger: silent, timeout: 1000, prefix: `fair-${closing.length}:` });
  closing.push(store);
  if (!await store.ready(15_000)) throw new Error('the test redis-server did not accept a connection');
  return store;
}

// Each store path of recordProof: addCounted (Redis), increment + delete (memory), increment alone.
const STORES: ReadonlyArray<[string, () => Promise<Store>]> = [
  ['memory store', async () => createMemoryStore()],
  ['real redis-server (the addCounted script)', redisStore],
  ['a store with increment but no delete', async () => {
    const inner = createMemoryStore();
    return { get: inner.get, set: inner.set, add: inner.add, increment: inner.increment };
  }],
];

const testOn = (name: string) => (name.startsWith('real redis-server') ? redisTest : test);

for (const [name, makeStore] of STORES) {
  testOn(name)(`${name}: 10 replays of one captured proof are refused as replays and leave the victim's quota (3) untouched`, async (t) => {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, store: await makeStore(), dpop: { maxProofsPerKey: 3 }, logger: silent });
    const victim = await clientKey();
    const token = await issuer.sign({ cnf: { jkt: victim.jkt } });
    const request = async (proof?: string): Promise<GuardRequest> => ({
      method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop: proof ?? await signProof(victim, token, URL_) },
    });
    const captured = await signProof(victim, token, URL_);
    t.is(await codeOf(guard.verify(await request(captured))), 'ok', 'the original');
    const replays: string[] = [];
    for (let i = 0; i < 10; i += 1) replays.push(await codeOf(guard.verify(await request(captured))));
    t.deepEqual(replays, Array(10).fill('ERR_DPOP_JTI_REPLAYED'));
    // The victim's own fresh proofs: 2 more fit its quota of 3, the next is over it.
    t.is(await codeOf(guard.verify(await request())), 'ok');
    t.is(await codeOf(guard.verify(await request())), 'ok');
    t.is(await codeOf(guard.verify(await request())), 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED', 'the quota still holds for fresh proofs');
  });
}

test('memory store: DPoP markers filling their partition leave room for other markers (introspection leases)', (t) => {
  const store = createMemoryStore({ maxMarkers: 5 });
  for (let i = 0; i < 5; i += 1) t.true(store.add(`dpop:jti:${i}`, 1, 60) as boolean);
  t.throws(() => store.add('dpop:jti:full', 1, 60), { message: /too many live markers/ }, 'the DPoP partition is bounded');
  t.true(store.add('introspection-lease:abc', 1, 5) as boolean, 'a lease still fits');
  t.is(store.get('introspection-lease:abc'), 1);
  t.false(store.add('introspection-lease:abc', 1, 5) as boolean, 'and is a marker like any other');
  store.delete!('introspection-lease:abc');
  t.is(store.get('introspection-lease:abc'), undefined);
  for (let i = 0; i < 5; i += 1) t.true(store.add(`lease-${i}`, 1, 60) as boolean);
  t.throws(() => store.add('lease-full', 1, 60), { message: /too many live markers/ }, 'the other partition is bounded too');
  t.throws(() => store.increment!('dpop:quota:k', 60), { message: /too many live markers/ }, 'DPoP counters share the DPoP partition');
});

for (const [name, makeStore] of STORES.slice(0, 2)) {
  testOn(name)(`${name}: one client's many keys together cannot use up the replay store of the others (maxProofsPerClient)`, async (t) => {
    // Room for 30 DPoP markers (memory), 10 proofs per key, 10 per client: without the per-client
    // count, one client with 5 keys (5 tokens, each bound to its own key) fills the store and
    // every other client's DPoP request is a 503.
    const store = name.startsWith('memory') ? createMemoryStore({ maxMarkers: 30 }) : await makeStore();
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, store, dpop: { maxProofsPerKey: 10, maxProofsPerClient: 10 }, logger: silent });
    const send = async (clientId: string, key: Awaited<ReturnType<typeof clientKey>>, token: string) => codeOf(guard.verify({
      method: 'GET', url: URL_, headers: { authorization: `DPoP ${token}`, dpop: await signProof(key, token, URL_) },
    }));
    const codes: string[] = [];
    for (let k = 0; k < 5; k += 1) {
      const key = await clientKey();
      const token = await issuer.sign({ client_id: 'flooding-client', cnf: { jkt: key.jkt } });
      for (let i = 0; i < 8; i += 1) codes.push(await send('flooding-client', key, token));
    }
    t.is(codes.filter((code) => code === 'ok').length, 10, 'the client\'s quota, across its keys');
    t.true(codes.filter((code) => code !== 'ok').every((code) => code === 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED'), codes.join(' '));
    for (const other of ['client-b', 'client-c']) {
      const key = await clientKey();
      const token = await issuer.sign({ client_id: other, cnf: { jkt: key.jkt } });
      t.is(await send(other, key, token), 'ok', `${other} is unaffected`);
    }
  });
}
