/** Runs the sample Koa API: `npm start -w examples/koa-api` (configuration: see README.md). */
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp } from './app.js';

const config = readApiConfig(process.env, 3002);
const store = config.redis === undefined ? '' : ', shared store: Redis';
const server = createApp(config.guard).listen(config.port, config.host, () => {
  console.log(`koa-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)}${store})`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void config.redis?.close();
  });
}
