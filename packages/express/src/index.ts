/**
 * @resource-guard/express — Express adapter. Translates the request into a `GuardRequest`, sets
 * `req.auth`, and passes rejections to `next(err)`: Express's final handler renders their
 * `status` and `headers` (`WWW-Authenticate`, ...) as they are.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthContext, Requirement } from '@resource-guard/core';
import {
  GUARD_KEY, NodeRequestView, authorizeRequirement, resolveProtectArguments, createRequirementMiddlewares, runGuard,
  createResourceMetadataEndpoint, type Guard, type GuardHandover, type ProtectOptions, type ProtectSettings, type RequirementMiddlewares,
} from '@resource-guard/core/adapter';

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

/** The framework-neutral view of an Express request; `req.protocol`/`req.host` honour `trust proxy`. */
class ExpressGuardRequest extends NodeRequestView {
  readonly #req: Request;

  constructor(req: Request) {
    super(req, req.body, req.originalUrl);
    this.#req = req;
  }

  protected get protocol(): string {
    return this.#req.protocol;
  }

  protected get host(): string | undefined {
    return this.#req.host;
  }
}

// Every property added to an Express request costs several µs (measured under load), so only
// `auth` is set; the guard rides along only when there is no context to carry it. `next()` runs
// outside any try (an error further down the chain is Express's); anything else goes to
// `next(error)`, also after a wait (Express 4 ignores a rejected promise).
const handover: GuardHandover<Request, Response, NextFunction, void> = {
  keep(auth, guard, req) {
    if (auth !== undefined) req.auth = auth;
    else (req as GuardedRequest)[GUARD_KEY] = guard;
  },
  setHeader: (name, value, _req, res) => res.setHeader(name, value),
  sent: (_req, res) => res.headersSent,
  next: (_req, _res, next) => next(),
  fail: (error, _req, _res, next) => next(error),
};

/**
 * Middleware factory: verifies the access token and sets `req.auth`. `protect(options)` creates a
 * guard (options validated now); `protect(guard, { optional })` shares one across routers.
 * Default: credentials required (401 without them). With `optional: true`, requests without any
 * credentials pass with `req.auth` unset; bad credentials are still rejected.
 */
export function protect(options: ProtectOptions | Guard, settings?: ProtectSettings): RequestHandler {
  const { guard, optional } = resolveProtectArguments(options, settings);
  const authenticateOptions = { optional };
  return function protectMiddleware(req: Request, res: Response, next: NextFunction): void | Promise<void> {
    // Most requests settle at once (loaded keys, a cache hit): the route runs in the same tick.
    return runGuard(guard, new ExpressGuardRequest(req), authenticateOptions, handover, req, res, next);
  };
}

function requirementMiddleware(requirement: Requirement): RequestHandler {
  return function requirementMiddleware(req: Request, _res: Response, next: NextFunction): void {
    try {
      authorizeRequirement(req.auth, (req as GuardedRequest)[GUARD_KEY], requirement);
      next();
    } catch (error) {
      next(error);
    }
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
}: RequirementMiddlewares<RequestHandler> = createRequirementMiddlewares(requirementMiddleware);

/**
 * Serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at
 * `/.well-known/oauth-protected-resource` and, when the resource identifier has a path, at the
 * path-suffixed form (§3.1); every other request passes on. Needs no token; GET and HEAD only
 * (405 with `Allow` otherwise); public, cacheable (`resourceMetadata.cacheMaxAge`, default 3600 s)
 * and readable from any origin. Mount it before `protect()`, at the application's root. The
 * guard must have the `resourceMetadata` option (a `TypeError` otherwise, at start-up).
 */
export function protectedResourceMetadata(guard: Guard): RequestHandler {
  const endpoint = createResourceMetadataEndpoint(guard);
  return async function protectedResourceMetadataMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (!endpoint.matches(req.path)) {
      next();
      return;
    }
    try {
      const { status, headers, body } = await endpoint.respond(req.method);
      res.status(status).set(headers).end(body);
    } catch (error) {
      next(error);
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
