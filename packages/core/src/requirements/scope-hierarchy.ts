import { assertObject } from '../options/validate.js';

/**
 * The `scopeHierarchy` option: broader scopes that imply narrower ones, e.g.
 * `{ 'orders:write': ['orders:read'], admin: '*' }`. Its type, parser and the checks that use it.
 */

/**
 * Scope → the scopes it implies (`'*'`: every scope). Implication is transitive (`a` → `b` → `c`
 * means `a` implies `c`); cycles are allowed and make the scopes equivalent. Scope strings follow
 * RFC 6749 §3.3 (`scope-token`), matched exactly and case-sensitively.
 */
export type ScopeHierarchyOption = Readonly<Record<string, string | readonly string[]>>;

/** The scopes a token holds, the implied ones included. */
export interface ScopeSet {
  has(scope: string): boolean;
}

/** What route requirements use to judge scopes: `expand`, `narrowest` and `narrowestAlternatives`. */
export interface ScopeHierarchy {
  /** Every scope a token with `granted` holds, the implied ones included. */
  expand(granted: readonly string[]): ScopeSet;
  /**
   * The narrowest set that still covers all of `required`: a scope implied by another one of
   * `required` is left out (of two equivalent scopes, the first listed is kept).
   */
  narrowest(required: readonly string[]): string[];
  /** Of alternatives (any one suffices), those that imply no other alternative: the least privilege to ask for. */
  narrowestAlternatives(accepted: readonly string[]): string[];
}

// In the closure: a scope that implies every scope.
const ALL: unique symbol = Symbol('every scope');
const EVERY_SCOPE: ScopeSet = Object.freeze({ has: () => true });

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function readImplied(scope: string, value: unknown): readonly string[] | '*' {
  if (value === '*') return '*';
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && SCOPE_TOKEN.test(item))) {
    throw new TypeError(`resource-guard: "scopeHierarchy.${scope}" must be '*' or a scope string or a non-empty array of them (RFC 6749 §3.3)`);
  }
  return list as readonly string[];
}

/** Validates the option once (a `TypeError` naming the bad entry); `undefined` when not set. */
export function resolveScopeHierarchy(option: unknown): ScopeHierarchy | undefined {
  if (option === undefined) return undefined;
  assertObject(option, 'scopeHierarchy');
  if (Array.isArray(option)) throw new TypeError('resource-guard: "scopeHierarchy" must be an object: scope → implied scope(s) or \'*\'');
  const direct = new Map<string, readonly string[] | '*'>();
  for (const [scope, value] of Object.entries(option as Record<string, unknown>)) {
    if (!SCOPE_TOKEN.test(scope)) throw new TypeError(`resource-guard: "scopeHierarchy" has a key that is not a scope token (RFC 6749 §3.3)`);
    direct.set(scope, readImplied(scope, value));
  }
  // The closure once, at start-up: per request, expanding is a lookup per granted scope.
  const closure = new Map<string, ReadonlySet<string> | typeof ALL>();
  for (const scope of direct.keys()) {
    const seen = new Set<string>();
    const pending = [scope];
    let all = false;
    while (pending.length > 0 && !all) {
      const next = direct.get(pending.pop()!);
      if (next === '*') all = true;
      else for (const implied of next ?? []) if (!seen.has(implied)) { seen.add(implied); pending.push(implied); }
    }
    closure.set(scope, all ? ALL : seen);
  }
  const implies = (broader: string, narrower: string): boolean => {
    const reach = closure.get(broader);
    return reach === ALL || (reach?.has(narrower) ?? false);
  };
  return {
    expand(granted) {
      const held = new Set(granted);
      for (const scope of granted) {
        const reach = closure.get(scope);
        if (reach === ALL) return EVERY_SCOPE;
        for (const implied of reach ?? []) held.add(implied);
      }
      return held;
    },
    narrowest(required) {
      return required.filter((scope, index) => !required.some((other, otherIndex) => (
        other !== scope && implies(other, scope) && (!implies(scope, other) || otherIndex < index)
      )));
    },
    narrowestAlternatives(accepted) {
      return accepted.filter((scope, index) => !accepted.some((other, otherIndex) => (
        other !== scope && implies(scope, other) && (!implies(other, scope) || otherIndex < index)
      )));
    },
  };
}
