import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import koaCors from '@koa/cors';
import expressCors from 'cors';
import {
  createGuard, exposedAuthHeaders, type Guard, type GuardOptions, type RequireAuthorizationDetailsOptions,
} from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';
import { fastifyApp } from './apps-fastify.js';
import { fetchApp } from './apps-fetch.js';

/** The adapters every HTTP case runs against. */
export type Framework = 'express' | 'koa' | 'fastify' | 'fetch';
/** `fetch` is `@resource-guard/fetch` served by Node through `@hono/node-server`'s request listener. */
export const FRAMEWORKS: readonly Framework[] = ['express', 'koa', 'fastify', 'fetch'];

/** A running test API. */
export interface TestApp {
  framework: Framework;
  url: string;
  guard: Guard;
  /** Times a route handler ran (must stay 0 for every rejected request). */
  handlerCalls: number;
  /** Errors that reached the framework's error handling, in order. */
  errors: unknown[];
  close(): Promise<void>;
}

/** Options of {@link startApp}. */
export interface StartAppOptions {
  /** Serve over TLS with these options (e.g. `requestCert` for mTLS). */
  https?: https.ServerOptions;
  /** Mount the adapter's `protectedResourceMetadata()` first (the guard needs `resourceMetadata`). */
  metadata?: boolean;
  /**
   * Put the real CORS package in front (`cors` on Express, `@koa/cors` on Koa, `@fastify/cors` on
   * Fastify, Hono's `cors()` in front of the fetch handlers) allowing this origin, with
   * `exposedAuthHeaders()` as its exposed headers.
   */
  corsOrigin?: string;
  /** Wraps the app's request listener (e.g. in a server span, as HTTP auto-instrumentation does). */
  wrapListener?: (listener: http.RequestListener) => http.RequestListener;
}

/** The requirement of the `/details` route (RFC 9396), the same on every adapter. */
export const PAYMENT_DETAILS: RequireAuthorizationDetailsOptions = {
  type: 'payment_initiation',
  actions: ['initiate'],
  match: (detail) => (detail.instructedAmount as { currency?: unknown } | undefined)?.currency === 'EUR',
};

/** The origin the CORS cases call from. */
export const BROWSER_ORIGIN = 'https://app.example.test';

/**
 * Starts an API with the same routes on any adapter, through the adapter's public functions:
 * - `GET|POST /protected` — `protect()`; answers `{ auth }`
 * - `GET /optional` — `protect(guard, { optional: true })`; answers `{ auth }` (`auth` may be null)
 * - `GET /scopes/all` — requireScopes('orders:read', 'orders:write')
 * - `GET /scopes/any` — requireAnyScope('orders:write', 'admin')
 * - `GET /claims` — requireClaims({ tenant: 'acme', email_verified: (v) => v === true })
 * - `GET /details` — requireAuthorizationDetails(PAYMENT_DETAILS): a `payment_initiation` entry
 *   with action `initiate` whose `instructedAmount.currency` is `EUR`
 * - `POST /form` — urlencoded body parser, then `protect()`
 * - `GET /misordered` — requireScopes() without protect() before it (a misuse → 500)
 * - `GET /optional/scoped` — optional protect(), then requireScopes('orders:read')
 * - `GET /replaced` — protect(), then a middleware that swaps the context for a look-alike
 *   granting every scope, then requireScopes('admin') (must not pass: 500)
 * Each adapter's documented error rendering answers every rejection (Express and Koa
 * `errorHandler()`, Fastify's `errorHandler()` behind an app `setErrorHandler` that records the
 * error, `rejectionResponse` for fetch), so the case table also checks the one body they share.
 */
