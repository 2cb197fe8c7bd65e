import type { Guard } from '../guard.js';
import type { IssuerLookup } from '../issuer/trusted-issuer.js';
import type { ResolvedOptions } from '../options/guard-options.js';

/**
 * What a guard shares with the features built on it outside the pipeline (token exchange): its
 * resolved options and its trusted issuers, so that they discover the same authorization server
 * with the same code, through the same store, `fetch` and clock. Kept in a `WeakMap` rather than
 * on the guard object: invisible to the application, and gone with the guard.
 */
export interface GuardInternals {
  readonly options: ResolvedOptions;
  /** The guard's issuer lookup: a context's `issuer` → its {@link TrustedIssuer} (discovery, keys). */
  readonly findIssuer: IssuerLookup;
}

const internals = new WeakMap<Guard, GuardInternals>();

/** Called once by `createGuard()`. */
export function registerGuardInternals(guard: Guard, shared: GuardInternals): void {
  internals.set(guard, shared);
}

/** The internals of a guard made by `createGuard()`; `undefined` for any other object. */
export function readGuardInternals(guard: Guard): GuardInternals | undefined {
  return internals.get(guard);
}
