import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import Koa from 'koa';
import Router from '@koa/router';
import { createGuard, type Guard } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';
import * as fastifyAdapter from '@resource-guard/fastify';
import * as fetchAdapter from '@resource-guard/fetch';
import { findChallenge } from './helpers/challenge.js';
import { send, type RawResponse } from './helpers/http.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from './helpers/issuer.js';

// errorHandler() and getAuth() on real Express 5 and Koa 3 apps over HTTP: rejections become JSON
// with their challenge headers, 5xx are logged once and 4xx never (except at debug), the token
// is in no body and no log line, and the application's own errors stay the application's.

type Framework = 'express' | 'koa';
const FRAMEWORKS: readonly Framework[] = ['express', 'koa'];

interface Logs {
  error: string[];
  debug: string[];
}

interface Running {
  url: string;
  logs: Logs;
  /** Errors the application's own error handling received after errorHandler(). */
  appErrors: unknown[];
  close(): Promise<void>;
}

const APP_FAILURE = 'application failure';

function expressApp(guard: Guard, handlerOptions: expressAdapter.ErrorHandlerOptions, appErrors: unknown[]): http.RequestListener {
  const { errorHandler, getAuth, protect, requireScopes } = expressAdapter;
  const app = express();
  app.get('/boom', () => {
    throw new Error(APP_FAILURE);
  });
  app.get('/unprotected', (req, res) => {
    res.json({ subject: getAuth(req).subject });
  });
  app.get('/optional', protect(guard, { optional: true }), (req, res) => {
    res.json({ subject: getAuth(req).subject });
  });
  app.get('/orders', protect(guard), requireScopes('orders:read'), (req, res) => {
    res.json({ subject: getAuth(req).subject });
  });
  app.get('/replaced', protect(guard), (req, _res, next) => {
    req.auth = { ...req.auth! };
    next();
  }, (req, res) => {
    res.json({ subject: getAuth(req).subject });
  });
  app.use(errorHandler(handlerOptions));
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    appErrors.push(error);
    res.status(500).json({ rendered: 'by the application' });
  });
  return app;
}

function koaApp(guard: Guard, handlerOptions: koaAdapter.ErrorHandlerOptions, appErrors: unknown[]): http.RequestListener {
  const { errorHandler, getAuth, protect, requireScopes } = koaAdapter;
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      appErrors.push(error);
      ctx.status = 500;
      ctx.body = { rendered: 'by the application' };
    }
  });
  app.use(errorHandler(handlerOptions));
  const router = new Router();
  router.get('/boom', () => {
    throw new Error(APP_FAILURE);
  });
  router.get('/unprotected', (ctx) => {
    ctx.body = { subject: getAuth(ctx).subject };
  });
  router.get('/optional', protect(guard, { optional: true }), (ctx) => {
    ctx.body = { subject: getAuth(ctx).subject };
  });
  router.get('/orders', protect(guard), requireScopes('orders:read'), (ctx) => {
    ctx.body = { subject: getAuth(ctx).subject };
  });
  router.get('/replaced', protect(guard), async (ctx, next) => {
    ctx.state.auth = { ...ctx.state.auth! };
    await next();
  }, (ctx) => {
    ctx.body = { subject: getAuth(ctx).subject };
  });
  app.use(router.routes());
  return app.callback();
}

