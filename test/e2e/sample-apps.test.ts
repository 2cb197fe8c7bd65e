/**
 * The sample APIs start and answer real tokens from the real dev authorization server
 * (oidc-provider), fetched with the real client library (oauth4webapi).
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp as createExpressApp } from '@resource-guard-examples/express-api';
import { createApp as createKoaApp } from '@resource-guard-examples/koa-api';
import { readApiConfig } from '@resource-guard-examples/shared';
import { findChallenge } from '../helpers/challenge.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { send } from '../helpers/http.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev.close();
});

const samples = {
  express: (options: Parameters<typeof createExpressApp>[0]) => createExpressApp(options) as http.RequestListener,
  koa: (options: Parameters<typeof createKoaApp>[0]) => createKoaApp(options).callback(),
};

for (const [name, create] of Object.entries(samples)) {
  test(`${name} sample API answers a real JWT from the dev AS`, async (t) => {
    const config = readApiConfig({ ISSUER: dev.server.issuer, INTROSPECTION: 'off', PORT: '0' }, 0);
    const server = http.createServer(create(config.guard));
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
