/**
 * The API servers under test: one small JSON route (`{"sub": ...}`) behind each middleware. Every
 * app of a framework is built the same way (same route, same error rendering), so the only
 * difference between two apps of one framework is the authentication middleware.
 */
import type http from 'node:http';
import express, { type ErrorRequestHandler, type Request } from 'express';
import Koa, { type Context } from 'koa';
import { protect as protectExpress } from '@resource-guard/express';
import { protect as protectKoa } from '@resource-guard/koa';
import { createMemoryStore, type GuardOptions } from '@resource-guard/core';
import { createRedisStore } from '@resource-guard/redis';
import { SUBJECT, type AppConfig } from './config.js';
import { jwksRsaOptions, loadExpressJwt, loadExpressOauth2JwtBearer, loadJwksRsa, loadKoaJwt } from './peers.js';

/** Thrown when a scenario cannot be set up because the feature it needs is not available yet. */
export class SkipScenario extends Error {}

/** resource-guard options for a scenario; a `TypeError` from the core (unknown option) means "not ready". */
export function guardOptions(config: AppConfig): GuardOptions {
  const options: GuardOptions = {
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    algorithms: [config.alg],
  };
  if (config.kind === 'resource-guard-cache') options.verifiedTokenCache = true;
  if (config.kind === 'resource-guard-offload' || config.kind === 'resource-guard-dpop-offload') options.offloadSignatures = true;
  if (config.kind === 'resource-guard-inline' || config.kind === 'resource-guard-dpop-inline') options.offloadSignatures = false;
  if (config.kind === 'resource-guard-opaque' || config.kind === 'resource-guard-opaque-redis' || config.kind === 'resource-guard-soak') {
    options.introspection = config.introspection;
  }
  if (config.kind === 'resource-guard-dpop' || config.kind === 'resource-guard-dpop-offload' || config.kind === 'resource-guard-dpop-redis'
    || config.kind === 'resource-guard-dpop-inline'
    || config.kind === 'resource-guard-soak') {
    // One client key sends every proof of the load (far more than a real client per replay
    // window), so the per-key and per-client proof quotas are lifted; the replay check still runs.
    options.dpop = { algorithms: ['ES256'], maxProofsPerKey: Number.MAX_SAFE_INTEGER, maxProofsPerClient: Number.MAX_SAFE_INTEGER };
  }
  if (config.soak !== undefined) {
    // A replay window the soak outlives, and the store bound its verdict is computed from.
    options.dpop = { algorithms: ['ES256'], maxProofsPerKey: Number.MAX_SAFE_INTEGER, maxProofsPerClient: Number.MAX_SAFE_INTEGER, proofMaxAge: config.soak.proofMaxAge, clockTolerance: config.soak.clockTolerance };
    options.store = createMemoryStore({ maxMarkers: config.soak.maxMarkers });
  }
  return options;
}

/** {@link guardOptions}, plus for the `-redis` kinds a Redis store that is connected before the server listens. */
async function guardOptionsWithStore(config: AppConfig): Promise<GuardOptions> {
  const options = guardOptions(config);
  if (!config.kind.endsWith('-redis')) return options;
  if (config.redisUrl === undefined) throw new SkipScenario('redis-server is not installed (apt-get install redis-server)');
  const store = createRedisStore({ url: config.redisUrl }, { prefix: `bench:${config.framework}-${config.kind}:` });
  if (!await store.ready(15_000)) throw new Error('the bench redis-server did not accept a connection');
  return { ...options, store };
}

/** Builds resource-guard's middleware; options the core rejects skip the scenario instead of failing it. */
export function guarded<T>(create: () => T, config: AppConfig): T {
  try {
    return create();
  } catch (error) {
    throw new SkipScenario(`${config.kind}: createGuard() rejected the options: ${(error as Error).message}`);
  }
}

type Claims = Record<string, unknown>;

function subjectOf(req: Request, config: AppConfig): unknown {
  const auth = (req as { auth?: unknown }).auth as { subject?: string; payload?: Claims; sub?: unknown } | undefined;
  switch (config.kind) {
    case 'bare':
    case 'noop': return SUBJECT;
    case 'express-oauth2-jwt-bearer':
    case 'express-oauth2-jwt-bearer-dpop': return auth?.payload?.sub;
    case 'express-jwt': return auth?.sub;
    default: return auth?.subject;
  }
}

/** Renders any error the same way for every Express app: its status, its headers, no body. */
const renderError: ErrorRequestHandler = (err, _req, res, _next) => {
  const error = err as { status?: number; statusCode?: number; headers?: Record<string, string> };
  const status = error.status ?? error.statusCode ?? 500;
  if (error.headers !== undefined) for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(status).end();
};

export async function buildExpressApp(config: AppConfig): Promise<http.RequestListener> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  switch (config.kind) {
    case 'bare':
      break;
    case 'noop':
      app.use((_req, _res, next) => next());
      break;
    case 'express-oauth2-jwt-bearer': {
      const { auth } = await loadExpressOauth2JwtBearer();
      app.use(auth({ issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri, tokenSigningAlg: config.alg }));
      break;
    }
    case 'express-oauth2-jwt-bearer-dpop': {
      const { auth } = await loadExpressOauth2JwtBearer();
      app.use(auth({ issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri, tokenSigningAlg: config.alg, dpop: { enabled: true, required: true } }));
      break;
    }
    case 'express-jwt': {
      const [{ expressjwt }, jwksRsa] = await Promise.all([loadExpressJwt(), loadJwksRsa()]);
      app.use(expressjwt({
        secret: jwksRsa.expressJwtSecret(jwksRsaOptions(config.jwksUri)),
        audience: config.audience,
        issuer: config.issuer,
        algorithms: [config.alg],
      }));
      break;
    }
    case 'koa-jwt':
    case 'fastify-jwt':
      throw new Error(`${config.kind} is not an Express middleware`);
    default: {
      const options = await guardOptionsWithStore(config);
      app.use(guarded(() => protectExpress(options), config));
    }
  }
  app.get(config.path ?? '/', (req, res) => {
    res.json({ sub: subjectOf(req, config) });
  });
  app.use(renderError);
  return app;
}

export async function buildKoaApp(config: AppConfig): Promise<http.RequestListener> {
  const app = new Koa();
  app.silent = true;
  let subject: (ctx: Context) => unknown = () => SUBJECT;
  switch (config.kind) {
    case 'bare':
      break;
    case 'noop':
      app.use((_ctx, next) => next());
      break;
    case 'koa-jwt': {
      const [koaJwt, jwksRsa] = await Promise.all([loadKoaJwt(), loadJwksRsa()]);
      app.use(koaJwt({
        secret: jwksRsa.koaJwtSecret(jwksRsaOptions(config.jwksUri)),
        audience: config.audience,
        issuer: config.issuer,
        algorithms: [config.alg],
      }));
      subject = (ctx) => (ctx.state.user as Claims | undefined)?.sub;
      break;
    }
    case 'express-oauth2-jwt-bearer':
    case 'express-oauth2-jwt-bearer-dpop':
    case 'express-jwt':
    case 'fastify-jwt':
      throw new Error(`${config.kind} is not a Koa middleware`);
    default: {
      const options = await guardOptionsWithStore(config);
      app.use(guarded(() => protectKoa(options), config));
      subject = (ctx) => ctx.state.auth?.subject;
    }
  }
  app.use((ctx) => {
    ctx.body = { sub: subject(ctx) };
  });
  return app.callback();
}
