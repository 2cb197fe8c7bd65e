import { freezeClaims, isFrozenClaims, type Claims } from '../claims/claims.js';
import { describeType } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import type { ResolvedIntrospection } from './options.js';

/**
 * Judges an introspection response for one request and returns its members as claims (a fresh
 * copy, every extension member kept). Runs on every use, cached or not. Grants only on
 * `active === true` (RFC 7662 §2.2: a JSON boolean; `"true"`, `1` or a missing member never
 * grant). The members (types, `exp`/`nbf`/`iat`, `aud` and `iss` when present) are judged next
 * by the pipeline's claim rules (`pipeline/validators.ts`), with the current clock: a store shared
 * by services with other audiences or issuers can never hand one of them a token meant for another.
 */
export function evaluateResponse(response: Record<string, unknown>): Claims {
  const { active } = response;
  if (active === false) {
    throw new InvalidTokenError('Token is not active', 'ERR_INTROSPECTION_INACTIVE', {
      detail: 'the introspection endpoint answered active: false (unknown, expired or revoked token, or one this client may not introspect)',
    });
  }
  if (active !== true) {
    throw new InvalidTokenError('Introspection response has no boolean active member', 'ERR_INTROSPECTION_MALFORMED', {
      detail: `the introspection answer's "active" is ${describeType(active)}, not a JSON boolean (RFC 7662 §2.2)`,
    });
  }
  // Route handlers must never be able to alter a cached answer. Answers this guard received are
  // frozen once, before they are cached (see the introspector), and shared as they are; anything
  // else a custom store hands back is copied first, as the store may still hold and change it.
  return isFrozenClaims(response) ? response : freezeClaims(structuredClone(response));
}

/**
 * Seconds to cache `response` for, 0 for "do not cache":
 * - `active: true` → min(`cacheTtl`, `exp` − now); no `exp` → `cacheTtl`; a malformed `exp` → 0;
 * - `active: false` → `inactiveCacheTtl`;
 * - anything else (malformed `active`) → 0: not a clear answer, so not remembered.
 */
export function cacheTtlFor(response: Record<string, unknown>, settings: ResolvedIntrospection, nowMs: number): number {
  if (response.active === false) return settings.inactiveCacheTtl;
  if (response.active !== true) return 0;
  const { exp } = response;
  if (exp === undefined) return settings.cacheTtl;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 0;
  return Math.max(0, Math.min(settings.cacheTtl, exp - nowMs / 1000));
}

/** Whether a cached `active: true` answer is past its token's `exp` (no tolerance: never serve past `exp`). */
export function isPastExpiry(response: Record<string, unknown>, nowMs: number): boolean {
  const { exp } = response;
  return response.active === true && typeof exp === 'number' && exp * 1000 <= nowMs;
}
