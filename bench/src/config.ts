/**
 * What the parent tells a server child to build, and the scenario list. Shared by both sides.
 */
import type { LatencyReport } from './latency-probe.js';

/** One API server variant; each runs in its own child process. */
export type AppKind =
  | 'bare'
  /** A pass-through middleware: what one middleware layer costs the framework by itself. */
  | 'noop'
  | 'resource-guard'
  | 'resource-guard-cache'
  /** `offloadSignatures: true`: signatures checked on libuv's thread pool. */
  | 'resource-guard-offload'
  /** `offloadSignatures: false`: every signature checked on the event loop (the default before `'auto'`). */
  | 'resource-guard-inline'
  /** DPoP with `offloadSignatures: false`. */
  | 'resource-guard-dpop-inline'
  | 'resource-guard-opaque'
  | 'resource-guard-dpop'
  /** DPoP with `offloadSignatures: true` (token and proof checked on the thread pool). */
  | 'resource-guard-dpop-offload'
  /** The soak run's app: JWTs, opaque tokens by introspection and DPoP-bound tokens through one guard. */
  | 'resource-guard-soak'
  /** `resource-guard-opaque` / `-dpop` with the Redis store (`@resource-guard/redis`) instead of memory. */
  | 'resource-guard-opaque-redis'
  | 'resource-guard-dpop-redis'
  | 'express-oauth2-jwt-bearer'
  /** express-oauth2-jwt-bearer with its DPoP support on (`dpop: { enabled: true, required: true }`). */
  | 'express-oauth2-jwt-bearer-dpop'
  | 'express-jwt'
  | 'koa-jwt'
  /** `@fastify/jwt` with `get-jwks`, as @fastify/jwt's README documents it. */
  | 'fastify-jwt'
  /**
   * The same with the JWK → PEM conversion done once per key: the README's `getPublicKey()` runs
   * jwk-to-pem on every request (milliseconds for a P-256 key), which is what held it near 100 req/s.
   */
  | 'fastify-jwt-cached'
  /** Hono's own `hono/jwk` middleware, on the key set fetched once at start-up. */
  | 'hono-jwk';

export type Framework = 'express' | 'koa' | 'fastify' | 'hono';
/** The frameworks, in the order the load benchmark measures them. */
export const FRAMEWORKS: readonly Framework[] = ['express', 'koa', 'fastify', 'hono'];
export type Alg = 'ES256' | 'RS256' | 'EdDSA';
/** The signing algorithms the throughput benchmark covers. */
export const ALGS: readonly Alg[] = ['ES256', 'RS256', 'EdDSA'];
/** Which credential the load generator sends (`dpop`: a token of the scenario's `alg` bound to an ES256 proof key). */
export type TokenKind = Alg | 'opaque' | 'dpop';

/** Everything a server child needs; passed as JSON in argv. */
export interface AppConfig {
  framework: Framework;
  kind: AppKind;
  issuer: string;
  jwksUri: string;
  audience: string;
  /** Signing algorithm the app is configured for (peers take exactly one). */
  alg: Alg;
  introspection?: { endpoint: string; clientId: string; clientSecret: string; cacheTtl?: number };
  /** The bench's redis-server, for the `-redis` kinds (absent when redis-server is not installed). */
  redisUrl?: string;
  /**
   * The route's path (default `/`). With `--one-process` every app of a framework runs in one
   * server process, each under `/<scenario id>/`, so that they share one heap, one JIT and one
   * event loop and differ only in their middleware.
   */
  path?: string;
  /**
   * The soak's DPoP replay window and store bound (`resource-guard-soak` only): `dpop.proofMaxAge`
   * and `dpop.clockTolerance` (seconds; markers live `proofMaxAge` + 2 × `clockTolerance`) and the
   * memory store's `maxMarkers`.
   */
  soak?: { proofMaxAge: number; clockTolerance: number; maxMarkers: number };
}

/** What a server child is told to build: one app, or (`--one-process`) several, each at its `path`. */
export type ServerConfig = AppConfig | { routes: AppConfig[] };

/** A measured scenario. */
export interface Scenario {
  id: string;
  label: string;
  framework: Framework;
  kind: AppKind;
  alg: Alg;
  token: TokenKind;
  /**
   * Pre-checks this peer does not pass because it does not make that check (e.g. replay detection
   * of DPoP proofs): reported with their result, not counted as a failure. Never set for resource-guard.
   */
  gaps?: readonly string[];
  /** Send the access token with `typ: JWT` rather than RFC 9068's `at+jwt` (a peer that refuses the latter: hono/jwk). */
  genericTyp?: boolean;
}

/** The subject every token carries and every app echoes back, so all bodies have the same size. */
export const SUBJECT = 'user-123';
export const AUDIENCE = 'https://api.bench.test';
export const CLIENT_ID = 'bench-client';
export const INTROSPECTION_CLIENT = { clientId: 'resource-server', clientSecret: 'bench-introspection-secret-0123456789' };

