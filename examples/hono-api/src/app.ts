/**
 * Sample Hono API protected by resource-guard through the Hono middleware of the Web-standard
 * adapter (`@resource-guard/fetch/hono`), served on Node by `@hono/node-server`: the same routes as
 * the Express, Koa and Fastify samples.
 */
import { Hono } from 'hono';
import { createGuard, type GuardOptions } from '@resource-guard/fetch';
import {
  protect, requireAnyScope, requireClaims, requireScopes, type AuthEnv,
} from '@resource-guard/fetch/hono';

/**
 * Builds the app; `app.fetch` is a plain fetch handler. The routes: `GET /health` (public),
 * `GET /me` (any valid token), `GET /orders` (`orders:read`), `POST /orders` (`orders:write`),
 * `GET /admin` (`admin`), `GET /partners` (`client_id` claim), `GET /greeting` (optional).
 * On Node the TLS client certificate is read from the socket `@hono/node-server` passes along.
 */
export function createApp(options: GuardOptions): Hono<AuthEnv> {
  const guard = createGuard(options);
  const app = new Hono<AuthEnv>();
  const authenticated = protect(guard);

  app.get('/health', (c) => c.json({ ok: true }));
  app.get('/me', authenticated, (c) => c.json({ auth: c.var.auth }));
  app.get('/orders', authenticated, requireScopes('orders:read'), (c) => c.json({ orders: [{ id: 1, owner: c.var.auth?.subject }] }));
  app.post('/orders', authenticated, requireScopes('orders:write'), (c) => c.json({ created: true }, 201));
  app.get('/admin', authenticated, requireAnyScope('admin'), (c) => c.json({ admin: true }));
  app.get('/partners', authenticated, requireClaims({ client_id: 'demo-client' }), (c) => c.json({ partners: ['acme'] }));
  app.get('/greeting', protect(guard, { optional: true }), (c) => c.json({ greeting: `Hello, ${c.var.auth?.subject ?? 'anonymous'}` }));
  return app;
}
