import type { Claims } from '../claims/claims.js';
import { quoteList } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { assertKnownKeys, knownKeys } from '../options/validate.js';

/**
 * Principal allow-lists, for issuers where anyone can obtain a token for any audience. Google
 * signs an ID token for any audience a caller asks for (the metadata server's `identity`
 * endpoint, IAM `generateIdToken`): every service account of every project can mint one for your
 * URL. GitHub Actions and GitLab CI do the same for every job of every repository. For such an
 * issuer `aud` proves nothing about the caller, so the guard refuses to start without a list of
 * the callers it accepts (the way issuer templates need `tenants`).
 */

/**
 * The callers accepted: the `azp`, `email` or `sub` values (a token passes when one of its claims
 * is listed; an `email` counts only with `email_verified: true`), or a predicate over the verified
 * claims that returns `true` for an accepted caller.
 */
export type PrincipalFilter =
  | { readonly azp?: readonly string[]; readonly email?: readonly string[]; readonly sub?: readonly string[] }
  | ((claims: Readonly<Record<string, unknown>>) => boolean);

/**
 * Issuers anyone can obtain a token from, for any audience they name: Google (whose scheme-less
 * `iss` spelling `profile: 'google'` maps to this one), GitHub Actions' and GitLab.com's CI job
 * tokens. A guard trusting one of them needs `principals`.
 */
export const OPEN_ISSUERS: readonly string[] = Object.freeze([
  'https://accounts.google.com', 'https://token.actions.githubusercontent.com', 'https://gitlab.com',
]);

const LISTS = ['azp', 'email', 'sub'] as const;
const KNOWN_KEYS = knownKeys<Exclude<PrincipalFilter, (...args: never[]) => unknown>>()([...LISTS]);

/** A validated filter as a test of verified claims; `undefined` when none is configured. */
export type PrincipalTest = (claims: Claims) => boolean;

/**
 * Validates `principals` at start-up (a `TypeError` naming it), and requires it when `open` names
 * why the configuration accepts tokens anyone can mint.
 */
export function readPrincipals(value: unknown, open: string | undefined): PrincipalTest | undefined {
  if (value === undefined) {
    if (open === undefined) return undefined;
    throw new TypeError(`resource-guard: "principals" is required with ${open}: anyone can obtain a token of that issuer for any `
      + 'audience, so list the callers you accept (their "azp", "email" or "sub" values) or give a predicate');
  }
  if (typeof value === 'function') {
    const accepts = value as (claims: Claims) => unknown;
    return (claims) => accepts(claims) === true;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('resource-guard: "principals" must be { azp?, email?, sub? } (arrays of strings) or a function');
  }
  assertKnownKeys(value as Record<string, unknown>, KNOWN_KEYS, 'principals');
  const lists = new Map<string, ReadonlySet<string>>();
  for (const name of LISTS) {
    const list = (value as Record<string, unknown>)[name];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
      throw new TypeError(`resource-guard: "principals.${name}" must be a non-empty array of strings`);
    }
    lists.set(name, new Set(list as string[]));
  }
  if (lists.size === 0) throw new TypeError('resource-guard: "principals" must list "azp", "email" or "sub" values');
  return (claims) => [...lists].some(([name, accepted]) => (
    typeof claims[name] === 'string' && accepted.has(claims[name]) && (name !== 'email' || claims.email_verified === true)
  ));
}

/** Why a configuration needs `principals`, for the start-up error; `undefined` when it does not. */
export function describeOpenIssuers(profile: string, issuers: readonly string[]): string | undefined {
  const open = issuers.filter((issuer) => OPEN_ISSUERS.includes(issuer));
  if (open.length > 0) return `issuer ${quoteList(open)}`;
  return profile === 'google' ? 'profile "google"' : undefined;
}

/** The claim rule's check: `ERR_TOKEN_PRINCIPAL_UNTRUSTED` unless `accepts` the caller. */
export function checkPrincipal(claims: Claims, accepts: PrincipalTest): void {
  if (!accepts(claims)) {
    throw new InvalidTokenError('Token caller is not accepted', 'ERR_TOKEN_PRINCIPAL_UNTRUSTED', {
      detail: 'the token\'s azp, verified email and sub are none of "principals" (or its predicate returned false)',
    });
  }
}
