/**
 * Token exchange across processes: three orders-API processes share a real redis-server; each
 * makes 20 concurrent downstream calls for the same caller at the same moment. One exchange for
 * all of them (the store's lease), and what Redis holds is sealed: no token in any key or value.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { startExchangeInstance } from '../helpers/exchange-instance.js';
import { carriesToken, startRecordingDownstream, type RecordingDownstream } from '../helpers/exchange.js';
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';

let redis: TestRedisServer;
let dev: DevAs;
let inventory: RecordingDownstream;

test.before(async () => {
  redis = await startRedisServer();
  dev = await startDevAs();
  inventory = await startRecordingDownstream({ issuer: dev.server.issuer, audience: RESOURCES.inventory });
});
test.after.always(async () => {
  await inventory?.close();
  await dev?.close();
  await redis?.stop();
});

test('three processes on one Redis, 20 concurrent calls each: one exchange; Redis holds no token', async (t) => {
  const token = (await getToken(dev, CLIENTS.demo, { scope: 'orders:read', resource: RESOURCES.jwt })).access_token;
  const settings = {
    issuer: dev.server.issuer,
    audience: [RESOURCES.jwt],
    redisUrl: redis.url,
    clientId: CLIENTS.ordersApi.clientId,
    clientSecret: CLIENTS.ordersApi.clientSecret,
    encryptionKey: randomBytes(32).toString('base64url'),
    token,
    downstreamUrl: `${inventory.url}/stock`,
    target: RESOURCES.inventory,
    calls: 20,
  };
  const instances = await Promise.all([0, 1, 2].map(() => startExchangeInstance(settings)));
  const before = dev.server.tokenExchangeRequests;
  const statuses = (await Promise.all(instances.map((instance) => instance.go()))).flat();
  t.is(statuses.length, 60);
  t.deepEqual(new Set(statuses), new Set([200]));
  t.is(dev.server.tokenExchangeRequests - before, 1, 'one exchange for three processes');
  t.is(inventory.requests.length, 60);
  const exchanged = inventory.requests[0]!.headers.authorization!.slice('Bearer '.length);
  t.true(inventory.requests.every((request) => !carriesToken(request, token)), 'the inbound token never went downstream');

  const admin = new Redis(redis.url);
  t.teardown(() => admin.disconnect());
  const keys = await admin.keys('*');
  t.true(keys.some((key) => key.startsWith('resource-guard:exchange:')));
  for (const key of keys) {
    const value = (await admin.type(key)) === 'string' ? (await admin.get(key)) ?? '' : '';
    for (const secret of [token, exchanged]) t.false(key.includes(secret) || value.includes(secret), `${key} holds no token`);
    if (key.startsWith('resource-guard:exchange:')) {
      t.regex(value, /^\{"sealed":"[\w-]+"\}$/);
      t.true(await admin.pttl(key) > 0);
    }
  }
});
