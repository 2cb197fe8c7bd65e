/** Runs the sample Fastify API: `npm start -w examples/fastify-api` (configuration: see README.md). */
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp } from './app.js';

const config = readApiConfig(process.env, 3003);
const store = config.redis === undefined ? '' : ', shared store: Redis';
// Listen once Redis is there (or after 5 s without it: DPoP then answers 503 until it is).
if (config.redis !== undefined && !await config.redis.ready(5000)) console.warn('Redis is not reachable yet: DPoP requests get 503 until it is');
const app = await createApp(config.guard);
await app.listen({ port: config.port, host: config.host });
console.log(`fastify-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)}${store})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close();
    void config.redis?.close();
  });
}
