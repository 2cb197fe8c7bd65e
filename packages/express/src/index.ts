/**
 * @resource-guard/express — Express adapter. Translates the request into a `GuardRequest`, sets
 * `req.auth`, and passes rejections to `next(err)`: Express's final handler renders their
 * `status` and `headers` (`WWW-Authenticate`, ...) as they are.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  GUARD_KEY, MISSING_PROTECT_MESSAGE, MisconfigurationError, readPeerCertificate, resolveProtectArguments,
  requireAnyScope as anyScopeRequirement, requireAuthentication as authenticationRequirement,
  requireClaims as claimsRequirement, requireScopes as scopesRequirement,
  type AuthContext, type ClaimCondition, type Guard, type GuardRequest, type ProtectOptions,
  type ProtectSettings, type RequireAuthenticationOptions, type Requirement,
} from '@resource-guard/core';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `protect()`: who called, with what token. Absent on optional routes without credentials. */
      auth?: AuthContext;
    }
  }
}

type GuardedRequest = Request & { [GUARD_KEY]?: Guard };

/** Builds the framework-neutral request. `req.protocol`/`req.host` honour Express's `trust proxy`. */
function toGuardRequest(req: Request): GuardRequest {
  return {
    method: req.method,
    url: `${req.protocol}://${req.host ?? 'localhost'}${req.originalUrl}`,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body: req.body,
    get clientCertificate() {
      return readPeerCertificate(req.socket);
    },
  };
}

/**
 * Middleware factory: verifies the access token and sets `req.auth`. `protect(options)` creates a
 * guard (options validated now); `protect(guard, { optional })` shares one across routers.
 * Default: credentials required (401 without them). With `optional: true`, requests without any
 * credentials pass with `req.auth` unset; bad credentials are still rejected.
 */
export function protect(options: ProtectOptions | Guard, settings?: ProtectSettings): RequestHandler {
  const { guard, optional } = resolveProtectArguments(options, settings);
  return function protectMiddleware(req: Request, res: Response, next: NextFunction): void {
    guard.authenticate(toGuardRequest(req), { optional }).then(({ auth, headers }) => {
      (req as GuardedRequest)[GUARD_KEY] = guard;
      if (auth !== undefined) req.auth = auth;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      next();
    }, next);
  };
}

function requirementMiddleware(requirement: Requirement): RequestHandler {
  return function requirementMiddleware(req: Request, _res: Response, next: NextFunction): void {
    const guard = (req as GuardedRequest)[GUARD_KEY];
    if (guard === undefined) {
      next(new MisconfigurationError(MISSING_PROTECT_MESSAGE, 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER'));
      return;
    }
    try {
      guard.authorize(req.auth, requirement);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Route middleware: the token must carry **all** these scopes (403 `insufficient_scope` otherwise). */
export function requireScopes(...scopes: Array<string | readonly string[]>): RequestHandler {
  return requirementMiddleware(scopesRequirement(...scopes));
}

/** Route middleware: the token must carry **at least one** of these scopes. */
export function requireAnyScope(...scopes: Array<string | readonly string[]>): RequestHandler {
  return requirementMiddleware(anyScopeRequirement(...scopes));
}

/** Route middleware: claim values or predicates (403 `insufficient_scope`, code `ERR_CLAIMS_INSUFFICIENT`). */
export function requireClaims(conditions: Readonly<Record<string, ClaimCondition>>): RequestHandler {
  return requirementMiddleware(claimsRequirement(conditions));
}

/** Route middleware: RFC 9470 step-up (`acr`, `auth_time`); 401 `insufficient_user_authentication`. */
export function requireAuthentication(options: RequireAuthenticationOptions): RequestHandler {
  return requirementMiddleware(authenticationRequirement(options));
}

/** Route middleware for any core {@link Requirement}, e.g. a custom one. */
export function requireThat(requirement: Requirement): RequestHandler {
  return requirementMiddleware(requirement);
}

export { createGuard } from '@resource-guard/core';
export type { AuthContext, Guard, GuardOptions, ProtectOptions, ProtectSettings, Requirement } from '@resource-guard/core';
