import {
  checkAudience, checkClaimTypes, checkTimeClaims, readAudience, type Claims,
} from '../claims/claims.js';
import { InvalidTokenError } from '../errors/errors.js';
import type { ResolvedIntrospection } from './options.js';
import type { ResolvedOptions } from '../options/guard-options.js';

/** RFC 7662 §2.2 members that must be strings when present, besides those `checkClaimTypes` covers. */
const STRING_MEMBERS = ['username', 'token_type'] as const;

/**
 * Judges an introspection response for one request and returns its members as claims (a fresh
 * copy, every extension member kept). Runs on every use, cached or not, with the current clock:
 *
 * - grants only on `active === true` (RFC 7662 §2.2: a JSON boolean; `"true"`, `1` or a missing
 *   member never grant);
 * - well-known members have their JSON types (a `token_type` that is not a string must not slip
 *   past the DPoP binding check, which reads it);
 * - `exp`/`nbf`/`iat` with `clockTolerance` (`exp` optional: RFC 7662 makes it so);
 * - `aud`, when present, names an accepted audience; `iss`, when present, is a configured issuer.
 *   Both are optional in RFC 7662: without them the authorization server's word is taken, since it
 *   answered *our* authenticated request. Scopes are not checked here but per route.
 *
 * Re-checking cached answers means a store shared by services with other audiences or issuers can
 * never hand one of them a token meant for another.
 */
export function evaluateResponse(response: Record<string, unknown>, options: ResolvedOptions, issuers: ReadonlySet<string>): Claims {
  const { active } = response;
  if (active === false) throw new InvalidTokenError('Token is not active', 'ERR_INTROSPECTION_INACTIVE');
  if (active !== true) throw new InvalidTokenError('Introspection response has no boolean active member', 'ERR_INTROSPECTION_MALFORMED');
  checkClaimTypes(response);
  for (const name of STRING_MEMBERS) {
    if (response[name] !== undefined && typeof response[name] !== 'string') {
      throw new InvalidTokenError('Token has a malformed claim', 'ERR_TOKEN_CLAIM_INVALID');
    }
  }
  checkTimeClaims(response, options.clock() / 1000, options.clockTolerance, false);
  const audience = readAudience(response);
  if (audience !== undefined) checkAudience(audience, options.audiences);
  if (response.iss !== undefined && !issuers.has(response.iss as string)) {
    throw new InvalidTokenError('Token issuer is not trusted', 'ERR_INTROSPECTION_ISSUER_UNTRUSTED');
  }
  // A copy per request: callers (and route handlers) must never be able to alter a cached answer.
  return structuredClone(response);
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
