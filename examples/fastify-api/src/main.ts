/** Runs the sample Fastify API: `npm start -w examples/fastify-api` (configuration: see README.md). */
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp } from './app.js';

const config = readApiConfig(process.env, 3003);
const app = await createApp(config.guard);
await app.listen({ port: config.port, host: config.host });
console.log(`fastify-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close());