/** The scenarios of the load benchmark, in their forward order (odd repetitions run it reversed). */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'express-bare', label: 'Express (bare)', framework: 'express', kind: 'bare', alg: 'ES256', token: 'ES256' },
  { id: 'express-noop', label: 'Express + a pass-through middleware (reference)', framework: 'express', kind: 'noop', alg: 'ES256', token: 'ES256' },
  { id: 'express-rg-es256', label: 'resource-guard Express ES256', framework: 'express', kind: 'resource-guard', alg: 'ES256', token: 'ES256' },
  { id: 'express-rg-rs256', label: 'resource-guard Express RS256', framework: 'express', kind: 'resource-guard', alg: 'RS256', token: 'RS256' },
  { id: 'express-rg-inline', label: 'resource-guard Express ES256, offloadSignatures: false', framework: 'express', kind: 'resource-guard-inline', alg: 'ES256', token: 'ES256' },
  { id: 'express-rg-offload', label: 'resource-guard Express ES256 + offloadSignatures', framework: 'express', kind: 'resource-guard-offload', alg: 'ES256', token: 'ES256' },
  { id: 'express-rg-cache', label: 'resource-guard Express ES256 + verifiedTokenCache', framework: 'express', kind: 'resource-guard-cache', alg: 'ES256', token: 'ES256' },
  { id: 'express-rg-opaque', label: 'resource-guard Express opaque (introspection cache hit)', framework: 'express', kind: 'resource-guard-opaque', alg: 'ES256', token: 'opaque' },
  { id: 'express-rg-dpop', label: 'resource-guard Express ES256 + DPoP proof', framework: 'express', kind: 'resource-guard-dpop', alg: 'ES256', token: 'dpop' },
  { id: 'express-rg-opaque-redis', label: 'resource-guard Express opaque (introspection cache hit) on Redis', framework: 'express', kind: 'resource-guard-opaque-redis', alg: 'ES256', token: 'opaque' },
  { id: 'express-rg-dpop-redis', label: 'resource-guard Express ES256 + DPoP proof, replay markers on Redis', framework: 'express', kind: 'resource-guard-dpop-redis', alg: 'ES256', token: 'dpop' },
  { id: 'express-rg-dpop-offload', label: 'resource-guard Express ES256 + DPoP proof + offloadSignatures', framework: 'express', kind: 'resource-guard-dpop-offload', alg: 'ES256', token: 'dpop' },
  { id: 'express-auth0', label: 'express-oauth2-jwt-bearer ES256', framework: 'express', kind: 'express-oauth2-jwt-bearer', alg: 'ES256', token: 'ES256' },
  { id: 'express-auth0-dpop', label: 'express-oauth2-jwt-bearer ES256 + DPoP proof', framework: 'express', kind: 'express-oauth2-jwt-bearer-dpop', alg: 'ES256', token: 'dpop', gaps: ['replayed proof'] },
  { id: 'express-jwt', label: 'express-jwt + jwks-rsa ES256', framework: 'express', kind: 'express-jwt', alg: 'ES256', token: 'ES256' },
  { id: 'koa-bare', label: 'Koa (bare)', framework: 'koa', kind: 'bare', alg: 'ES256', token: 'ES256' },
  { id: 'koa-noop', label: 'Koa + a pass-through middleware (reference)', framework: 'koa', kind: 'noop', alg: 'ES256', token: 'ES256' },
  { id: 'koa-rg-es256', label: 'resource-guard Koa ES256', framework: 'koa', kind: 'resource-guard', alg: 'ES256', token: 'ES256' },
  { id: 'koa-rg-rs256', label: 'resource-guard Koa RS256', framework: 'koa', kind: 'resource-guard', alg: 'RS256', token: 'RS256' },
  { id: 'koa-rg-offload', label: 'resource-guard Koa ES256 + offloadSignatures', framework: 'koa', kind: 'resource-guard-offload', alg: 'ES256', token: 'ES256' },
  { id: 'koa-rg-cache', label: 'resource-guard Koa ES256 + verifiedTokenCache', framework: 'koa', kind: 'resource-guard-cache', alg: 'ES256', token: 'ES256' },
  { id: 'koa-jwt', label: 'koa-jwt + jwks-rsa ES256', framework: 'koa', kind: 'koa-jwt', alg: 'ES256', token: 'ES256' },
  { id: 'fastify-bare', label: 'Fastify (bare)', framework: 'fastify', kind: 'bare', alg: 'ES256', token: 'ES256' },
  { id: 'fastify-noop', label: 'Fastify + a pass-through onRequest hook (reference)', framework: 'fastify', kind: 'noop', alg: 'ES256', token: 'ES256' },
  { id: 'fastify-rg-es256', label: 'resource-guard Fastify ES256', framework: 'fastify', kind: 'resource-guard', alg: 'ES256', token: 'ES256' },
  { id: 'fastify-rg-rs256', label: 'resource-guard Fastify RS256', framework: 'fastify', kind: 'resource-guard', alg: 'RS256', token: 'RS256' },
  { id: 'fastify-rg-cache', label: 'resource-guard Fastify ES256 + verifiedTokenCache', framework: 'fastify', kind: 'resource-guard-cache', alg: 'ES256', token: 'ES256' },
  { id: 'fastify-jwt', label: '@fastify/jwt + get-jwks ES256', framework: 'fastify', kind: 'fastify-jwt', alg: 'ES256', token: 'ES256' },
];

/** Messages from a server child to the parent. */
export type ChildMessage =
  /** `skipped`: with several routes, those that could not be built (path → reason). */
  | { type: 'ready'; port: number; skipped?: Record<string, string> }
  | { type: 'skip'; reason: string }
  | { type: 'memory'; rss: number; heapUsed: number }
  /**
   * `process.cpuUsage()` user + system, in µs; for resource-guard apps also the signature
   * verifications so far, in place and on the thread pool (`node:crypto` `verify` without and with
   * a callback).
   */
  | { type: 'cpu'; micros: number; verifications?: { inline: number; pooled: number } }
  /** Per-kind answer times and event-loop delay since the last query (`latency-probe.ts`; soak only). */
  | { type: 'latency'; report: LatencyReport };
