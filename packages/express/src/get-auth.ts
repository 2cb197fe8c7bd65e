import type { Request } from 'express';
import type { AuthContext, Claims } from '@resource-guard/core';
import { readAuthContext } from '@resource-guard/core/adapter';

/**
 * `req.auth`, typed as present: for handlers behind `protect()`. `C` types the claims the
 * handler relies on (`getAuth<{ sub: string; tenant: string }>(req)`); it is not checked, so make
 * the guard enforce it with `requiredClaims` or `requireClaims()`. Throws a 500
 * `ERR_MISCONFIGURED_MIDDLEWARE_ORDER` when no verified context is there (no `protect()` before
 * the handler, an optional route without credentials, or `req.auth` replaced by another object).
 */
export function getAuth<C extends object = Claims>(req: Pick<Request, 'auth'>): AuthContext<C> {
  return readAuthContext<C>(req.auth);
}
