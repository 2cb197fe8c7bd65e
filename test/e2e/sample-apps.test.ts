/**
 * The sample APIs start and answer real tokens from the real dev authorization server
 * (oidc-provider), fetched with the real client library (oauth4webapi).
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp as createExpressApp } from '@resource-guard-examples/express-api';
import { createApp as createKoaApp } from '@resource-guard-examples/koa-api';
import { createApp as createFastifyApp } from '@resource-guard-examples/fastify-api';
import { createApp as createHonoApp } from '@resource-guard-examples/hono-api';
import { getRequestListener } from '@hono/node-server';
import { readApiConfig } from '@resource-guard-examples/shared';
import { findChallenge } from '../helpers/challenge.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { send } from '../helpers/http.js';
import { redisTest, startRedisServer } from '../helpers/redis-server.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev.close();
});

type Options = Parameters<typeof createExpressApp>[0];
const samples: Record<string, (options: Options) => http.RequestListener | Promise<http.RequestListener>> = {
  express: (options) => createExpressApp(options) as http.RequestListener,
  koa: (options) => createKoaApp(options).callback(),
  fastify: async (options) => {
    const app = await createFastifyApp(options);
    await app.ready();
    return app.routing as http.RequestListener;
  },
  hono: (options) => getRequestListener(createHonoApp(options).fetch, { overrideGlobalObjects: false }),
};

for (const [name, create] of Object.entries(samples)) {
  test(`${name} sample API answers a real JWT from the dev AS`, async (t) => {
    const config = readApiConfig({ ISSUER: dev.server.issuer, INTROSPECTION: 'off', PORT: '0' }, 0);
    const server = http.createServer(await create(config.guard));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { access_token: token } = await getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource: dev.server.resources.jwt });
      const bearer = (path: string) => send(`${base}${path}`, { headers: [['authorization', `Bearer ${token}`]] });

      t.is((await send(`${base}/health`)).status, 200);
      const anonymous = await send(`${base}/me`);
      t.is(anonymous.status, 401);
      t.is(findChallenge(anonymous.headers['www-authenticate'] as string, 'Bearer')?.params.error, undefined);

      const me = await bearer('/me');
      t.is(me.status, 200);
      const { auth } = JSON.parse(me.body) as { auth: Record<string, unknown> };
      t.is(auth.clientId, 'demo-client');
      t.deepEqual(auth.scopes, ['orders:read']);
      t.is(auth.format, 'jwt');

      t.is((await bearer('/orders')).status, 200);
      const write = await send(`${base}/orders`, { method: 'POST', headers: [['authorization', `Bearer ${token}`]] });
      t.is(write.status, 403);
      t.is(findChallenge(write.headers['www-authenticate'] as string, 'Bearer')?.params.scope, 'orders:write');
      t.is((await bearer('/partners')).status, 200);
      const admin = await bearer('/admin');
      t.is(admin.status, 403);
      t.is(findChallenge(admin.headers['www-authenticate'] as string, 'Bearer')?.params.scope, 'admin');
      t.is(JSON.parse((await send(`${base}/greeting`)).body).greeting, 'Hello, anonymous');
      t.is(JSON.parse((await bearer('/greeting')).body).greeting, 'Hello, demo-client');

      const tampered = `${token.slice(0, -4)}AAAA`;
      const rejected = await send(`${base}/me`, { headers: [['authorization', `Bearer ${tampered}`]] });
      t.is(rejected.status, 401);
      t.is(findChallenge(rejected.headers['www-authenticate'] as string, 'Bearer')?.params.error, 'invalid_token');
      t.false(rejected.body.includes(token.slice(0, 40)));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
}

redisTest('REDIS_URL gives the sample APIs a shared Redis store; DPOP_BASE_URL the origin proofs name', async (t) => {
  const redis = await startRedisServer();
  t.teardown(() => redis.stop());
  const env = { ISSUER: dev.server.issuer, REDIS_URL: redis.url, DPOP_BASE_URL: 'https://api.example.test', PORT: '0' };
  const first = readApiConfig(env, 0);
  const second = readApiConfig(env, 0);
  t.teardown(async () => {
    await first.redis?.close();
    await second.redis?.close();
  });
  t.is(first.guard.store, first.redis);
  t.like(first.guard.dpop, { baseUrl: 'https://api.example.test' });
  for (const { redis: store } of [first, second]) t.true(await store!.ready(15_000));
  t.true(await first.redis!.add('dpop:jti:sample', 1, 10));
  t.false(await second.redis!.add('dpop:jti:sample', 1, 10), 'both configurations share the one Redis');
  t.is(readApiConfig({ ISSUER: dev.server.issuer }, 0).redis, undefined, 'memory by default');
});
