import type { AuthContext, Claims } from '@resource-guard/core';
import { readAuthContext } from '@resource-guard/core/adapter';

/**
 * `ctx.state.auth`, typed as present: for middleware behind `protect()`. `C` types the claims
 * the handler relies on (`getAuth<{ sub: string; tenant: string }>(ctx)`); it is not checked, so
 * make the guard enforce it with `requiredClaims` or `requireClaims()`. Throws a 500
 * `ERR_MISCONFIGURED_MIDDLEWARE_ORDER` when no verified context is there (no `protect()` before
 * it, an optional route without credentials, or `ctx.state.auth` replaced by another object).
 */
export function getAuth<C extends object = Claims>(ctx: { readonly state: object }): AuthContext<C> {
  return readAuthContext<C>((ctx.state as { auth?: unknown }).auth);
}
