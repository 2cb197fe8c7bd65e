/**
 * Sample Koa API protected by resource-guard: one route per feature.
 * Rejections are answered by errorHandler(): JSON `{ error, error_description }` with the
 * challenge headers; anything else goes on to Koa's own `ctx.onerror`.
 */
import Koa from 'koa';
import Router from '@koa/router';
import {
  createGuard, errorHandler, getAuth, protect, requireAnyScope, requireClaims, requireScopes, type GuardOptions,
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

  app.use(errorHandler());
  router.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });
  router.get('/me', protect(guard), (ctx) => {
    ctx.body = { auth: ctx.state.auth };
  });
  router.get('/orders', protect(guard), requireScopes('orders:read'), (ctx) => {
    ctx.body = { orders: [{ id: 1, owner: getAuth(ctx).subject }] };
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
