import type { GuardError } from './errors/errors.js';
import type { GuardRequest } from './http/request.js';
import type { AuthContext } from './pipeline/context.js';
import type { Requirement } from './requirements/requirements.js';

/**
 * The guard's public types, in a module of their own (the way jose keeps its types apart): the
 * modules that build a guard import them without importing `guard.ts`, so that the import graph
 * reads top-down, with no loop.
 */

/** Options of {@link Guard.authenticate}. */
export interface AuthenticateOptions {
  /** Let requests without any credentials through with `auth: undefined`. Bad credentials still fail. Default false. */
  optional?: boolean;
}

/** What {@link Guard.authenticate} resolves to. */
export interface AuthenticateResult {
  /** The verified context; `undefined` only for `optional` requests without credentials. */
  auth: AuthContext | undefined;
  /**
   * Headers for the eventual *successful* response: `Cache-Control: private` for query tokens
   * (RFC 6750 §2.3), `DPoP-Nonce` when a nonce rotates. Adapters set them.
   */
  headers: Record<string, string>;
}

/**
 * The verification pipeline created by `createGuard()`: one way to authenticate a request
 * (`authenticate`), one to verify a token (`verify`). Framework adapters hand requests over
 * with `runGuard()` of `@resource-guard/core/adapter`, which goes on in the same tick when
 * nothing had to wait; `isGuard()` there tells a guard from anything else, also across two
 * installed copies of the core.
 */
export interface Guard {
  /**
   * Verifies the request's access token and returns who it belongs to. **Contract.**
   * Rejects with a {@link GuardError} with `status`, `code` and rendered `headers`.
   */
  verify(request: GuardRequest): Promise<AuthContext>;
  /** Like `verify`, plus headers for the successful response and the `optional` mode; used by adapters. */
  authenticate(request: GuardRequest, options?: AuthenticateOptions): Promise<AuthenticateResult>;
  /**
   * Checks a per-route requirement (scopes, claims, step-up) against a verified context, and
   * throws the rendered rejection. `auth` undefined (an optional route without credentials) → 401.
   */
  authorize(auth: AuthContext | undefined, requirement: Requirement): void;
  /** Renders a challenge for any `GuardError` thrown outside the pipeline (e.g. by a custom check). */
  reject(error: GuardError, scheme?: 'Bearer' | 'DPoP'): GuardError;
}
