import { describeType, quoteList, quoteValue } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { isPlainObject } from '../jws/jose-rules.js';

/**
 * Claim checks shared by JWT access tokens (RFC 9068 §4) and introspection responses
 * (RFC 7662 §2.2), which use the same names for the same things.
 */

/** A JSON object of claims. */
export type Claims = Record<string, unknown>;

// Roots deep-frozen by freezeClaims: such claims can be handed out again without a copy.
const deepFrozen = new WeakSet<object>();

/**
 * Deep-freezes verified claims, in place, and returns them. A verified-token cache hands the same
 * claims to every request with that token: a route handler that edits `req.auth.claims` (drops
 * `cnf`, adds a scope) must not change the verdict for the next request. Iterative, so the nesting
 * of a hostile (but validly signed) payload cannot overflow the stack; an object frozen by someone
 * else is still descended into (it may hold mutable members).
 */
export function freezeClaims<T extends object>(claims: T): Readonly<T> {
  if (deepFrozen.has(claims)) return claims;
  deepFreeze(claims);
  deepFrozen.add(claims);
  return claims;
}

/**
 * {@link freezeClaims} without the record that lets {@link isFrozenClaims} recognise them: for a
 * JWT's payload, which is parsed afresh for every request and never looked up again (the
 * verified-token cache keeps its own reference). A weak-set entry per token is measurable on the
 * hot path, and in every garbage collection.
 */
export function freezeTokenClaims<T extends object>(claims: T): Readonly<T> {
  deepFreeze(claims);
  return claims;
}

function deepFreeze(claims: object): void {
  // Objects found frozen already: descended into once each. Created only when one is met, which a
  // JSON.parse result (every token payload) never has, so the common case allocates nothing.
  let visited: Set<object> | undefined;
  const pending: object[] = [claims];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    if (Object.isFrozen(value)) {
      if (deepFrozen.has(value) || visited?.has(value) === true) continue;
      (visited ??= new Set()).add(value);
    } else {
      Object.freeze(value);
    }
    for (const member of Object.values(value) as unknown[]) {
      if (typeof member === 'object' && member !== null) pending.push(member);
    }
  }
}

/** Whether `value` was deep-frozen by {@link freezeClaims} (and so may be shared without a copy). */
export function isFrozenClaims(value: object): boolean {
  return deepFrozen.has(value);
}

/**
 * Checks `exp`, `nbf` and `iat` against `now` (seconds) with `tolerance` seconds of leeway.
 * `exp` is mandatory when `requireExp` (JWTs, RFC 9068 §2.2); a present time claim that is not a
 * number is an invalid token, never ignored.
 */
export function checkTimeClaims(claims: Claims, now: number, tolerance: number, requireExp: boolean): void {
  const { exp, nbf, iat } = claims;
  if (exp === undefined) {
    if (requireExp) throw new InvalidTokenError('Token has no expiry', 'ERR_TOKEN_CLAIM_MISSING', { detail: 'claim "exp" is absent; a JWT access token must have one (RFC 9068 §2.2)' });
  } else if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new InvalidTokenError('Token expiry is malformed', 'ERR_TOKEN_CLAIM_INVALID', { detail: notNumeric('exp', exp) });
  } else if (exp <= now - tolerance) {
    throw new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED', { detail: timeDetail('exp', exp, 'before', now, tolerance) });
  }
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) throw new InvalidTokenError('Token nbf is malformed', 'ERR_TOKEN_CLAIM_INVALID', { detail: notNumeric('nbf', nbf) });
    if (nbf > now + tolerance) throw new InvalidTokenError('Token is not valid yet', 'ERR_TOKEN_NOT_YET_VALID', { detail: timeDetail('nbf', nbf, 'after', now, tolerance) });
  }
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new InvalidTokenError('Token iat is malformed', 'ERR_TOKEN_CLAIM_INVALID', { detail: notNumeric('iat', iat) });
    if (iat > now + tolerance) throw new InvalidTokenError('Token was issued in the future', 'ERR_TOKEN_IAT_IN_FUTURE', { detail: timeDetail('iat', iat, 'after', now, tolerance) });
  }
}

const notNumeric = (name: string, value: unknown): string => `claim "${name}" must be a number of seconds (NumericDate), found ${describeType(value)}`;

// Whole seconds: the clock is in milliseconds, and a fraction only makes the line harder to read.
function timeDetail(name: string, value: number, side: 'before' | 'after', now: number, tolerance: number): string {
  const distance = Math.abs(Math.round(now - value));
  return `${name} ${Math.round(value)} is ${distance} s ${side} now (${Math.round(now)}), beyond clockTolerance ${tolerance} s`;
}

