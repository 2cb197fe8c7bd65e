/**
 * Hono middleware on top of `@resource-guard/fetch`: `protect()` verifies the request and sets
 * `c.var.auth`, `requires()` checks a route requirement; each answers a rejection with
 * `rejectionResponse()` (status, `WWW-Authenticate`, ...). Nothing here is specific to Node
 * except where the client certificate comes from.
 */
import type { MiddlewareHandler } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { readPeerCertificate } from '@resource-guard/core/adapter';
import {
  authenticate, authorize, rejectionResponse, type AuthContext, type Guard, type Requirement,
} from '@resource-guard/fetch';

/** The sample's Hono environment: `c.var.auth`, and Node's request under `c.env` (`@hono/node-server`). */
export type ApiEnv = { Bindings: HttpBindings; Variables: { auth: AuthContext | undefined; guard: Guard } };

/** Verifies the token; with `optional`, requests without credentials pass with `c.var.auth` undefined. */
export function protect(guard: Guard, settings: { optional?: boolean } = {}): MiddlewareHandler<ApiEnv> {
  return async function protectMiddleware(c, next) {
    let result;
    try {
      // On Node the TLS connection is at hand; behind a proxy, use the guard's mtls.trustedProxyHeader.
      const clientCertificate = readPeerCertificate(c.env?.incoming?.socket);
      result = await authenticate(guard, c.req.raw, { optional: settings.optional, clientCertificate });
    } catch (error) {
      return rejectionResponse(error);
    }
    c.set('auth', result.auth);
    c.set('guard', guard);
    for (const [name, value] of Object.entries(result.headers)) c.header(name, value);
    await next();
  };
}

/** A route requirement (`requireScopes(...)`, ...), judged by the guard `protect()` ran. */
export function requires(requirement: Requirement): MiddlewareHandler<ApiEnv> {
  return async function requirementMiddleware(c, next) {
    try {
      authorize(c.var.auth, requirement, c.var.guard);
    } catch (error) {
      return rejectionResponse(error);
    }
    await next();
  };
}
