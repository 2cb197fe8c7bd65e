/**
 * Sample Koa API protected by resource-guard: one route per feature.
 * Every rejection is rendered by Koa's own `ctx.onerror` from the error's status and headers.
 */
import Koa from 'koa';
import Router from '@koa/router';
import {
  createGuard, protect, requireAnyScope, requireClaims, requireScopes, type GuardOptions,
} from '@resource-guard/koa';

/**
 * Builds the app; the same routes as the Express sample:
 * `GET /health` (public), `GET /me` (any valid token), `GET /orders` (`orders:read`),
 * `POST /orders` (`orders:write`), `GET /admin` (`admin`), `GET /partners` (`client_id` claim),
 * `GET /greeting` (optional authentication).
 */
export function createApp(options: GuardOptions): Koa {
  const guard = createGuard(options);
  const app = new Koa();
  const router = new Router();

  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });
  router.get('/me', protect(guard), (ctx) => {
    ctx.body = { auth: ctx.state.auth };
  });
  router.get('/orders', protect(guard), requireScopes('orders:read'), (ctx) => {
    ctx.body = { orders: [{ id: 1, owner: ctx.state.auth?.subject }] };
  });
  router.post('/orders', protect(guard), requireScopes('orders:write'), (ctx) => {
    ctx.status = 201;
    ctx.body = { created: true };
  });
  router.get('/admin', protect(guard), requireAnyScope('admin'), (ctx) => {
    ctx.body = { admin: true };
  });
  router.get('/partners', protect(guard), requireClaims({ client_id: 'demo-client' }), (ctx) => {
    ctx.body = { partners: ['acme'] };
  });
  router.get('/greeting', protect(guard, { optional: true }), (ctx) => {
    ctx.body = { greeting: `Hello, ${ctx.state.auth?.subject ?? 'anonymous'}` };
  });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
