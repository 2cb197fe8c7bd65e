import type { AuthContext } from '../pipeline/context.js';
import type { GuardError } from '../errors/errors.js';
import { quoteList, quoteValue } from '../errors/detail.js';
import { InsufficientScopeError, InsufficientUserAuthenticationError } from '../errors/errors.js';
import type { ScopeHierarchy } from './scope-hierarchy.js';

/**
 * A per-route requirement on a verified token. Built once (arguments validated at start-up),
 * checked per request with `guard.authorize(auth, requirement)` or an adapter's middleware.
 */
export interface Requirement {
  /**
   * Returns the rejection for `auth`, or `undefined` when the requirement holds. `context` carries
   * the judging guard's settings that a requirement may honour (its `scopeHierarchy`).
   */
  check(auth: AuthContext, context?: RequirementContext): GuardError | undefined;
  /**
   * Which kind of requirement this is, for metrics (`resource_guard.requirement.kind`): set by the
   * library's factories; absent (counted as `custom`) for requirements of your own.
   */
  readonly kind?: RequirementKind;
}

/** The guard's settings handed to {@link Requirement.check}. */
export interface RequirementContext {
  /** The guard's `scopeHierarchy`, when configured: broader scopes that imply narrower ones. */
  readonly scopeHierarchy?: ScopeHierarchy | undefined;
}

/** The kinds of route requirement the library makes; `custom` for any other. */
export type RequirementKind = 'scopes' | 'any_scope' | 'claims' | 'step_up' | 'authorization_details' | 'custom';

/** A claim condition: an exact value, one of several values, or a predicate. */
export type ClaimCondition =
  | string | number | boolean
  | ReadonlyArray<string | number | boolean>
  | ((value: unknown, claims: Readonly<Record<string, unknown>>) => boolean);

function readScopeList(scopes: ReadonlyArray<string | readonly string[]>, name: string): string[] {
  const list = scopes.flat().flatMap((scope) => (typeof scope === 'string' ? scope.split(' ') : [scope]))
    .filter((scope) => scope !== '');
  if (list.length === 0 || !list.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) {
    throw new TypeError(`resource-guard: ${name}() needs one or more scope strings (RFC 6749 §3.3 scope-token characters)`);
  }
  return [...new Set(list)];
}

/**
 * Requires **all** of the scopes (RFC 6749 §3.3: exact, case-sensitive, order-independent; no
 * prefix or wildcard matching). Space-separated strings are split. With the guard's
 * `scopeHierarchy`, a broader scope the token holds stands for the narrower ones it implies.
 * Rejection: 403 `insufficient_scope` with `scope="…"` listing what the route needs (RFC 6750
 * §3.1), narrowed by the hierarchy (a scope implied by another listed one is left out).
 */
export function requireScopes(...scopes: Array<string | readonly string[]>): Requirement {
  const required = readScopeList(scopes, 'requireScopes');
  const scope = required.join(' ');
  return {
    kind: 'scopes',
    check(auth, context) {
      const hierarchy = context?.scopeHierarchy;
      const granted = hierarchy === undefined ? new Set(auth.scopes) : hierarchy.expand(auth.scopes);
      if (required.every((item) => granted.has(item))) return undefined;
      return new InsufficientScopeError('The token lacks a required scope', 'ERR_SCOPE_INSUFFICIENT', {
        // With a hierarchy, the narrowest set that covers every required scope (MCP 2026-07-28).
        challengeParams: { scope: hierarchy === undefined ? scope : hierarchy.narrowest(required).join(' ') },
        detail: `requireScopes(): the token lacks ${quoteList(required.filter((item) => !granted.has(item)))} of ${quoteList(required)}`,
      });
    },
  };
}

/**
 * Requires **at least one** of the scopes; otherwise like {@link requireScopes}. With a
 * `scopeHierarchy`, the challenge names only the alternatives that imply no other one.
 */
export function requireAnyScope(...scopes: Array<string | readonly string[]>): Requirement {
  const accepted = readScopeList(scopes, 'requireAnyScope');
  const scope = accepted.join(' ');
  return {
    kind: 'any_scope',
    check(auth, context) {
      const hierarchy = context?.scopeHierarchy;
      const granted = hierarchy === undefined ? new Set(auth.scopes) : hierarchy.expand(auth.scopes);
      if (accepted.some((item) => granted.has(item))) return undefined;
      return new InsufficientScopeError('The token has none of the accepted scopes', 'ERR_SCOPE_INSUFFICIENT', {
        challengeParams: { scope: hierarchy === undefined ? scope : hierarchy.narrowestAlternatives(accepted).join(' ') },
        detail: `requireAnyScope(): the token has none of ${quoteList(accepted)}`,
      });
    },
  };
}