export async function startApp(framework: Framework, options: GuardOptions | Guard, settings: StartAppOptions = {}): Promise<TestApp> {
  const guard = 'authenticate' in options ? options : createGuard(options);
  const state = { handlerCalls: 0, errors: [] as unknown[] };
  const builders: Record<Framework, (guard: Guard, state: State, settings: StartAppOptions) => http.RequestListener | Promise<http.RequestListener>> = {
    express: expressApp, koa: koaApp, fastify: fastifyApp, fetch: fetchApp,
  };
  const built = await builders[framework](guard, state, settings);
  const handler = settings.wrapListener?.(built) ?? built;
  const server = settings.https === undefined ? http.createServer(handler) : https.createServer(settings.https, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    framework,
    url: `${settings.https === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    guard,
    get handlerCalls() {
      return state.handlerCalls;
    },
    get errors() {
      return state.errors;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** What every test app counts: handler runs and the errors its framework's error handling saw. */
export type State = { handlerCalls: number; errors: unknown[] };

function expressApp(guard: Guard, state: State, settings: StartAppOptions): http.RequestListener {
  const { protect, requireScopes, requireAnyScope, requireClaims, requireAuthorizationDetails, protectedResourceMetadata, errorHandler } = expressAdapter;
  const app = express();
  if (settings.corsOrigin !== undefined) app.use(expressCors({ origin: settings.corsOrigin, exposedHeaders: exposedAuthHeaders() }));
  if (settings.metadata === true) app.use(protectedResourceMetadata(guard));
  const reply = (req: express.Request, res: express.Response) => {
    state.handlerCalls += 1;
    res.json({ auth: req.auth ?? null });
  };
  app.all('/protected', protect(guard), reply);
  app.get('/optional', protect(guard, { optional: true }), reply);
  app.get('/scopes/all', protect(guard), requireScopes('orders:read', 'orders:write'), reply);
  app.get('/scopes/any', protect(guard), requireAnyScope('orders:write', 'admin'), reply);
  app.get('/claims', protect(guard), requireClaims({ tenant: 'acme', email_verified: (value) => value === true }), reply);
  app.get('/details', protect(guard), requireAuthorizationDetails(PAYMENT_DETAILS), reply);
  app.post('/form', express.urlencoded({ extended: false }), protect(guard), reply);
  app.get('/misordered', requireScopes('orders:read'), reply);
  app.get('/optional/scoped', protect(guard, { optional: true }), requireScopes('orders:read'), reply);
  app.get('/replaced', protect(guard), (req, _res, next) => {
    req.auth = { ...req.auth!, scopes: ['admin'] };
    next();
  }, requireScopes('admin'), reply);
  app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    state.errors.push(error);
    next(error);
  });
  app.use(errorHandler({ logger: { error() {} } }));
  return app;
}

function koaApp(guard: Guard, state: State, settings: StartAppOptions): http.RequestListener {
  const { protect, requireScopes, requireAnyScope, requireClaims, requireAuthorizationDetails, protectedResourceMetadata, errorHandler } = koaAdapter;
  const app = new Koa();
  app.silent = true;
  app.on('error', (error: unknown) => state.errors.push(error));
  app.use(errorHandler({ logger: { error() {} } }));
  // Records what errorHandler() renders (Koa's 'error' event sees only what it passes on).
  app.use(async (_ctx, next) => {
    try {
      await next();
    } catch (error) {
      state.errors.push(error);
      throw error;
    }
  });
  if (settings.corsOrigin !== undefined) app.use(koaCors({ origin: settings.corsOrigin, exposeHeaders: exposedAuthHeaders() }));
  if (settings.metadata === true) app.use(protectedResourceMetadata(guard));
  const router = new Router();
  const reply = (ctx: Koa.Context) => {
    state.handlerCalls += 1;
    ctx.body = { auth: ctx.state.auth ?? null };
  };
  router.all('/protected', protect(guard), reply);
  router.get('/optional', protect(guard, { optional: true }), reply);
  router.get('/scopes/all', protect(guard), requireScopes('orders:read', 'orders:write'), reply);
  router.get('/scopes/any', protect(guard), requireAnyScope('orders:write', 'admin'), reply);
  router.get('/claims', protect(guard), requireClaims({ tenant: 'acme', email_verified: (value) => value === true }), reply);
  router.get('/details', protect(guard), requireAuthorizationDetails(PAYMENT_DETAILS), reply);
  router.post('/form', bodyParser({ enableTypes: ['form'] }), protect(guard), reply);
  router.get('/misordered', requireScopes('orders:read'), reply);
  router.get('/optional/scoped', protect(guard, { optional: true }), requireScopes('orders:read'), reply);
  router.get('/replaced', protect(guard), (ctx, next) => {
    ctx.state.auth = { ...ctx.state.auth!, scopes: ['admin'] };
    return next();
  }, requireScopes('admin'), reply);
  app.use(router.routes());
  return app.callback();
}
