/** Runs the sample Express API: `npm start -w examples/express-api` (configuration: see README.md). */
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp, type AppExtras } from './app.js';

const config = readApiConfig(process.env, 3001);
// GET /stock calls the inventory API with exchanged tokens when INVENTORY_URL is set.
const extras: AppExtras = (process.env.INVENTORY_URL ?? '') === '' ? {} : {
  inventory: {
    url: process.env.INVENTORY_URL!,
    exchange: {
      clientId: process.env.EXCHANGE_CLIENT_ID ?? 'orders-api',
      clientSecret: process.env.EXCHANGE_CLIENT_SECRET ?? 'orders-api-secret',
      // Exchanged tokens in Redis are sealed with it; every instance needs the same one.
      ...((process.env.EXCHANGE_ENCRYPTION_KEY ?? '') === '' ? {} : { encryptionKey: process.env.EXCHANGE_ENCRYPTION_KEY }),
    },
  },
};
const store = config.redis === undefined ? '' : ', shared store: Redis';
// Listen once Redis is there (or after 5 s without it: DPoP then answers 503 until it is).
if (config.redis !== undefined && !await config.redis.ready(5000)) console.warn('Redis is not reachable yet: DPoP requests get 503 until it is');
const server = createApp(config.guard, extras).listen(config.port, config.host, () => {
  console.log(`express-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)}${store})`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    void config.redis?.close();
  });
}
