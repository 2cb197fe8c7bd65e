import type { FastifyRequest } from 'fastify';
import type { AuthContext, Claims } from '@resource-guard/core';
import { readAuthContext } from '@resource-guard/core/adapter';

/**
 * `request.auth`, typed as present: for handlers behind the plugin or `protect()`. `C` types the
 * claims the handler relies on (`getAuth<{ sub: string; tenant: string }>(request)`); it is not
 * checked, so make the guard enforce it with `requiredClaims` or `requireClaims()`. Throws a 500
 * `ERR_MISCONFIGURED_MIDDLEWARE_ORDER` when no verified context is there (no guard before the
 * handler, an optional route without credentials, or `request.auth` replaced by another object).
 */
export function getAuth<C extends object = Claims>(request: Pick<FastifyRequest, 'auth'>): AuthContext<C> {
  return readAuthContext<C>(request.auth ?? undefined);
}
