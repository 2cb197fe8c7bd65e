/** Runs the sample Express API: `npm start -w examples/express-api` (configuration: see README.md). */
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp } from './app.js';

const config = readApiConfig(process.env, 3001);
const store = config.redis === undefined ? '' : ', shared store: Redis';
// Listen once Redis is there (or after 5 s without it: DPoP then answers 503 until it is).
if (config.redis !== undefined && !await config.redis.ready(5000)) console.warn('Redis is not reachable yet: DPoP requests get 503 until it is');
const server = createApp(config.guard).listen(config.port, config.host, () => {
  console.log(`express-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)}${store})`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void config.redis?.close();
  });
}
