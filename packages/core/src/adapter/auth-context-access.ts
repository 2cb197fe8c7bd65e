import type { Claims } from '../claims/claims.js';
import { ISSUING_GUARD, type AuthContext } from '../pipeline/context.js';
import { isGuard } from '../guard-brand.js';
import type { Guard } from '../guard-types.js';
import { MisconfigurationError } from '../errors/errors.js';

/**
 * The guard that verified `auth`; `undefined` for anything that is not a context a guard created
 * (e.g. an object some other middleware put in `req.auth`, or a spread copy of a context).
 * Recognises contexts of any installed copy of the core (see `ISSUING_GUARD`).
 */
export function findIssuingGuard(auth: unknown): Guard | undefined {
  if (typeof auth !== 'object' || auth === null) return undefined;
  const guard = (auth as { [ISSUING_GUARD]?: unknown })[ISSUING_GUARD];
  return isGuard(guard) ? guard : undefined;
}

/**
 * Behind the adapters' `getAuth()`: `auth` when it is a context a guard created, typed with the
 * application's claims `C` (an assertion the guard does not check; see {@link AuthContext}).
 * Anything else — `protect()` did not run before, an optional route without credentials, or a
 * context replaced by another object — is a 500 `ERR_MISCONFIGURED_MIDDLEWARE_ORDER`, never a
 * context that was not verified.
 */
export function readAuthContext<C extends object = Claims>(auth: unknown): AuthContext<C> {
  if (findIssuingGuard(auth) === undefined) {
    throw new MisconfigurationError(
      'getAuth() used where protect() did not set a context (no protect() before it, an optional route without credentials, or a replaced context)',
      'ERR_MISCONFIGURED_MIDDLEWARE_ORDER',
    );
  }
  return auth as AuthContext<C>;
}
