/**
 * `npm start -w examples/gateway`: the example gateway in front of a running sample API.
 * Environment: `FRAMEWORK` (`express` | `koa`, default express), `UPSTREAM` (default
 * `http://127.0.0.1:3001`), `ISSUER` (default `http://127.0.0.1:9000`, the dev AS),
 * `INTROSPECTION_CLIENT_ID` / `INTROSPECTION_CLIENT_SECRET` (default the dev AS's
 * `resource-server`), `COOKIE_KEY` (base64url of 32 bytes; default: a fresh one per start),
 * `SPA_ORIGIN` (default `http://127.0.0.1:5173`), `PORT` (default 8080).
 * Routes: `/phantom/*` (opaque tokens), `/bff/*` (token-handler cookie). The split token needs
 * the authorization server's store, shared in-process: see `npm run demo`.
 */
import { randomBytes } from 'node:crypto';
import { createPhantomToken, createTokenHandler } from '@resource-guard/gateway';
import { startGateway } from './app.js';

const env = process.env;
const issuer = env.ISSUER ?? 'http://127.0.0.1:9000';
const framework = env.FRAMEWORK === 'koa' ? 'koa' : 'express';
const running = await startGateway({
  framework,
  upstream: env.UPSTREAM ?? 'http://127.0.0.1:3001',
  port: Number(env.PORT ?? 8080),
  routes: {
    '/phantom': createPhantomToken({
      introspection: {
        endpoint: `${issuer}/token/introspection`,
        clientId: env.INTROSPECTION_CLIENT_ID ?? 'resource-server',
        clientSecret: env.INTROSPECTION_CLIENT_SECRET ?? 'resource-server-secret',
      },
      verify: { issuer, audience: 'urn:resource-guard:opaque-api' },
      allowInsecureRequests: true,
    }),
    '/bff': createTokenHandler({
      keys: [{ kid: 'dev', key: env.COOKIE_KEY ?? randomBytes(32).toString('base64url') }],
      allowedOrigins: [env.SPA_ORIGIN ?? 'http://127.0.0.1:5173'],
    }),
  },
});
console.log(`gateway (${framework}) listening on ${running.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.close().then(() => process.exit(0)));
