/**
 * Configuration of the sample APIs from environment variables, shared by the Express, Koa,
 * Fastify and Hono samples so that all of them read the same names the same way.
 */
import type { GuardOptions } from '@resource-guard/core';

/** Where and how a sample API runs. */
export interface ApiConfig {
  port: number;
  host: string;
  guard: GuardOptions;
}

/**
 * Reads:
 * - `ISSUER` — trusted issuer (default `http://127.0.0.1:9000`, the dev authorization server)
 * - `AUDIENCE` — comma-separated accepted audiences (default both dev resources)
 * - `INTROSPECTION_CLIENT_ID` / `INTROSPECTION_CLIENT_SECRET` — enables opaque tokens
 *   (default the dev AS's `resource-server` client); `INTROSPECTION=off` disables it
 * - `INTROSPECTION_CACHE_TTL` — seconds (default 5, so a revocation shows within seconds)
 * - `CLOCK_TOLERANCE` — seconds of leeway on `exp`/`nbf`/`iat` (default: the guard's, 5)
 * - `DPOP_NONCE=on` — require DPoP server nonces
 * - `MTLS_CERT_HEADER` — header a TLS-terminating proxy puts the client certificate in (dev: `x-ssl-client-cert`)
 * - `PORT` (default `defaultPort`), `HOST` (default `127.0.0.1`)
 */
export function readApiConfig(env: NodeJS.ProcessEnv, defaultPort: number): ApiConfig {
  const issuer = env.ISSUER ?? 'http://127.0.0.1:9000';
  const audience = (env.AUDIENCE ?? 'urn:resource-guard:jwt-api,urn:resource-guard:opaque-api').split(',').map((item) => item.trim());
  const guard: GuardOptions = { issuer, audience, realm: 'sample-api' };
  if (env.INTROSPECTION !== 'off') {
    guard.introspection = {
      clientId: env.INTROSPECTION_CLIENT_ID ?? 'resource-server',
      clientSecret: env.INTROSPECTION_CLIENT_SECRET ?? 'resource-server-secret',
      cacheTtl: Number(env.INTROSPECTION_CACHE_TTL ?? 5),
    };
  }
  if (env.CLOCK_TOLERANCE !== undefined && env.CLOCK_TOLERANCE !== '') guard.clockTolerance = Number(env.CLOCK_TOLERANCE);
  if (env.DPOP_NONCE === 'on') guard.dpop = { nonce: true };
  if (env.MTLS_CERT_HEADER !== undefined && env.MTLS_CERT_HEADER !== '') guard.mtls = { trustedProxyHeader: env.MTLS_CERT_HEADER };
  const port = Number(env.PORT ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('PORT must be a TCP port number');
  return { port, host: env.HOST ?? '127.0.0.1', guard };
}
