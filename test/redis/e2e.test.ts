/**
 * Scale-out end to end: two API processes (Express and Koa, each its own Node process) share one
 * real redis-server through `@resource-guard/redis`; tokens and proofs come from the real dev
 * authorization server and client library. A proof used on one instance is refused on the other;
 * an introspection answer fetched by one serves the other. Then the faults: Redis killed (DPoP
 * fails closed with 503 + Retry-After, introspection falls through to the AS), restarted
 * (recovery without restarting the APIs), paused (answers within the store's timeout).
 */
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import { Redis } from 'ioredis';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { findChallenge } from '../helpers/challenge.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { clientHandle, clientProof } from '../helpers/dpop.js';
import { send, type RawResponse } from '../helpers/http.js';
import { startInstance, type Instance } from '../helpers/redis-instance.js';

const BASE_URL = 'https://api.example.test';
// The store timeout: long enough for a loaded test machine to answer in time, short enough for the pause test.
const TIMEOUT = 1_000;

let redis: TestRedisServer;
let dev: DevAs;
let instances: Instance[] = [];
const tokens: string[] = [];

test.before(async () => {
  redis = await startRedisServer();
  dev = await startDevAs();
  const settings = {
    issuer: dev.server.issuer,
    audience: [RESOURCES.jwt, RESOURCES.opaque],
    introspection: {
      endpoint: dev.as.introspection_endpoint!,
      clientId: CLIENTS.resourceServer.clientId,
      clientSecret: CLIENTS.resourceServer.clientSecret,
    },
    redisUrl: redis.url,
    timeout: TIMEOUT,
    baseUrl: BASE_URL,
  };
  instances = await Promise.all([
    startInstance({ ...settings, framework: 'express' }),
    startInstance({ ...settings, framework: 'koa' }),
  ]);
});
test.after.always(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await dev?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function dpopToken() {
  const { handle } = await clientHandle();
  const token = (await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt, DPoP: handle })).access_token;
  tokens.push(token);
  return { token, proof: () => clientProof(handle, token, `${BASE_URL}/protected`) };
}

async function opaqueToken() {
  const token = (await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.opaque })).access_token;
  tokens.push(token);
  return token;
}

