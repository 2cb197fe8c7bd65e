/**
 * @resource-guard/koa — Koa adapter. Translates `ctx` into a `GuardRequest`, sets
 * `ctx.state.auth`, and throws rejections: Koa's `ctx.onerror` renders their `status`, `expose`
 * and `headers` (`WWW-Authenticate`, ...) as they are.
 */
import type { Context, Middleware, Next } from 'koa';
import type { AuthContext, Requirement } from '@resource-guard/core';
import {
  GUARD_KEY, NodeRequestView, authorizeRequirement, resolveProtectArguments, createRequirementMiddlewares, runGuard,
  createResourceMetadataEndpoint, type Guard, type GuardHandover, type ProtectOptions, type ProtectSettings, type RequirementMiddlewares,
} from '@resource-guard/core/adapter';

declare module 'koa' {
  interface DefaultState {
    /** Set by `protect()`: who called, with what token. Absent on optional routes without credentials. */
    auth?: AuthContext;
  }
}

/**
 * The framework-neutral view of a Koa context. `ctx.protocol` and `ctx.host` honour Koa's
 * `app.proxy`. Not `ctx.origin`: in Koa 3 it reflects the client's `Origin` header, which would
 * let a client choose the URL a DPoP proof's `htu` is compared with.
 */
class KoaGuardRequest extends NodeRequestView {
  readonly #ctx: Context;

  constructor(ctx: Context) {
    super(ctx.req, (ctx.request as { body?: unknown }).body, ctx.originalUrl);
    this.#ctx = ctx;
  }

  protected get protocol(): string {
    return this.#ctx.protocol;
  }

  protected get host(): string | undefined {
    return this.#ctx.host || undefined;
  }
}

/**
 * Middleware factory: verifies the access token and sets `ctx.state.auth`. `protect(options)`
 * creates a guard (options validated now); `protect(guard, { optional })` shares one.
 * With `optional: true`, requests without credentials pass with no `auth`; bad ones still fail.
 */
export function protect(options: ProtectOptions | Guard, settings?: ProtectSettings): Middleware {
  const { guard, optional } = resolveProtectArguments(options, settings);
  const authenticateOptions = { optional };
  return function protectMiddleware(ctx: Context, next: Next): Promise<void> {
    // Most requests settle at once (loaded keys, a cache hit): no promise of ours in between.
    return runGuard(guard, new KoaGuardRequest(ctx), authenticateOptions, handover, ctx, next, undefined);
  };
}

// A rejection is a rejected promise, never a throw: what Koa (and any caller awaiting the
// middleware) expects. `ctx.set` leaves a response already sent alone.
const handover: GuardHandover<Context, Next, undefined, Promise<void>> = {
  keep(auth, guard, ctx) {
    if (auth !== undefined) ctx.state.auth = auth;
    else (ctx.state as Record<symbol, unknown>)[GUARD_KEY] = guard;
  },
  setHeader: (name, value, ctx) => ctx.set(name, value),
  next: (_ctx, next) => next(),
  fail: (error) => Promise.reject(error),
};

function requirementMiddleware(requirement: Requirement): Middleware {
  return async function requirementMiddleware(ctx: Context, next: Next): Promise<void> {
    authorizeRequirement(ctx.state.auth, (ctx.state as Record<symbol, Guard | undefined>)[GUARD_KEY], requirement);
    await next();
  };
}

/**
 * Route requirement factories: `requireScopes` (all of), `requireAnyScope`, `requireClaims`,
 * `requireAuthentication` (RFC 9470 step-up), `requireAuthorizationDetails` (RFC 9396) and `requireThat`
 * (any core requirement). Each must
 * run after `protect()`; used without it, the request fails with a 500 naming the misuse.
 */
export const {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireAuthorizationDetails, requireThat,
}: RequirementMiddlewares<Middleware> = createRequirementMiddlewares(requirementMiddleware);

/**
 * Serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource` and, when the resource identifier has a path, at the
 * path-suffixed form (§3.1); every other request passes on. Needs no token; GET and HEAD only
 * (405 with `Allow` otherwise); public, cacheable (`resourceMetadata.cacheMaxAge`, default 3600 s)
 * and readable from any origin. Use it before `protect()`. The guard must have the
 * `resourceMetadata` option (a `TypeError` otherwise, at start-up).
 */
export function protectedResourceMetadata(guard: Guard): Middleware {
  const endpoint = createResourceMetadataEndpoint(guard);
  return async function protectedResourceMetadataMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!endpoint.matches(ctx.path)) {
      await next();
      return;
    }
    const { status, headers, body } = await endpoint.respond(ctx.method);
    ctx.status = status;
    ctx.set(headers);
    if (body !== undefined) {
      ctx.type = 'application/json';
      ctx.body = body;
    }
  };
}

export { createGuard, exposedAuthHeaders, AUTH_RESPONSE_HEADERS } from '@resource-guard/core';
export type { AuthContext, Guard, GuardOptions, Requirement } from '@resource-guard/core';
export type { ProtectOptions, ProtectSettings } from '@resource-guard/core/adapter';
export { errorHandler } from './error-handler.js';
export type { ErrorHandlerOptions } from './error-handler.js';
export { getAuth } from './get-auth.js';
// Re-exported so applications import only their adapter (strict layouts such as pnpm's do not
// let them import @resource-guard/core, which they never installed).
export {
  GuardError, MissingCredentialsError, InvalidRequestError, InvalidTokenError, InsufficientScopeError,
  InvalidDpopProofError, UseDpopNonceError, InsufficientUserAuthenticationError, UpstreamUnavailableError,
  MisconfigurationError, isGuardError, createMemoryStore,
} from '@resource-guard/core';
export type { ChallengeError, Claims, MemoryStoreOptions, Store } from '@resource-guard/core';
export type { ErrorResponseBody, ErrorResponseLogger } from '@resource-guard/core/adapter';
export { readPeerCertificate } from '@resource-guard/core/adapter';
