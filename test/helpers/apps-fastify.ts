import type http from 'node:http';
import Fastify, { type FastifyRequest } from 'fastify';
import fastifyCors from '@fastify/cors';
import formbody from '@fastify/formbody';
import type { Guard } from '@resource-guard/core';
import {
  errorHandler, exposedAuthHeaders, protect, protectedResourceMetadata, requireAnyScope, requireAuthorizationDetails, requireClaims, requireScopes,
  resourceGuard,
} from '@resource-guard/fastify';
import { PAYMENT_DETAILS, type StartAppOptions, type State } from './apps.js';

/**
 * The shared test routes on Fastify: `protect()` as each route's `onRequest` hook (`preHandler` on
 * `/form`, whose body is parsed in between), requirements as `preHandler`s. The plugin with
 * `errors: false` and an app `setErrorHandler` that records each error and renders it with the
 * adapter's `errorHandler()`. `@fastify/cors` and the metadata plugin when asked.
 */
export async function fastifyApp(guard: Guard, state: State, settings: StartAppOptions): Promise<http.RequestListener> {
  const app = Fastify({ logger: false });
  if (settings.corsOrigin !== undefined) await app.register(fastifyCors, { origin: settings.corsOrigin, exposedHeaders: exposedAuthHeaders() });
  await app.register(formbody);
  await app.register(resourceGuard, { global: false, errors: false });
  if (settings.metadata === true) await app.register(protectedResourceMetadata(guard));
  const render = errorHandler({ logger: { error() {} } });
  app.setErrorHandler(function recordError(error, request, reply) {
    state.errors.push(error);
    return render.call(this, error, request, reply);
  });
  const reply = async (request: FastifyRequest) => {
    state.handlerCalls += 1;
    return { auth: request.auth };
  };
  app.all('/protected', { onRequest: protect(guard) }, reply);
  app.get('/optional', { onRequest: protect(guard, { optional: true }) }, reply);
  app.get('/scopes/all', { onRequest: protect(guard), preHandler: requireScopes('orders:read', 'orders:write') }, reply);
  app.get('/scopes/any', { onRequest: protect(guard), preHandler: requireAnyScope('orders:write', 'admin') }, reply);
  app.get('/claims', { onRequest: protect(guard), preHandler: requireClaims({ tenant: 'acme', email_verified: (value) => value === true }) }, reply);
  app.get('/details', { onRequest: protect(guard), preHandler: requireAuthorizationDetails(PAYMENT_DETAILS) }, reply);
  app.post('/form', { preHandler: protect(guard) }, reply);
  app.get('/misordered', { preHandler: requireScopes('orders:read') }, reply);
  app.get('/optional/scoped', { onRequest: protect(guard, { optional: true }), preHandler: requireScopes('orders:read') }, reply);
  app.get('/replaced', {
    onRequest: protect(guard),
    preHandler: [(request, _reply, done) => {
      request.auth = { ...request.auth!, scopes: ['admin'] };
      done();
    }, requireScopes('admin')],
  }, reply);
  await app.ready();
  return app.routing as http.RequestListener;
}