const withProof = (instance: Instance, token: string, proof: string) =>
  send(`${instance.url}/protected`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
const withBearer = (instance: Instance, token: string) =>
  send(`${instance.url}/protected`, { headers: { authorization: `Bearer ${token}` } });
const dpopError = (response: RawResponse) => findChallenge(response.headers['www-authenticate'] as string | undefined, 'DPoP')?.params.error;

/** Retries a fresh proof until the instance accepts it again (Redis reconnected), for at most ~15 s. */
async function untilAccepted(instance: Instance, dpop: Awaited<ReturnType<typeof dpopToken>>): Promise<RawResponse> {
  let response = await withProof(instance, dpop.token, await dpop.proof());
  for (let attempt = 0; attempt < 60 && response.status !== 200; attempt += 1) {
    await sleep(250);
    response = await withProof(instance, dpop.token, await dpop.proof());
  }
  return response;
}

test.serial('a DPoP proof accepted by one instance is refused as a replay by the other', async (t) => {
  const [a, b] = instances as [Instance, Instance];
  const dpop = await dpopToken();
  const proof = await dpop.proof();
  t.is((await withProof(a, dpop.token, proof)).status, 200);
  const replayed = await withProof(b, dpop.token, proof);
  t.is(replayed.status, 401);
  t.is(dpopError(replayed), 'invalid_dpop_proof');
  t.is((await withProof(a, dpop.token, proof)).status, 401, 'and on the first instance too');
  t.is((await withProof(b, dpop.token, await dpop.proof())).status, 200, 'a fresh proof passes on the other instance');
});

test.serial('an opaque token introspected by one instance is served to the other from the shared cache', async (t) => {
  const [a, b] = instances as [Instance, Instance];
  const token = await opaqueToken();
  const before = dev.server.introspectionRequests;
  t.is((await withBearer(a, token)).status, 200);
  t.is((await withBearer(b, token)).status, 200);
  t.is((await withBearer(a, token)).status, 200);
  t.is(dev.server.introspectionRequests - before, 1);
});

test.serial('Redis killed: DPoP fails closed (503, Retry-After), introspection falls through; restarted: both recover', async (t) => {
  const dpop = await dpopToken();
  const token = await opaqueToken();
  await redis.kill();
  for (const instance of instances) {
    const refused = await withProof(instance, dpop.token, await dpop.proof());
    t.is(refused.status, 503, instance.url);
    t.truthy(refused.headers['retry-after']);
    const before = dev.server.introspectionRequests;
    t.is((await withBearer(instance, token)).status, 200, 'the cache falls through to the AS');
    t.is(dev.server.introspectionRequests - before, 1);
  }

  await redis.restart();
  for (const instance of instances) t.is((await untilAccepted(instance, dpop)).status, 200, `${instance.url} recovered`);
  const proof = await dpop.proof();
  t.is((await withProof(instances[0]!, dpop.token, proof)).status, 200);
  t.is((await withProof(instances[1]!, dpop.token, proof)).status, 401, 'replays are shared again');
  const fresh = await opaqueToken();
  const before = dev.server.introspectionRequests;
  for (const instance of instances) t.is((await withBearer(instance, fresh)).status, 200);
  t.is(dev.server.introspectionRequests - before, 1, 'the cache is shared again');
  for (const instance of instances) t.is(instance.process.exitCode, null, 'no crash, no unhandled rejection');
});

test.serial('Redis paused: the fault answers come within the store timeout (plus a generous margin)', async (t) => {
  const dpop = await dpopToken();
  const token = await opaqueToken();
  for (const instance of instances) t.is((await withBearer(instance, token)).status, 200); // cached in Redis
  redis.pause();
  try {
    for (const instance of instances) {
      let started = Date.now();
      const refused = await withProof(instance, dpop.token, await dpop.proof());
      t.is(refused.status, 503);
      t.truthy(refused.headers['retry-after']);
      t.true(Date.now() - started < TIMEOUT + 5000, 'bounded by the store timeout');
      started = Date.now();
      const before = dev.server.introspectionRequests;
      t.is((await withBearer(instance, token)).status, 200);
      t.is(dev.server.introspectionRequests - before, 1, 'introspected again instead of waiting for the cache');
      t.true(Date.now() - started < 2 * TIMEOUT + 5000, 'bounded by the store timeout (read and write)');
    }
  } finally {
    redis.resume();
  }
  for (const instance of instances) t.is((await untilAccepted(instance, dpop)).status, 200);
  for (const instance of instances) t.is(instance.process.exitCode, null);
});

test.serial('every key in Redis carries a TTL, is namespaced by use, and holds no token', async (t) => {
  // Fill both namespaces after the restart above.
  const dpop = await dpopToken();
  t.is((await withProof(instances[0]!, dpop.token, await dpop.proof())).status, 200);
  t.is((await withBearer(instances[1]!, await opaqueToken())).status, 200);
  const admin = new Redis(redis.url);
  t.teardown(() => admin.disconnect());
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 100);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  t.true(keys.some((key) => key.startsWith('resource-guard:dpop:jti:')));
  t.true(keys.some((key) => key.startsWith('resource-guard:dpop:quota:')), 'the per-key proof quota is counted in Redis too');
  t.true(keys.some((key) => key.startsWith('resource-guard:introspection:')));
  for (const key of keys) {
    t.regex(key, /^resource-guard:(dpop:jti|dpop:quota|dpop:client-quota|introspection|introspection-lease):[\w-]{43}$/);
    const ttl = await admin.pttl(key);
    t.true(ttl > 0, `${key}: PTTL ${ttl}`);
    const value = (await admin.get(key)) ?? '';
    for (const token of tokens) t.false(value.includes(token) || key.includes(token));
  }
});
