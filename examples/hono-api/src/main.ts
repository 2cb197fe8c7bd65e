/** Runs the sample Hono API on Node: `npm start -w examples/hono-api` (configuration: see README.md). */
import { serve } from '@hono/node-server';
import { readApiConfig } from '@resource-guard-examples/shared';
import { createApp } from './app.js';

const config = readApiConfig(process.env, 3004);
const server = serve({ fetch: createApp(config.guard).fetch, port: config.port, hostname: config.host }, () => {
  console.log(`hono-api listening on http://${config.host}:${config.port} (issuer ${String(config.guard.issuer)})`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close());
