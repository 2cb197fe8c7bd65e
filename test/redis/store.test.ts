/**
 * The Redis store against a real redis-server: atomic `add`, TTLs on every entry, JSON values,
 * prefixed keys, atomic counters, option checks, and the fault behaviour of one store call
 * (not connected, no answer, too many waiting) — each a rejection, never a hang or a queue.
 */
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { Redis } from 'ioredis';
import { createRedisStore, DEFAULT_PREFIX, type RedisStore } from '@resource-guard/redis';
import { makeCertificate } from '../helpers/certificates.js';

const silent = { warn() {}, error() {} };
let server: TestRedisServer;
let admin: Redis;
const stores: RedisStore[] = [];

test.before(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
test.after.always(async () => {
  await Promise.all(stores.map((store) => store.close()));
  admin?.disconnect();
  await server?.stop();
});

/** Resolves once the store's client is connected; fails the test setup if it does not connect. */
async function whenReady(store: RedisStore): Promise<void> {
  if (!await store.ready(15_000)) throw new Error('the test redis-server did not accept a connection');
}

/**
 * Per-call timeout of the stores whose calls must succeed: well above the 500 ms default, which a
 * loaded test machine (parallel suites on two cores) can exceed. Timeouts are tested on their own.
 */
const PATIENT = 5_000;

async function storeFor(options: Parameters<typeof createRedisStore>[1] = {}): Promise<RedisStore> {
  const store = createRedisStore({ url: server.url }, { logger: silent, timeout: PATIENT, ...options });
  stores.push(store);
  await whenReady(store);
  return store;
}

test('50 parallel add() on one key: exactly one true, and the marker has a TTL', async (t) => {
  const store = await storeFor({ prefix: 'add-race:' });
  const results = await Promise.all(Array.from({ length: 50 }, () => store.add('dpop:jti:same', 1, 60)));
  t.is(results.filter((added) => added).length, 1);
  const ttl = await admin.pttl('add-race:dpop:jti:same');
  t.true(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
});

test('add() after the marker expired succeeds again (PX, in milliseconds)', async (t) => {
  const store = await storeFor({ prefix: 'add-expiry:' });
  t.true(await store.add('k', 1, 1.5));
  t.false(await store.add('k', 1, 1.5));
  const ttl = await admin.pttl('add-expiry:k');
  t.true(ttl > 0 && ttl <= 1500, `PTTL ${ttl}: seconds become milliseconds`);
  await new Promise((resolve) => setTimeout(resolve, 1700));
  t.true(await store.add('k', 1, 1.5));
});

test('set()/get(): JSON values under the prefix with the TTL asked for; absent is undefined', async (t) => {
  const store = await storeFor({ prefix: 'json:' });
  const value = { client: 'rs', response: { active: true, scope: 'a b', exp: 1, nested: [1, 'x', null] } };
  await store.set('introspection:abc', value, 30);
  t.deepEqual(await store.get('introspection:abc'), value);
  t.is(await admin.get('json:introspection:abc'), JSON.stringify(value));
  const ttl = await admin.pttl('json:introspection:abc');
  t.true(ttl > 29_000 && ttl <= 30_000, `PTTL ${ttl}`);
  t.is(await store.get('introspection:absent'), undefined);
  await store.delete('introspection:abc');
  t.is(await store.get('introspection:abc'), undefined);
});

test('set() with a TTL ≤ 0 stores nothing; add() and increment() reject it', async (t) => {
  const store = await storeFor({ prefix: 'no-ttl:' });
  await store.set('a', 1, 0);
  await store.set('b', 1, -5);
  t.is(await admin.exists('no-ttl:a', 'no-ttl:b'), 0);
  await t.throwsAsync(store.add('c', 1, 0), { instanceOf: RangeError });
  await t.throwsAsync(store.increment('d', 0), { instanceOf: RangeError });
  t.is(await admin.exists('no-ttl:c', 'no-ttl:d'), 0);
});

test('a value that is not JSON reads as absent', async (t) => {
  const store = await storeFor({ prefix: 'garbage:' });
  await admin.set('garbage:k', '{not json', 'PX', 10_000);
  t.is(await store.get('k'), undefined);
});

test('the default prefix is resource-guard:', async (t) => {
  const store = await storeFor();
  await store.set('introspection:default-prefix', 1, 10);
  t.is(DEFAULT_PREFIX, 'resource-guard:');
  t.is(await admin.get('resource-guard:introspection:default-prefix'), '1');
});

test('40 parallel increment() on one key: counts 1..40 once each; the TTL is set once and not extended', async (t) => {
  const store = await storeFor({ prefix: 'count:' });
  const counts = await Promise.all(Array.from({ length: 40 }, () => store.increment('dpop:quota:k', 5)));
  t.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
  const first = await admin.pttl('count:dpop:quota:k');
  t.true(first > 0 && first <= 5000, `PTTL ${first}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(await store.increment('dpop:quota:k', 5), 41);
  const later = await admin.pttl('count:dpop:quota:k');
  t.true(later > 0 && later < first, `PTTL ${later} after ${first}: not extended`);
});

test('your own client is used as it is and stays open after close()', async (t) => {
  const client = new Redis(server.url, { lazyConnect: true, keyPrefix: '' });
  const store = createRedisStore({ client }, { prefix: 'own:', logger: silent, timeout: PATIENT });
  t.true(await store.ready(15_000), 'the store connected the lazy client');
  t.true(await store.add('k', 1, 10));
  await store.close();
  t.is(client.status, 'ready');
  t.is(client.listenerCount('error'), 0, 'the store took its listeners back');
  t.is(await client.get('own:k'), '1');
  client.disconnect();
});

test('your own client with its offline queue on: while disconnected the store still queues nothing', async (t) => {
  const client = new Redis('redis://127.0.0.1:1', { retryStrategy: () => 200 }); // ioredis defaults: offline queue on
  client.on('error', () => {});
  t.teardown(() => client.disconnect());
  const store = createRedisStore({ client }, { logger: silent, timeout: PATIENT });
  const results = await Promise.allSettled([store.add('k', 1, 10), store.get('k'), store.increment('q', 10)]);
  t.true(results.every((result) => result.status === 'rejected'));
  t.is((client as unknown as { offlineQueue: { length: number } }).offlineQueue.length, 0);
});

test('bad arguments are TypeErrors naming the option', (t) => {
  const url = server.url;
  t.throws(() => createRedisStore({ url: 'http://x' }), { instanceOf: TypeError, message: /"url"/ });
  t.throws(() => createRedisStore({ client: {} as never }), { instanceOf: TypeError, message: /"client"/ });
  t.throws(() => createRedisStore(undefined as never), { instanceOf: TypeError });
  t.throws(() => createRedisStore({ url }, { timeout: 0 }), { instanceOf: TypeError, message: /"timeout"/ });
  t.throws(() => createRedisStore({ url }, { timeout: 1.5 }), { instanceOf: TypeError, message: /"timeout"/ });
  t.throws(() => createRedisStore({ url }, { maxInFlight: 0 }), { instanceOf: TypeError, message: /"maxInFlight"/ });
  t.throws(() => createRedisStore({ url }, { prefix: 1 as never }), { instanceOf: TypeError, message: /"prefix"/ });
  t.throws(() => createRedisStore({ url }, { logger: {} as never }), { instanceOf: TypeError, message: /"logger"/ });
  t.throws(() => createRedisStore({ url }, { ttl: 1 } as never), { instanceOf: TypeError, message: /"ttl"/ });
});

test('no server: every call rejects at once (nothing queued), reported once to the logger', async (t) => {
  const warnings: string[] = [];
  const store = createRedisStore({ url: 'redis://127.0.0.1:1' }, { logger: { warn: (m) => warnings.push(m), error() {} } });
  stores.push(store);
  const started = Date.now();
  await t.throwsAsync(store.add('k', 1, 10));
  await t.throwsAsync(store.get('k'));
  await t.throwsAsync(store.set('k', 1, 10));
  await t.throwsAsync(store.increment('k', 10));
  t.true(Date.now() - started < 5000);
  t.false(await store.ready(100), 'ready() gives up after its wait');
  await t.throwsAsync(store.ready(-1), { instanceOf: TypeError });
  t.is((store.client as unknown as { offlineQueue: { length: number } }).offlineQueue.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 400)); // several reconnection attempts
  t.is(warnings.length, 1);
});

test('a paused server: a call rejects after timeout; beyond maxInFlight at once; all fine once resumed', async (t) => {
  // A server of its own: the other tests of this file run concurrently.
  const own = await startRedisServer();
  t.teardown(() => own.stop());
  const store = createRedisStore({ url: own.url }, { logger: silent, timeout: 200, maxInFlight: 2 });
  stores.push(store);
  await whenReady(store);
  own.pause();
  try {
    const first = store.add('a', 1, 10);
    const second = store.get('b');
    // Ordered, not timed: the third call is refused before the first two time out.
    const third = store.get('c').then(() => 'answered', (error: Error) => error.message);
    const before = await Promise.race([third, first.then(() => 'first answered', () => 'first timed out')]);
    t.regex(before, /too many/, 'the third call did not wait for Redis');
    await t.throwsAsync(first, { message: /within 200 ms/ });
    await t.throwsAsync(second, { message: /within 200 ms/ });
  } finally {
    own.resume();
  }
  // The late answers arrive and free their slots; the store serves again.
  let added: boolean | undefined;
  for (let attempt = 0; attempt < 50 && added === undefined; attempt += 1) {
    added = await store.add('after', 1, 10).catch(() => undefined);
    if (added === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.true(added);
});

test('30 parallel addCounted() of one proof: one added and counted, the 29 replays not counted; both keys live the window', async (t) => {
  const store = await storeFor({ prefix: 'counted:' });
  const results = await Promise.all(Array.from({ length: 30 }, () => store.addCounted('dpop:jti:p', 1, 5, 'dpop:quota:k', 100)));
  t.is(results.filter((result) => result.added).length, 1);
  t.deepEqual(results.map((result) => result.count), Array(30).fill(1));
  t.is(await admin.get('counted:dpop:quota:k'), '1');
  for (const key of ['counted:dpop:jti:p', 'counted:dpop:quota:k']) {
    const ttl = await admin.pttl(key);
    t.true(ttl > 0 && ttl <= 5000, `${key} PTTL ${ttl}`);
  }
  t.is(await admin.get('counted:dpop:jti:p'), '1', 'the value as add() stores it (JSON)');
});

test('addCounted() past the limit keeps no marker; the count goes on; a replay is not counted; a TTL ≤ 0 is refused', async (t) => {
  const store = await storeFor({ prefix: 'counted-limit:' });
  t.deepEqual(await store.addCounted('m1', 1, 10, 'q', 2), { added: true, count: 1 });
  t.deepEqual(await store.addCounted('m2', 1, 10, 'q', 2), { added: true, count: 2 });
  t.deepEqual(await store.addCounted('m3', 1, 10, 'q', 2), { added: false, count: 3 });
  t.is(await admin.exists('counted-limit:m3'), 0);
  t.deepEqual(await store.addCounted('m1', 1, 10, 'q', 2), { added: false, count: 3 }, 'a replay: the count as it is');
  t.deepEqual(await store.addCounted('m4', 1, 10, 'q', Number.MAX_SAFE_INTEGER), { added: true, count: 4 }, 'a limit past 2^53 − 1 is none');
  await t.throwsAsync(store.addCounted('m5', 1, 0, 'q', 2), { instanceOf: RangeError });
});

test('addCounted() after SCRIPT FLUSH (or a Redis restart) loads its script again', async (t) => {
  const store = await storeFor({ prefix: 'counted-flush:' });
  t.true((await store.addCounted('a', 1, 10, 'q', 10)).added);
  await admin.script('FLUSH');
  t.deepEqual(await store.addCounted('b', 1, 10, 'q', 10), { added: true, count: 2 });
  t.deepEqual(await store.addCounted('c', 1, 10, 'q', 10), { added: true, count: 3 }, 'and the cached script again');
});

test('works as a least-privilege ACL user: the README\'s command list and key pattern are enough', async (t) => {
  // The exact ACL the README gives (one server for this test: users are per server).
  const own = await startRedisServer();
  t.teardown(() => own.stop());
  const setup = new Redis(own.url);
  await setup.call('ACL', 'SETUSER', 'resource-guard', 'on', '>a-long-random-password', 'resetkeys', '~resource-guard:*',
    'resetchannels', '-@all', '+get', '+set', '+del', '+incr', '+multi', '+exec', '+evalsha', '+eval', '+info');
  setup.disconnect();
  const store = createRedisStore({ url: `redis://resource-guard:a-long-random-password@127.0.0.1:${own.port}` }, { logger: silent, timeout: PATIENT });
  stores.push(store);
  await whenReady(store);
  t.true(await store.add('dpop:jti:acl', 1, 10));
  await store.set('introspection:acl', { active: true }, 10);
  t.deepEqual(await store.get('introspection:acl'), { active: true });
  t.is(await store.increment('dpop:quota:acl', 10), 1);
  t.deepEqual(await store.addCounted('dpop:jti:acl-counted', 1, 10, 'dpop:quota:acl', 10), { added: true, count: 2 }, 'the script, loaded by EVAL');
  t.deepEqual(await store.addCounted('dpop:jti:acl-counted', 1, 10, 'dpop:quota:acl', 10), { added: false, count: 2 }, 'then by EVALSHA (a replay: not counted)');
  await store.delete('introspection:acl');
  t.is(await store.get('introspection:acl'), undefined);
  const outside = createRedisStore({ url: `redis://resource-guard:a-long-random-password@127.0.0.1:${own.port}` }, { prefix: 'other-app:', logger: silent });
  stores.push(outside);
  await whenReady(outside);
  await t.throwsAsync(outside.add('k', 1, 10), { message: /NOPERM/ }, 'keys outside the pattern are refused');
});

test('TLS: a rediss:// URL with your clientOptions (the CA) is honoured; plain redis:// to it never connects', async (t) => {
  const certificate = makeCertificate('127.0.0.1', 'IP:127.0.0.1');
  const own = await startRedisServer({ tls: { cert: certificate.pem, key: certificate.key } });
  t.teardown(() => own.stop());
  t.regex(own.url, /^rediss:/);
  const store = createRedisStore({ url: own.url, clientOptions: { tls: { ca: certificate.pem } } }, { logger: silent, timeout: PATIENT });
  stores.push(store);
  await whenReady(store);
  t.true(await store.add('dpop:jti:tls', 1, 10));
  t.false(await store.add('dpop:jti:tls', 1, 10));

  const untrusted = createRedisStore({ url: own.url }, { logger: silent }); // the system CAs do not know this certificate
  const plain = createRedisStore({ url: own.url.replace('rediss:', 'redis:') }, { logger: silent });
  stores.push(untrusted, plain);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await t.throwsAsync(untrusted.add('dpop:jti:tls-untrusted', 1, 10));
  await t.throwsAsync(plain.add('dpop:jti:tls-plain', 1, 10));
});
