/**
 * @resource-guard/fetch/hono — Hono middleware on the fetch adapter: `protect()` verifies the
 * request and sets `c.var.auth`; the route requirements (`requireScopes`, ...) are middleware too;
 * every rejection is answered with {@link rejectionResponse} (the body every adapter sends).
 * Needs `hono` (≥ 4), which this entry point imports types from; the main entry point does not.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AuthContext, Claims, Requirement } from '@resource-guard/core';
import {
  authorizeRequirement, createRequirementMiddlewares, readAuthContext, readPeerCertificate, resolveProtectArguments,
  type Guard, type ProtectOptions, type ProtectSettings, type RequirementMiddlewares,
} from '@resource-guard/core/adapter';
import { authenticate } from './index.js';
import { rejectionResponse } from './response.js';
import { withHeaders } from './with-headers.js';

/** The Hono environment the middleware sets: `c.var.auth`, undefined on an optional route without credentials. */
export type AuthEnv = { Variables: { auth: AuthContext | undefined } };

/** Settings of {@link protect}: `optional`, and where this request's TLS client certificate comes from. */
export interface HonoProtectSettings extends ProtectSettings {
  /**
   * The DER bytes of this request's TLS client certificate (RFC 8705). Default: read from the
   * socket `@hono/node-server` passes as `c.env.incoming`; undefined on other runtimes (use the
   * guard's `mtls.trustedProxyHeader` behind a proxy).
   */
  clientCertificate?: (c: Context) => Uint8Array | undefined;
}

// The guard that let a request through, for its route requirements; keyed by the request itself,
// so that nothing is added to the application's context variables.
const guards = new WeakMap<Request, Guard>();

function nodeCertificate(c: Context): Uint8Array | undefined {
  return readPeerCertificate((c.env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket);
}

/**
 * Middleware: verifies the access token and sets `c.var.auth`; a rejection is answered at once.
 * `protect(options)` creates a guard (options validated now), `protect(guard, settings)` shares
 * one. Default: credentials required; with `optional: true` (in the options or the settings),
 * requests without any credentials pass with `c.var.auth` undefined, bad ones are still rejected.
 * The guard's success headers (`DPoP-Nonce`, ...) are added to the response.
 */
export function protect(options: ProtectOptions | Guard, settings: HonoProtectSettings = {}): MiddlewareHandler<AuthEnv> {
  const { clientCertificate = nodeCertificate, ...protectSettings } = settings;
  const { guard, optional } = resolveProtectArguments(options, Object.keys(protectSettings).length === 0 ? undefined : protectSettings);
  return async function protectMiddleware(c, next) {
    let result;
    try {
      result = await authenticate(guard, c.req.raw, { optional, clientCertificate: clientCertificate(c) });
    } catch (error) {
      return rejectionResponse(error);
    }
    c.set('auth', result.auth);
    guards.set(c.req.raw, guard);
    await next();
    // Hono's `c.res` setter copies the response (a new Response and body stream, ~15 % of a
    // request's CPU here): assign only when the headers could not be added in place.
    const response = withHeaders(c.res, result.headers);
    if (response !== c.res) c.res = response;
    return undefined;
  };
}

function requirementMiddleware(requirement: Requirement): MiddlewareHandler<AuthEnv> {
  return async function requirementMiddleware(c, next) {
    try {
      authorizeRequirement(c.get('auth'), guards.get(c.req.raw), requirement);
    } catch (error) {
      return rejectionResponse(error);
    }
    await next();
    return undefined;
  };
}

/**
 * Route requirement middleware: `requireScopes` (all of), `requireAnyScope`, `requireClaims`,
 * `requireAuthentication` (RFC 9470 step-up), `requireAuthorizationDetails` (RFC 9396) and `requireThat`
 * (any core requirement). Each must
 * run after {@link protect}; used without it, the request fails with a 500 naming the misuse.
 */
export const {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireAuthorizationDetails, requireThat,
}: RequirementMiddlewares<MiddlewareHandler<AuthEnv>> = createRequirementMiddlewares(requirementMiddleware);

/**
 * `c.var.auth`, typed as present: for handlers behind {@link protect}. `C` types the claims the
 * handler relies on (not checked: make the guard enforce them). Throws a 500
 * `ERR_MISCONFIGURED_MIDDLEWARE_ORDER` when no verified context is there.
 */
export function getAuth<C extends object = Claims>(c: Context<AuthEnv>): AuthContext<C> {
  return readAuthContext<C>(c.get('auth'));
}

export { rejectionResponse };