async function start(framework: Framework, issuer: MockIssuer, format?: 'oauth' | 'problem'): Promise<Running> {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, httpTimeout: 2000 });
  const logs: Logs = { error: [], debug: [] };
  const logger = { error: (line: string) => logs.error.push(line), debug: (line: string) => logs.debug.push(line) };
  const handlerOptions = format === undefined ? { logger } : { logger, format };
  const appErrors: unknown[] = [];
  const listener = framework === 'express' ? expressApp(guard, handlerOptions, appErrors) : koaApp(guard, handlerOptions, appErrors);
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
    appErrors,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function json(response: RawResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

for (const framework of FRAMEWORKS) {
  test(`${framework}: a forged token is a JSON 401 invalid_token with its challenge, logged only at debug`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await start(framework, issuer);
    try {
      const forged = await issuer.sign({}, { key: issuer.createKey('ES256', issuer.published[0]!.kid) });
      const response = await send(`${app.url}/orders`, { headers: { authorization: `Bearer ${forged}` } });
      t.is(response.status, 401);
      t.regex(String(response.headers['content-type']), /^application\/json/);
      t.is(response.headers['cache-control'], 'no-store');
      t.is(findChallenge(response.headers['www-authenticate'], 'Bearer')?.params.error, 'invalid_token');
      const body = json(response);
      t.is(body.error, 'invalid_token');
      t.is(typeof body.error_description, 'string');
      t.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
      t.false(response.body.includes(forged.split('.')[2]!));
      t.deepEqual(app.logs.error, []);
      t.is(app.logs.debug.length, 1);
      t.true(app.logs.debug[0]!.includes('ERR_JWS_SIGNATURE_INVALID'));
      t.false(app.logs.debug[0]!.includes(forged.split('.')[2]!));
      t.deepEqual(app.appErrors, []);
    } finally {
      await app.close();
      await issuer.close();
    }
  });

  test(`${framework}: no token, a missing scope and a valid token`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await start(framework, issuer);
    try {
      const none = await send(`${app.url}/orders`);
      t.is(none.status, 401);
      t.deepEqual(Object.keys(json(none)), ['error_description'], 'no error member: the challenge has none (RFC 6750 §3.1)');
      const bearer = findChallenge(none.headers['www-authenticate'], 'Bearer');
      t.truthy(bearer);
      t.is(bearer?.params.error, undefined, 'RFC 6750 §3.1: no error code without credentials');

      const unscoped = await send(`${app.url}/orders`, { headers: { authorization: `Bearer ${await issuer.sign({ scope: 'profile' })}` } });
      t.is(unscoped.status, 403);
      t.is(json(unscoped).error, 'insufficient_scope');
      t.is(findChallenge(unscoped.headers['www-authenticate'], 'Bearer')?.params.scope, 'orders:read');

      const valid = await send(`${app.url}/orders`, { headers: { authorization: `Bearer ${await issuer.sign()}` } });
      t.is(valid.status, 200);
      t.deepEqual(json(valid), { subject: 'user-123' });
      t.deepEqual(app.logs.error, []);
    } finally {
      await app.close();
      await issuer.close();
    }
  });

  test(`${framework}: the authorization server down is a 503 with Retry-After, logged once, with a generic description`, async (t) => {
    const issuer = await startMockIssuer();
    issuer.mode = 'error500';
    const app = await start(framework, issuer);
    try {
      const token = await issuer.sign();
      const response = await send(`${app.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
      t.is(response.status, 503);
      t.truthy(response.headers['retry-after']);
      const body = json(response);
      t.deepEqual(Object.keys(body), ['error_description'], 'a 503 has no challenge, so no error member');
      t.false(String(body.error_description).includes('ERR_'));
      t.is(app.logs.error.length, 1);
      t.regex(app.logs.error[0]!, /^resource-guard: 503 ERR_DISCOVERY_UNAVAILABLE/);
      t.false(app.logs.error[0]!.includes(token.split('.')[2]!));
      t.deepEqual(app.appErrors, []);
    } finally {
      await app.close();
      await issuer.close();
    }
  });

  test(`${framework}: errors that are not the guard's go on to the application`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await start(framework, issuer);
    try {
      const response = await send(`${app.url}/boom`);
      t.is(response.status, 500);
      t.deepEqual(json(response), { rendered: 'by the application' });
      t.is(app.appErrors.length, 1);
      t.is((app.appErrors[0] as Error).message, APP_FAILURE);
      t.deepEqual(app.logs, { error: [], debug: [] });
    } finally {
      await app.close();
      await issuer.close();
    }
  });

  test(`${framework}: getAuth() without a verified context is a 500 ERR_MISCONFIGURED_MIDDLEWARE_ORDER`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await start(framework, issuer);
    try {
      const token = await issuer.sign();
      for (const [path, headers] of [
        ['/unprotected', {}],
        ['/optional', {}],
        ['/replaced', { authorization: `Bearer ${token}` }],
      ] as const) {
        const response = await send(`${app.url}${path}`, { headers });
        t.is(response.status, 500, path);
        t.deepEqual(Object.keys(json(response)), ['error_description'], path);
      }
      t.is(app.logs.error.length, 3);
      for (const line of app.logs.error) t.regex(line, /^resource-guard: 500 ERR_MISCONFIGURED_MIDDLEWARE_ORDER/);
      const optional = await send(`${app.url}/optional`, { headers: { authorization: `Bearer ${token}` } });
      t.deepEqual(json(optional), { subject: 'user-123' });
    } finally {
      await app.close();
      await issuer.close();
    }
  });

  test(`${framework}: format 'problem' answers RFC 9457 problem details`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await start(framework, issuer, 'problem');
    try {
      const response = await send(`${app.url}/orders`, { headers: { authorization: `Bearer ${await issuer.sign({ scope: 'profile' })}` } });
      t.is(response.status, 403);
      t.is(response.headers['content-type'], 'application/problem+json');
      const body = json(response);
      t.like(body, { type: 'about:blank', title: 'Forbidden', status: 403, error: 'insufficient_scope' });
      t.is(body.detail, body.error_description);
    } finally {
      await app.close();
      await issuer.close();
    }
  });

  test(`${framework}: errorHandler() options are validated at start-up`, (t) => {
    const { errorHandler } = framework === 'express' ? expressAdapter : koaAdapter;
    t.throws(() => errorHandler({ format: 'xml' as 'oauth' }), { instanceOf: TypeError, message: /"format"/ });
    t.throws(() => errorHandler({ logger: {} as { error(): void } }), { instanceOf: TypeError, message: /"logger"/ });
    t.throws(() => errorHandler({ formats: 'problem' } as object), { instanceOf: TypeError, message: /"errorHandler\.formats"/ });
    t.throws(() => errorHandler('problem' as unknown as object), { instanceOf: TypeError });
  });
}

