/**
 * @resource-guard/koa — Koa adapter. Translates `ctx` into a `GuardRequest`, sets
 * `ctx.state.auth`, and throws rejections: Koa's `ctx.onerror` renders their `status`, `expose`
 * and `headers` (`WWW-Authenticate`, ...) as they are.
 */
import type { Context, Middleware, Next } from 'koa';
import {
  GUARD_KEY, MISSING_PROTECT_MESSAGE, MisconfigurationError, readPeerCertificate, resolveProtectArguments,
  requireAnyScope as anyScopeRequirement, requireAuthentication as authenticationRequirement,
  requireClaims as claimsRequirement, requireScopes as scopesRequirement,
  type AuthContext, type ClaimCondition, type Guard, type GuardRequest, type ProtectOptions,
  type ProtectSettings, type RequireAuthenticationOptions, type Requirement,
} from '@resource-guard/core';

declare module 'koa' {
  interface DefaultState {
    /** Set by `protect()`: who called, with what token. Absent on optional routes without credentials. */
    auth?: AuthContext;
  }
}

/** Builds the framework-neutral request. `ctx.origin` honours Koa's `app.proxy`. */
function toGuardRequest(ctx: Context): GuardRequest {
  return {
    method: ctx.method,
    url: `${ctx.origin}${ctx.originalUrl}`,
    headers: ctx.headers,
    rawHeaders: ctx.req.rawHeaders,
    body: (ctx.request as { body?: unknown }).body,
    get clientCertificate() {
      return readPeerCertificate(ctx.req.socket);
    },
  };
}

/**
 * Middleware factory: verifies the access token and sets `ctx.state.auth`. `protect(options)`
 * creates a guard (options validated now); `protect(guard, { optional })` shares one.
 * With `optional: true`, requests without credentials pass with no `auth`; bad ones still fail.
 */
export function protect(options: ProtectOptions | Guard, settings?: ProtectSettings): Middleware {
  const { guard, optional } = resolveProtectArguments(options, settings);
  return async function protectMiddleware(ctx: Context, next: Next): Promise<void> {
    const { auth, headers } = await guard.authenticate(toGuardRequest(ctx), { optional });
    (ctx.state as Record<symbol, unknown>)[GUARD_KEY] = guard;
    if (auth !== undefined) ctx.state.auth = auth;
    ctx.set(headers);
    await next();
  };
}

function requirementMiddleware(requirement: Requirement): Middleware {
  return async function requirementMiddleware(ctx: Context, next: Next): Promise<void> {
    const guard = (ctx.state as Record<symbol, Guard | undefined>)[GUARD_KEY];
    if (guard === undefined) throw new MisconfigurationError(MISSING_PROTECT_MESSAGE, 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER');
    guard.authorize(ctx.state.auth as AuthContext | undefined, requirement);
    await next();
  };
}

/** Route middleware: the token must carry **all** these scopes (403 `insufficient_scope` otherwise). */
export function requireScopes(...scopes: Array<string | readonly string[]>): Middleware {
  return requirementMiddleware(scopesRequirement(...scopes));
}

/** Route middleware: the token must carry **at least one** of these scopes. */
export function requireAnyScope(...scopes: Array<string | readonly string[]>): Middleware {
  return requirementMiddleware(anyScopeRequirement(...scopes));
}

/** Route middleware: claim values or predicates (403 `insufficient_scope`, code `ERR_CLAIMS_INSUFFICIENT`). */
export function requireClaims(conditions: Readonly<Record<string, ClaimCondition>>): Middleware {
  return requirementMiddleware(claimsRequirement(conditions));
}

/** Route middleware: RFC 9470 step-up (`acr`, `auth_time`); 401 `insufficient_user_authentication`. */
export function requireAuthentication(options: RequireAuthenticationOptions): Middleware {
  return requirementMiddleware(authenticationRequirement(options));
}

/** Route middleware for any core {@link Requirement}, e.g. a custom one. */
export function requireThat(requirement: Requirement): Middleware {
  return requirementMiddleware(requirement);
}

export { createGuard } from '@resource-guard/core';
export type { AuthContext, Guard, GuardOptions, ProtectOptions, ProtectSettings, Requirement } from '@resource-guard/core';
