import type { GuardRequest } from './http/request.js';
import type { MaybePromise } from './lib/maybe-promise.js';
import type { ResourceMetadataSource } from './metadata/resource-metadata.js';
import type { AuthenticateResult, Guard } from './guard-types.js';
import type { IssuerLookup } from './issuer/trusted-issuer.js';
import type { ResolvedOptions } from './options/guard-options.js';

/**
 * The brand every guard carries, holding what adapters need and applications do not. A
 * registered symbol (`Symbol.for`, like `GUARD_KEY`), so that a guard made by one installed copy
 * of `@resource-guard/core` is recognised by another: a `#private` field or a module-level map
 * would not be. The versions of our packages move together, so the shape of
 * {@link GuardInternals} is one across copies.
 */
export const GUARD_BRAND: unique symbol = Symbol.for('resource-guard.guard-internals');

/** What a guard keeps under {@link GUARD_BRAND}. */
export interface GuardInternals {
  /**
   * The pipeline itself: the result at once when no stage had I/O to wait for (a JWT whose keys
   * are loaded, a cache hit), else a promise of it; a rejection is thrown in the first case and
   * rejects the promise in the second. `runGuard()` is its one caller outside the guard.
   */
  authenticate(request: GuardRequest, optional: boolean): MaybePromise<AuthenticateResult>;
  /** How the guard builds its RFC 9728 metadata document; `undefined` without `resourceMetadata`. */
  readonly metadata: ResourceMetadataSource | undefined;
  /**
   * The guard's resolved options, shared with the features built on it outside the pipeline
   * (token exchange): they discover the same authorization server through the same store,
   * `fetch` and clock.
   */
  readonly options: ResolvedOptions;
  /** The guard's issuer lookup: a context's `issuer` → its `TrustedIssuer` (discovery, keys). */
  readonly findIssuer: IssuerLookup;
}

/** A guard with its brand, as `createGuard()` builds it. */
export type BrandedGuard = Guard & { readonly [GUARD_BRAND]: GuardInternals };

/**
 * Whether `value` is a guard made by `createGuard()` (of any installed copy of the core). An
 * object that merely has guard-like methods is not: adapters take it for guard options.
 */
export function isGuard(value: unknown): value is Guard {
  return typeof value === 'object' && value !== null && typeof (value as Partial<BrandedGuard>)[GUARD_BRAND]?.authenticate === 'function';
}

/** The internals of `guard`; a `TypeError` for anything `createGuard()` did not make. */
export function guardInternals(guard: Guard): GuardInternals {
  if (!isGuard(guard)) throw new TypeError('resource-guard: expected a guard from createGuard()');
  return (guard as BrandedGuard)[GUARD_BRAND];
}