test('every adapter re-exports the error classes, isGuardError and createMemoryStore of the core', (t) => {
  for (const adapter of [expressAdapter, koaAdapter, fastifyAdapter, fetchAdapter]) {
    t.is(typeof adapter.createMemoryStore({ max: 10 }).add, 'function');
    t.true(adapter.isGuardError(new adapter.InvalidTokenError('x', 'ERR_TOKEN_INVALID')));
    t.false(adapter.isGuardError(new Error('x')));
    t.true(new adapter.UpstreamUnavailableError('x') instanceof adapter.GuardError);
    for (const name of ['MissingCredentialsError', 'InvalidRequestError', 'InsufficientScopeError', 'InvalidDpopProofError',
      'UseDpopNonceError', 'InsufficientUserAuthenticationError', 'MisconfigurationError'] as const) {
      t.is(typeof adapter[name], 'function', name);
    }
  }
});

// The default logger is console: 4xx must not reach it at all (console.debug prints like
// console.log), 5xx once at console.error. Serial: it replaces console's methods for a moment.
async function startDefaultLoggerApp(issuer: MockIssuer): Promise<{ url: string; close(): Promise<void> }> {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, httpTimeout: 2000, logger: { warn: () => undefined, error: () => undefined } });
  const app = express();
  app.get('/orders', expressAdapter.protect(guard), (_req, res) => {
    res.json({});
  });
  app.use(expressAdapter.errorHandler());
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test.serial('with the default logger, 4xx are not logged and a 5xx once, at console.error', async (t) => {
  const issuer = await startMockIssuer();
  const healthy = await startDefaultLoggerApp(issuer);
  const calls: Array<[string, unknown[]]> = [];
  const saved = { debug: console.debug, error: console.error, log: console.log, info: console.info, warn: console.warn };
  for (const name of Object.keys(saved) as Array<keyof typeof saved>) console[name] = (...args: unknown[]) => calls.push([name, args]);
  try {
    const forged = await issuer.sign({}, { key: issuer.createKey('ES256', issuer.published[0]!.kid) });
    t.is((await send(healthy.url, { headers: { authorization: `Bearer ${forged}` } })).status, 401);
    t.is((await send(healthy.url)).status, 401);
    t.deepEqual(calls, []);

    issuer.mode = 'error500';
    const down = await startDefaultLoggerApp(issuer); // a fresh guard: no key set cached yet
    try {
      t.is((await send(down.url, { headers: { authorization: `Bearer ${await issuer.sign()}` } })).status, 503);
    } finally {
      await down.close();
    }
    t.is(calls.length, 1);
    t.is(calls[0]![0], 'error');
    t.regex(String(calls[0]![1][0]), /^resource-guard: 503 ERR_DISCOVERY_UNAVAILABLE/);
  } finally {
    Object.assign(console, saved);
    await healthy.close();
    await issuer.close();
  }
});
