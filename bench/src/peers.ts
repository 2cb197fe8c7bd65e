/**
 * The peer libraries, loaded by name at run time. Their type declarations are kept out of this
 * program on purpose: express-oauth2-jwt-bearer augments `Express.Request['auth']` globally with
 * its own type, which would clash with resource-guard's augmentation. Only what we call is typed.
 */
import type { Middleware } from 'koa';
import type { RequestHandler } from 'express';

interface JwksRsaOptions {
  jwksUri: string;
  cache?: boolean;
  cacheMaxEntries?: number;
  cacheMaxAge?: number;
  rateLimit?: boolean;
  jwksRequestsPerMinute?: number;
}

export interface JwksRsa {
  expressJwtSecret(options: JwksRsaOptions): unknown;
  koaJwtSecret(options: JwksRsaOptions): unknown;
}

export interface ExpressOauth2JwtBearer {
  auth(options: { issuer: string; audience: string; jwksUri: string; tokenSigningAlg: string; dpop?: { enabled?: boolean; required?: boolean } }): RequestHandler;
}

export interface ExpressJwt {
  expressjwt(options: { secret: unknown; audience: string; issuer: string; algorithms: string[] }): RequestHandler;
}

export type KoaJwt = (options: { secret: unknown; audience: string; issuer: string; algorithms: string[] }) => Middleware;

/** `@fastify/jwt`'s plugin, as registered here (a Fastify plugin function). */
export type FastifyJwt = (instance: unknown, options: unknown, done: (error?: Error) => void) => void;

export interface GetJwks {
  getPublicKey(options: { domain?: string; alg?: string; kid?: string }): Promise<string>;
  /** The JWK itself, cached by get-jwks per alg, kid and domain. */
  getJwk(options: { domain?: string; alg?: string; kid?: string }): Promise<object>;
}
export type BuildGetJwks = (options: { issuersWhitelist?: string[]; jwksPath?: string; max?: number; ttl?: number }) => GetJwks;

/** `import(name)` without letting TypeScript resolve the module's declarations. */
async function load<T>(name: string): Promise<T> {
  const module = (await import(name)) as { default?: unknown };
  return module as T;
}

export async function loadJwksRsa(): Promise<JwksRsa> {
  const module = await load<{ default: JwksRsa }>('jwks-rsa');
  return module.default;
}

export const loadExpressOauth2JwtBearer = () => load<ExpressOauth2JwtBearer>('express-oauth2-jwt-bearer');
export const loadExpressJwt = () => load<ExpressJwt>('express-jwt');
export async function loadKoaJwt(): Promise<KoaJwt> {
  return (await load<{ default: KoaJwt }>('koa-jwt')).default;
}

export async function loadFastifyJwt(): Promise<FastifyJwt> {
  return (await load<{ default: FastifyJwt }>('@fastify/jwt')).default;
}
export async function loadGetJwks(): Promise<BuildGetJwks> {
  return (await load<{ default: BuildGetJwks }>('get-jwks')).default;
}

/** The jwks-rsa settings every peer uses: its documented production defaults (cache on, rate limit on). */
export function jwksRsaOptions(jwksUri: string): JwksRsaOptions {
  return { jwksUri, cache: true, cacheMaxEntries: 5, cacheMaxAge: 600_000, rateLimit: true, jwksRequestsPerMinute: 10 };
}
