/** Runs the sample Hono API on Node: `npm start -w examples/hono-api` (configuration: see README.md). */
import { serve } from '@hono/node-server';
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp } from './app.js';

const config = readApiConfig(process.env, 3004);
const store = config.redis === undefined ? '' : ', shared store: Redis';
// Listen once Redis is there (or after 5 s without it: DPoP then answers 503 until it is).
if (config.redis !== undefined && !await config.redis.ready(5000)) console.warn('Redis is not reachable yet: DPoP requests get 503 until it is');
const server = serve({ fetch: createApp(config.guard).fetch, port: config.port, hostname: config.host }, () => {
  console.log(`hono-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)}${store})`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void config.redis?.close();
  });
}
