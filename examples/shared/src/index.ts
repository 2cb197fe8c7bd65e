/**
 * Configuration of the sample APIs from environment variables, shared by the Express, Koa,
 * Fastify and Hono samples so that all of them read the same names the same way.
 */
import { readFileSync } from 'node:fs';
import type { GuardOptions } from '@resource-guard/core';
import { createRedisStore, type RedisStore } from '@resource-guard/redis';

/** Where and how a sample API runs. */
export interface ApiConfig {
  port: number;
  host: string;
  guard: GuardOptions;
  /** The shared store when `REDIS_URL` is set (also in `guard.store`); close it on shutdown. */
  redis: RedisStore | undefined;
}

/**
 * Reads:
 * - `ISSUER` — trusted issuer (default `http://127.0.0.1:9000`, the dev authorization server)
 * - `AUDIENCE` — comma-separated accepted audiences (default the JWT, opaque and split dev resources)
 * - `INTROSPECTION_CLIENT_ID` / `INTROSPECTION_CLIENT_SECRET` — enables opaque tokens
 *   (default the dev AS's `resource-server` client); `INTROSPECTION=off` disables it
 * - `INTROSPECTION_CACHE_TTL` — seconds (default 5, so a revocation shows within seconds)
 * - `CLOCK_TOLERANCE` — seconds of leeway on `exp`/`nbf`/`iat` (default: the guard's, 5)
 * - `DPOP_NONCE=on` — require DPoP server nonces
 * - `DPOP_BASE_URL` — the public origin DPoP proofs name (`htu`), when the API runs behind a proxy or
 *   a load balancer in front of several instances
 * - `REDIS_URL` — `redis://` or `rediss://` URL of a Redis/Valkey shared by every instance: DPoP
 *   replay markers and the introspection cache (default: per-process memory)
 * - `ENCRYPTION_KEY` — path of a private JWK (with `alg`, `kid`) that access tokens may be encrypted
 *   to (JWE; the dev AS's `fixtures/resource-encryption-key.json`); default: no encrypted tokens
 * - `MTLS_CERT_HEADER` — header a TLS-terminating proxy puts the client certificate in (dev: `x-ssl-client-cert`)
 * - `PORT` (default `defaultPort`), `HOST` (default `127.0.0.1`)
 */
export function readApiConfig(env: NodeJS.ProcessEnv, defaultPort: number): ApiConfig {
  const issuer = env.ISSUER ?? 'http://127.0.0.1:9000';
  const audience = (env.AUDIENCE ?? 'urn:resource-guard:jwt-api,urn:resource-guard:opaque-api,urn:resource-guard:split-api').split(',').map((item) => item.trim());
  const guard: GuardOptions = { issuer, audience, realm: 'sample-api' };
  if (env.INTROSPECTION !== 'off') {
    guard.introspection = {
      clientId: env.INTROSPECTION_CLIENT_ID ?? 'resource-server',
      clientSecret: env.INTROSPECTION_CLIENT_SECRET ?? 'resource-server-secret',
      cacheTtl: Number(env.INTROSPECTION_CACHE_TTL ?? 5),
    };
  }
  if (env.CLOCK_TOLERANCE !== undefined && env.CLOCK_TOLERANCE !== '') guard.clockTolerance = Number(env.CLOCK_TOLERANCE);
  if (env.DPOP_NONCE === 'on' || (env.DPOP_BASE_URL ?? '') !== '') {
    guard.dpop = {
      ...(env.DPOP_NONCE === 'on' ? { nonce: true } : {}),
      ...((env.DPOP_BASE_URL ?? '') !== '' ? { baseUrl: env.DPOP_BASE_URL } : {}),
    };
  }
  const redis = (env.REDIS_URL ?? '') === '' ? undefined : createRedisStore({ url: env.REDIS_URL! });
  if (redis !== undefined) guard.store = redis;
  if (env.MTLS_CERT_HEADER !== undefined && env.MTLS_CERT_HEADER !== '') guard.mtls = { trustedProxyHeader: env.MTLS_CERT_HEADER };
  if ((env.ENCRYPTION_KEY ?? '') !== '') {
    const jwk = JSON.parse(readFileSync(env.ENCRYPTION_KEY!, 'utf8')) as { alg: string; kid?: string };
    guard.encryptedTokens = { keys: [{ key: jwk, alg: jwk.alg, kid: jwk.kid }] };
  }
  const port = Number(env.PORT ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('PORT must be a TCP port number');
  return { port, host: env.HOST ?? '127.0.0.1', guard, redis };
}
