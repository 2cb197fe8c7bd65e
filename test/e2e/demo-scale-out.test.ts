/**
 * The demo's scale-out flows, proven on every `npm test`: two instances of each sample API
 * (in-process, configured by the demo's environment plus `REDIS_URL`, the second with
 * `DPOP_BASE_URL` = the first's origin) sharing one real redis-server. With two per-process memory
 * stores instead, the same flows fail: they show the sharing, not something else.
 */
import { redisTest as test, startRedisServer, type TestRedisServer } from '../helpers/redis-server.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp as createExpressApp } from '@resource-guard-examples/express-api';
import { createApp as createKoaApp } from '@resource-guard-examples/koa-api';
import { createApp as createFastifyApp } from '@resource-guard-examples/fastify-api';
import { createApp as createHonoApp } from '@resource-guard-examples/hono-api';
import { getRequestListener } from '@hono/node-server';
import { readApiConfig, type ApiConfig } from '@resource-guard-examples/shared';
import { startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import {
  apiEnvironment, createFlowContext, judge, SCALE_OUT_FLOWS, type ApiTarget, type FlowContext,
} from '@resource-guard-examples/demo';

const factories: Record<string, (config: ApiConfig) => http.RequestListener | Promise<http.RequestListener>> = {
  express: (config) => createExpressApp(config.guard) as http.RequestListener,
  koa: (config) => createKoaApp(config.guard).callback(),
  fastify: async (config) => {
    const app = await createFastifyApp(config.guard);
    await app.ready();
    return app.routing as http.RequestListener;
  },
  hono: (config) => getRequestListener(createHonoApp(config.guard).fetch, { overrideGlobalObjects: false }),
};

let as: DevAuthorizationServer;
let redis: TestRedisServer;
let context: FlowContext;
const closers: Array<() => Promise<void>> = [];

test.before(async () => {
  as = await startAuthorizationServer();
  redis = await startRedisServer();
  context = { ...await createFlowContext(as.issuer), introspectionRequests: () => as.introspectionRequests };
});
test.after.always(async () => {
  await Promise.all(closers.map((close) => close()));
  await as?.close();
  await redis?.stop();
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Two instances of one sample API; `shared`: both on the test Redis, else each on its own memory. */
async function pair(framework: string, shared: boolean): Promise<ApiTarget> {
  const env = { ...apiEnvironment(as.issuer, 0), REDIS_URL: shared ? redis.url : '' };
  const configure = (extra: Record<string, string>) => {
    const config = readApiConfig({ ...env, ...extra }, 0);
    if (config.redis !== undefined) closers.push(() => config.redis!.close());
    return config;
  };
  // As the sample APIs' main does: listen once the store is connected.
  const ready = async (config: ApiConfig) => {
    if (config.redis !== undefined && !await config.redis.ready(15_000)) throw new Error('redis-server did not accept a connection');
    return config;
  };
  const url = await listen(await factories[framework]!(await ready(configure({}))));
  const peer = await listen(await factories[framework]!(await ready(configure({ DPOP_BASE_URL: url }))));
  return { framework, url, peer };
}

for (const framework of Object.keys(factories)) {
  for (const flow of SCALE_OUT_FLOWS) {
    // Serial: the introspection count must see only this flow's calls.
    test.serial(`${framework}: ${flow.title} — shared Redis: as the demo expects; two memory stores: not`, async (t) => {
      const shared = await flow.run(context, await pair(framework, true));
      t.deepEqual(judge(flow.expected, shared).problems, []);
      t.is(shared.status, flow.expected.status);

      const separate = await flow.run(context, await pair(framework, false));
      t.false(judge(flow.expected, separate).pass, 'per-process stores do not share');
    });
  }
}