/** The `aud` claim as a list; `undefined` when absent, a thrown `invalid_token` when malformed. */
export function readAudience(claims: Claims): string[] | undefined {
  const { aud } = claims;
  if (aud === undefined) return undefined;
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((item) => typeof item === 'string')) return aud as string[];
  throw new InvalidTokenError('Token audience is malformed', 'ERR_TOKEN_CLAIM_INVALID', {
    detail: `claim "aud" must be a string or a list of strings, found ${describeType(aud)}`,
  });
}

/** Throws unless the token's audience list names one of `accepted` (exact, case-sensitive). */
export function checkAudience(audience: readonly string[], accepted: ReadonlySet<string>): void {
  if (!audience.some((item) => accepted.has(item))) {
    throw new InvalidTokenError('Token is not meant for this resource', 'ERR_TOKEN_AUDIENCE_INVALID', {
      detail: `aud ${quoteList(audience)} names none of audience: ${quoteList(accepted)} (compared exactly)`,
    });
  }
}

/**
 * Throws when a claim named in `required` is absent or `null`. `relaxable(name)`: whether the
 * detail may advise dropping that claim from `requiredClaims`, i.e. whether something else would
 * still keep ID tokens out without it (never advise the relaxation that lets one in).
 */
export function checkRequiredClaims(claims: Claims, required: readonly string[], relaxable: (name: string) => boolean): void {
  for (const name of required) {
    if (claims[name] === undefined || claims[name] === null) {
      throw new InvalidTokenError('Token lacks a required claim', 'ERR_TOKEN_CLAIM_MISSING', {
        detail: `required claim ${quoteValue(name)} is ${claims[name] === null ? 'null' : 'absent'} (required: ${quoteList(required)}); `
          + (relaxable(name)
            ? 'if your authorization server never issues it, set "requiredClaims" or the "profile" of your provider'
            : 'a "JWT"-typed token is told from an ID token here only by the required claims (an ID token? the API needs the access token); '
              + 'if your provider\'s access tokens lack it, set the "profile" of your provider, whose checks keep its ID tokens out'),
      });
    }
  }
}

const STRING_CLAIMS = ['iss', 'sub', 'client_id', 'jti', 'scope'] as const;

/**
 * Throws when a well-known claim has the wrong JSON type (a number `sub`, an object `scope`, ...).
 * `scopeArrays`: `scope` may also be an array of strings, like `scp` (providers that emit one,
 * e.g. Duende IdentityServer; RFC 9068 §2.2.3 says a space-separated string).
 */
export function checkClaimTypes(claims: Claims, scopeArrays = false): void {
  for (const name of STRING_CLAIMS) {
    const value = claims[name];
    if (value !== undefined && typeof value !== 'string' && !(scopeArrays && name === 'scope' && isStringList(value))) {
      throw malformedClaim(name, name !== 'scope' ? 'a string' : scopeArrays ? 'a space-separated string or a list of strings'
        : 'a space-separated string (RFC 9068 §2.2.3; the provider profiles, e.g. profile "duende", accept a list of strings too)', value);
    }
  }
  const { scp, cnf } = claims;
  if (scp !== undefined && typeof scp !== 'string' && !isStringList(scp)) {
    throw malformedClaim('scp', 'a string or a list of strings', scp);
  }
  if (cnf !== undefined && !isPlainObject(cnf)) throw malformedClaim('cnf', 'a JSON object', cnf);
}

/** `ERR_TOKEN_CLAIM_INVALID` naming the claim and the type it must have; never the claim's value. */
export function malformedClaim(name: string, expected: string, value: unknown): InvalidTokenError {
  return new InvalidTokenError('Token has a malformed claim', 'ERR_TOKEN_CLAIM_INVALID', {
    detail: `claim ${quoteValue(name)} must be ${expected}, found ${describeType(value)}`,
  });
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** Scopes from `scope` (space-separated, RFC 9068 §2.2.3) or `scp` (array or space-separated string). */
export function readScopes(claims: Claims): string[] {
  return readScopeValue(claims.scope ?? claims.scp);
}

/** The scopes of one claim value: a space-separated string or an array (non-strings skipped); else none. */
export function readScopeValue(value: unknown): string[] {
  if (typeof value === 'string') return splitScopes(value);
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string' && scope.length > 0);
  return [];
}

// An indexOf loop, not String#split: measured ~5× cheaper on every request, and empty items
// (repeated, leading or trailing spaces) are skipped in the same pass.
function splitScopes(value: string): string[] {
  const scopes: string[] = [];
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(' ', start);
    if (end < 0) end = value.length;
    if (end > start) scopes.push(value.slice(start, end));
    start = end + 1;
  }
  return scopes;
}
