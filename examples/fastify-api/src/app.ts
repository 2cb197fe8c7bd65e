/**
 * Sample Fastify API protected by resource-guard: one route per feature, the same routes as the
 * Express and Koa samples. The plugin protects a scope; every rejection is replied by Fastify's
 * own error handling from the error's status and headers.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createGuard, protect, requireAnyScope, requireClaims, requireScopes, resourceGuard, type GuardOptions,
} from '@resource-guard/fastify';

/**
 * Builds the app (not yet listening). `options` are the guard options (see the root README); the routes:
 * `GET /health` (public), `GET /me` (any valid token), `GET /orders` (`orders:read`),
 * `POST /orders` (`orders:write`), `GET /admin` (`admin`), `GET /partners` (`client_id` claim),
 * `GET /greeting` (optional authentication).
 */
export async function createApp(options: GuardOptions): Promise<FastifyInstance> {
  const guard = createGuard(options);
  const app = Fastify();
  // Declares `request.auth` for every route, also those outside the protected scope below.
  await app.register(resourceGuard, { global: false });

  app.get('/health', async () => ({ ok: true }));
  app.get('/greeting', { onRequest: protect(guard, { optional: true }) }, async (request) => ({
    greeting: `Hello, ${request.auth?.subject ?? 'anonymous'}`,
  }));

  // Every route registered in this scope needs a valid token; requirements are preHandlers.
  await app.register(async (api) => {
    await api.register(resourceGuard, { guard });
    api.get('/me', async (request) => ({ auth: request.auth }));
    api.get('/orders', { preHandler: requireScopes('orders:read') }, async (request) => ({
      orders: [{ id: 1, owner: request.auth?.subject }],
    }));
    api.post('/orders', { preHandler: requireScopes('orders:write') }, async (_request, reply) => reply.code(201).send({ created: true }));
    api.get('/admin', { preHandler: requireAnyScope('admin') }, async () => ({ admin: true }));
    api.get('/partners', { preHandler: requireClaims({ client_id: 'demo-client' }) }, async () => ({ partners: ['acme'] }));
  });
  return app;
}