/**
 * Requires claim values: a string/number/boolean must equal the claim (or be an element of an
 * array claim), an array lists accepted values, a function decides. Comparison is exact (`===`).
 * Rejection: 403 `insufficient_scope` (code `ERR_CLAIMS_INSUFFICIENT`); the challenge does not say
 * which claim failed.
 */
export function requireClaims(conditions: Readonly<Record<string, ClaimCondition>>): Requirement {
  if (typeof conditions !== 'object' || conditions === null || Object.keys(conditions).length === 0) {
    throw new TypeError('resource-guard: requireClaims() needs an object of { claim: value | values | predicate }');
  }
  const entries = Object.entries(conditions).map(([name, condition]) => [name, toClaimPredicate(`requireClaims(): "${name}"`, condition)] as const);
  return {
    kind: 'claims',
    check(auth) {
      const failed = entries.find(([name, test]) => !test(auth.claims[name], auth.claims));
      return failed === undefined
        ? undefined
        : new InsufficientScopeError('The token does not meet the claim requirements', 'ERR_CLAIMS_INSUFFICIENT', {
          detail: `requireClaims(): claim ${quoteValue(failed[0])} ${auth.claims[failed[0]] === undefined ? 'is absent' : 'has another value'}`,
        });
    },
  };
}

/**
 * A {@link ClaimCondition} as a predicate; validated now (start-up), `TypeError` naming `where`.
 * Shared by `requireClaims()` and the guard's `validators` option.
 */
export function toClaimPredicate(where: string, condition: ClaimCondition): (value: unknown, claims: Readonly<Record<string, unknown>>) => boolean {
  if (typeof condition === 'function') return (value, claims) => condition(value, claims) === true;
  const accepted = Array.isArray(condition) ? condition : [condition];
  if (accepted.length === 0 || !accepted.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
    throw new TypeError(`resource-guard: ${where} must be a string, number, boolean, an array of them, or a function`);
  }
  const matches = (value: unknown) => accepted.includes(value as string | number | boolean);
  return (value) => (Array.isArray(value) ? value.some(matches) : matches(value));
}

/** Options of {@link requireAuthentication} (RFC 9470 step-up). */
export interface RequireAuthenticationOptions {
  /** Accepted `acr` values, any of them. */
  acrValues?: string[];
  /** Longest time since `auth_time`, in seconds. */
  maxAge?: number;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * Requires a strong or recent enough user authentication (RFC 9470 §3): `acr` among `acrValues`,
 * `auth_time` within `maxAge` seconds. Rejection: 401 `insufficient_user_authentication` with
 * `acr_values` / `max_age` in the challenge, so the client can step up.
 */
export function requireAuthentication(options: RequireAuthenticationOptions): Requirement {
  const { acrValues, maxAge, clock = Date.now } = options ?? {};
  if (acrValues === undefined && maxAge === undefined) {
    throw new TypeError('resource-guard: requireAuthentication() needs "acrValues" or "maxAge"');
  }
  if (acrValues !== undefined) readScopeList([acrValues], 'requireAuthentication');
  if (maxAge !== undefined && !(Number.isFinite(maxAge) && maxAge >= 0)) {
    throw new TypeError('resource-guard: requireAuthentication(): "maxAge" must be a number of seconds ≥ 0');
  }
  const challengeParams: Record<string, string> = {};
  if (acrValues !== undefined) challengeParams.acr_values = acrValues.join(' ');
  if (maxAge !== undefined) challengeParams.max_age = String(maxAge);
  return {
    kind: 'step_up',
    check(auth) {
      const { acr, auth_time: authTime } = auth.claims;
      const acrOk = acrValues === undefined || (typeof acr === 'string' && acrValues.includes(acr));
      // Whole seconds, as `auth_time` and `max_age` are (RFC 9470 §3, OIDC Core §2): a token
      // authenticated exactly `max_age` seconds ago still passes, whatever the milliseconds.
      const ageOk = maxAge === undefined || (typeof authTime === 'number' && Math.floor(clock() / 1000) - authTime <= maxAge);
      if (acrOk && ageOk) return undefined;
      const detail = !acrOk
        ? `requireAuthentication(): acr ${quoteValue(acr)} is not one of acrValues: ${quoteList(acrValues!)}`
        : `requireAuthentication(): auth_time ${quoteValue(authTime)} is older than maxAge ${maxAge!} s`;
      return new InsufficientUserAuthenticationError('A stronger or more recent user authentication is required', { challengeParams, detail });
    },
  };
}
